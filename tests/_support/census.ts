// Test support: the invariant census, asked the same way by every test and benchmark. The
// definition is the database's own, `private.invariant_census()` (I1-I7, docs/api.md,
// "Guarantees"); this module only reads it. The one exception is `duplicatesByCustomer`, for the
// benchmark's `seed_original` copy of the old tables, which has no census function: the only
// place that counts duplicates by hand. Does I/O: database only.
import type postgres from "postgres";

// deno-lint-ignore no-explicit-any
type Sql = postgres.Sql<any>;

/** One row of the census: an invariant ("I1 one active cart per customer + location", ...)
 * and the number of rows breaking it. */
export interface CensusRow {
  invariant: string;
  violations: number;
}

/** Every row of `private.invariant_census()`; all zero on a healthy database. */
export async function invariantCensus(sql: Sql): Promise<CensusRow[]> {
  const rows = await sql<CensusRow[]>`
    select invariant, violations::int as violations from private.invariant_census()`;
  return rows.map(({ invariant, violations }) => ({ invariant, violations }));
}

/** The violations of one invariant ("I1" ... "I7"; I5 has two rows, summed). */
export function violationsOf(census: CensusRow[], id: string): number {
  return census.filter((r) => r.invariant.startsWith(`${id} `))
    .reduce((sum, r) => sum + r.violations, 0);
}

/** The violations of all invariants together. */
export function totalViolations(census: CensusRow[]): number {
  return census.reduce((sum, r) => sum + r.violations, 0);
}

export interface InvariantReport {
  duplicateCustomerCarts: number;
  duplicateDeviceCarts: number;
  duplicateOpenEntries: number;
  openEntriesWithoutActiveCart: number;
  storeMismatches: number;
  linesOnMergedCarts: number;
  brokenMergeLinks: number;
}

/** The census under readable names (for reports and logs). */
export async function invariantReport(sql: Sql): Promise<InvariantReport> {
  const census = await invariantCensus(sql);
  return {
    duplicateCustomerCarts: violationsOf(census, "I1"),
    duplicateDeviceCarts: violationsOf(census, "I2"),
    duplicateOpenEntries: violationsOf(census, "I3"),
    openEntriesWithoutActiveCart: violationsOf(census, "I4"),
    storeMismatches: violationsOf(census, "I5"),
    linesOnMergedCarts: violationsOf(census, "I6"),
    brokenMergeLinks: violationsOf(census, "I7"),
  };
}

/** Fails when any row of the census is not zero, anywhere in the database. */
export async function assertInvariants(sql: Sql, label: string): Promise<void> {
  const census = await invariantCensus(sql);
  const bad = census.filter((r) => r.violations !== 0);
  console.log(`[${label}] invariants: ${bad.length ? JSON.stringify(bad) : "all zero"}`);
  if (bad.length) throw new Error(`[${label}] invariants violated: ${JSON.stringify(bad)}`);
}

export interface Duplicates {
  /** extra active carts beyond one per customer+location */
  duplicateCarts: number;
  /** extra open queue entries beyond one per customer+location */
  duplicateEntries: number;
}

/**
 * Duplicates among `customers`, per customer id, in `schema`'s carts and location_queue: I1 and
 * I3 of the census, counted by hand and attributed to customers, for a schema without the
 * census function (the benchmark's `seed_original`, whose queue has no `called` status) and to
 * compare it with the product's `public` tables the same way.
 */
export async function duplicatesByCustomer(
  sql: Sql,
  schema: "public" | "seed_original",
  customers: string[],
): Promise<Map<string, Duplicates>> {
  const open = schema === "seed_original"
    ? "status = 'waiting'"
    : "status in ('waiting', 'called')";
  const carts = await sql.unsafe(
    `select customer_id::text as c, count(*) - 1 as extra from ${schema}.carts
     where status = 'active' and customer_id = any($1::uuid[])
     group by customer_id, location_id having count(*) > 1`,
    [customers],
  );
  const entries = await sql.unsafe(
    `select customer_id::text as c, count(*) - 1 as extra from ${schema}.location_queue
     where ${open} and customer_id = any($1::uuid[])
     group by customer_id, location_id having count(*) > 1`,
    [customers],
  );
  const out = new Map<string, Duplicates>();
  const at = (c: string) => {
    let v = out.get(c);
    if (!v) out.set(c, v = { duplicateCarts: 0, duplicateEntries: 0 });
    return v;
  };
  for (const r of carts) at(r.c).duplicateCarts += Number(r.extra);
  for (const r of entries) at(r.c).duplicateEntries += Number(r.extra);
  return out;
}
