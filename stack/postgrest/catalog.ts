// The PostgREST stand-in's view of the database catalog: the functions of the exposed
// schema (pg_proc) with their parameters, volatility and return shape, and PostgREST's
// rule for choosing the function a request's argument names can call
// (docs/postgrest-standin.md, "RPC"). The catalog query does I/O; `chooseFunction` is pure.
import type postgres from "postgres";

export interface Param {
  name: string;
  /** SQL type as `format_type` prints it. */
  type: string;
  /**
   * The type used to read the argument (column definition list, cast): `character` and `bit`
   * become `character varying` and `bit varying`, so a longer value reaches the function
   * whole instead of being cut to one character, as PostgREST does.
   */
  readType: string;
  hasDefault: boolean;
  variadic: boolean;
}

/** How the result is shaped into JSON. */
export type ReturnShape = "void" | "scalar" | "composite";

export interface RoutineInfo {
  schema: string;
  name: string;
  params: Param[];
  volatility: "i" | "s" | "v";
  returnsSet: boolean;
  shape: ReturnShape;
  /** A single unnamed json/jsonb parameter receives the whole body. */
  singleUnnamedJson: "json" | "jsonb" | null;
}

const CATALOG_QUERY = `
select p.oid::int as oid,
       n.nspname as schema,
       p.proname as name,
       p.provolatile as volatility,
       p.proretset as returns_set,
       p.pronargdefaults as n_defaults,
       coalesce(p.proargnames, '{}') as arg_names,
       coalesce(p.proargmodes::text[], '{}') as arg_modes,
       array(select format_type(t, null)
               from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality as u(t, i)
              order by i) as arg_types,
       rt.typname as ret_name,
       rt.typtype as ret_kind,
       exists (select 1 from unnest(coalesce(p.proargmodes::text[], '{}')) m
                where m in ('o', 't', 'b')) as has_out
  from pg_proc p
  join pg_namespace n on n.oid = p.pronamespace
  join pg_type dt on dt.oid = p.prorettype
  join pg_type rt on rt.oid = case dt.typtype when 'd' then dt.typbasetype else dt.oid end
 where n.nspname = $1 and p.proname = $2 and p.prokind = 'f'`;

interface CatalogRow {
  schema: string;
  name: string;
  volatility: "i" | "s" | "v";
  returns_set: boolean;
  n_defaults: number;
  arg_names: string[];
  arg_modes: string[];
  arg_types: string[];
  ret_name: string;
  ret_kind: string;
  has_out: boolean;
}

const READ_TYPES: Record<string, string> = {
  "bit": "bit varying",
  "bit[]": "bit varying[]",
  "character": "character varying",
  "character[]": "character varying[]",
};

/** Turns one pg_proc row into the routine description (null: PostgREST cannot call it). */
export function toRoutine(row: CatalogRow): RoutineInfo | null {
  const inputs: { name: string; type: string; variadic: boolean }[] = [];
  row.arg_types.forEach((type, i) => {
    const mode = row.arg_modes[i] ?? "i";
    if (mode === "i" || mode === "b" || mode === "v") {
      inputs.push({ name: row.arg_names[i] ?? "", type, variadic: mode === "v" });
    }
  });
  // Unnamed parameters: only a single one of a type that can take the whole body.
  const unnamed = inputs.filter((p) => p.name === "");
  if (
    unnamed.length > 1 ||
    (unnamed.length === 1 && !["json", "jsonb", "text", "xml", "bytea"].includes(unnamed[0].type))
  ) {
    return null;
  }
  const firstDefault = inputs.length - row.n_defaults;
  const params = inputs.map((p, i) => ({
    ...p,
    readType: READ_TYPES[p.type] ?? p.type,
    hasDefault: i >= firstDefault,
  }));
  const singleUnnamedJson = params.length === 1 && params[0].name === "" &&
      (params[0].type === "json" || params[0].type === "jsonb")
    ? params[0].type as "json" | "jsonb"
    : null;
  // Composite: a table or composite type, or any OUT / INOUT / TABLE parameter (even a
  // single one: it answers `{"name": value}`). `record` without them is a scalar.
  let shape: ReturnShape = "scalar";
  if (row.ret_kind === "c" || row.has_out) shape = "composite";
  else if (row.ret_name === "void") shape = "void";
  return {
    schema: row.schema,
    name: row.name,
    params,
    volatility: row.volatility,
    returnsSet: row.returns_set,
    shape,
    singleUnnamedJson,
  };
}

/** Every overload of `schema.name`. */
export async function loadRoutines(
  sql: postgres.Sql,
  schema: string,
  name: string,
): Promise<RoutineInfo[]> {
  const rows = await sql.unsafe(CATALOG_QUERY, [schema, name], { prepare: true });
  return (rows as unknown as CatalogRow[]).map(toRoutine).filter((r) => r !== null);
}

export type Choice =
  | { ok: true; routine: RoutineInfo }
  | { ok: false; reason: "none" | "ambiguous"; candidates: RoutineInfo[] };

/**
 * PostgREST's overload choice: a function matches when the argument names cover all of
 * its required parameters and only its parameters; a single unnamed json/jsonb parameter
 * takes any body. More than one match is ambiguous.
 */
export function chooseFunction(routines: RoutineInfo[], argNames: string[]): Choice {
  const keys = new Set(argNames);
  const matches = routines.filter((r) => {
    if (r.singleUnnamedJson) return true;
    const names = new Set(r.params.map((p) => p.name));
    if (![...keys].every((k) => names.has(k))) return false;
    return r.params.every((p) => p.hasDefault || keys.has(p.name));
  });
  if (matches.length === 1) return { ok: true, routine: matches[0] };
  // A function taking the whole body only applies when no named overload fits.
  const named = matches.filter((r) => !r.singleUnnamedJson);
  if (named.length === 1) return { ok: true, routine: named[0] };
  return {
    ok: false,
    reason: matches.length === 0 ? "none" : "ambiguous",
    candidates: matches.length === 0 ? routines : matches,
  };
}
