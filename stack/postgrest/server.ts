// The PostgREST stand-in's HTTP server: listens on 127.0.0.1, turns each request into a
// fetch-style `Request` for the handler, and applies the fault hook (`/_fault`) when the
// stack runs with faults on. Built on node:http because a fault must be able to drop the
// TCP connection before any response byte is sent, which Deno.serve cannot do.
import http from "node:http";
import type { AddressInfo } from "node:net";
import postgres from "postgres";
import { LOCAL_JWT_SECRET } from "../jwt.ts";
import { errorResponse } from "./errors.ts";
import { type FaultSpec, FaultState, validateFaultSpec } from "./faults.ts";
import { handle, type HandlerConfig } from "./handler.ts";
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
  /** Enable the fault hook at `/_fault`. */
  faults?: boolean;
  /** Connection pool size. */
  poolSize?: number;
  /** Database work of one request that takes longer is answered 504 PGRST003 (default 10 s). */
  requestTimeoutMs?: number;
}

export interface RunningPostgrest {
  url: string;
  /** `${url}/_fault` when faults are on. */
  faultUrl: string | null;
  /** "stand-in" or "postgrest" (the real binary). */
  kind: "stand-in" | "postgrest";
  stop(): Promise<void>;
}

/** What the handler asks the server to do instead of answering. */
const DROP = Symbol("drop");

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

async function send(
  res: http.ServerResponse,
  response: Response,
  closeConnection: boolean,
): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((v, k) => (headers[k] = v));
  if (closeConnection) headers["connection"] = "close";
  const body = response.body ? new Uint8Array(await response.arrayBuffer()) : null;
  res.writeHead(response.status, headers);
  res.end(body ?? undefined);
}

function json(status: number, value: unknown): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8" },
  });
}

async function faultEndpoint(req: Request, faults: FaultState): Promise<Response> {
  if (req.method === "GET") return json(200, faults.snapshot());
  if (req.method !== "POST") return json(405, { message: "use GET or POST" });
  let spec: unknown;
  try {
    spec = await req.json();
  } catch {
    return json(400, { message: "body must be JSON" });
  }
  const problem = validateFaultSpec(spec);
  if (problem) return json(400, { message: problem });
  faults.set(spec as FaultSpec);
  return json(200, faults.snapshot());
}

/** Starts the stand-in; `stop()` closes the server and the database pool. */
export async function startStandIn(options: StandInOptions): Promise<RunningPostgrest> {
  const makePool = () =>
    postgres(options.dbUri, {
      max: options.poolSize ?? 10,
      idle_timeout: 30,
      connect_timeout: 5,
      onnotice: () => {},
      connection: { application_name: "postgrest-stand-in" },
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
  const faults = options.faults ? new FaultState() : null;
  let port = 0;

  const respond = async (request: Request): Promise<Response | typeof DROP> => {
    const path = new URL(request.url).pathname;
    if (faults && path === "/_fault") return await faultEndpoint(request, faults);
    const fault = faults && path.startsWith("/rpc/") ? faults.take() : null;
    if (fault?.mode === "status") {
      return errorResponse({
        status: fault.status,
        body: { code: fault.code, message: fault.message, details: null, hint: null },
      });
    }
    if (fault?.mode === "drop") return DROP;
    const response = await handle(request, cfg);
    if (fault?.mode === "drop_after_commit") return DROP;
    return response;
  };

  const server = http.createServer((req, res) => {
    (async () => {
      const request = await toRequest(req, port);
      const response = await respond(request);
      if (response === DROP) {
        req.socket.destroy();
        return;
      }
      // With faults on, no connection is reused: an HTTP client silently replays a request
      // whose reused keep-alive connection closes without an answer (Deno's fetch does), which
      // would hide a dropped connection from the caller and run the call twice.
      await send(res, response, faults !== null);
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
    faultUrl: faults ? `${url}/_fault` : null,
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
