// The local API gateway, standing in for Supabase's Kong and edge-runtime front door on
// 127.0.0.1:<apiPort>: `/rest/v1/*` -> PostgREST (an `apikey` header is required, as Kong's
// key-auth does), `/functions/v1/<name>` -> the function host, with `verify_jwt` enforced as
// the edge runtime does (`verifyJwtRefusal`: OPTIONS passes; otherwise 401 with the edge
// runtime's `{"code", "message", "msg"}`), `/realtime/v1/websocket` -> the local Realtime
// (key-auth with the `apikey` query parameter, as supabase-js sends it), `/auth/v1/*` -> the
// local Auth (stack/auth.ts; key-auth first), `/board/` -> the live
// queue board's static files. Streams bodies both ways; an upstream that fails or drops the
// connection becomes 502, like Kong. Does network I/O.
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
  /**
   * Opaque keys (`sb_publishable_...`, `sb_secret_...`) and the JWT each stands for: accepted in
   * `apikey`, and swapped for that JWT in `apikey` and in an `Authorization` that is absent or
   * carries the key itself, as the CLI's gateway does, before any route sees the request.
   */
  opaqueKeys?: Record<string, string>;
  /** The local Realtime's WebSocket endpoint, served at /realtime/v1/websocket. */
  realtime?: (req: Request) => Promise<Response>;
  /** The local Auth, served at /auth/v1/* (`path`: what follows `/auth/v1`). */
  auth?: (req: Request, path: string) => Promise<Response>;
  /** Static files served under /board/ (`path`: what follows `/board/`). */
  board?: (req: Request, path: string) => Promise<Response>;
}

const HOP_BY_HOP = ["connection", "keep-alive", "transfer-encoding", "upgrade", "host"];

/**
 * Kong's cors plugin as Supabase enables it (no options) answers a preflight itself: these
 * methods, and the request headers the preflight asks for (supabase-js's own when it asks for
 * none), so an app's extra global headers pass as they do on the platform.
 */
function preflight(req: Request): Response {
  return new Response(null, {
    status: 200,
    headers: {
      "Access-Control-Allow-Origin": "*",
      "Access-Control-Allow-Methods": "GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT",
      "Access-Control-Allow-Headers": req.headers.get("access-control-request-headers") ??
        "authorization, x-client-info, apikey, content-type, content-profile, accept-profile, prefer, x-retry-count",
    },
  });
}

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
  if (!cfg.apiKeys.includes(key) && !(key in (cfg.opaqueKeys ?? {}))) {
    return json(401, { message: "Invalid API key" }, challenge);
  }
  return null;
}

/**
 * What Kong answers itself on a route with the cors and key-auth plugins: a preflight, or a
 * key-auth refusal (readable from any origin, as the cors plugin marks every answer); null
 * when the request goes on.
 */
function front(req: Request, url: URL, cfg: GatewayConfig): Response | null {
  if (req.method === "OPTIONS") return preflight(req);
  const refused = keyAuth(req, url, cfg);
  refused?.headers.set("Access-Control-Allow-Origin", "*");
  return refused;
}

/** `/rest/v1/*`: Kong's key-auth, then PostgREST with the prefix removed. */
function rest(req: Request, url: URL, cfg: GatewayConfig): Promise<Response> | Response {
  const answered = front(req, url, cfg);
  if (answered) return answered;
  const path = url.pathname.slice("/rest/v1".length) || "/";
  // key-auth hides the credential it took (hide_credentials): an `apikey` in the query string
  // does not reach PostgREST, which would read it as a filter.
  let query = url.search;
  if (url.searchParams.has("apikey")) {
    const search = new URLSearchParams(url.search);
    search.delete("apikey");
    query = search.size ? `?${search}` : "";
  }
  return proxy(req, `${cfg.postgrestUrl}${path}${query}`, {
    "Access-Control-Allow-Origin": "*",
  });
}

/** `/functions/v1/<name>/...`: the edge runtime's verify_jwt, then the function. */
async function functions(req: Request, url: URL, cfg: GatewayConfig): Promise<Response> {
  const match = /^\/functions\/v1\/([^/]+)(\/.*)?$/.exec(url.pathname);
  const fn = match ? cfg.functions[match[1]] : undefined;
  if (!match || !fn) return json(404, { msg: "Function not found" });
  if (fn.verifyJwt && req.method !== "OPTIONS") {
    const refusal = await verifyJwtRefusal(req, cfg.jwtSecret);
    if (refusal) return jwtRefusal(refusal);
  }
  return proxy(req, `${fn.url}/${match[1]}${match[2] ?? ""}${url.search}`);
}

/** Why verify_jwt refused a request: the platform's error code and message. */
export interface JwtRefusal {
  code: string;
  message: string;
}

/**
 * verify_jwt as the Supabase CLI's edge runtime (CLI 2.117, the version this project pins)
 * applies it before a function runs. The token is the one of `Authorization: Bearer <token>`
 * (exactly `Bearer`, one space, one token), or the `sb-api-key` header's when that is missing
 * or is an `sb_` key. Its protected header must decode; an HS256 token must verify with the
 * project's JWT secret (signature, `exp`, `nbf`, no clock tolerance). ES256/RS256 tokens
 * would be checked against the project's JWKS, which this stack does not serve: they are
 * refused. Returns `null` when the request may go on.
 */
export async function verifyJwtRefusal(req: Request, secret: string): Promise<JwtRefusal | null> {
  const authorization = req.headers.get("authorization");
  const apiKey = req.headers.get("sb-api-key")?.replace("Bearer", "").trim();
  if (!authorization && !apiKey) {
    return { code: "UNAUTHORIZED_NO_AUTH_HEADER", message: "Missing authorization header" };
  }
  const parts = (authorization ?? "").split(" ");
  const bearer = parts[0] === "Bearer" && parts.length === 2 ? parts[1] : null;
  const token = !bearer || bearer.startsWith("sb_") ? apiKey : bearer;
  const badFormat = { code: "UNAUTHORIZED_INVALID_JWT_FORMAT", message: "Invalid JWT format" };
  if (!token) return badFormat;
  const alg = protectedHeader(token)?.alg;
  if (alg === undefined) return badFormat;
  if (alg === "HS256") {
    const verified = await verifyJwt(token, { secret, skew: 0 });
    return verified.ok ? null : { code: "UNAUTHORIZED_LEGACY_JWT", message: "Invalid JWT" };
  }
  if (alg === "ES256" || alg === "RS256") {
    return { code: "UNAUTHORIZED_ASYMMETRIC_JWT", message: "Invalid JWT" };
  }
  return {
    code: "UNAUTHORIZED_UNSUPPORTED_TOKEN_ALGORITHM",
    message: `Unsupported JWT algorithm ${alg}`,
  };
}

/** A compact JWS's protected header, or `null` when it does not decode to a JSON object. */
function protectedHeader(token: string): { alg?: unknown } | null {
  const parts = token.split(".");
  if (parts.length !== 3 && parts.length !== 5) return null;
  try {
    const b64 = parts[0].replaceAll("-", "+").replaceAll("_", "/");
    const text = new TextDecoder("utf-8", { fatal: true }).decode(
      Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)),
    );
    const header = JSON.parse(text);
    return header && typeof header === "object" && !Array.isArray(header) ? header : null;
  } catch {
    return null;
  }
}

/**
 * The edge runtime's verify_jwt answer: 401, `{"code", "message", "msg"}` (`msg` repeats
 * the message for older clients), `sb-error-code` exposed to browsers; no CORS origin header
 * and no request id, since the function never ran.
 */
function jwtRefusal({ code, message }: JwtRefusal): Response {
  return new Response(JSON.stringify({ code, message, msg: message }), {
    status: 401,
    headers: {
      "Content-Type": "application/json",
      "sb-error-code": code,
      "Access-Control-Expose-Headers": "sb-error-code",
    },
  });
}

/**
 * The request with an opaque key swapped for its JWT (`cfg.opaqueKeys`), or itself. A WebSocket
 * upgrade is left as it is (it must stay the request the server handed over): the local Realtime
 * swaps the key itself.
 */
function swapOpaqueKey(req: Request, cfg: GatewayConfig): Request {
  const url = new URL(req.url);
  const key = req.headers.get("apikey") ?? url.searchParams.get("apikey");
  const jwt = key === null ? undefined : cfg.opaqueKeys?.[key];
  if (jwt === undefined || req.headers.get("upgrade")?.toLowerCase() === "websocket") return req;
  if (url.searchParams.has("apikey")) url.searchParams.set("apikey", jwt);
  const swapped = new Request(url, req);
  if (swapped.headers.has("apikey")) swapped.headers.set("apikey", jwt);
  const authorization = swapped.headers.get("authorization");
  if (authorization === null || authorization.replace(/^Bearer\s+/i, "") === key) {
    swapped.headers.set("authorization", `Bearer ${jwt}`);
  }
  return swapped;
}

/** The gateway as a fetch handler (usable without a server). */
export function gatewayHandler(cfg: GatewayConfig): (req: Request) => Promise<Response> {
  return async (original) => {
    const req = swapOpaqueKey(original, cfg);
    const url = new URL(req.url);
    if (url.pathname === "/rest/v1" || url.pathname.startsWith("/rest/v1/")) {
      return await rest(req, url, cfg);
    }
    if (url.pathname.startsWith("/functions/v1/")) return await functions(req, url, cfg);
    if (url.pathname.startsWith("/auth/v1/") && cfg.auth) {
      return front(req, url, cfg) ?? await cfg.auth(req, url.pathname.slice("/auth/v1".length));
    }
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
