// Tables and views of the exposed schema (docs/postgrest-standin.md, "Tables"): their
// columns, primary key and defaults from the catalog, and the statements PostgREST builds
// for GET/HEAD (read), POST (insert, upsert), PATCH (update) and DELETE. Each statement has
// the mutation or the read as the `pgrst_source` CTE and answers one row
// `(total_result_set, page_total, body, response_headers, response_status,
// response_inserted)`; row level security applies because it runs as the request's role.
// `loadRelation` does database I/O; the builders are pure.
import type postgres from "postgres";
import {
  innerEmbedsSql,
  limitOffsetSql,
  orderSql,
  Params,
  type QueryParams,
  type Range,
  selectSql,
  whereSql,
} from "./query.ts";
import { ident, qualified, RESPONSE_GUCS } from "./sql.ts";

export interface Column {
  name: string;
  /** `format_type(atttypid, atttypmod)`, e.g. `character varying(20)`. */
  type: string;
  /** The default expression, or null. */
  default: string | null;
}

export interface Relation {
  schema: string;
  name: string;
  columns: Column[];
  primaryKey: string[];
}

const RELATION_QUERY = `
select c.relname as name,
       coalesce((select json_agg(json_build_object(
                  'name', a.attname,
                  'type', format_type(a.atttypid, a.atttypmod),
                  'default', pg_get_expr(d.adbin, d.adrelid)) order by a.attnum)
                   from pg_attribute a
                   left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
                  where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '[]') as columns,
       coalesce((select json_agg(a.attname order by k.i)
                   from pg_constraint pk
                   cross join unnest(pk.conkey) with ordinality as k(attnum, i)
                   join pg_attribute a on a.attrelid = pk.conrelid and a.attnum = k.attnum
                  where pk.conrelid = c.oid and pk.contype = 'p'), '[]') as primary_key
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
 where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'v', 'm', 'f', 'p')`;

/** The table or view `schema.name`, or null when there is none. */
export async function loadRelation(
  sql: postgres.Sql,
  schema: string,
  name: string,
): Promise<Relation | null> {
  const rows = await sql.unsafe(RELATION_QUERY, [schema, name], { prepare: true });
  if (rows.length === 0) return null;
  const row = rows[0] as unknown as { name: string; columns: Column[]; primary_key: string[] };
  return { schema, name: row.name, columns: row.columns, primaryKey: row.primary_key };
}

export interface Statement {
  text: string;
  params: unknown[];
}

export interface ReadOptions {
  query: QueryParams;
  range: Range;
  count: boolean;
  single: boolean;
}

const SOURCE = ident("pgrst_source");

function bodyAgg(single: boolean): string {
  return single
    ? "coalesce(json_agg(_postgrest_t)->0, 'null')"
    : "coalesce(json_agg(_postgrest_t), '[]')";
}

/** GET/HEAD: the filtered, ordered page of the relation, and its total when counted. */
export function buildRead(rel: Relation, options: ReadOptions): Statement {
  const params = new Params();
  const table = qualified(rel.schema, rel.name);
  const { select } = options.query;
  const where = whereSql(table, options.query.where, params, innerEmbedsSql(table, select, params));
  const source = `SELECT ${selectSql(table, select, params)} FROM ${table}${where}` +
    `${orderSql(table, options.query.order)}${limitOffsetSql(options.range, params)}`;
  const countCte = options.count ? `, pgrst_source_count AS (SELECT 1 FROM ${table}${where})` : "";
  const total = options.count
    ? "(SELECT pg_catalog.count(*) FROM pgrst_source_count)"
    : "null::bigint";
  const text = `WITH pgrst_source AS ( ${source} )${countCte} ` +
    `SELECT ${total} AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, ` +
    `${bodyAgg(options.single)}::text AS body, ${RESPONSE_GUCS}, '' AS response_inserted ` +
    `FROM ( SELECT * FROM ${SOURCE} ) _postgrest_t`;
  return { text, params: params.values };
}

export interface WriteOptions {
  query: QueryParams;
  /** Answer the rows (return=representation, or headers-only for the Location). */
  returning: boolean;
  single: boolean;
}

/**
 * The mutation wrapped the way PostgREST wraps it: the rows it returns are the source, the
 * body aggregates them (or is empty for return=minimal), and page_total counts them.
 */
function wrapWrite(
  rel: Relation,
  mutation: string,
  options: WriteOptions,
  params: Params,
  inserted = "''",
): string {
  const table = ident(rel.name);
  const select = options.returning
    ? `SELECT ${selectSql(table, options.query.select, params)} FROM ${SOURCE} AS ${table}`
    : `SELECT * FROM ${SOURCE}`;
  const body = options.returning ? `${bodyAgg(options.single)}::text` : "''::text";
  return `WITH pgrst_source AS (${mutation}) ` +
    `SELECT '' AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, ` +
    `${body} AS body, ${RESPONSE_GUCS}, ${inserted} AS response_inserted ` +
    `FROM (${select}) _postgrest_t`;
}

function returningSql(rel: Relation, returning: boolean): string {
  return returning ? `RETURNING ${qualified(rel.schema, rel.name)}.*` : "RETURNING 1";
}

const INSERTED = "nullif(current_setting('pgrst.inserted', true),'')::int";
const countInsert = (sign: "+" | "-", floor: string) =>
  `set_config('pgrst.inserted', (coalesce(${INSERTED}, 0) ${sign} 1)::text, true) <> '${floor}'`;

/**
 * The request body read as rows of the given columns: `json_to_record(set)` over the JSON,
 * with `missing=default` the column defaults merged under each object first.
 */
function bodyRows(
  columns: Column[],
  json: string,
  array: boolean,
  useDefaults: boolean,
  params: Params,
): string {
  const names = columns.map((c) => ident(c.name)).join(", ");
  const typed = columns.map((c) => `${ident(c.name)} ${c.type}`).join(", ");
  const withDefaults = columns.filter((c) => c.default !== null);
  const payload = `(SELECT ${params.add(json)}::${
    useDefaults ? "jsonb" : "json"
  } AS json_data) pgrst_payload`;
  if (!useDefaults || withDefaults.length === 0) {
    const fn = array ? "json_to_recordset" : "json_to_record";
    const data = useDefaults ? "pgrst_payload.json_data::json" : "pgrst_payload.json_data";
    return `FROM ${payload}, LATERAL (SELECT ${names} FROM ${fn}(${data}) AS _(${typed}) ) pgrst_body `;
  }
  const defaults = `jsonb_build_object(${
    withDefaults.map((c) => `'${c.name.replaceAll("'", "''")}', ${c.default}`).join(", ")
  })`;
  const merged = array
    ? `LATERAL (SELECT jsonb_agg(${defaults} || elem) AS val from jsonb_array_elements(pgrst_payload.json_data) elem) pgrst_json_defs`
    : `LATERAL (SELECT ${defaults} || pgrst_payload.json_data AS val) pgrst_json_defs`;
  const fn = array ? "jsonb_to_recordset" : "jsonb_to_record";
  return `FROM ${payload}, ${merged}, LATERAL (SELECT ${names} FROM ${fn}(pgrst_json_defs.val) AS _(${typed}) ) pgrst_body `;
}

export interface InsertOptions extends WriteOptions {
  json: string;
  array: boolean;
  columns: Column[];
  resolution?: "merge-duplicates" | "ignore-duplicates";
  /** Conflict target: `on_conflict`, else the primary key. */
  onConflict: string[];
  useDefaults: boolean;
}

/** POST: insert the body's rows; with a resolution, an upsert on the conflict target. */
export function buildInsert(rel: Relation, options: InsertOptions): Statement {
  const params = new Params();
  const table = qualified(rel.schema, rel.name);
  const cols = options.columns;
  const merge = options.resolution === "merge-duplicates" && options.onConflict.length > 0;
  const names = cols.map((c) => ident(c.name)).join(", ");
  let mutation = `INSERT INTO ${table}${cols.length ? `(${names})` : ""} `;
  if (cols.length === 0) {
    // `{}` inserts one row of defaults, `[{}, {}]` one per object.
    const rows = options.array ? "json_array_elements(pgrst_payload.json_data)" : "(values(1))";
    mutation +=
      `SELECT FROM (SELECT ${params.add(options.json)}::json AS json_data) pgrst_payload, ` +
      `LATERAL (SELECT FROM ${rows} _ ) pgrst_body`;
  } else {
    mutation += `SELECT ${cols.map((c) => `pgrst_body.${ident(c.name)}`).join(", ")} ` +
      bodyRows(cols, options.json, options.array, options.useDefaults, params);
    if (merge) mutation += `WHERE ${countInsert("+", "0")}`;
  }
  if (options.resolution && options.onConflict.length > 0) {
    mutation += ` ON CONFLICT(${options.onConflict.map(ident).join(", ")}) `;
    if (options.resolution === "ignore-duplicates" || cols.length === 0) mutation += "DO NOTHING";
    else {
      mutation += `DO UPDATE SET ${
        cols.map((c) => `${ident(c.name)} = EXCLUDED.${ident(c.name)}`).join(", ")
      } WHERE ${countInsert("-", "-1")}`;
    }
  }
  mutation += ` ${returningSql(rel, options.returning)}`;
  return {
    text: wrapWrite(rel, mutation, options, params, merge ? INSERTED : "''"),
    params: params.values,
  };
}

export interface UpdateOptions extends WriteOptions {
  json: string;
  columns: Column[];
}

/**
 * The rows a PATCH or DELETE changes: those the filters match; with `limit` / `offset`
 * (PostgREST's limited update and delete), that page of them in `order`, by `ctid`.
 */
function writeWhere(table: string, query: QueryParams, params: Params): string {
  if (query.limit === undefined && query.offset === undefined) {
    return whereSql(table, query.where, params);
  }
  const page = limitOffsetSql({ offset: query.offset ?? 0, limit: query.limit }, params);
  return ` WHERE ${table}.ctid = ANY(ARRAY(SELECT ${table}.ctid FROM ${table}` +
    `${whereSql(table, query.where, params)}${orderSql(table, query.order)}${page}))`;
}

/** PATCH: set the body's columns on every row the filters match (all rows without filters). */
export function buildUpdate(rel: Relation, options: UpdateOptions): Statement {
  const params = new Params();
  const table = qualified(rel.schema, rel.name);
  let mutation: string;
  if (options.columns.length === 0) {
    // Nothing to set: no row changes, the answer is empty.
    mutation = `SELECT ${table}.* FROM ${table} WHERE false`;
  } else {
    const set = options.columns.map((c) => `${ident(c.name)} = pgrst_body.${ident(c.name)}`)
      .join(", ");
    mutation = `UPDATE ${table} SET ${set} ` +
      bodyRows(options.columns, options.json, false, false, params) +
      `${writeWhere(table, options.query, params)} ${returningSql(rel, options.returning)}`;
  }
  return { text: wrapWrite(rel, mutation, options, params), params: params.values };
}

/** DELETE: every row the filters match (all rows without filters). */
export function buildDelete(rel: Relation, options: WriteOptions): Statement {
  const params = new Params();
  const table = qualified(rel.schema, rel.name);
  const mutation = `DELETE FROM ${table} ${writeWhere(table, options.query, params)} ` +
    returningSql(rel, options.returning);
  return { text: wrapWrite(rel, mutation, options, params), params: params.values };
}
