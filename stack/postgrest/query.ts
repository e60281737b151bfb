// PostgREST's query string, for tables and for the results of functions
// (docs/postgrest-standin.md, "Query string"): `select` with embedded resources, horizontal
// filters with `not.` (full-text search included), JSON paths, `or` / `and` trees, `order`,
// `limit` / `offset` (also per embedded resource), `on_conflict`, `columns`, and the SQL
// fragments PostgREST builds from them (values always travel as parameters). Pure.
import { type ApiError, pgrstError } from "./errors.ts";
import { ident } from "./sql.ts";

export interface SelectItem {
  /** Column name, or "*"; for an embedded resource, the name it was asked by. */
  column: string;
  alias?: string;
  cast?: string;
  /** `alias:name!hint!inner(select)`: an embedded resource. */
  embed?: Embed;
}

/** What the query string says about the embedded resource at one path (`a.b`). */
export interface EmbedParams {
  where: LogicTree[];
  order: OrderTerm[];
  limit?: number;
  offset?: number;
}

/** An embedded resource: parsed from `select`, then joined to its parent by `resolveEmbeds`. */
export interface Embed {
  hint?: string;
  inner: boolean;
  select: SelectItem[];
  /** How it joins its parent (stack/postgrest/embed.ts); set before any SQL is built. */
  join?: EmbedJoin;
  params?: EmbedParams;
}

export interface EmbedJoin {
  schema: string;
  table: string;
  /** Pairs of [parent column, embedded column] that are equal. */
  on: [string, string][];
  /** Many-to-one or one-to-one: an object (or null), else an array. */
  toOne: boolean;
}

export type Operator =
  | "eq"
  | "neq"
  | "gt"
  | "gte"
  | "lt"
  | "lte"
  | "like"
  | "ilike"
  | "match"
  | "imatch"
  | "is"
  | "isdistinct"
  | "in"
  | "cs"
  | "cd"
  | "ov"
  | "fts"
  | "plfts"
  | "phfts"
  | "wfts";

export interface Filter {
  column: string;
  negate: boolean;
  op: Operator;
  /** `eq(any)` / `like(all)` and the like: the value is a `{a,b}` list. */
  quantifier?: "any" | "all";
  /** `fts(english).term`: the text search configuration. */
  language?: string;
  /** `x=not.is.null` on an embedded resource `x` (set by `resolveEmbeds`): whether it has rows. */
  embed?: Embed;
  value: string | string[];
}

export type LogicTree =
  | { kind: "filter"; filter: Filter }
  | { kind: "and" | "or"; negate: boolean; children: LogicTree[] };

export interface OrderTerm {
  column: string;
  direction?: "asc" | "desc";
  nulls?: "first" | "last";
}

export interface QueryParams {
  select: SelectItem[];
  /** Filters and logic trees, all ANDed. */
  where: LogicTree[];
  order: OrderTerm[];
  limit?: number;
  offset?: number;
  onConflict?: string[];
  columns?: string[];
  /** GET on a function: parameters that are not filters (repeated names keep every value). */
  args: [string, string][];
  /** Filters, order, limit and offset of embedded resources, by path (`a.b`). */
  embedded: Record<string, EmbedParams>;
}

const RESERVED = ["select", "columns", "on_conflict", "order", "limit", "offset", "and", "or"];
const OPERATORS: Operator[] = [
  "neq",
  "eq",
  "gte",
  "gt",
  "lte",
  "lt",
  "like",
  "ilike",
  "match",
  "imatch",
  "isdistinct",
  "is",
  "in",
  "cs",
  "cd",
  "ov",
  "fts",
  "plfts",
  "phfts",
  "wfts",
];

/** The full-text search operators and the function each builds its query with. */
const TSQUERY: Partial<Record<Operator, string>> = {
  fts: "to_tsquery",
  plfts: "plainto_tsquery",
  phfts: "phraseto_tsquery",
  wfts: "websearch_to_tsquery",
};

const qpError = (what: string, input: string, details: string): ApiError =>
  pgrstError("PGRST100", `"failed to parse ${what} (${input})" (line 1, column 1)`, details);

/** `not.eq.1`, `eq(any).{1,2}`, `in.(a,"b,c")`, `is.null` -> the filter, or null when no operator. */
export function parseOpExpr(column: string, text: string): Filter | null {
  let rest = text;
  let negate = false;
  if (rest.startsWith("not.")) {
    negate = true;
    rest = rest.slice(4);
  }
  const op = OPERATORS.find((o) => rest.startsWith(`${o}.`) || rest.startsWith(`${o}(`));
  if (!op) return null;
  rest = rest.slice(op.length);
  let quantifier: Filter["quantifier"];
  const quant = /^\((any|all)\)/.exec(rest);
  if (quant && ["eq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch"].includes(op)) {
    quantifier = quant[1] as "any" | "all";
    rest = rest.slice(quant[0].length);
  }
  let language: string | undefined;
  const config = /^\(([^)]+)\)/.exec(rest);
  if (config && TSQUERY[op]) {
    language = config[1];
    rest = rest.slice(config[0].length);
  }
  if (!rest.startsWith(".")) return null;
  const raw = rest.slice(1);
  if (op === "in") {
    const list = /^\((.*)\)$/s.exec(raw);
    if (!list) return null;
    return { column, negate, op, value: splitList(list[1]) };
  }
  if (
    op === "is" && !["null", "not_null", "true", "false", "unknown"].includes(raw.toLowerCase())
  ) {
    return null;
  }
  return { column, negate, op, quantifier, language, value: raw };
}

/**
 * A column of `relation`, or a JSON path into one (`data->a->>b`, `data->items->0`: keys as
 * text, array indexes as integers), as SQL.
 */
export function columnSql(relation: string, column: string): string {
  const parts = column.split(/(->>?)/);
  let sql = `${relation}.${ident(parts[0])}`;
  for (let i = 1; i + 1 < parts.length; i += 2) {
    const key = parts[i + 1];
    sql += `${parts[i]}${/^-?\d+$/.test(key) ? key : `'${key.replaceAll("'", "''")}'`}`;
  }
  return sql;
}

/** The name PostgREST gives a selected JSON path: its last key (`data->a->>b` -> `b`). */
function pathName(column: string): string | null {
  const parts = column.split(/->>?/);
  return parts.length > 1 ? parts[parts.length - 1] : null;
}

/**
 * Splits a list as PostgREST does (`pListElement`): an element that starts with `"` and whose
 * closing quote ends it is a quoted value (`\` escapes the next character, commas kept); any
 * other element runs to the next comma and is taken as written, quotes included
 * (`a,"b,c",d"e` -> `a`, `b,c`, `d"e`). Unquoted elements are trimmed.
 */
export function splitList(text: string): string[] {
  if (text === "") return [];
  const out: string[] = [];
  let i = 0;
  for (;;) {
    const quoted = text[i] === '"' ? quotedElement(text, i) : null;
    if (quoted) {
      out.push(quoted.value);
      i = quoted.end;
    } else {
      const comma = text.indexOf(",", i);
      const end = comma === -1 ? text.length : comma;
      out.push(text.slice(i, end).trim());
      i = end;
    }
    if (i >= text.length) return out;
    i++; // the comma
  }
}

/** The quoted value starting at `text[start]` and the index after its closing quote, when the
 * quote closes the element (the end of the text or a comma follows); else null. */
function quotedElement(text: string, start: number): { value: string; end: number } | null {
  let value = "";
  for (let j = start + 1; j < text.length; j++) {
    if (text[j] === "\\" && j + 1 < text.length) value += text[++j];
    else if (text[j] === '"') {
      return j + 1 === text.length || text[j + 1] === "," ? { value, end: j + 1 } : null;
    } else value += text[j];
  }
  return null;
}

/** Splits on commas outside parentheses and double quotes. */
function splitTop(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = "";
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    if (!quoted && c === "(") depth++;
    if (!quoted && c === ")") depth--;
    if (!quoted && depth === 0 && c === ",") {
      out.push(current);
      current = "";
    } else current += c;
  }
  out.push(current);
  return out;
}

/** `or=(a.eq.1,and(b.gt.2,c.is.null))` -> a logic tree (`op` is "or", "and", "not.or", ...). */
export function parseLogic(op: string, text: string): LogicTree | ApiError {
  const negate = op.startsWith("not.");
  const kind = (negate ? op.slice(4) : op) as "and" | "or";
  const body = /^\((.*)\)$/s.exec(text.trim());
  if (!body) {
    return qpError("logic tree", text, 'unexpected end of input expecting "("');
  }
  const children: LogicTree[] = [];
  for (const part of splitTop(body[1])) {
    const nested = /^(not\.)?(and|or)(\(.*\))$/s.exec(part.trim());
    if (nested) {
      const child = parseLogic(`${nested[1] ?? ""}${nested[2]}`, nested[3]);
      if ("status" in child) return child;
      children.push(child);
      continue;
    }
    const dot = part.indexOf(".");
    const filter = dot > 0 ? parseOpExpr(part.slice(0, dot).trim(), part.slice(dot + 1)) : null;
    if (!filter) {
      return qpError(
        "logic tree",
        text,
        'unexpected "." expecting "not" or operator (eq, gt, ...)',
      );
    }
    children.push({ kind: "filter", filter });
  }
  return { kind, negate, children };
}

function parseSelect(text: string): SelectItem[] | ApiError {
  const items: SelectItem[] = [];
  for (const part of splitTop(text)) {
    const item = part.trim();
    if (item === "") continue;
    if (item.includes("(")) {
      // `alias:name!hint!inner(select)`; a spread (`...name(...)`) is not imitated
      const m = /^(?:([^:!(]+):(?!:))?([^:!(.]+)((?:![^!(]+)*)\((.*)\)$/s.exec(item);
      if (!m) {
        return qpError(
          "select parameter",
          text,
          item.startsWith("...")
            ? "spread embeds are not supported by the local PostgREST stand-in"
            : `unexpected "(" in "${item}"`,
        );
      }
      const select = parseSelect(m[4]);
      if ("status" in select) return select;
      const marks = m[3].split("!").slice(1).map((h) => h.trim());
      const hints = marks.filter((h) => h !== "inner" && h !== "left");
      items.push({
        column: m[2].trim(),
        alias: m[1]?.trim(),
        embed: { hint: hints[0], inner: marks.includes("inner"), select },
      });
      continue;
    }
    const m = /^(?:([^:]+):(?!:))?([^:]+?)(?:::([A-Za-z0-9_ \[\]]+))?$/.exec(item);
    if (!m) {
      return qpError("select parameter", text, `unexpected ":" in "${item}"`);
    }
    items.push({ column: m[2].trim(), alias: m[1]?.trim(), cast: m[3]?.trim() });
  }
  return items;
}

function parseOrder(text: string): OrderTerm[] | ApiError {
  const terms: OrderTerm[] = [];
  for (const part of text.split(",")) {
    const [column, ...mods] = part.trim().split(".");
    const term: OrderTerm = { column };
    for (const mod of mods) {
      if (mod === "asc" || mod === "desc") term.direction = mod;
      else if (mod === "nullsfirst") term.nulls = "first";
      else if (mod === "nullslast") term.nulls = "last";
      else {
        return qpError(
          "order",
          text,
          `unexpected "${mod}" expecting "asc", "desc", "nullsfirst" or "nullslast"`,
        );
      }
    }
    if (!column) return qpError("order", text, "unexpected end of input expecting a column");
    terms.push(term);
  }
  return terms;
}

/** `a,"b c"` -> ["a", "b c"] (supabase-js quotes every name). */
const columnList = (text: string) => splitList(text).filter((c) => c !== "");

/**
 * Parses the query string. `rpcRead`: GET/HEAD on a function, where a parameter whose
 * value has no operator is an argument; elsewhere it is a filter that fails to parse
 * (400 PGRST100, as PostgREST answers `POST /rpc/f?name=John`).
 */
export function parseQuery(search: URLSearchParams, rpcRead: boolean): QueryParams | ApiError {
  const q: QueryParams = {
    select: [{ column: "*" }],
    where: [],
    order: [],
    args: [],
    embedded: {},
  };
  for (const [key, value] of search) {
    const dot = key.lastIndexOf(".");
    if (!rpcRead && dot > 0 && !key.startsWith("not.")) {
      // `path.column=op.value`, `path.order`, `path.limit`, `path.or`: an embedded resource's
      const error = parseEmbedParam(q, key.slice(0, dot), key.slice(dot + 1), value);
      if (error) return error;
      continue;
    }
    if (key === "select") {
      const select = parseSelect(value);
      if ("status" in select) return select;
      q.select = select.length ? select : [{ column: "*" }];
    } else if (key === "order") {
      const order = parseOrder(value);
      if ("status" in order) return order;
      q.order = order;
    } else if (key === "limit" || key === "offset") {
      // PostgREST ignores a value that is not a number.
      if (/^-?\d+$/.test(value)) q[key] = Number(value);
    } else if (key === "on_conflict") q.onConflict = columnList(value);
    else if (key === "columns") q.columns = columnList(value);
    else if (key === "or" || key === "and" || key === "not.or" || key === "not.and") {
      const tree = parseLogic(key, value);
      if ("status" in tree) return tree;
      q.where.push(tree);
    } else if (value !== "") {
      const filter = parseOpExpr(key, value);
      if (filter) q.where.push({ kind: "filter", filter });
      else if (rpcRead) q.args.push([key, value]);
      else {
        return qpError(
          "filter",
          value,
          `unexpected "${value[0]}" expecting "not" or operator (eq, gt, ...)`,
        );
      }
    } else if (rpcRead) q.args.push([key, value]);
  }
  return q;
}

/** `key` of an embedded resource at `path`: its filter, logic tree, order, limit or offset. */
function parseEmbedParam(
  q: QueryParams,
  path: string,
  key: string,
  value: string,
): ApiError | null {
  let p = path;
  let k = key;
  if (p.endsWith(".not") && (k === "or" || k === "and")) {
    p = p.slice(0, -4);
    k = `not.${k}`;
  }
  const params = q.embedded[p] ??= { where: [], order: [] };
  if (k === "order") {
    const order = parseOrder(value);
    if ("status" in order) return order;
    params.order = order;
  } else if (k === "limit" || k === "offset") {
    if (/^\d+$/.test(value)) params[k] = Number(value);
  } else if (k === "or" || k === "and" || k === "not.or" || k === "not.and") {
    const tree = parseLogic(k, value);
    if ("status" in tree) return tree;
    params.where.push(tree);
  } else if (RESERVED.includes(k)) {
    return qpError("tree path", `${path}.${key}`, `unexpected "${key}"`);
  } else {
    const filter = parseOpExpr(k, value);
    if (!filter) {
      return qpError(
        "filter",
        value,
        `unexpected "${value[0] ?? ""}" expecting "not" or operator (eq, gt, ...)`,
      );
    }
    params.where.push({ kind: "filter", filter });
  }
  return null;
}

/** Collects query parameters: `$n` placeholders for values. */
export class Params {
  readonly values: unknown[] = [];
  #aliases = 0;
  /** A table alias of its own in this statement. */
  alias(name: string): string {
    return ident(`${name}_e${++this.#aliases}`);
  }
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** A PostgreSQL array literal of text values (as PostgREST builds it for `in` and `{..}`). */
export function arrayLiteral(values: string[]): string {
  return `{${
    values.map((v) => `"${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`).join(",")
  }}`;
}

const SIMPLE: Partial<Record<Operator, string>> = {
  eq: "=",
  neq: "<>",
  gt: ">",
  gte: ">=",
  lt: "<",
  lte: "<=",
  like: "like",
  ilike: "ilike",
  match: "~",
  imatch: "~*",
  cs: "@>",
  cd: "<@",
  ov: "&&",
};

/** One filter on `relation` (a quoted name) as SQL. */
export function filterSql(relation: string, f: Filter, params: Params): string {
  if (f.embed) {
    // PostgREST's null filtering on an embedded resource: `is.null` keeps rows without
    // (matching) embedded rows, `not.is.null` rows with them
    const exists = existsSql(relation, f.embed, params, params.alias(f.embed.join!.table));
    return ((f.value as string).toLowerCase() === "null") !== f.negate ? `NOT ${exists}` : exists;
  }
  const column = columnSql(relation, f.column);
  const not = f.negate ? "NOT " : "";
  if (f.op === "is") {
    const v = (f.value as string).toLowerCase();
    const word = v === "not_null" ? "NOT NULL" : v.toUpperCase();
    return `${not}${column} IS ${word}`;
  }
  if (f.op === "isdistinct") {
    return `${not}${column} IS DISTINCT FROM ${params.add(f.value)}`;
  }
  if (f.op === "in") {
    const values = f.value as string[];
    if (values.length === 0) return `${not}${column} = ANY('{}')`;
    return `${not}${column} = ANY (${params.add(arrayLiteral(values))})`;
  }
  const tsquery = TSQUERY[f.op];
  if (tsquery) {
    const config = f.language === undefined ? "" : `${params.add(f.language)}::regconfig, `;
    return `${not}${column} @@ ${tsquery}(${config}${params.add(f.value)})`;
  }
  const star = (s: string) => (f.op === "like" || f.op === "ilike" ? s.replaceAll("*", "%") : s);
  const value = star(f.value as string);
  if (f.quantifier) {
    const list = /^\{(.*)\}$/s.exec(value);
    const literal = list ? value : arrayLiteral([value]);
    return `${not}${column} ${SIMPLE[f.op]} ${f.quantifier.toUpperCase()}(${params.add(literal)})`;
  }
  return `${not}${column} ${SIMPLE[f.op]} ${params.add(value)}`;
}

export function logicSql(relation: string, tree: LogicTree, params: Params): string {
  if (tree.kind === "filter") return filterSql(relation, tree.filter, params);
  const joined = tree.children.map((c) => logicSql(relation, c, params))
    .join(tree.kind === "and" ? " AND " : " OR ");
  return `${tree.negate ? "NOT " : ""}(${joined})`;
}

/** ` WHERE ...` for the trees and the `extra` conditions (ANDed), or "". */
export function whereSql(
  relation: string,
  trees: LogicTree[],
  params: Params,
  extra: string[] = [],
): string {
  const conditions = [...trees.map((t) => logicSql(relation, t, params)), ...extra];
  return conditions.length ? ` WHERE ${conditions.join(" AND ")}` : "";
}

export function orderSql(relation: string, order: OrderTerm[]): string {
  if (order.length === 0) return "";
  return ` ORDER BY ${
    order.map((o) =>
      [
        columnSql(relation, o.column),
        o.direction?.toUpperCase(),
        o.nulls ? `NULLS ${o.nulls.toUpperCase()}` : undefined,
      ].filter(Boolean).join(" ")
    ).join(", ")
  }`;
}

/**
 * The select list on `relation`; an embedded resource (joined by `resolveEmbeds`) is a
 * correlated subquery answering JSON: an array of its rows, or one row (or null) when it is
 * the parent's parent. `depth` names each level's alias apart (a table embedding itself).
 */
export function selectSql(
  relation: string,
  select: SelectItem[],
  params = new Params(),
  depth = 0,
): string {
  // an embedded resource without columns (`x()`, `x!inner()`) only filters: no key of its own
  return select.filter((s) => !s.embed || s.embed.select.length > 0).map((s) => {
    if (s.embed) {
      return `${embedSql(relation, s.embed, params, depth + 1)} AS ${ident(s.alias ?? s.column)}`;
    }
    let sql = s.column === "*" ? `${relation}.*` : columnSql(relation, s.column);
    if (s.cast) sql = `CAST( ${sql} AS ${s.cast} )`;
    const name = s.alias ?? pathName(s.column) ?? (s.cast && s.column !== "*" ? s.column : null);
    if (name !== null) sql += ` AS ${ident(name)}`;
    return sql;
  }).join(", ");
}

function embedSql(parent: string, embed: Embed, params: Params, depth: number): string {
  const join = embed.join!;
  const alias = ident(`${join.table}_${depth}`);
  const conditions = embedConditions(parent, alias, embed, params, depth);
  const limit = embed.params?.limit !== undefined ? ` LIMIT ${embed.params.limit}` : "";
  const offset = embed.params?.offset ? ` OFFSET ${embed.params.offset}` : "";
  const rows = `SELECT ${selectSql(alias, embed.select, params, depth)} ` +
    `FROM ${ident(join.schema)}.${ident(join.table)} AS ${alias} ` +
    `WHERE ${conditions.join(" AND ")}${
      orderSql(alias, embed.params?.order ?? [])
    }${limit}${offset}`;
  const row = ident(`pgrst_embed_${depth}`);
  return join.toOne
    ? `(SELECT row_to_json(${row}) FROM (${rows}) ${row})`
    : `COALESCE((SELECT json_agg(${row}) FROM (${rows}) ${row}), '[]')`;
}

/** An embedded row (`alias`) of `parent`: the join, its filters, and its own `!inner` embeds. */
function embedConditions(
  parent: string,
  alias: string,
  embed: Embed,
  params: Params,
  depth: number,
): string[] {
  return [
    ...embed.join!.on.map(([p, c]) => `${alias}.${ident(c)} = ${parent}.${ident(p)}`),
    ...(embed.params?.where ?? []).map((t) => logicSql(alias, t, params)),
    ...innerEmbedsSql(alias, embed.select, params, depth),
  ];
}

/**
 * `!inner` embeds of `relation`'s select list as conditions on its rows: only rows that have
 * at least one (matching) embedded row.
 */
export function innerEmbedsSql(
  relation: string,
  select: SelectItem[],
  params: Params,
  depth = 0,
): string[] {
  return select.filter((s) => s.embed?.inner).map((s) => {
    const alias = ident(`${s.embed!.join!.table}_${depth + 1}_inner`);
    return existsSql(relation, s.embed!, params, alias, depth + 1);
  });
}

/** Whether `relation`'s row has an embedded row (`alias`) that passes the embed's filters. */
function existsSql(relation: string, embed: Embed, params: Params, alias: string, depth = 1) {
  const join = embed.join!;
  return `EXISTS (SELECT 1 FROM ${ident(join.schema)}.${ident(join.table)} AS ${alias} ` +
    `WHERE ${embedConditions(relation, alias, embed, params, depth).join(" AND ")})`;
}

/** The rows to answer: the intersection of `limit`/`offset` and a `Range: a-b` header. */
export interface Range {
  offset: number;
  /** Undefined: no upper bound. */
  limit?: number;
}

/** `limit`/`offset` and (for GET) the Range header, at most `maxRows` rows from the offset
 * (PostgREST's db-max-rows); the 416 error when the range is not satisfiable. */
export function requestRange(
  q: QueryParams,
  rangeHeader: string | null,
  maxRows?: number,
): Range | ApiError {
  let lower = Math.max(0, q.offset ?? 0);
  let upper = q.limit === undefined ? Infinity : lower + q.limit - 1;
  if (q.limit !== undefined && q.limit < 0) {
    return {
      status: 416,
      body: {
        code: "PGRST103",
        message: "Requested range not satisfiable",
        details: "Limit should be greater than or equal to zero.",
        hint: null,
      },
    };
  }
  const m = rangeHeader ? /^\s*(?:items=)?(\d+)-(\d*)\s*$/.exec(rangeHeader) : null;
  if (m) {
    const from = Number(m[1]);
    const to = m[2] === "" ? Infinity : Number(m[2]);
    if (from > to) {
      return {
        status: 416,
        body: {
          code: "PGRST103",
          message: "Requested range not satisfiable",
          details:
            "The lower boundary must be lower than or equal to the upper boundary in the Range header.",
          hint: null,
        },
      };
    }
    lower = Math.max(lower, from);
    upper = Math.min(upper, to);
  }
  if (maxRows !== undefined) upper = Math.min(upper, lower + maxRows - 1);
  return { offset: lower, limit: upper === Infinity ? undefined : Math.max(0, upper - lower + 1) };
}

export function limitOffsetSql(range: Range, params: Params): string {
  if (range.offset === 0 && range.limit === undefined) return "";
  const limit = range.limit === undefined ? "ALL" : params.add(String(range.limit));
  return ` LIMIT ${limit} OFFSET ${params.add(String(range.offset))}`;
}

/**
 * `Content-Range` and the status for a read: `lower-upper/total` (`*` for an empty page or an
 * unknown total); 206 when a counted total is larger than the page, 416 past its end.
 */
export function contentRange(
  offset: number,
  pageTotal: number,
  total: number | null,
): { status: number; header: string } {
  const upper = offset + pageTotal - 1;
  const range = total !== 0 && offset <= upper ? `${offset}-${upper}` : "*";
  const header = `${range}/${total ?? "*"}`;
  let status = 200;
  if (total !== null) {
    if (offset > total) status = 416;
    else if (1 + upper - offset < total) status = 206;
  }
  return { status, header };
}
