// Benchmark fixtures: one store with a few locations, pools of customers per function and
// workload, the carts that "get existing" reads, and the seed original's own copy of the
// tables in schema `seed_original` (the review's schema: no unique index, queue without
// cart_id), created here at start and never part of the migrations, so the baseline never
// touches the product's tables. Also the duplicate census run after the load.
// Does I/O: database only.
import type postgres from "postgres";

/** The seed review's schema, in its own schema: nothing stops duplicates. */
export const SEED_ORIGINAL_SQL = `
drop schema if exists seed_original cascade;
create schema seed_original;
comment on schema seed_original is
  'benchmark only: the seed review''s original tables (no unique index), the baseline';
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

async function newCustomers(sql: postgres.Sql, n: number, tag: string): Promise<string[]> {
  const rows = await sql`insert into public.customers (name)
    select ${tag} from generate_series(1, ${n}) returning id`;
  return rows.map((r) => r.id as string);
}

/** Creates the store, locations, customers and existing carts for each function. */
export async function createFixture(
  sql: postgres.Sql,
  fns: { name: string; seedSchema: boolean }[],
  options: { locations: number; existing: number; fresh: number },
): Promise<Fixture> {
  await sql.unsafe(SEED_ORIGINAL_SQL);
  const [store] = await sql`insert into public.stores (name) values ('bench store') returning id`;
  const storeId = store.id as string;
  const locationRows = await sql`insert into public.locations (store_id, name)
    select ${storeId}, 'bench location ' || i from generate_series(1, ${options.locations}) i
    returning id`;
  const locationIds = locationRows.map((r) => r.id as string);
  const keyed = (ids: string[]): Key[] =>
    ids.map((customerId, i) => ({ customerId, locationId: locationIds[i % locationIds.length] }));

  const pools: Record<string, FunctionPools> = {};
  for (const fn of fns) {
    const existing = keyed(await newCustomers(sql, options.existing, `bench ${fn.name} existing`));
    const creates = keyed(await newCustomers(sql, options.fresh, `bench ${fn.name} creates`));
    const queue = keyed(await newCustomers(sql, options.fresh, `bench ${fn.name} queue`));
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

export interface Census {
  /** extra active carts beyond one per customer+location */
  duplicateCarts: number;
  /** extra open queue entries beyond one per customer+location */
  duplicateEntries: number;
}

/** Counts duplicates among `customers` in the function's tables, per customer id. */
export async function duplicateCensus(
  sql: postgres.Sql,
  seedSchema: boolean,
  customers: string[],
): Promise<Map<string, Census>> {
  const schema = seedSchema ? "seed_original" : "public";
  const open = seedSchema ? "status = 'waiting'" : "status in ('waiting', 'called')";
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
  const out = new Map<string, Census>();
  const at = (c: string) => {
    let v = out.get(c);
    if (!v) out.set(c, v = { duplicateCarts: 0, duplicateEntries: 0 });
    return v;
  };
  for (const r of carts) at(r.c).duplicateCarts += Number(r.extra);
  for (const r of entries) at(r.c).duplicateEntries += Number(r.extra);
  return out;
}
