// The local API gateway, standing in for Supabase's Kong and edge-runtime front door on
// 127.0.0.1:<apiPort>: `/rest/v1/*` -> PostgREST (an `apikey` header is required, as Kong's
// key-auth does), `/functions/v1/<name>` -> the function host, with `verify_jwt` enforced as
// the edge runtime does (OPTIONS passes; no Authorization header: 401
// `{"msg":"Error: Missing authorization header"}`; a token not signed with the project
// secret, or expired: 401 `{"msg":"Invalid JWT"}`), `/realtime/v1/websocket` -> the local
// Realtime (key-auth with the `apikey` query parameter, as supabase-js sends it), `/board/`
// -> the live queue board's static files. Streams bodies both ways; an upstream that fails
// or drops the connection becomes 502, like Kong. Does network I/O.
import { verifyJwt } from "./jwt.ts";

export interface GatewayFunction {
  /** Base URL of the running function. */
  url: string;
  verifyJwt: boolean;
}

export interface GatewayConfig {
  postgrestUrl: string;
  functions: Record<string, GatewayFunction>;
  jwtSecret: string;
  /** The keys Kong accepts in `apikey` (the anon and service_role keys). */
  apiKeys: string[];
  /** The local Realtime's WebSocket endpoint, served at /realtime/v1/websocket. */
  realtime?: (req: Request) => Promise<Response>;
  /** Static files served under /board/ (`path`: what follows `/board/`). */
  board?: (req: Request, path: string) => Promise<Response>;
}

const HOP_BY_HOP = ["connection", "keep-alive", "transfer-encoding", "upgrade", "host"];

const CORS_HEADERS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS",
  "Access-Control-Allow-Headers":
    "authorization, x-client-info, apikey, content-type, content-profile, accept-profile, prefer, x-retry-count",
  "Access-Control-Max-Age": "3600",
};

function json(status: number, value: unknown, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", ...extra },
  });
}

/** Forwards `req` to `target`, streaming both bodies; failures become Kong's 502. */
async function proxy(
  req: Request,
  target: string,
  extraHeaders: Record<string, string> = {},
): Promise<Response> {
  const headers = new Headers(req.headers);
  for (const h of HOP_BY_HOP) headers.delete(h);
  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: req.method,
      headers,
      body: req.body,
      redirect: "manual",
    });
  } catch {
    return json(502, { message: "An invalid response was received from the upstream server" });
  }
  const out = new Headers(upstream.headers);
  for (const h of HOP_BY_HOP) out.delete(h);
  for (const [k, v] of Object.entries(extraHeaders)) out.set(k, v);
  // fetch has already decoded the body, so its length and encoding no longer apply.
  if (out.has("content-encoding")) {
    out.delete("content-encoding");
    out.delete("content-length");
  }
  return new Response(upstream.body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: out,
  });
}

/** Kong's key-auth: the refusal, or null when `apikey` (header or query) is a known key. */
function keyAuth(req: Request, url: URL, cfg: GatewayConfig): Response | null {
  const key = req.headers.get("apikey") ?? url.searchParams.get("apikey");
  const challenge = { "WWW-Authenticate": 'Key realm="kong"' };
  if (!key) return json(401, { message: "No API key found in request" }, challenge);
  if (!cfg.apiKeys.includes(key)) return json(401, { message: "Invalid API key" }, challenge);
  return null;
}

/** `/rest/v1/*`: Kong's key-auth, then PostgREST with the prefix removed. */
function rest(req: Request, url: URL, cfg: GatewayConfig): Promise<Response> | Response {
  if (req.method === "OPTIONS") return new Response(null, { status: 200, headers: CORS_HEADERS });
  const refused = keyAuth(req, url, cfg);
  if (refused) return refused;
  const path = url.pathname.slice("/rest/v1".length) || "/";
  // Kong's cors plugin marks every answer as readable from any origin.
  return proxy(req, `${cfg.postgrestUrl}${path}${url.search}`, {
    "Access-Control-Allow-Origin": "*",
  });
}

/** `/functions/v1/<name>/...`: the edge runtime's verify_jwt, then the function. */
async function functions(req: Request, url: URL, cfg: GatewayConfig): Promise<Response> {
  const match = /^\/functions\/v1\/([^/]+)(\/.*)?$/.exec(url.pathname);
  const fn = match ? cfg.functions[match[1]] : undefined;
  if (!match || !fn) return json(404, { msg: "Function not found" });
  if (fn.verifyJwt && req.method !== "OPTIONS") {
    const header = req.headers.get("authorization");
    if (!header) return json(401, { msg: "Error: Missing authorization header" });
    const bearer = /^bearer\s+(\S+)\s*$/i.exec(header);
    const ok = bearer && (await verifyJwt(bearer[1], { secret: cfg.jwtSecret, skew: 0 })).ok;
    if (!ok) return json(401, { msg: "Invalid JWT" });
  }
  return proxy(req, `${fn.url}/${match[1]}${match[2] ?? ""}${url.search}`);
}

/** The gateway as a fetch handler (usable without a server). */
export function gatewayHandler(cfg: GatewayConfig): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/rest/v1" || url.pathname.startsWith("/rest/v1/")) {
      return await rest(req, url, cfg);
    }
    if (url.pathname.startsWith("/functions/v1/")) return await functions(req, url, cfg);
    if (url.pathname === "/realtime/v1/websocket" && cfg.realtime) {
      return keyAuth(req, url, cfg) ?? await cfg.realtime(req);
    }
    if (url.pathname === "/board" && cfg.board) {
      return new Response(null, { status: 308, headers: { Location: `/board/${url.search}` } });
    }
    if (url.pathname.startsWith("/board/") && cfg.board) {
      return await cfg.board(req, url.pathname.slice("/board/".length));
    }
    return json(404, { message: "no Route matched with those values" });
  };
}

export interface RunningGateway {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Serves the gateway on 127.0.0.1:`port` (0: a free port). */
export function startGateway(cfg: GatewayConfig, port: number): Promise<RunningGateway> {
  const handler = gatewayHandler(cfg);
  const abort = new AbortController();
  return new Promise((resolve, reject) => {
    try {
      const server = Deno.serve({
        hostname: "127.0.0.1",
        port,
        signal: abort.signal,
        onListen: (addr) => {
          const p = (addr as Deno.NetAddr).port;
          resolve({
            url: `http://127.0.0.1:${p}`,
            port: p,
            async stop() {
              abort.abort();
              await server.finished;
            },
          });
        },
        onError: () =>
          json(502, { message: "An invalid response was received from the upstream server" }),
      }, handler);
    } catch (e) {
      reject(e);
    }
  });
}
