// Harness of the local Realtime's conformance tests: a small stack of its own (throwaway
// PostgreSQL on a free port with the Supabase base and tests/realtime/fixtures.sql, the
// local Realtime, the gateway), independent of any running stack. Gives raw WebSocket
// clients (frames as the protocol defines them) and supabase-js clients.
import type { SupabaseClient } from "@supabase/supabase-js";
import postgres from "postgres";
import { startGateway } from "../../stack/gateway.ts";
import { type Claims, demoKey, LOCAL_JWT_SECRET, opaqueKeys, signJwt } from "../../stack/jwt.ts";
import { applyBase, runSqlFile, startPostgres } from "../../stack/postgres.ts";
import { type RunningRealtime, startRealtime } from "../../stack/realtime/mod.ts";
import type { Vsn } from "../../stack/realtime/protocol.ts";
import { freePort } from "../../stack/wait.ts";
import { realtimeClient } from "../_support/realtime.ts";

export interface Harness {
  apiUrl: string;
  anonKey: string;
  /** Superuser connection for fixtures and checks. */
  sql: postgres.Sql;
  realtime: RunningRealtime;
  restartDb(mode?: "fast" | "immediate"): Promise<void>;
  /** A signed-in user's token with these claims (role authenticated, an hour to live). */
  token(claims?: Claims): Promise<string>;
  /** A raw protocol client. */
  raw(options?: { vsn?: Vsn; apikey?: string }): Promise<RawClient>;
  /**
   * supabase-js as an app builds it, signed in with `token` (anon without). Realtime has the
   * token before any channel joins (see `realtimeClient` in ../_support/realtime.ts).
   */
  client(token?: string): Promise<SupabaseClient>;
}

const FIXTURES = new URL("./fixtures.sql", import.meta.url).pathname;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` against a fresh harness and stops everything afterwards. */
export async function withHarness(fn: (h: Harness) => Promise<void>): Promise<void> {
  const pg = await startPostgres({ port: freePort() });
  const stops: (() => Promise<void>)[] = [() => pg.stop()];
  const clients: SupabaseClient[] = [];
  const raws: RawClient[] = [];
  try {
    await applyBase(pg.dbUrl);
    await runSqlFile(pg.dbUrl, FIXTURES);
    const opaque = await opaqueKeys();
    const realtime = startRealtime({
      dbUrl: pg.dbUrl,
      jwtSecret: LOCAL_JWT_SECRET,
      log: () => {},
      opaqueKeys: opaque,
    });
    stops.push(() => realtime.stop());
    const anonKey = await demoKey("anon");
    const gateway = await startGateway({
      postgrestUrl: "http://127.0.0.1:9",
      functions: {},
      jwtSecret: LOCAL_JWT_SECRET,
      apiKeys: [anonKey, await demoKey("service_role")],
      opaqueKeys: opaque,
      realtime: (req) => realtime.handle(req),
    }, 0);
    stops.push(() => gateway.stop());
    const sql = postgres(pg.dbUrl, { max: 2, onnotice: () => {} });
    stops.push(() => sql.end({ timeout: 2 }));
    const wsUrl = `${gateway.url.replace(/^http/, "ws")}/realtime/v1/websocket`;
    await fn({
      apiUrl: gateway.url,
      anonKey,
      sql,
      realtime,
      restartDb: (mode = "fast") => pg.restart(mode),
      token: (claims = {}) => {
        const now = Math.floor(Date.now() / 1000);
        return signJwt({
          sub: crypto.randomUUID(),
          role: "authenticated",
          aud: "authenticated",
          iat: now,
          exp: now + 3600,
          ...claims,
        }, LOCAL_JWT_SECRET);
      },
      async raw(options = {}) {
        const c = await RawClient.connect(
          `${wsUrl}?apikey=${options.apikey ?? anonKey}&vsn=${options.vsn ?? "2.0.0"}`,
          options.vsn ?? "2.0.0",
        );
        raws.push(c);
        return c;
      },
      async client(token) {
        const c = await realtimeClient(gateway.url, anonKey, token);
        clients.push(c);
        return c;
      },
    });
  } finally {
    for (const c of clients) await c.removeAllChannels().catch(() => {});
    for (const r of raws) r.close();
    for (const s of stops.reverse()) await s().catch(() => {});
  }
}

export interface Message {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  // deno-lint-ignore no-explicit-any
  payload: any;
}

/** A WebSocket speaking the channel protocol by hand: frames in, messages logged. */
export class RawClient {
  readonly messages: Message[] = [];
  #waiters: (() => void)[] = [];
  #ref = 0;
  closed: Promise<CloseEvent>;

  private constructor(private ws: WebSocket, readonly vsn: Vsn) {
    this.closed = new Promise((r) => ws.addEventListener("close", (e) => r(e as CloseEvent)));
    ws.onmessage = (e) => {
      const raw = JSON.parse(e.data);
      this.messages.push(
        vsn === "2.0.0"
          ? { joinRef: raw[0], ref: raw[1], topic: raw[2], event: raw[3], payload: raw[4] }
          : { joinRef: raw.join_ref ?? null, ...raw },
      );
      for (const w of this.#waiters.splice(0)) w();
    };
  }

  static connect(url: string, vsn: Vsn): Promise<RawClient> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.onopen = () => resolve(new RawClient(ws, vsn));
      ws.onerror = () => reject(new Error(`WebSocket to ${url} failed`));
    });
  }

  /** Sends a frame; returns its ref. */
  send(topic: string, event: string, payload: unknown, joinRef: string | null = null): string {
    const ref = String(++this.#ref);
    this.ws.send(
      this.vsn === "2.0.0"
        ? JSON.stringify([joinRef, ref, topic, event, payload])
        : JSON.stringify({ topic, event, payload, ref, join_ref: joinRef }),
    );
    return ref;
  }

  sendText(text: string): void {
    this.ws.send(text);
  }

  /** The first message (already received or coming) that satisfies `match`. */
  async next(match: (m: Message) => boolean, timeoutMs = 5000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`,
        );
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** The reply to the frame with `ref`. */
  reply(ref: string): Promise<Message> {
    return this.next((m) => m.event === "phx_reply" && m.ref === ref);
  }

  /** Joins `realtime:<name>`; returns the reply and the join ref. */
  async join(name: string, payload: Record<string, unknown>) {
    const ref = this.send(`realtime:${name}`, "phx_join", payload, String(this.#ref + 1));
    return { ref, reply: await this.reply(ref) };
  }

  of(topic: string, event: string): Message[] {
    return this.messages.filter((m) => m.topic === topic && m.event === event);
  }

  close(): void {
    try {
      this.ws.close();
    } catch {
      // already closed
    }
  }
}
