// The `postgres_changes` bindings of a channel join, read as the Realtime service reads
// them: each entry of `config.postgres_changes` is `{event, schema, table, filter}`; the join
// reply echoes every entry with an `id` (an integer hash of the entry, so equal entries get
// equal ids), and change messages name the ids they match. `filter` is PostgREST syntax on
// one or more columns (`col=op.value`, comma = AND, optional `not.`), with the operators eq,
// neq, lt, lte, gt, gte and in. Pure: no I/O.

export type Action = "INSERT" | "UPDATE" | "DELETE";
export type EventFilter = Action | "*";

export const FILTER_OPS = ["eq", "neq", "lt", "lte", "gt", "gte", "in"] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

export interface Condition {
  column: string;
  op: FilterOp;
  /** One value; for `in`, the list. Compared after a cast to the column's type. */
  value: string | string[];
  negate: boolean;
}

export interface Binding {
  /** The entry as the client sent it: echoed in the join reply. */
  params: Record<string, unknown>;
  id: number;
  event: EventFilter;
  schema: string;
  /** "*" for every published table of the schema. */
  table: string;
  conditions: Condition[];
  /** Why the service would refuse this entry (reported in a `system` message). */
  error?: string;
}

export class BindingError extends Error {}

/** 32-bit FNV-1a of a string: the binding id (stable, an integer like the platform's). */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** A canonical JSON text (sorted keys) so equal entries hash equally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    return `{${
      Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(",")
    }}`;
  }
  return JSON.stringify(value ?? null);
}

function eventOf(value: unknown): EventFilter {
  if (typeof value !== "string") return "*";
  const up = value.toUpperCase();
  return up === "INSERT" || up === "UPDATE" || up === "DELETE" ? up : "*";
}

/** Splits on commas outside double quotes and parentheses. */
function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0, quoted = false, current = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === "\\" && i + 1 < text.length) {
        current += c + text[++i];
        continue;
      }
      if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === "(") depth++;
    else if (c === ")") depth = Math.max(0, depth - 1);
    else if (c === "," && depth === 0) {
      out.push(current);
      current = "";
      continue;
    }
    current += c;
  }
  out.push(current);
  return out;
}

/** A value, unquoted when written `"..."` (with `\"` and `\\` escapes). */
function unquote(raw: string): string {
  const t = raw.trim();
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) {
    return t.slice(1, -1).replace(/\\(.)/g, "$1");
  }
  return t;
}

function parseCondition(segment: string): Condition {
  const eq = segment.indexOf("=");
  if (eq <= 0) {
    throw new BindingError(`Error parsing \`filter\` params: ${JSON.stringify(segment)}`);
  }
  const column = segment.slice(0, eq).trim();
  let rest = segment.slice(eq + 1);
  let negate = false;
  if (rest.startsWith("not.")) {
    negate = true;
    rest = rest.slice(4);
  }
  const dot = rest.indexOf(".");
  const op = dot < 0 ? rest : rest.slice(0, dot);
  if (!(FILTER_OPS as readonly string[]).includes(op) || dot < 0) {
    throw new BindingError(
      `Error parsing \`filter\` params: ${JSON.stringify([op, rest.slice(dot + 1)])}` +
        ` (operators: ${FILTER_OPS.join(", ")})`,
    );
  }
  const rawValue = rest.slice(dot + 1);
  if (op === "in") {
    const m = /^\((.*)\)$/s.exec(rawValue.trim());
    if (!m || m[1].trim() === "") {
      throw new BindingError(
        `Error parsing \`filter\` params: in needs (v1,v2,...), got ${rawValue}`,
      );
    }
    return { column, op, value: splitTopLevel(m[1]).map(unquote), negate };
  }
  return { column, op: op as FilterOp, value: unquote(rawValue), negate };
}

/** Parses a `filter` string; "" (or blank) is no filter. */
export function parseFilter(filter: string): Condition[] {
  if (filter.trim() === "") return [];
  return splitTopLevel(filter.trim()).map(parseCondition);
}

const NO_PARAMS =
  "No subscription params provided. Please provide at least a `schema` or `table` to subscribe to";

/**
 * One `config.postgres_changes` entry. Never throws: an entry the service would refuse still
 * gets its id (the join reply echoes every entry) and carries the reason in `error`.
 */
export function parseBinding(entry: unknown): Binding {
  const params = entry && typeof entry === "object" && !Array.isArray(entry)
    ? entry as Record<string, unknown>
    : {};
  const binding: Binding = {
    params,
    id: fnv1a(canonical(entry ?? null)),
    event: eventOf(params.event),
    schema: typeof params.schema === "string" ? params.schema : "public",
    table: typeof params.table === "string" ? params.table : "*",
    conditions: [],
  };
  const { schema, table, filter } = params;
  if (typeof schema !== "string" && typeof table !== "string") {
    binding.error = NO_PARAMS;
  } else if (filter !== undefined && filter !== null && typeof filter !== "string") {
    binding.error = "Error parsing `filter` params: the filter must be a string";
  } else if (typeof filter === "string" && filter.trim() !== "" && binding.table === "*") {
    binding.error = "Error parsing `filter` params: a filter needs a table";
  } else if (typeof filter === "string") {
    try {
      binding.conditions = parseFilter(filter);
    } catch (e) {
      binding.error = (e as Error).message;
    }
  }
  return binding;
}

/** Whether a binding listens to `action` on `schema.table`. */
export function bindingMatches(b: Binding, schema: string, table: string, action: Action): boolean {
  return (b.event === "*" || b.event === action) &&
    (b.schema === "*" || b.schema === schema) &&
    (b.table === "*" || b.table === table);
}

/** A condition as text, for messages. */
export function describeCondition(c: Condition): string {
  const v = Array.isArray(c.value) ? `(${c.value.join(",")})` : c.value;
  return `${c.column}=${c.negate ? "not." : ""}${c.op}.${v}`;
}
