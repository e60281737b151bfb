// The PostgREST stand-in's request handling (docs/postgrest-standin.md): JWT -> role and
// claims, body or query -> named arguments, one READ COMMITTED transaction per request
// connected as `authenticator` with the request settings applied by `set_config(..., true)`,
// READ ONLY for STABLE/IMMUTABLE functions and GET, then the response shaped by return type,
// or the PostgREST error. Does database I/O.
import postgres from "postgres";
import { type Claims, verifyJwt } from "../jwt.ts";
import { buildCall, type CallArgs } from "./call.ts";
import { chooseFunction, loadRoutines, type RoutineInfo } from "./catalog.ts";
import { type ApiError, errorResponse, fromDbError, pgrstError } from "./errors.ts";
import { parsePrefer, preferenceApplied, type Preferences } from "./prefer.ts";
import { embeds, loadRelationships, type Relationship, resolveEmbeds } from "./embed.ts";
import { contentRange, parseQuery, type QueryParams, requestRange } from "./query.ts";
import type { RoleSettings } from "./role_settings.ts";
import {
  buildDelete,
  buildInsert,
  buildRead,
  buildUpdate,
  type Column,
  loadRelation,
  type Relation,
  type Statement,
} from "./table.ts";

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
  /** PostgREST's db-tx-end: how a request's transaction ends, and whether `Prefer: tx=` may change it. */
  txEnd: TxEnd;
  /** PostgREST's db-max-rows: the most rows a read or an RPC answers (none: no limit). */
  maxRows?: number;
}

export type TxEnd = "commit" | "commit-allow-override" | "rollback" | "rollback-allow-override";

type Auth = { role: string; claims: Claims; anon: boolean };

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

/** A JSON request body: its text, the parsed value, and its object keys. */
interface Body {
  text: string;
  value: unknown;
  array: boolean;
  /** Keys of the object, or of an array's first object. */
  keys: string[];
  /** Every object of an array has the same keys (PostgREST requires it without `columns`). */
  uniform: boolean;
}

/**
 * Reads the JSON body; 400 PGRST102 when it is not JSON. An empty body is `{}` for a
 * function call (`emptyIsObject`) and an error for a table.
 */
async function readBody(req: Request, emptyIsObject: boolean): Promise<Body | ApiError> {
  const text = await req.text();
  if (text.trim() === "" && emptyIsObject) {
    return { text: "{}", value: {}, array: false, keys: [], uniform: true };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return pgrstError("PGRST102", "Empty or invalid json");
  }
  const array = Array.isArray(value);
  const first = array ? (value as unknown[])[0] : value;
  const isObject = (x: unknown) => typeof x === "object" && x !== null && !Array.isArray(x);
  const keys = isObject(first) ? Object.keys(first as object) : [];
  const uniform = !array ||
    (value as unknown[]).every((x) =>
      isObject(x) && Object.keys(x as object).length === keys.length &&
      keys.every((k) => k in (x as object))
    );
  return { text, value, array, keys, uniform };
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

/** What PostgREST's CORS policy lets a page read of an answer (its `Cors.hs`). */
const EXPOSED = "Content-Encoding, Content-Location, Content-Range, Content-Type, Date, " +
  "Location, Server, Transfer-Encoding, Range-Unit";

/** Handles one request to the stand-in; a request from a page (`Origin`) gets PostgREST's CORS
 * headers, so that the page can read `Content-Range` (counts) and `Location`. */
export async function handle(req: Request, cfg: HandlerConfig): Promise<Response> {
  const res = await handleAny(req, cfg);
  if (req.headers.has("origin") && req.method !== "OPTIONS") {
    res.headers.set("Access-Control-Allow-Origin", "*");
    res.headers.set("Access-Control-Expose-Headers", EXPOSED);
  }
  return res;
}

async function handleAny(req: Request, cfg: HandlerConfig): Promise<Response> {
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

const JSON_TYPE = "application/json; charset=utf-8";
const OBJECT_TYPE = "application/vnd.pgrst.object+json";

/** What `Accept` asks for: a JSON array (or value), exactly one object, or nothing we serve. */
function negotiate(accept: string | null): "json" | "single" | ApiError {
  if (accept === null || accept.trim() === "") return "json";
  const types = accept.split(",").map((t) => t.split(";")[0].trim().toLowerCase());
  for (const t of types) {
    if (t === OBJECT_TYPE) return "single";
    if (["application/json", "*/*", "application/*", ""].includes(t)) return "json";
  }
  return pgrstError(
    "PGRST107",
    `None of these media types are available: ${accept.split(",").map((t) => t.trim()).join(", ")}`,
  );
}

/** One row of every statement the stand-in runs. */
interface ResultRow {
  total_result_set: string | number | null;
  page_total: string | number;
  body: string | null;
  response_headers: string | null;
  response_status: string | null;
  response_inserted?: string | number | null;
}

/** Ends the transaction with ROLLBACK while keeping the statement's result. */
class Rollback {
  constructor(readonly row: ResultRow) {}
}

/** Ends the transaction with ROLLBACK and answers this error. */
class Refused {
  constructor(readonly error: ApiError) {}
}

interface Work {
  statement: Statement;
  readOnly: boolean;
  /** An error that refuses the result (the transaction is then rolled back). */
  refuse?: (row: ResultRow) => ApiError | null;
}

/** The request's context, shared by function calls and table routes. */
interface Ctx {
  req: Request;
  url: URL;
  cfg: HandlerConfig;
  auth: Auth;
  prefs: Preferences;
  single: boolean;
  query: QueryParams;
  /** The client chose the schema with Content-Profile / Accept-Profile. */
  profile: boolean;
}

const singular = (row: ResultRow): ApiError | null =>
  Number(row.page_total) === 1 ? null : pgrstError(
    "PGRST116",
    "Cannot coerce the result to a single JSON object",
    `The result contains ${Number(row.page_total)} rows`,
  );

/**
 * What refuses a write's (or a set-returning call's) result, rolling it back: a single object
 * that is not one row, then `Prefer: max-affected=<n>` under `handling=strict` (PostgREST 12.2+).
 */
function writeRefusal(ctx: Ctx): ((row: ResultRow) => ApiError | null) | undefined {
  const max = ctx.prefs.handling === "strict" ? ctx.prefs.maxAffected : undefined;
  if (max === undefined) return ctx.single ? singular : undefined;
  return (row) =>
    (ctx.single ? singular(row) : null) ??
      (Number(row.page_total) > max
        ? pgrstError(
          "PGRST124",
          "Query result exceeds max-affected preference constraint",
          `The query affects ${Number(row.page_total)} rows`,
        )
        : null);
}

/**
 * Supabase loads the `safeupdate` library for PostgREST's sessions: an UPDATE or DELETE without
 * a WHERE clause fails with 21000 before it runs (400). A PATCH or DELETE without a filter on
 * its table (and without `limit`) is such a statement.
 */
function safeUpdate(ctx: Ctx, command: "UPDATE" | "DELETE"): ApiError | null {
  // A limited write (`limit` / `offset`) selects its rows by ctid: it has a WHERE clause.
  const { where, limit, offset } = ctx.query;
  if (where.length > 0 || limit !== undefined || offset !== undefined) return null;
  return {
    status: 400,
    body: {
      code: "21000",
      message: `${command} requires a WHERE clause`,
      details: null,
      hint: null,
    },
  };
}

/**
 * Runs `work` in the request's transaction: the settings, then the statement; COMMIT, or
 * ROLLBACK when the result is refused or the transaction ends in rollback.
 */
async function run(ctx: Ctx, work: Work): Promise<ResultRow | Response> {
  const { cfg, req, auth, url } = ctx;
  const sql = cfg.sql;
  const headers: Record<string, string> = {};
  for (const [k, v] of req.headers) if (k !== "cookie") headers[k.toLowerCase()] = v;
  const searchPath = [cfg.schema, ...cfg.extraSearchPath].map((s) => `"${s}"`).join(", ");
  const rollback = ctx.prefs.tx === "rollback" ||
    (ctx.prefs.tx === undefined && cfg.txEnd.startsWith("rollback"));
  try {
    const settings: [string, string][] = [
      ["search_path", searchPath],
      ...Object.entries(await withDeadline(cfg.roleSettings.of(auth.role), cfg.requestTimeoutMs)),
      ["role", auth.role],
      ["request.jwt.claims", JSON.stringify(auth.claims)],
      ["request.method", req.method],
      ["request.path", url.pathname],
      ["request.headers", JSON.stringify(headers)],
    ];
    const setText = "select " +
      settings.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(", ");
    const mode = `isolation level read committed ${work.readOnly ? "read only" : "read write"}`;
    const transaction = sql.begin(mode, async (tx) => {
      // Prepared (the texts repeat) and pipelined: both go out before the first answer. If
      // the settings fail, the statement fails with 25P02 and the settings' error is reported.
      const [, rows] = await Promise.all([
        tx.unsafe(setText, settings.flat(), { prepare: true }),
        tx.unsafe(work.statement.text, work.statement.params as never[], { prepare: true }),
      ]);
      const row = rows[0] as unknown as ResultRow;
      const refusal = work.refuse?.(row);
      if (refusal) throw new Refused(refusal);
      if (rollback) {
        // A deferred constraint still reports its violation, as it would on COMMIT.
        await tx.unsafe("SET CONSTRAINTS ALL IMMEDIATE");
        throw new Rollback(row);
      }
      return row;
    }) as unknown as Promise<ResultRow>;
    return await withDeadline(transaction, cfg.requestTimeoutMs);
  } catch (e) {
    if (e instanceof Rollback) return e.row;
    if (e instanceof Refused) return errorResponse(e.error);
    const err = fromThrown(e, auth.anon);
    if (/^(PGRST001|57P01|08...)$/.test(err.body.code)) cfg.connectionLost(sql);
    return errorResponse(err);
  }
}

/**
 * The success answer: status, headers, body, with `response.status` / `response.headers`
 * set by SQL applied over PostgREST's own (500 PGRST112 / PGRST111 when malformed).
 */
function answer(
  ctx: Ctx,
  row: ResultRow,
  status: number,
  headers: Headers,
  body: string | null,
): Response {
  if (ctx.profile) headers.set("Content-Profile", ctx.cfg.schema);
  if (row.response_status !== null) {
    const code = Number(row.response_status);
    if (!/^\d+$/.test(row.response_status) || code < 100 || code > 999) {
      return errorResponse(
        pgrstError("PGRST112", "response.status guc must be a valid status code"),
      );
    }
    status = code;
  }
  if (row.response_headers !== null) {
    let list: unknown;
    try {
      list = JSON.parse(row.response_headers);
    } catch {
      list = null;
    }
    const valid = Array.isArray(list) &&
      list.every((h) =>
        typeof h === "object" && h !== null && Object.keys(h).length === 1 &&
        typeof Object.values(h)[0] === "string"
      );
    if (!valid) {
      return errorResponse(pgrstError(
        "PGRST111",
        "response.headers guc must be a JSON array composed of objects with a single key and a string value",
      ));
    }
    const fromSql = new Headers();
    for (const h of list as Record<string, string>[]) {
      const [[k, v]] = Object.entries(h);
      fromSql.append(k, v);
    }
    for (const [k, v] of fromSql) headers.set(k, v);
  }
  const send = ctx.req.method === "HEAD" || status === 204 ? null : body;
  return new Response(send, { status, headers });
}

function contentType(ctx: Ctx): string {
  return ctx.single ? `${OBJECT_TYPE}; charset=utf-8` : JSON_TYPE;
}

/** Headers every success answer carries: Content-Range, Preference-Applied. */
function baseHeaders(
  ctx: Ctx,
  range: string,
  applied: Parameters<typeof preferenceApplied>[1],
): Headers {
  const headers = new Headers({ "Content-Range": range });
  const pa = preferenceApplied(ctx.prefs, applied);
  if (pa) headers.set("Preference-Applied", pa);
  return headers;
}

async function handleInner(req: Request, cfg: HandlerConfig): Promise<Response> {
  const url = new URL(req.url);
  const auth = await authenticate(req, cfg);
  if (isApiError(auth)) return errorResponse(auth);

  const rpc = /^\/rpc\/([^/]+)$/.exec(url.pathname);
  const table = rpc ? null : /^\/([^/]+)$/.exec(url.pathname);
  if (!rpc && !table) {
    return errorResponse(pgrstError("PGRST125", "Invalid path specified in request URL"));
  }
  const name = decodeURIComponent((rpc ?? table)![1]);
  const methods = rpc ? ["GET", "HEAD", "POST"] : ["GET", "HEAD", "POST", "PATCH", "DELETE"];
  if (req.method === "OPTIONS") {
    return new Response(null, { status: 200, headers: { Allow: `OPTIONS,${methods.join(",")}` } });
  }
  if (!methods.includes(req.method)) {
    return errorResponse(
      rpc
        ? pgrstError("PGRST101", `Cannot use the ${req.method} method on RPC`)
        : pgrstError("PGRST117", `Unsupported HTTP method: ${req.method}`),
    );
  }
  const read = req.method === "GET" || req.method === "HEAD";

  // Content-Profile (writes) / Accept-Profile (reads) choose the schema; one is exposed.
  const profile = req.headers.get(read ? "accept-profile" : "content-profile");
  if (profile !== null && profile !== cfg.schema) {
    return errorResponse(pgrstError(
      "PGRST106",
      `Invalid schema: ${profile}`,
      null,
      `Only the following schemas are exposed: ${cfg.schema}`,
    ));
  }
  const media = negotiate(req.headers.get("accept"));
  if (typeof media !== "string") return errorResponse(media);
  const prefs = parsePrefer(req.headers, cfg.txEnd.endsWith("allow-override"));
  if (prefs.handling === "strict" && prefs.invalid.length > 0) {
    return errorResponse(pgrstError(
      "PGRST122",
      "Invalid preferences given with handling=strict",
      `Invalid preferences: ${prefs.invalid.join(", ")}`,
    ));
  }
  const query = parseQuery(url.searchParams, rpc !== null && read);
  if (isApiError(query)) return errorResponse(query);
  const ctx: Ctx = {
    req,
    url,
    cfg,
    auth,
    prefs,
    single: media === "single",
    query,
    profile: profile !== null,
  };
  return rpc ? await callFunction(ctx, name) : await tableRoute(ctx, name);
}

async function callFunction(ctx: Ctx, name: string): Promise<Response> {
  const { req, cfg, query } = ctx;
  if (embeds(query)) {
    return errorResponse(pgrstError(
      "PGRST100",
      `"failed to parse select parameter (${
        ctx.url.searchParams.get("select") ?? ""
      })" (line 1, column 1)`,
      "embedding in the result of a function is not supported by the local PostgREST stand-in",
    ));
  }
  const read = req.method !== "POST";
  let args: CallArgs;
  let keys: string[];
  let bodyValue: unknown = {};
  if (read) {
    args = { kind: "query", args: query.args };
    keys = [...new Set(query.args.map(([k]) => k))];
  } else {
    const body = await readBody(req, true);
    if (isApiError(body)) return errorResponse(body);
    keys = query.columns ?? body.keys;
    bodyValue = body.value;
    args = { kind: "body", json: body.text, keys, array: body.array };
  }
  let routines: RoutineInfo[];
  try {
    routines = await withDeadline(loadRoutines(cfg.sql, cfg.schema, name), cfg.requestTimeoutMs);
  } catch (e) {
    const err = fromThrown(e, ctx.auth.anon);
    if (/^(PGRST001|57P01|08...)$/.test(err.body.code)) cfg.connectionLost(cfg.sql);
    return errorResponse(err);
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
  const isObject = typeof bodyValue === "object" && bodyValue !== null;
  if (!routine.singleUnnamedJson && !isObject) {
    return errorResponse(pgrstError("PGRST102", "Empty or invalid json"));
  }
  const range = requestRange(
    query,
    req.method === "GET" ? req.headers.get("range") : null,
    cfg.maxRows,
  );
  if (isApiError(range)) return errorResponse(range);
  const count = ctx.prefs.count !== undefined;
  const call = buildCall(routine, args, { query, range, count, single: ctx.single });
  if (
    ctx.prefs.handling === "strict" && ctx.prefs.maxAffected !== undefined && !routine.returnsSet
  ) {
    return errorResponse(pgrstError(
      "PGRST128",
      "Function must return SETOF or TABLE when max-affected preference is used with handling=strict",
    ));
  }
  const row = await run(ctx, {
    statement: call,
    readOnly: read || routine.volatility !== "v",
    refuse: routine.returnsSet ? writeRefusal(ctx) : undefined,
  });
  if (row instanceof Response) return row;
  const total = row.total_result_set === null ? null : Number(row.total_result_set);
  const { status, header } = contentRange(range.offset, Number(row.page_total), total);
  const headers = baseHeaders(ctx, header, ["count", "tx", "handling"]);
  if (call.isVoid) return answer(ctx, row, 204, headers, null);
  headers.set("Content-Type", contentType(ctx));
  return answer(ctx, row, status, headers, row.body ?? "null");
}

/** 400 PGRST204 for a payload column the relation does not have. */
function payloadColumns(rel: Relation, keys: string[]): Column[] | ApiError {
  const columns: Column[] = [];
  for (const key of keys) {
    const column = rel.columns.find((c) => c.name === key);
    if (!column) {
      return pgrstError(
        "PGRST204",
        `Could not find the '${key}' column of '${rel.name}' in the schema cache`,
      );
    }
    columns.push(column);
  }
  return columns;
}

async function tableRoute(ctx: Ctx, name: string): Promise<Response> {
  const { req, cfg, query, prefs } = ctx;
  let rel: Relation | null;
  let rels: Relationship[] = [];
  try {
    rel = await withDeadline(loadRelation(cfg.sql, cfg.schema, name), cfg.requestTimeoutMs);
    if (rel && embeds(query)) {
      rels = await withDeadline(loadRelationships(cfg.sql, cfg.schema), cfg.requestTimeoutMs);
    }
  } catch (e) {
    const err = fromThrown(e, ctx.auth.anon);
    if (/^(PGRST001|57P01|08...)$/.test(err.body.code)) cfg.connectionLost(cfg.sql);
    return errorResponse(err);
  }
  if (!rel) {
    return errorResponse(
      pgrstError(
        "PGRST205",
        `Could not find the table '${cfg.schema}.${name}' in the schema cache`,
      ),
    );
  }
  if (embeds(query)) {
    const error = resolveEmbeds(cfg.schema, rel.name, query, rels);
    if (error) return errorResponse(error);
  }
  const count = prefs.count !== undefined;
  const refuse = ctx.single ? singular : undefined;
  if (req.method === "GET" || req.method === "HEAD") {
    const range = requestRange(
      query,
      req.method === "GET" ? req.headers.get("range") : null,
      cfg.maxRows,
    );
    if (isApiError(range)) return errorResponse(range);
    const statement = buildRead(rel, { query, range, count, single: ctx.single });
    const row = await run(ctx, { statement, readOnly: true, refuse });
    if (row instanceof Response) return row;
    const total = row.total_result_set === null ? null : Number(row.total_result_set);
    const { status, header } = contentRange(range.offset, Number(row.page_total), total);
    const headers = baseHeaders(ctx, header, ["count", "tx", "handling"]);
    headers.set("Content-Location", `/${rel.name}${ctx.url.search ? ctx.url.search : ""}`);
    headers.set("Content-Type", contentType(ctx));
    if (status === 416) {
      return errorResponse({
        status: 416,
        body: {
          code: "PGRST103",
          message: "Requested range not satisfiable",
          details: `An offset of ${range.offset} was requested, but there are only ${total} rows.`,
          hint: null,
        },
      });
    }
    return answer(ctx, row, status, headers, row.body ?? "[]");
  }

  const representation = prefs.return === "representation";
  const headersOnly = prefs.return === "headers-only";
  if (req.method === "DELETE") {
    const unsafe = safeUpdate(ctx, "DELETE");
    if (unsafe) return errorResponse(unsafe);
    const statement = buildDelete(rel, { query, returning: representation, single: ctx.single });
    const row = await run(ctx, { statement, readOnly: false, refuse: writeRefusal(ctx) });
    if (row instanceof Response) return row;
    const total = count ? `/${Number(row.page_total)}` : "/*";
    const headers = baseHeaders(ctx, `*${total}`, ["return", "count", "tx", "handling"]);
    if (!representation) return answer(ctx, row, 204, headers, null);
    headers.set("Content-Type", contentType(ctx));
    return answer(ctx, row, 200, headers, row.body);
  }

  const body = await readBody(req, false);
  if (isApiError(body)) return errorResponse(body);
  if (typeof body.value !== "object" || body.value === null) {
    return errorResponse(pgrstError("PGRST102", "Empty or invalid json"));
  }
  if (!query.columns && !body.uniform) {
    return errorResponse(pgrstError("PGRST102", "All object keys must match"));
  }
  const columns = payloadColumns(rel, query.columns ?? body.keys);
  if (isApiError(columns)) return errorResponse(columns);

  if (req.method === "PATCH") {
    const unsafe = columns.length > 0 ? safeUpdate(ctx, "UPDATE") : null;
    if (unsafe) return errorResponse(unsafe);
    const statement = buildUpdate(rel, {
      query,
      json: body.text,
      columns,
      returning: representation,
      single: ctx.single,
    });
    const row = await run(ctx, { statement, readOnly: false, refuse: writeRefusal(ctx) });
    if (row instanceof Response) return row;
    const n = Number(row.page_total);
    const range = n > 0 ? `0-${n - 1}` : "*";
    const headers = baseHeaders(ctx, `${range}/${count ? n : "*"}`, [
      "return",
      "count",
      "tx",
      "handling",
    ]);
    if (!representation) return answer(ctx, row, 204, headers, null);
    headers.set("Content-Type", contentType(ctx));
    return answer(ctx, row, 200, headers, row.body);
  }

  // POST: insert, or upsert with a resolution preference.
  const onConflict = query.onConflict ?? rel.primaryKey;
  const resolution = onConflict.length > 0 ? prefs.resolution : undefined;
  const statement = buildInsert(rel, {
    query: headersOnly ? { ...query, select: [{ column: "*" }] } : query,
    json: body.text,
    array: body.array,
    columns,
    resolution,
    onConflict,
    useDefaults: prefs.missing === "default",
    returning: representation || headersOnly,
    single: ctx.single,
  });
  const row = await run(ctx, { statement, readOnly: false, refuse });
  if (row instanceof Response) return row;
  const applied: Parameters<typeof preferenceApplied>[1] = [
    "missing",
    "return",
    "count",
    "tx",
    "handling",
  ];
  if (resolution) applied.unshift("resolution");
  const headers = baseHeaders(ctx, `*/${count ? Number(row.page_total) : "*"}`, applied);
  const inserted = row.response_inserted === "" || row.response_inserted === null ||
      row.response_inserted === undefined
    ? null
    : Number(row.response_inserted);
  // An upsert that inserted nothing (all updates, or no rows) is 200.
  const status = resolution === "merge-duplicates" && (inserted === null || inserted <= 0)
    ? 200
    : 201;
  if (headersOnly && Number(row.page_total) === 1 && rel.primaryKey.length > 0) {
    const [first] = JSON.parse(row.body ?? "[]") as Record<string, unknown>[];
    const pk = rel.primaryKey.map((k) =>
      `${encodeURIComponent(k)}=${
        first[k] === null ? "is.null" : `eq.${encodeURIComponent(String(first[k]))}`
      }`
    );
    headers.set("Location", `/${rel.name}?${pk.join("&")}`);
  }
  if (!representation) return answer(ctx, row, status, headers, null);
  headers.set("Content-Type", contentType(ctx));
  return answer(ctx, row, status, headers, row.body);
}
