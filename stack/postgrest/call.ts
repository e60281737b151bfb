// The SQL that calls one function the way PostgREST does: the request's arguments are
// converted with `json_to_record` (so PostgreSQL's input rules apply: a bad uuid raises
// 22P02) and passed in named notation, and the result is shaped into JSON text by return
// type. Pure: builds query text, runs nothing.
import type { RoutineInfo } from "./catalog.ts";

/** A quoted SQL identifier. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export interface CallQuery {
  /** SQL returning one row `(body text, n bigint)`; `$1` is the body when `takesBody`. */
  text: string;
  /** Pass the request body (JSON text) as `$1`. */
  takesBody: boolean;
  /** The function returns a set (the body is a JSON array of `n` elements). */
  returnsSet: boolean;
  /** The function returns void: answer 204 without a body. */
  isVoid: boolean;
}

/** Builds the call of `routine` with the arguments named in `argNames`. */
export function buildCall(routine: RoutineInfo, argNames: string[]): CallQuery {
  const fn = `${ident(routine.schema)}.${ident(routine.name)}`;
  let call: string;
  let source: string | null = null;
  if (routine.singleUnnamedJson) {
    call = `${fn}($1::text::${routine.singleUnnamedJson})`;
  } else {
    const given = routine.params.filter((p) => argNames.includes(p.name));
    call = `${fn}(${given.map((p) => `${ident(p.name)} := _args.${ident(p.name)}`).join(", ")})`;
    if (given.length > 0) {
      const columns = given.map((p) => `${ident(p.name)} ${p.type}`).join(", ");
      source = `json_to_record($1::text::json) as _args(${columns})`;
    }
  }
  const from = source ? ` from ${source}` : "";
  const lateral = (alias: string) =>
    source ? ` from ${source} cross join lateral ${call} as ${alias}` : ` from ${call} as ${alias}`;
  const takesBody = source !== null || routine.singleUnnamedJson !== null;

  let text: string;
  if (routine.shape === "void") {
    text = `select null::text as body, 1::bigint as n, ${call} as _v${from}`;
  } else if (routine.shape === "scalar" && !routine.returnsSet) {
    text = `select to_json(${call})::text as body, 1::bigint as n${from}`;
  } else if (routine.shape === "scalar") {
    text = `select coalesce(json_agg(_t.v), '[]')::text as body, count(*) as n${lateral("_t(v)")}`;
  } else if (!routine.returnsSet) {
    text = `select row_to_json(_t)::text as body, 1::bigint as n${lateral("_t")}`;
  } else {
    text = `select coalesce(json_agg(_t), '[]')::text as body, count(*) as n${lateral("_t")}`;
  }
  return { text, takesBody, returnsSet: routine.returnsSet, isVoid: routine.shape === "void" };
}
