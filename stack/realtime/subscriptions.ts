// Whether a channel's `postgres_changes` bindings can be subscribed, checked as the Realtime
// service checks them when it stores a subscription: the claims' role exists, each binding
// names at least one table of the publication, and every filter names a column the role may
// SELECT with a value that casts to the column's type. Refusals use the platform's wording.
// Does I/O (queries over `sql`).
import type postgres from "postgres";
import { type Binding, describeCondition } from "./bindings.ts";
import { castValue, ident, qualified } from "./visibility.ts";

export interface PublishedTables {
  matching(schema: string, table: string): { schema: string; table: string }[];
}

function describe(b: Binding): string {
  return `event: ${b.event}, schema: ${b.schema}, table: ${b.table}, filters: [${
    b.conditions.map(describeCondition).join(", ")
  }]`;
}

/** Null when every binding can be subscribed as `role`, else the reason. */
export async function checkBindings(
  sql: postgres.Sql,
  tables: PublishedTables,
  bindings: Binding[],
  role: string,
): Promise<string | null> {
  const [r] = await sql`select to_regrole(${role}) is not null as exists`;
  if (!r.exists) {
    return `Unable to subscribe to changes: role "${role}" of the access token does not exist`;
  }
  for (const b of bindings) {
    if (b.error) return b.error;
    const targets = tables.matching(b.schema, b.table);
    if (targets.length === 0) {
      return "Unable to subscribe to changes with given parameters. Please check Realtime is " +
        `enabled for the given connect parameters: [${describe(b)}]`;
    }
    for (const c of b.conditions) {
      const table = qualified(targets[0].schema, targets[0].table);
      try {
        const [col] = await sql`select has_column_privilege(${role}, ${table}::regclass,
          ${c.column}, 'SELECT') as ok
          from pg_attribute where attrelid = ${table}::regclass and attname = ${c.column}
            and attnum > 0 and not attisdropped`;
        if (!col?.ok) throw new Error(`invalid column for filter ${c.column}`);
        const values = Array.isArray(c.value) ? c.value : [c.value];
        if (values.length > 100) throw new Error("too many values for `in` filter. Maximum 100");
        await sql.unsafe(
          `select ${castValue(table, c.column, "v")} as ${ident("v")} from unnest($1::text[]) v`,
          [values],
        );
      } catch (e) {
        return "Unable to subscribe to changes with given parameters. An exception happened so " +
          `please check your connect parameters: [${describe(b)}]. Exception: ${
            (e as Error).message
          }`;
      }
    }
  }
  return null;
}
