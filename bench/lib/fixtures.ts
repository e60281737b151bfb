// Benchmark fixtures: one store with a few locations, pools of customers per function and
// workload, the carts that "get existing" reads, and the previous function's own copy of the
// tables in schema `seed_original` (no unique index, queue without cart_id: nothing stops two
// devices asking at once from making two carts), created here at start and never part of the
// migrations, so the baseline never touches the product's tables. Stores and customers are made
// by tests/_support/fixtures.ts; duplicates are counted by tests/_support/census.ts.
// Does I/O: database only.
import type postgres from "postgres";
import { newCustomers, newStore } from "../../tests/_support/fixtures.ts";

/** The previous version's tables, in a schema of their own: nothing stops duplicates. */
export const SEED_ORIGINAL_SQL = `
drop schema if exists seed_original cascade;
create schema seed_original;
comment on schema seed_original is
  'benchmark only: the previous version''s tables (no unique index), the baseline';
create table seed_original.carts (
  id uuid primary key default gen_random_uuid(),
  customer_id uuid,
  location_id uuid,
  store_id uuid,
  device_id text,
  status text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- The look-up the old function ran had an ordinary (non-unique) index to use.
create index on seed_original.carts (customer_id, location_id);
create table seed_original.location_queue (
  id uuid primary key default gen_random_uuid(),
  customer_id uuid,
  location_id uuid,
  store_id uuid,
  status text,
  created_at timestamptz not null default now()
);
create index on seed_original.location_queue (customer_id, location_id);
`;

export type Workload = "get_existing" | "get_creates" | "add_to_queue";
export const WORKLOADS: Workload[] = ["get_existing", "get_creates", "add_to_queue"];

export interface Key {
  customerId: string;
  locationId: string;
}

export interface FunctionPools {
  /** customers that already have an active cart (one each) */
  existing: Key[];
  /** fresh customers for "get that creates" */
  creates: Key[];
  /** fresh customers for "add_to_queue" */
  queue: Key[];
}

export interface Fixture {
  storeId: string;
  locationIds: string[];
  pools: Record<string, FunctionPools>;
}

/** Creates the store, locations, customers and existing carts for each function. */
export async function createFixture(
  sql: postgres.Sql,
  fns: { name: string; seedSchema: boolean }[],
  options: { locations: number; existing: number; fresh: number },
): Promise<Fixture> {
  await sql.unsafe(SEED_ORIGINAL_SQL);
  const { storeId, locationIds } = await newStore(sql, {
    locations: options.locations,
    name: "bench",
  });
  const keyed = (ids: string[]): Key[] =>
    ids.map((customerId, i) => ({ customerId, locationId: locationIds[i % locationIds.length] }));

  const pools: Record<string, FunctionPools> = {};
  for (const fn of fns) {
    const existing = keyed(
      await newCustomers(sql, options.existing, null, `bench ${fn.name} existing`),
    );
    const creates = keyed(await newCustomers(sql, options.fresh, null, `bench ${fn.name} creates`));
    const queue = keyed(await newCustomers(sql, options.fresh, null, `bench ${fn.name} queue`));
    const customers = existing.map((k) => k.customerId);
    const locations = existing.map((k) => k.locationId);
    if (fn.seedSchema) {
      await sql`insert into seed_original.carts (customer_id, location_id, store_id, status)
        select c, l, ${storeId}, 'active'
        from unnest(${customers}::uuid[], ${locations}::uuid[]) as k(c, l)`;
    } else {
      await sql`select public.get_or_create_cart(p_location_id := l, p_customer_id := c,
          p_store_id := ${storeId}::uuid)
        from unnest(${customers}::uuid[], ${locations}::uuid[]) as k(c, l)`;
    }
    pools[fn.name] = { existing, creates, queue };
  }
  return { storeId, locationIds, pools };
}
