// Fault injection in front of whatever serves `/rest/v1` (the stand-in or a real PostgREST):
// a small HTTP proxy between the gateway and PostgREST that can answer the next RPCs with a
// fixed error status, drop their connection before forwarding them, or forward them, let
// PostgREST answer (and commit), then drop the connection instead of answering
// (docs/architecture.md, "Fault injection"). `FaultState` is the pure decision per RPC;
// `startFaultProxy` does network I/O. Built on node:http because a drop must close the TCP
// connection before any response byte, which Deno.serve cannot do.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { errorResponse } from "./postgrest/errors.ts";

export type FaultMode = "off" | "status" | "drop" | "drop_after_commit";

/** What `POST {faultUrl}` accepts. */
export interface FaultSpec {
  mode: FaultMode;
  /** For mode "status": the HTTP status to answer with. */
  status?: number;
  /** Error body code for mode "status" (default by status: 503 PGRST001, 504 PGRST003). */
  code?: string;
  message?: string;
  /** How many RPCs the fault applies to ... */
  count?: number;
  /** ... or for how long, in milliseconds. */
  durationMs?: number;
}

/** The decision for one RPC. */
export type Fault =
  | { mode: "status"; status: number; code: string; message: string }
  | { mode: "drop" }
  | { mode: "drop_after_commit" };

export interface FaultSnapshot {
  mode: FaultMode;
  status?: number;
  remaining?: number;
  untilMs?: number;
  applied: number;
}

function defaultCode(status: number): { code: string; message: string } {
  if (status === 503) {
    return { code: "PGRST001", message: "Database client error. Retrying the connection." };
  }
  if (status === 504) {
    return { code: "PGRST003", message: "Timed out acquiring connection from connection pool." };
  }
  return { code: "PGRST000", message: `Fault injected by the local stack (HTTP ${status})` };
}

/** Checks a spec from the wire; returns an error message or null. */
export function validateFaultSpec(spec: unknown): string | null {
  if (typeof spec !== "object" || spec === null) return "body must be a JSON object";
  const s = spec as Record<string, unknown>;
  if (!["off", "status", "drop", "drop_after_commit"].includes(s.mode as string)) {
    return 'mode must be one of "off", "status", "drop", "drop_after_commit"';
  }
  if (s.mode === "off") return null;
  if (s.mode === "status") {
    if (!Number.isInteger(s.status) || (s.status as number) < 100 || (s.status as number) > 599) {
      return "mode status needs an integer status 100-599";
    }
  }
  const hasCount = s.count !== undefined;
  const hasDuration = s.durationMs !== undefined;
  if (hasCount === hasDuration) return "give exactly one of count or durationMs";
  const n = hasCount ? s.count : s.durationMs;
  if (!Number.isInteger(n) || (n as number) < 1) {
    return "count/durationMs must be a positive integer";
  }
  return null;
}

export class FaultState {
  #spec: FaultSpec = { mode: "off" };
  #remaining = 0;
  #until = 0;
  #applied = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Replaces the current fault (the spec must have passed `validateFaultSpec`). */
  set(spec: FaultSpec): void {
    this.#spec = spec;
    this.#applied = 0;
    this.#remaining = spec.count ?? 0;
    this.#until = spec.durationMs !== undefined ? this.now() + spec.durationMs : 0;
  }

  #active(): boolean {
    if (this.#spec.mode === "off") return false;
    if (this.#spec.count !== undefined) return this.#remaining > 0;
    return this.now() < this.#until;
  }

  /** The fault for the next RPC, consuming one use; null when none applies. */
  take(): Fault | null {
    if (!this.#active()) {
      if (this.#spec.mode !== "off") this.#spec = { mode: "off" };
      return null;
    }
    if (this.#spec.count !== undefined) this.#remaining--;
    this.#applied++;
    const spec = this.#spec;
    if (spec.mode === "status") {
      const status = spec.status!;
      const d = defaultCode(status);
      return {
        mode: "status",
        status,
        code: spec.code ?? d.code,
        message: spec.message ?? d.message,
      };
    }
    return { mode: spec.mode as "drop" | "drop_after_commit" };
  }

  snapshot(): FaultSnapshot {
    const active = this.#active();
    const mode = active ? this.#spec.mode : "off";
    const snap: FaultSnapshot = { mode, applied: this.#applied };
    if (active && this.#spec.status !== undefined) snap.status = this.#spec.status;
    if (active && this.#spec.count !== undefined) snap.remaining = this.#remaining;
    if (active && this.#spec.durationMs !== undefined) snap.untilMs = this.#until;
    return snap;
  }
}

export interface RunningFaultProxy {
  /** Base URL to send `/rest/v1`'s traffic to (the gateway's PostgREST URL). */
  url: string;
  /** `${url}/_fault`: GET the state, POST a FaultSpec. */
  faultUrl: string;
  stop(): Promise<void>;
}

const HOP_BY_HOP = ["connection", "keep-alive", "transfer-encoding", "upgrade", "host"];

/** An HTTP answer as the proxy writes it (node:http keeps the upstream's reason phrase). */
interface Answer {
  status: number;
  statusText?: string;
  headers: http.OutgoingHttpHeaders;
  body: Uint8Array;
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk as Uint8Array);
  return new Uint8Array(await new Blob(chunks as BlobPart[]).arrayBuffer());
}

/** Headers without the hop-by-hop ones. */
function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && !HOP_BY_HOP.includes(k)) out[k] = v;
  }
  return out;
}

/** `req` sent to `upstream`; resolves once the whole answer has arrived. */
function forward(upstream: URL, req: http.IncomingMessage, body: Uint8Array): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const out = http.request({
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...endToEnd(req.headers), connection: "close" },
    }, (answer) => {
      readAll(answer).then((bytes) =>
        resolve({
          status: answer.statusCode ?? 502,
          statusText: answer.statusMessage,
          headers: endToEnd(answer.headers),
          body: bytes,
        }), reject);
    });
    out.on("error", reject);
    out.end(body);
  });
}

async function fromResponse(response: Response): Promise<Answer> {
  const headers: http.OutgoingHttpHeaders = {};
  response.headers.forEach((v, k) => (headers[k] = v));
  headers["content-length"] = String((await response.clone().arrayBuffer()).byteLength);
  return {
    status: response.status,
    headers,
    body: new Uint8Array(await response.arrayBuffer()),
  };
}

/** Writes `answer`; every answer closes its connection (see startFaultProxy). */
function send(res: http.ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, answer.statusText || undefined, {
    ...answer.headers,
    connection: "close",
  });
  res.end(answer.body);
}

function json(status: number, value: unknown): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8" },
  });
}

function hook(method: string, body: Uint8Array, faults: FaultState): Response {
  if (method === "GET") return json(200, faults.snapshot());
  if (method !== "POST") return json(405, { message: "use GET or POST" });
  let spec: unknown;
  try {
    spec = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return json(400, { message: "body must be JSON" });
  }
  const problem = validateFaultSpec(spec);
  if (problem) return json(400, { message: problem });
  faults.set(spec as FaultSpec);
  return json(200, faults.snapshot());
}

/**
 * Starts the fault proxy on 127.0.0.1:`port` (0: a free port) in front of `upstream`.
 * Faults apply to `/rpc/...` requests; everything else, and every RPC while no fault is set,
 * is forwarded unchanged (method, path, query, headers, body; status, reason phrase, headers
 * and body back).
 */
export async function startFaultProxy(upstream: string, port = 0): Promise<RunningFaultProxy> {
  const target = new URL(upstream);
  const faults = new FaultState();
  const server = http.createServer((req, res) => {
    (async () => {
      const body = await readAll(req);
      const path = (req.url ?? "/").split("?")[0];
      if (path === "/_fault") {
        return send(res, await fromResponse(hook(req.method ?? "GET", body, faults)));
      }
      const fault = path.startsWith("/rpc/") ? faults.take() : null;
      if (fault?.mode === "drop") return void req.socket.destroy();
      if (fault?.mode === "status") {
        const error = errorResponse({
          status: fault.status,
          body: { code: fault.code, message: fault.message, details: null, hint: null },
        });
        return send(res, await fromResponse(error));
      }
      let answer: Answer;
      try {
        // The whole answer first: PostgREST has then finished (and committed).
        answer = await forward(target, req, body);
      } catch {
        // An upstream that fails looks the same to the caller as through no proxy.
        return void req.socket.destroy();
      }
      if (fault?.mode === "drop_after_commit") return void req.socket.destroy();
      // No connection is reused: an HTTP client silently replays a request whose reused
      // keep-alive connection closes without an answer (Deno's fetch does), which would hide
      // a dropped connection from the caller and run the call twice.
      send(res, answer);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    faultUrl: `${url}/_fault`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}
