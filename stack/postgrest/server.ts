// The PostgREST stand-in's HTTP server: listens on 127.0.0.1, turns each request into a
// fetch-style `Request` for the handler and writes the handler's answer with its status,
// reason phrase (PostgREST uses a `PTxyz` error's message as the phrase) and headers. Built
// on node:http because Deno.serve cannot send a reason phrase of its own.
import http from "node:http";
import type { AddressInfo } from "node:net";
import postgres from "postgres";
import { LOCAL_JWT_SECRET } from "../jwt.ts";
import { handle, type HandlerConfig, type TxEnd } from "./handler.ts";
import { RoleSettings } from "./role_settings.ts";

export interface StandInOptions {
  /** Database URL to connect with (as `authenticator`). */
  dbUri: string;
  /** Port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  jwtSecret?: string;
  anonRole?: string;
  schema?: string;
  extraSearchPath?: string[];
  jwtAudience?: string;
  /** Connection pool size. */
  poolSize?: number;
  /** Database work of one request that takes longer is answered 504 PGRST003 (default 10 s). */
  requestTimeoutMs?: number;
  /** PostgREST's db-tx-end (default "commit", as Supabase runs it). */
  txEnd?: TxEnd;
  /** PostgREST's db-max-rows (default: no limit; the local stack passes `[api] max_rows`). */
  maxRows?: number;
}

export interface RunningPostgrest {
  url: string;
  /** "stand-in" or "postgrest" (the real binary). */
  kind: "stand-in" | "postgrest";
  stop(): Promise<void>;
}

async function toRequest(req: http.IncomingMessage, port: number): Promise<Request> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of req) chunks.push(chunk as Uint8Array);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    for (const value of Array.isArray(v) ? v : [v]) headers.append(k, value);
  }
  const method = req.method ?? "GET";
  const hasBody = !["GET", "HEAD"].includes(method);
  return new Request(`http://127.0.0.1:${port}${req.url ?? "/"}`, {
    method,
    headers,
    body: hasBody ? new Blob(chunks as BlobPart[]) : undefined,
  });
}

async function send(res: http.ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((v, k) => {
    if (k !== "set-cookie") headers[k] = v;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers["set-cookie"] = cookies;
  const body = response.body ? new Uint8Array(await response.arrayBuffer()) : null;
  // Like PostgREST, every answer but a 204 says its length.
  if (response.status !== 204) headers["content-length"] = String(body?.byteLength ?? 0);
  res.writeHead(response.status, response.statusText || undefined, headers);
  res.end(body ?? undefined);
}

/**
 * Query values go to PostgreSQL as the client sent them, like PostgREST's untyped
 * parameters: postgres.js would otherwise re-encode a string whose parameter type the server
 * inferred as json (JSON.stringify), boolean ("true" -> 'f') or a date.
 */
const asSent = (encode: (x: unknown) => string) => (x: unknown) =>
  typeof x === "string" ? x : encode(x);
const AS_SENT = {
  json: {
    to: 114,
    from: [114, 3802],
    serialize: asSent((x) => JSON.stringify(x)),
    parse: (x: string) => JSON.parse(x),
  },
  boolean: {
    to: 16,
    from: [16],
    serialize: asSent((x) => (x === true ? "t" : "f")),
    parse: (x: string) => x === "t",
  },
  date: {
    to: 1184,
    from: [1082, 1114, 1184],
    serialize: asSent((x) => (x as Date).toISOString()),
    parse: (x: string) => new Date(x),
  },
};

/** Starts the stand-in; `stop()` closes the server and the database pool. */
export async function startStandIn(options: StandInOptions): Promise<RunningPostgrest> {
  const makePool = () =>
    postgres(options.dbUri, {
      max: options.poolSize ?? 10,
      idle_timeout: 30,
      connect_timeout: 5,
      onnotice: () => {},
      connection: { application_name: "postgrest-stand-in" },
      types: AS_SENT,
    });
  const cfg: HandlerConfig = {
    sql: makePool(),
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    jwtSecret: options.jwtSecret ?? LOCAL_JWT_SECRET,
    anonRole: options.anonRole ?? "anon",
    schema: options.schema ?? "public",
    extraSearchPath: options.extraSearchPath ?? ["extensions"],
    jwtAudience: options.jwtAudience,
    roleSettings: new RoleSettings(() => cfg.sql),
    txEnd: options.txEnd ?? "commit",
    maxRows: options.maxRows,
    connectionLost: (lost) => replacePool(lost, "a request lost its database connection"),
  };
  // After the database closes connections (restart, crash), postgres.js can leave a pooled
  // connection that never sends again; a fresh pool is the reliable way back. Queries still
  // queued on the old pool fail within a second (503) instead of hanging.
  function replacePool(lost: postgres.Sql, why: string) {
    if (lost !== cfg.sql) return;
    console.warn(`postgrest stand-in: ${why}; opening a new connection pool`);
    cfg.sql = makePool();
    lost.end({ timeout: 1 }).catch(() => {});
  }
  // postgres.js can also throw from a timer when the server closes a connection while a
  // write is queued (seen under load during `pg_ctl restart`). Such an error must not take
  // the whole stack down: swallow it and replace the pool.
  const onUncaught = (event: ErrorEvent) => {
    if (!/postgres[/@].*connection\.js/.test(String(event.error?.stack))) return;
    event.preventDefault();
    replacePool(cfg.sql, `database client fault (${event.error?.message})`);
  };
  globalThis.addEventListener("error", onUncaught);
  let port = 0;

  const server = http.createServer((req, res) => {
    (async () => {
      const request = await toRequest(req, port);
      await send(res, await handle(request, cfg));
    })().catch((e) => {
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "application/json; charset=utf-8" });
        res.end(
          JSON.stringify({ code: "PGRST000", message: String(e), details: null, hint: null }),
        );
      } else {
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    kind: "stand-in",
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      globalThis.removeEventListener("error", onUncaught);
      await cfg.sql.end({ timeout: 2 });
    },
  };
}
