// The SQL that calls one function the way PostgREST does (docs/postgrest-standin.md, "RPC"):
// the call is the `pgrst_source` CTE; a JSON body's arguments are read with
// `json_to_record` (`json_to_recordset` for an array: its first object) and passed in named
// notation, so PostgreSQL's input rules apply (a bad uuid raises 22P02); GET arguments are
// passed as parameters cast to the parameter's type, a VARIADIC one as an array of every
// value given. The query string's select, filters, order and range then apply to the
// function's result, and one row `(total_result_set, page_total, body, response_headers,
// response_status)` comes back with the body shaped by return type. Pure: builds text.
import type { RoutineInfo } from "./catalog.ts";
import {
  arrayLiteral,
  limitOffsetSql,
  orderSql,
  Params,
  type QueryParams,
  type Range,
  selectSql,
  whereSql,
} from "./query.ts";
import { ident, qualified, RESPONSE_GUCS } from "./sql.ts";

/** How the request passes arguments. */
export type CallArgs =
  | { kind: "body"; json: string; keys: string[]; array: boolean }
  | { kind: "query"; args: [string, string][] };

export interface CallOptions {
  query: QueryParams;
  range: Range;
  /** Prefer: count=... */
  count: boolean;
  /** Accept: application/vnd.pgrst.object+json */
  single: boolean;
}

export interface CallStatement {
  text: string;
  params: unknown[];
  /** The function returns void: answer 204 without a body. */
  isVoid: boolean;
}

const SOURCE = ident("pgrst_source");

/** The `pgrst_source` query: the function called with the request's arguments. */
function callQuery(routine: RoutineInfo, args: CallArgs, params: Params): string {
  const fn = qualified(routine.schema, routine.name);
  const scalar = routine.shape !== "composite";
  const callIt = (argument: string) =>
    scalar
      ? `(SELECT ${fn}(${argument}) pgrst_scalar) pgrst_call`
      : `${fn}(${argument}) pgrst_call`;
  const select = `SELECT ${scalar ? "pgrst_call.pgrst_scalar" : "pgrst_call.*"} `;
  if (routine.singleUnnamedJson) {
    const body = args.kind === "body" ? args.json : "{}";
    return `${select}FROM ${callIt(`${params.add(body)}::${routine.singleUnnamedJson}`)}`;
  }
  const named = (p: RoutineInfo["params"][number], value: string) =>
    `${p.variadic ? "VARIADIC " : ""}${ident(p.name)} := ${value}`;
  if (args.kind === "query") {
    const given = routine.params.filter((p) => args.args.some(([k]) => k === p.name));
    const list = given.map((p) => {
      const values = args.args.filter(([k]) => k === p.name).map(([, v]) => v);
      // Repeated: every value for a VARIADIC parameter, else the last one.
      const value = p.variadic ? arrayLiteral(values) : values[values.length - 1];
      return named(p, `${params.add(value)}::${p.readType}`);
    });
    return `${select}FROM ${callIt(list.join(", "))}`;
  }
  const given = routine.params.filter((p) => args.keys.includes(p.name));
  if (given.length === 0) return `${select}FROM ${callIt("")}`;
  const columns = given.map((p) => ident(p.name)).join(", ");
  const typed = given.map((p) => `${ident(p.name)} ${p.readType}`).join(", ");
  const toRecord = args.array ? "json_to_recordset" : "json_to_record";
  return `${select}FROM (SELECT ${params.add(args.json)}::json AS json_data) pgrst_payload, ` +
    `LATERAL (SELECT ${columns} FROM ${toRecord}(pgrst_payload.json_data) AS _(${typed}) LIMIT 1) pgrst_body, ` +
    `LATERAL ${callIt(given.map((p) => named(p, `pgrst_body.${ident(p.name)}`)).join(", "))}`;
}

/** The whole statement for calling `routine`. */
export function buildCall(
  routine: RoutineInfo,
  args: CallArgs,
  options: CallOptions,
): CallStatement {
  const params = new Params();
  const source = callQuery(routine, args, params);
  const { query, range } = options;
  const where = whereSql(SOURCE, query.where, params);
  const countCte = options.count ? `, pgrst_source_count AS (SELECT 1 FROM ${SOURCE}${where})` : "";
  const total = options.count
    ? "(SELECT pg_catalog.count(*) FROM pgrst_source_count)"
    : "null::bigint";
  const scalar = routine.shape !== "composite";
  const row = scalar ? "_postgrest_t.pgrst_scalar" : "_postgrest_t";
  const body = options.single || !routine.returnsSet
    ? `coalesce(json_agg(${row})->0, 'null')`
    : `coalesce(json_agg(${row}), '[]')`;
  const pageTotal = routine.returnsSet ? "pg_catalog.count(_postgrest_t)" : "1";
  const select = `SELECT ${selectSql(SOURCE, query.select)} FROM ${SOURCE}${where}` +
    `${orderSql(SOURCE, query.order)}${limitOffsetSql(range, params)}`;
  const text = `WITH pgrst_source AS (${source})${countCte} ` +
    `SELECT ${total} AS total_result_set, ${pageTotal} AS page_total, ${body}::text AS body, ` +
    `${RESPONSE_GUCS} FROM (${select}) _postgrest_t`;
  return { text, params: params.values, isVoid: routine.shape === "void" };
}
