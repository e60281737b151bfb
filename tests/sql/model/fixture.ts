// The model test's fixture: two stores with two locations each, shared and store-owned
// customers, and the callers (staff of store A by a store_members row and by claim, staff
// of store B by claim, a signed-in user with no store, anon, service_role). Every fixture has
// ids of its own, so runs and replays never meet. Does I/O only in create/drop.
import type { Sql } from "../_db.ts";

export const STORES = ["A", "B"] as const;
export type StoreKey = typeof STORES[number];
export const LOCATIONS = ["A1", "A2", "B1", "B2"] as const;
export type LocKey = typeof LOCATIONS[number];
export const CUSTOMERS = ["S1", "S2", "S3", "CA1", "CA2", "CB1", "CB2"] as const;
export type CustKey = typeof CUSTOMERS[number];
/** Device ids as stored (trimmed). */
export const DEVICES = ["ipad-1", "mac-2", "till-3"] as const;
export type Device = typeof DEVICES[number];
/** The API callers; `owner` is the database itself (migrations, scheduled jobs), trusted with
 * the business rules: only the model test's self-check uses it, to break a rule on purpose. */
export const ACTORS = [
  "memberA",
  "claimA",
  "claimB",
  "nobody",
  "anon",
  "service",
  "owner",
] as const;
export type ActorKey = typeof ACTORS[number];

export const LOC_STORE: Record<LocKey, StoreKey> = { A1: "A", A2: "A", B1: "B", B2: "B" };
/** null: a shared customer (customers.store_id null). */
export const CUST_STORE: Record<CustKey, StoreKey | null> = {
  S1: null,
  S2: null,
  S3: null,
  CA1: "A",
  CA2: "A",
  CB1: "B",
  CB2: "B",
};
/** The stores each caller may act for (docs/api.md, "Access"). */
export const ACTOR_STORES: Record<ActorKey, readonly StoreKey[]> = {
  memberA: ["A"],
  claimA: ["A"],
  claimB: ["B"],
  nobody: [],
  anon: [],
  service: ["A", "B"],
  owner: ["A", "B"],
};

export interface Fixture {
  store: Record<StoreKey, string>;
  loc: Record<LocKey, string>;
  cust: Record<CustKey, string>;
  user: Record<"memberA" | "claimA" | "claimB" | "nobody", string>;
  /** An id that names no row at all: stands for every missing store, location, row. */
  missing: string;
}

const uuid = () => crypto.randomUUID();
const ids = <K extends string>(keys: readonly K[]) =>
  Object.fromEntries(keys.map((k) => [k, uuid()])) as Record<K, string>;

export function newFixture(): Fixture {
  return {
    store: ids(STORES),
    loc: ids(LOCATIONS),
    cust: ids(CUSTOMERS),
    user: ids(["memberA", "claimA", "claimB", "nobody"] as const),
    missing: uuid(),
  };
}

/** The role PostgREST would switch to; null for the owner (the session's own role). */
export function actorRole(actor: ActorKey): "authenticated" | "anon" | "service_role" | null {
  if (actor === "owner") return null;
  return actor === "anon" ? "anon" : actor === "service" ? "service_role" : "authenticated";
}

/** The JWT claims PostgREST would set for the caller (asRole adds `role`). */
export function actorClaims(f: Fixture, actor: ActorKey): Record<string, unknown> {
  switch (actor) {
    case "memberA":
      return { sub: f.user.memberA, aud: "authenticated" };
    case "claimA":
      return { sub: f.user.claimA, aud: "authenticated", app_metadata: { store_ids: [f.store.A] } };
    case "claimB":
      return { sub: f.user.claimB, aud: "authenticated", app_metadata: { store_id: f.store.B } };
    case "nobody":
      return { sub: f.user.nobody, aud: "authenticated", app_metadata: {} };
    case "anon":
    case "service":
    case "owner":
      return {};
  }
}

/** The fixture as SQL (run as `postgres`; printed with a reproduction). */
export function fixtureSql(f: Fixture): string {
  const v = (rows: string[][]) => rows.map((r) => `(${r.join(", ")})`).join(",\n  ");
  const q = (s: string | null) => (s === null ? "null" : `'${s}'`);
  const users = (["memberA", "claimA", "claimB", "nobody"] as const).map((u) => [
    q(f.user[u]),
    "'authenticated'",
    "'authenticated'",
    q(`model-${u.toLowerCase()}-${f.user[u].slice(0, 8)}@example.com`),
    "'{}'",
  ]);
  return [
    `insert into public.stores (id, name) values\n  ${
      v(STORES.map((s) => [q(f.store[s]), q(`model ${s}`)]))
    };`,
    `insert into public.locations (id, store_id, name) values\n  ${
      v(LOCATIONS.map((l) => [q(f.loc[l]), q(f.store[LOC_STORE[l]]), q(l)]))
    };`,
    `insert into public.customers (id, store_id, name) values\n  ${
      v(CUSTOMERS.map((c) => {
        const s = CUST_STORE[c];
        return [q(f.cust[c]), q(s ? f.store[s] : null), q(c)];
      }))
    };`,
    `insert into auth.users (id, aud, role, email, raw_app_meta_data) values\n  ${v(users)};`,
    `insert into public.store_members (store_id, user_id) values (${q(f.store.A)}, ${
      q(f.user.memberA)
    });`,
  ].join("\n");
}

export async function createFixture(sql: Sql, f: Fixture): Promise<void> {
  await sql.unsafe(fixtureSql(f)).simple();
}

/** Removes every row of the fixture (as `postgres`, the owner: the table rules let the
 * database itself delete), so that the database-wide census starts clean for the next one. */
export async function dropFixture(sql: Sql, f: Fixture): Promise<void> {
  const stores = `'{${Object.values(f.store).join(",")}}'::uuid[]`;
  const locs = `'{${Object.values(f.loc).join(",")}}'::uuid[]`;
  const custs = `'{${Object.values(f.cust).join(",")}}'::uuid[]`;
  const users = `'{${Object.values(f.user).join(",")}}'::uuid[]`;
  const carts = `select c.id from public.carts c where c.store_id = any(${stores})
    or c.location_id = any(${locs}) or c.customer_id = any(${custs})`;
  await sql.begin(async (tx) => {
    await tx.unsafe(`delete from public.cart_items where cart_id in (${carts})`);
    await tx.unsafe(`delete from public.location_queue where store_id = any(${stores})
      or location_id = any(${locs}) or customer_id = any(${custs})`);
    await tx.unsafe(`delete from public.carts where id in (${carts})`);
    await tx.unsafe(`delete from public.store_members where store_id = any(${stores})`);
    await tx.unsafe(`delete from public.customers where id = any(${custs})`);
    await tx.unsafe(`delete from public.locations where id = any(${locs})`);
    await tx.unsafe(`delete from public.stores where id = any(${stores})`);
    await tx.unsafe(`delete from auth.users where id = any(${users})`);
  });
}
