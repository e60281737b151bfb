// Resource embedding (docs/postgrest-standin.md, "Embedding"): the foreign keys between the
// exposed schema's tables, and which one joins each `name(...)` of a select list to its parent,
// as PostgREST chooses it (a table's name, a foreign key's name or column, `!hint`), with its
// errors: none found (PGRST200), more than one (PGRST201), filters on a resource the select
// list does not embed (PGRST108). `loadRelationships` does database I/O; the rest is pure.
import type postgres from "postgres";
import type { ApiError } from "./errors.ts";
import type { EmbedParams, LogicTree, QueryParams, SelectItem } from "./query.ts";

/** A foreign key of `table` (`columns`) referencing `foreignTable` (`foreignColumns`). */
export interface Relationship {
  name: string;
  table: string;
  columns: string[];
  foreignTable: string;
  foreignColumns: string[];
  /** `columns` are unique in `table`: one row at most on either side. */
  oneToOne: boolean;
}

const RELATIONSHIPS_QUERY = `
select c.conname::text as name, cl.relname::text as "table", fcl.relname::text as "foreignTable",
       array(select a.attname::text from unnest(c.conkey) with ordinality k(n, i)
               join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.i) as columns,
       array(select a.attname::text from unnest(c.confkey) with ordinality k(n, i)
               join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.i)
         as "foreignColumns",
       exists (select 1 from pg_index i
                where i.indrelid = c.conrelid and i.indisunique and i.indpred is null
                  and i.indexprs is null
                  and (select array_agg(x order by x) from unnest(i.indkey::int2[]) x)
                    = (select array_agg(x order by x) from unnest(c.conkey) x)) as "oneToOne"
  from pg_constraint c
  join pg_class cl on cl.oid = c.conrelid
  join pg_class fcl on fcl.oid = c.confrelid
 where c.contype = 'f' and cl.relnamespace = $1::text::regnamespace
   and fcl.relnamespace = $1::text::regnamespace
 order by c.conname`;

export async function loadRelationships(
  sql: postgres.Sql,
  schema: string,
): Promise<Relationship[]> {
  const rows = await sql.unsafe(RELATIONSHIPS_QUERY, [schema], { prepare: true });
  return rows as unknown as Relationship[];
}

/** Whether the query embeds anything or names an embedded resource's parameters. */
export function embeds(query: QueryParams): boolean {
  return query.select.some((s) => s.embed) || Object.keys(query.embedded).length > 0;
}

interface Candidate {
  rel: Relationship;
  /** The parent holds the key (many-to-one), or the embedded table does (one-to-many). */
  parentHoldsKey: boolean;
}

const list = (columns: string[]) => columns.join(", ");

function cardinality(c: Candidate): string {
  if (c.rel.oneToOne) return "one-to-one";
  return c.parentHoldsKey ? "many-to-one" : "one-to-many";
}

function describe(parent: string, c: Candidate): string {
  const { rel } = c;
  return c.parentHoldsKey
    ? `${rel.name} using ${parent}(${list(rel.columns)}) and ${rel.foreignTable}(${
      list(rel.foreignColumns)
    })`
    : `${rel.name} using ${parent}(${list(rel.foreignColumns)}) and ${rel.table}(${
      list(rel.columns)
    })`;
}

/** The relationships `name!hint` may mean from `parent`. */
function candidates(
  rels: Relationship[],
  parent: string,
  name: string,
  hint: string | undefined,
): Candidate[] {
  const named = (rel: Relationship, word: string) =>
    rel.name === word || (rel.columns.length === 1 && rel.columns[0] === word);
  const found: Candidate[] = [];
  for (const rel of rels) {
    if (rel.table === parent && (rel.foreignTable === name || named(rel, name))) {
      found.push({ rel, parentHoldsKey: true });
    }
    if (rel.foreignTable === parent && rel.table === name) {
      found.push({ rel, parentHoldsKey: false });
    }
  }
  return hint === undefined ? found : found.filter((c) => named(c.rel, hint));
}

/**
 * Joins every embedded resource of `select` (on `parent`) to its parent, and hands each the
 * filters, order, limit and offset the query gives its path. Returns the first error.
 */
export function resolveEmbeds(
  schema: string,
  parent: string,
  query: QueryParams,
  rels: Relationship[],
): ApiError | null {
  const used = new Set<string>();
  const error = resolveList(schema, parent, query.select, query.embedded, rels, "", used);
  if (error) return error;
  markEmbedFilters(query.where, query.select);
  const unknown = Object.keys(query.embedded).find((path) => !used.has(path));
  if (unknown === undefined) return null;
  return {
    status: 400,
    body: {
      code: "PGRST108",
      message: `'${unknown}' is not an embedded resource in this request`,
      details: null,
      hint: `Verify that '${unknown}' is included in the 'select' query parameter.`,
    },
  };
}

function resolveList(
  schema: string,
  parent: string,
  select: SelectItem[],
  embedded: Record<string, EmbedParams>,
  rels: Relationship[],
  prefix: string,
  used: Set<string>,
): ApiError | null {
  for (const item of select) {
    const embed = item.embed;
    if (!embed) continue;
    const name = item.column;
    const found = candidates(rels, parent, name, embed.hint);
    if (found.length === 0) {
      const using = embed.hint === undefined ? "" : ` using the hint '${embed.hint}'`;
      return {
        status: 400,
        body: {
          code: "PGRST200",
          message:
            `Could not find a relationship between '${parent}' and '${name}' in the schema cache`,
          details:
            `Searched for a foreign key relationship between '${parent}' and '${name}'${using} in the schema '${schema}', but no matches were found.`,
          hint: null,
        },
      };
    }
    if (found.length > 1) {
      return {
        status: 300,
        body: {
          code: "PGRST201",
          message:
            `Could not embed because more than one relationship was found for '${parent}' and '${name}'`,
          details: found.map((c) => ({
            cardinality: cardinality(c),
            embedding: `${parent} with ${name}`,
            relationship: describe(parent, c),
          })),
          hint: `Try changing '${name}' to one of the following: ${
            found.map((c) => `'${name}!${c.rel.name}'`).join(", ")
          }. Find the desired relationship in the 'details' key.`,
        },
      };
    }
    const [{ rel, parentHoldsKey }] = found;
    const table = parentHoldsKey ? rel.foreignTable : rel.table;
    const parentColumns = parentHoldsKey ? rel.columns : rel.foreignColumns;
    const columns = parentHoldsKey ? rel.foreignColumns : rel.columns;
    embed.join = {
      schema,
      table,
      on: parentColumns.map((p, i) => [p, columns[i]]),
      toOne: parentHoldsKey || rel.oneToOne,
    };
    const path = prefix ? `${prefix}.${item.alias ?? name}` : item.alias ?? name;
    if (embedded[path]) {
      embed.params = embedded[path];
      used.add(path);
    }
    const error = resolveList(schema, table, embed.select, embedded, rels, path, used);
    if (error) return error;
    if (embed.params) markEmbedFilters(embed.params.where, embed.select);
  }
  return null;
}

/** Marks the `is` filters of `trees` that name an embedded resource of `select` (by its alias,
 * else its name): `x=not.is.null` asks whether the row has such embedded rows. */
function markEmbedFilters(trees: LogicTree[], select: SelectItem[]) {
  const embedded = new Map(
    select.filter((s) => s.embed).map((s) => [s.alias ?? s.column, s.embed!]),
  );
  const visit = (tree: LogicTree) => {
    if (tree.kind !== "filter") return tree.children.forEach(visit);
    const embed = embedded.get(tree.filter.column);
    if (embed && tree.filter.op === "is") tree.filter.embed = embed;
  };
  trees.forEach(visit);
}
