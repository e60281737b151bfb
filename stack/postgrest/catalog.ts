// The PostgREST stand-in's view of the database catalog: the functions of the exposed
// schema (pg_proc) with their parameters, volatility and return shape, and PostgREST's
// rule for choosing the function a request's argument names can call
// (docs/postgrest-standin.md, "RPC"). The catalog query does I/O; `chooseFunction` is pure.
import type postgres from "postgres";

export interface Param {
  name: string;
  /** SQL type as `format_type` prints it, usable in a column definition list. */
  type: string;
  hasDefault: boolean;
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
  join pg_type rt on rt.oid = p.prorettype
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

/** Turns one pg_proc row into the routine description. */
export function toRoutine(row: CatalogRow): RoutineInfo {
  const inputs: { name: string; type: string }[] = [];
  row.arg_types.forEach((type, i) => {
    const mode = row.arg_modes[i] ?? "i";
    if (mode === "i" || mode === "b" || mode === "v") {
      inputs.push({ name: row.arg_names[i] ?? "", type });
    }
  });
  const firstDefault = inputs.length - row.n_defaults;
  const params = inputs.map((p, i) => ({ ...p, hasDefault: i >= firstDefault }));
  const singleUnnamedJson = params.length === 1 && params[0].name === "" &&
      (params[0].type === "json" || params[0].type === "jsonb")
    ? params[0].type as "json" | "jsonb"
    : null;
  let shape: ReturnShape = "scalar";
  if (row.ret_name === "void") shape = "void";
  else if (row.ret_kind === "c" || (row.ret_name === "record" && row.has_out)) {
    shape = "composite";
  }
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
  return (rows as unknown as CatalogRow[]).map(toRoutine);
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
