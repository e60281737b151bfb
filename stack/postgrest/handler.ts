// The PostgREST stand-in's request handling (docs/postgrest-standin.md): JWT -> role and
// claims, body or query -> named arguments, one READ COMMITTED transaction per request
// connected as `authenticator` with the request settings applied by `set_config(..., true)`,
// READ ONLY for STABLE/IMMUTABLE functions and GET, then the response shaped by return type,
// or the PostgREST error. Does database I/O.
import postgres from "postgres";
import { type Claims, verifyJwt } from "../jwt.ts";
import { buildCall } from "./call.ts";
import { chooseFunction, loadRoutines, type RoutineInfo } from "./catalog.ts";
import { type ApiError, errorResponse, fromDbError, pgrstError } from "./errors.ts";
import type { RoleSettings } from "./role_settings.ts";

export interface HandlerConfig {
  /** Pool connected as `authenticator` (the server may replace it after a client fault). */
  sql: postgres.Sql;
  /** Database work of one request that takes longer fails with 504 PGRST003. */
  requestTimeoutMs: number;
  /** Told when a request lost its connection (the server then replaces pool `sql`). */
  connectionLost(sql: postgres.Sql): void;
  jwtSecret: string;
  anonRole: string;
  /** The exposed schema (db-schemas). */
  schema: string;
  /** Extra schemas on the search_path after the exposed one. */
  extraSearchPath: string[];
  /** When set, tokens whose `aud` differs are refused (PGRST303). */
  jwtAudience?: string;
  /** `ALTER ROLE ... SET` settings applied for the request's role. */
  roleSettings: RoleSettings;
}

type Auth = { role: string; claims: Claims; anon: boolean };

const JSON_TYPE = "application/json; charset=utf-8";
const OBJECT_TYPE = "application/vnd.pgrst.object+json";

/** The role and claims of a request, or the 401 error (PGRST301 / PGRST303). */
export async function authenticate(
  req: Request,
  cfg: Pick<HandlerConfig, "jwtSecret" | "anonRole" | "jwtAudience">,
): Promise<Auth | ApiError> {
  const header = req.headers.get("authorization");
  const match = header ? /^bearer\s*(.*)$/i.exec(header.trim()) : null;
  if (!match) return { role: cfg.anonRole, claims: { role: cfg.anonRole }, anon: true };
  const result = await verifyJwt(match[1].trim(), {
    secret: cfg.jwtSecret,
    audience: cfg.jwtAudience,
  });
  if (!result.ok) {
    return pgrstError(
      result.error.kind === "malformed" ? "PGRST301" : "PGRST303",
      result.error.message,
    );
  }
  // PostgREST uses a non-string role claim as its JSON text; an absent one means anon.
  const claim = result.claims.role;
  const role = claim === undefined
    ? cfg.anonRole
    : typeof claim === "string"
    ? claim
    : JSON.stringify(claim);
  return { role, claims: { ...result.claims, role }, anon: role === cfg.anonRole };
}

/** The call's arguments: the JSON body for POST, the query string for GET/HEAD. */
async function readArgs(
  req: Request,
  url: URL,
): Promise<{ ok: true; args: unknown } | { ok: false; error: ApiError }> {
  if (req.method !== "POST") {
    const args: Record<string, string> = {};
    for (const [k, v] of url.searchParams) args[k] = v;
    return { ok: true, args };
  }
  const text = await req.text();
  if (text.trim() === "") return { ok: true, args: {} };
  try {
    return { ok: true, args: JSON.parse(text) };
  } catch (e) {
    return {
      ok: false,
      error: pgrstError("PGRST102", "Empty or invalid json", (e as Error).message),
    };
  }
}

function isApiError(x: unknown): x is ApiError {
  return typeof x === "object" && x !== null && "status" in x && "body" in x;
}

function describe(r: RoutineInfo): string {
  return `${r.schema}.${r.name}(${r.params.map((p) => `${p.name} => ${p.type}`).join(", ")})`;
}

function notFound(schema: string, name: string, argNames: string[]): ApiError {
  const keys = [...argNames].sort(); // PostgREST lists the names as a sorted set
  const qualified = `${schema}.${name}`;
  const withParams = keys.length
    ? `${qualified}(${keys.join(", ")})`
    : `${qualified} without parameters`;
  const searched = keys.length ? `with parameters ${keys.join(", ")}` : "without parameters";
  return pgrstError(
    "PGRST202",
    `Could not find the function ${withParams} in the schema cache`,
    `Searched for the function ${qualified} ${searched} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
  );
}

/** Raised when a request's database work outlives `requestTimeoutMs`. */
class DeadlineError extends Error {}

/** `work`, or a DeadlineError after `ms` milliseconds. */
function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** A database or connection failure as PostgREST reports it. */
export function fromThrown(e: unknown, anon: boolean): ApiError {
  if (e instanceof DeadlineError) {
    return pgrstError(
      "PGRST003",
      "Timed out acquiring connection from connection pool.",
      e.message,
    );
  }
  // Only errors the server sent carry a SQLSTATE; client-side ones (EPIPE, ECONNREFUSED,
  // CONNECTION_CLOSED) have look-alike codes and mean the connection is gone.
  // 57P03 (cannot connect now: starting up, shutting down) only ever refuses a new
  // connection; PostgREST sees it while acquiring one, as a connection error (503).
  if (e instanceof postgres.PostgresError && e.code !== "57P03") {
    return fromDbError({ code: e.code, message: e.message, detail: e.detail, hint: e.hint }, anon);
  }
  return pgrstError(
    "PGRST001",
    "Database client error. Retrying the connection.",
    String((e as Error)?.message ?? e),
  );
}

/** Handles one request to the stand-in. */
export async function handle(req: Request, cfg: HandlerConfig): Promise<Response> {
  try {
    return await handleInner(req, cfg);
  } catch (e) {
    // Database and connection errors are answered where they happen; this is a defect of
    // the stand-in itself. Say so instead of blaming the database.
    console.error("postgrest stand-in: unexpected error", e);
    return errorResponse({
      status: 500,
      body: {
        code: "XX000",
        message: "internal error in the PostgREST stand-in",
        details: String((e as Error)?.message ?? e),
        hint: null,
      },
    });
  }
}

async function handleInner(req: Request, cfg: HandlerConfig): Promise<Response> {
  const url = new URL(req.url);
  const auth = await authenticate(req, cfg);
  if (isApiError(auth)) return errorResponse(auth);

  const rpc = /^\/rpc\/([^/]+)$/.exec(url.pathname);
  if (!rpc) {
    const table = url.pathname.replace(/^\/+/, "");
    return errorResponse(
      pgrstError(
        "PGRST205",
        `Could not find the table '${cfg.schema}.${table}' in the schema cache`,
      ),
    );
  }
  const name = decodeURIComponent(rpc[1]);
  if (req.method === "OPTIONS") {
    return new Response(null, { status: 200, headers: { Allow: "OPTIONS,GET,HEAD,POST" } });
  }
  if (!["GET", "HEAD", "POST"].includes(req.method)) {
    return errorResponse(pgrstError("PGRST101", `Cannot use the ${req.method} method on RPC`));
  }

  // Content-Profile (POST) / Accept-Profile (GET) choose the schema; only one is exposed.
  const profile = req.headers.get(req.method === "POST" ? "content-profile" : "accept-profile");
  if (profile !== null && profile !== cfg.schema) {
    return errorResponse(pgrstError(
      "PGRST106",
      `Invalid schema: ${profile}`,
      null,
      `Only the following schemas are exposed: ${cfg.schema}`,
    ));
  }

  const read = await readArgs(req, url);
  if (!read.ok) return errorResponse(read.error);
  const args = read.args;
  const keys = typeof args === "object" && args !== null && !Array.isArray(args)
    ? Object.keys(args)
    : [];

  const sql = cfg.sql;
  const failed = (e: unknown): Response => {
    const err = fromThrown(e, auth.anon);
    if (/^(PGRST001|57P01|08...)$/.test(err.body.code)) cfg.connectionLost(sql);
    return errorResponse(err);
  };
  let routines: RoutineInfo[];
  try {
    routines = await withDeadline(
      loadRoutines(sql, cfg.schema, name),
      cfg.requestTimeoutMs,
    );
  } catch (e) {
    return failed(e);
  }
  const choice = chooseFunction(routines, keys);
  if (!choice.ok) {
    if (choice.reason === "none") return errorResponse(notFound(cfg.schema, name, keys));
    return errorResponse(pgrstError(
      "PGRST203",
      `Could not choose the best candidate function between: ${
        choice.candidates.map(describe).join(", ")
      }`,
      null,
      "Try renaming the parameters or the function itself in the database so function overloading can be resolved",
    ));
  }
  const routine = choice.routine;
  if (
    !routine.singleUnnamedJson && (typeof args !== "object" || args === null || Array.isArray(args))
  ) {
    return errorResponse(pgrstError("PGRST102", "Empty or invalid json"));
  }
  const readOnly = req.method !== "POST" || routine.volatility !== "v";
  const call = buildCall(routine, keys);

  const headers: Record<string, string> = {};
  for (const [k, v] of req.headers) if (k !== "cookie") headers[k.toLowerCase()] = v;
  const searchPath = [cfg.schema, ...cfg.extraSearchPath].map((s) => `"${s}"`).join(", ");

  let row: { body: string | null; n: string | number };
  try {
    const settings: [string, string][] = [
      ["search_path", searchPath],
      ...Object.entries(
        await withDeadline(cfg.roleSettings.of(auth.role), cfg.requestTimeoutMs),
      ),
      ["role", auth.role],
      ["request.jwt.claims", JSON.stringify(auth.claims)],
      ["request.method", req.method],
      ["request.path", url.pathname],
      ["request.headers", JSON.stringify(headers)],
    ];
    const setText = "select " +
      settings.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(", ");
    const mode = `isolation level read committed ${readOnly ? "read only" : "read write"}`;
    const transaction = sql.begin(mode, async (tx) => {
      // Prepared (the texts repeat) and pipelined: both go out before the first answer. If
      // the settings fail, the call fails with 25P02 and the settings' error is reported.
      const params = call.takesBody ? [JSON.stringify(args)] : [];
      const [, rows] = await Promise.all([
        tx.unsafe(setText, settings.flat(), { prepare: true }),
        tx.unsafe(call.text, params, { prepare: true }),
      ]);
      return rows[0] as unknown as { body: string | null; n: string | number };
    }) as unknown as Promise<{ body: string | null; n: string | number }>;
    row = await withDeadline(transaction, cfg.requestTimeoutMs);
  } catch (e) {
    return failed(e);
  }
  return shapeResponse(req, call.isVoid, call.returnsSet, row);
}

/** The success response: 204 for void, the JSON body, or one object for `Accept: ...object+json`. */
function shapeResponse(
  req: Request,
  isVoid: boolean,
  returnsSet: boolean,
  row: { body: string | null; n: string | number },
): Response {
  if (isVoid) return new Response(null, { status: 204 });
  let body = row.body ?? "null";
  let contentType = JSON_TYPE;
  if ((req.headers.get("accept") ?? "").includes(OBJECT_TYPE)) {
    const n = Number(row.n);
    if (returnsSet) {
      if (n !== 1) {
        return errorResponse(pgrstError(
          "PGRST116",
          "Cannot coerce the result to a single JSON object",
          `The result contains ${n} rows`,
        ));
      }
      body = JSON.stringify(JSON.parse(body)[0]);
    }
    contentType = `${OBJECT_TYPE}; charset=utf-8`;
  }
  return new Response(req.method === "HEAD" ? null : body, {
    status: 200,
    headers: { "Content-Type": contentType },
  });
}
