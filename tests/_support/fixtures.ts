// Test support: the rows every test and benchmark starts from - stores, their locations and
// customers - made with fresh ids so that tests sharing one database never meet, whether they
// need one customer or 75,000. Written as the database owner (RLS does not apply).
// Does I/O: database only.
import type postgres from "postgres";

// deno-lint-ignore no-explicit-any
type Sql = postgres.Sql<any>;

export interface Store {
  storeId: string;
  /** The first of `locationIds`. */
  locationId: string;
  locationIds: string[];
  customerIds: string[];
}

export interface StoreOptions {
  /** Customers to make (default 0). */
  customers?: number;
  /** Locations to make (default 1). */
  locations?: number;
  /** The customers belong to no store (usable at every store) instead of this one. */
  sharedCustomers?: boolean;
  /** The name of the store, its locations (numbered) and customers. */
  name?: string;
}

/** A fresh store with its locations and customers. */
export async function newStore(sql: Sql, options: StoreOptions = {}): Promise<Store> {
  const name = options.name ?? "test";
  const [{ id: storeId }] = await sql<{ id: string }[]>`
    insert into public.stores (name) values (${name}) returning id`;
  const locationIds: string[] = [];
  for (let i = 1; i <= (options.locations ?? 1); i++) {
    locationIds.push(await addLocation(sql, storeId, `${name} location ${i}`));
  }
  const customerIds = await newCustomers(
    sql,
    options.customers ?? 0,
    options.sharedCustomers ? null : storeId,
    `${name} customer`,
  );
  return { storeId, locationId: locationIds[0], locationIds, customerIds };
}

/** One more location of `storeId`. */
export async function addLocation(sql: Sql, storeId: string, name = "location"): Promise<string> {
  const [{ id }] = await sql<{ id: string }[]>`
    insert into public.locations (store_id, name) values (${storeId}, ${name}) returning id`;
  return id;
}

/** `n` new customers of `storeId`, or of no store (usable at every store) when null. */
export async function newCustomers(
  sql: Sql,
  n: number,
  storeId: string | null = null,
  name = "customer",
): Promise<string[]> {
  if (n === 0) return [];
  const rows = await sql<{ id: string }[]>`
    insert into public.customers (store_id, name)
    select ${storeId}::uuid, ${name} from generate_series(1, ${n}) returning id`;
  return rows.map((r) => r.id);
}
