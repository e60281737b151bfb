// The local Realtime: a development and test stand-in for Supabase Realtime's
// `postgres_changes`, never deployed. `startRealtime()` returns the WebSocket endpoint as a
// fetch handler (the gateway serves it at /realtime/v1/websocket) and the hub that joins the
// parts: connections (socket.ts) subscribe channels, subscriptions are checked in the
// database (subscriptions.ts), logical replication of the publication (replication.ts,
// started by the first subscription) hands over committed transactions in commit order, and
// each change goes to the channels whose bindings match and whose role and claims may see
// it (visibility.ts). Does I/O (WebSockets, database connections).
import { checkToken } from "./auth.ts";
import { type Action, bindingMatches } from "./bindings.ts";
import { Db } from "./db.ts";
import { EV, push, type Vsn, VSNS } from "./protocol.ts";
import { Replication } from "./replication.ts";
import { type Channel, Connection, type Hub } from "./socket.ts";
import { checkBindings } from "./subscriptions.ts";
import { awaitCommitted, evaluate, type Subscriber } from "./visibility.ts";
import type { Transaction } from "./wal.ts";

export interface RealtimeOptions {
  /** Superuser URL of the database (Realtime reads the WAL and runs the policy checks). */
  dbUrl: string;
  jwtSecret: string;
  /** Default `supabase_realtime`. */
  publication?: string;
  /** Default `supabase_realtime_replication_slot`. */
  slot?: string;
  log?: (message: string) => void;
  /** Opaque keys (`sb_publishable_...`) accepted as `apikey`, and the JWT each stands for. */
  opaqueKeys?: Record<string, string>;
}

export interface RunningRealtime {
  /** Answers a WebSocket upgrade of /realtime/v1/websocket. */
  handle(req: Request): Promise<Response>;
  /** Open client connections. */
  readonly connections: number;
  /** Drops every client connection (as a network loss would); clients reconnect by themselves. */
  dropConnections(): void;
  stop(): Promise<void>;
}

/** How long a channel waits before retrying a subscription the database refused for now. */
const RETRY_SUBSCRIBE_MS = 5000;
/** A connection with no frame for this long is closed (clients heartbeat every 25 s). */
const IDLE_TIMEOUT_MS = 60_000;

export function startRealtime(options: RealtimeOptions): RunningRealtime {
  const log = options.log ?? ((m: string) => console.error(`[realtime] ${m}`));
  const db = new Db(options.dbUrl, 3);
  // postgres.js can throw from a timer when the server closes a connection while a write is
  // queued (seen when PostgreSQL crashes). That must not take the process down: the broken
  // connection is replaced anyway (deadlines in db.ts, the replication's reconnection).
  const onClientFault = (event: ErrorEvent) => {
    if (!/postgres[/@].*connection\.js/.test(String(event.error?.stack))) return;
    event.preventDefault();
    log(`database client fault: ${event.error?.message}`);
  };
  globalThis.addEventListener("error", onClientFault);
  const sockets = new Map<Connection, WebSocket>();
  /** Channels whose subscription is live, with their pending retry timers. */
  const live = new Set<Channel>();
  const retries = new Map<Channel, ReturnType<typeof setTimeout>>();

  const replication = new Replication({
    dbUrl: options.dbUrl,
    publication: options.publication ?? "supabase_realtime",
    slot: options.slot ?? "supabase_realtime_replication_slot",
    deliver,
    log,
    onStatus(isLive) {
      // Back after a loss: every subscription is live again, as the service re-subscribes.
      if (isLive) {
        for (const ch of live) ch.connection.system(ch, "postgres_changes", "ok", SUBSCRIBED);
      }
    },
  });

  const SUBSCRIBED = "Subscribed to PostgreSQL";

  async function subscribeNow(channel: Channel): Promise<void> {
    retries.delete(channel);
    try {
      await replication.start();
      await replication.refreshTables();
      const refused = await db.run((sql) =>
        checkBindings(sql, replication, channel.bindings, channel.role)
      );
      if (channel.closed) return;
      if (refused) return channel.connection.system(channel, "postgres_changes", "error", refused);
      await replication.whenLive();
      if (channel.closed) return;
      channel.subscribed = true;
      live.add(channel);
      channel.connection.system(channel, "postgres_changes", "ok", SUBSCRIBED);
    } catch (e) {
      if (channel.closed) return;
      let message = (e as Error).message;
      if (/wal2json/.test(message)) {
        message += " (the local Realtime needs the wal2json output plugin: " +
          "apt-get install postgresql-15-wal2json)";
      }
      log(`subscription of ${channel.topic} failed, retrying: ${message}`);
      channel.connection.system(channel, "postgres_changes", "error", message);
      retries.set(channel, setTimeout(() => subscribeNow(channel), RETRY_SUBSCRIBE_MS));
    }
  }

  const hub: Hub = {
    jwtSecret: options.jwtSecret,
    subscribe(channel) {
      subscribeNow(channel);
    },
    unsubscribe(channel) {
      channel.subscribed = false;
      live.delete(channel);
      clearTimeout(retries.get(channel));
      retries.delete(channel);
    },
  };

  /** How far delivery of a transaction got, so a retry after a failure sends nothing twice. */
  const progress = new WeakMap<Transaction, number>();

  /** Sends one committed transaction's changes, in order, to the channels that may see them. */
  async function deliver(tx: Transaction): Promise<void> {
    let visible: Promise<void> | null = null;
    const committed = () => visible ??= db.run((sql) => awaitCommitted(sql, tx.xid));
    for (let i = progress.get(tx) ?? 0; i < tx.changes.length; i++) {
      const change = tx.changes[i];
      const channelOf = new Map<Subscriber, Channel>();
      for (const ch of live) {
        const bindings = ch.bindings.filter((b) =>
          bindingMatches(b, change.schema, change.table, change.action as Action)
        );
        if (bindings.length) channelOf.set({ role: ch.role, claims: ch.claims, bindings }, ch);
      }
      if (channelOf.size === 0) {
        progress.set(tx, i + 1);
        continue;
      }
      const deliveries = await db.run((sql) =>
        evaluate(sql, change, tx.timestamp, [...channelOf.keys()], committed)
      );
      for (const d of deliveries) {
        const ch = channelOf.get(d.subscriber)!;
        if (!ch.subscribed) continue;
        ch.connection.send(push(ch.topic, null, EV.postgresChanges, { ids: d.ids, data: d.data }));
      }
      progress.set(tx, i + 1);
    }
  }

  async function handle(req: Request): Promise<Response> {
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return Response.json({ message: "expected a WebSocket upgrade" }, { status: 400 });
    }
    const url = new URL(req.url);
    const vsn = (url.searchParams.get("vsn") ?? "1.0.0") as Vsn;
    if (!VSNS.includes(vsn)) {
      return Response.json({ message: `unsupported vsn ${vsn}` }, { status: 400 });
    }
    const given = url.searchParams.get("apikey") ?? req.headers.get("apikey") ?? "";
    const apiKey = options.opaqueKeys?.[given] ?? given;
    const checked = await checkToken(apiKey, options.jwtSecret);
    if (!checked.ok) return Response.json({ message: checked.reason }, { status: 403 });

    const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout: 0 });
    const connection = new Connection(vsn, apiKey, {
      send: (text) => socket.send(text),
      close: (code, reason) => socket.close(code, reason),
    }, hub);
    let idle: ReturnType<typeof setTimeout> | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => connection.close(1000, "idle"), IDLE_TIMEOUT_MS);
    };
    let chain = Promise.resolve();
    socket.onopen = () => {
      sockets.set(connection, socket);
      touch();
    };
    socket.onmessage = (event) => {
      touch();
      if (typeof event.data !== "string") return; // binary frames carry broadcasts only
      chain = chain.then(() => connection.onText(event.data)).catch((e) => {
        log(`connection error: ${(e as Error).stack ?? e}`);
        connection.close(4011, "internal error");
      });
    };
    const gone = () => {
      clearTimeout(idle);
      sockets.delete(connection);
      connection.onClose();
    };
    socket.onclose = gone;
    socket.onerror = gone;
    return response;
  }

  return {
    handle,
    get connections() {
      return sockets.size;
    },
    dropConnections() {
      for (const [connection, socket] of sockets) {
        connection.onClose();
        try {
          socket.close(4000, "connection dropped");
        } catch {
          // already closing
        }
      }
      sockets.clear();
    },
    async stop() {
      globalThis.removeEventListener("error", onClientFault);
      for (const t of retries.values()) clearTimeout(t);
      for (const [connection, socket] of sockets) {
        connection.onClose();
        try {
          socket.close(1000, "going away");
        } catch {
          // already closing
        }
      }
      sockets.clear();
      await replication.stop();
      await db.end();
    },
  };
}
