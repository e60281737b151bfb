// The existing-cart path of get_or_create_cart: it answers from one lookup, and every
// answer and error is the one the full checks give (store scoping for authenticated and
// service_role, store mismatch, unknown location/customer, legacy rows that break the
// foreign keys or put a cart in another store than its location), with nothing written.
import assert from "node:assert/strict";
import { adminSql } from "../_support/stack.ts";
import { asRole, assertPgError, asStaff, newPlace, type Tx } from "./_db.ts";

const sql = adminSql({ max: 2 });

const get = (tx: Tx, location: string, customer: string | null, store?: string | null) =>
  tx`select public.get_or_create_cart(p_location_id => ${location}::uuid,
    p_customer_id => ${customer}::uuid, p_store_id => ${store ?? null}::uuid) as r`;
const getDevice = (tx: Tx, location: string, device: string, store?: string | null) =>
  tx`select public.get_or_create_cart(p_location_id => ${location}::uuid,
    p_device_id => ${device}, p_store_id => ${store ?? null}::uuid) as r`;

Deno.test("existing cart: same answer as its creation, nothing written", async () => {
  const p = await newPlace(sql);
  const [made] = await asStaff(sql, (tx) => get(tx, p.locationId, p.customerId, p.storeId));
  assert.equal(made.r.created, true);
  const [before] = await sql`select xmin::text as x from public.carts where id = ${made.r.cart.id}`;
  const [again] = await asStaff(sql, (tx) => get(tx, p.locationId, p.customerId, p.storeId));
  assert.deepEqual(again.r, { ...made.r, created: false });
  const [noStore] = await asStaff(sql, (tx) => get(tx, p.locationId, p.customerId));
  assert.deepEqual(noStore.r, again.r);
  const [after] = await sql`select xmin::text as x from public.carts where id = ${made.r.cart.id}`;
  assert.equal(after.x, before.x);
  // the timestamps keep the RFC 3339 UTC shape of private.ts_json
  const [ts] = await sql`select private.ts_json(created_at) as c from public.carts
    where id = ${made.r.cart.id}`;
  assert.equal(again.r.cart.created_at, ts.c);
  assert.match(again.r.cart.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  assert.equal(again.r.cart.completed_at, null);

  const [anon] = await asStaff(sql, (tx) => getDevice(tx, p.locationId, "dev-1"));
  const [anonAgain] = await asStaff(sql, (tx) => getDevice(tx, p.locationId, " dev-1 "));
  assert.deepEqual(anonAgain.r, { ...anon.r, created: false });
});

Deno.test("existing cart: another store's staff get PT403, a wrong store gets location_store_mismatch", async () => {
  const p = await newPlace(sql);
  await asStaff(sql, (tx) => get(tx, p.locationId, p.customerId));
  await asStaff(sql, (tx) => getDevice(tx, p.locationId, "dev-2"));
  for (
    const claims of [{ store_ids: [p.otherStoreId] }, { store_id: p.otherStoreId }, {
      store_ids: [],
    }]
  ) {
    const outsider = { sub: crypto.randomUUID(), app_metadata: claims };
    await assertPgError(
      asStaff(sql, (tx) => get(tx, p.locationId, p.customerId), outsider),
      "PT403",
      "store_forbidden",
    );
    await assertPgError(
      asStaff(sql, (tx) => getDevice(tx, p.locationId, "dev-2"), outsider),
      "PT403",
      "store_forbidden",
    );
    // a store restriction in a service_role JWT (which bypasses RLS) is still enforced
    await assertPgError(
      asRole(
        sql,
        "service_role",
        { app_metadata: claims },
        (tx) => get(tx, p.locationId, p.customerId),
      ),
      "PT403",
      "store_forbidden",
    );
  }
  for (const role of ["authenticated", "service_role"] as const) {
    await assertPgError(
      asRole(
        sql,
        role,
        { sub: crypto.randomUUID() },
        (tx) => get(tx, p.locationId, p.customerId, p.otherStoreId),
      ),
      "P0001",
      "location_store_mismatch",
    );
    await assertPgError(
      asRole(
        sql,
        role,
        { sub: crypto.randomUUID() },
        (tx) => getDevice(tx, p.locationId, "dev-2", p.otherStoreId),
      ),
      "P0001",
      "location_store_mismatch",
    );
  }
  // mismatch comes before forbidden, as in the full checks
  await assertPgError(
    asStaff(
      sql,
      (tx) => get(tx, p.locationId, p.customerId, p.otherStoreId),
      { sub: crypto.randomUUID(), app_metadata: { store_ids: [p.storeId] } },
    ),
    "P0001",
    "location_store_mismatch",
  );
  const insider = { sub: crypto.randomUUID(), app_metadata: { store_ids: [p.storeId] } };
  const [ok] = await asStaff(sql, (tx) => get(tx, p.locationId, p.customerId, p.storeId), insider);
  assert.equal(ok.r.created, false);
});

Deno.test("existing cart: legacy rows that break the checks take the full path", async () => {
  const p = await newPlace(sql);
  // a cart whose store is not its location's store: the full path answers with the
  // location's store checks (the store given must be the location's)
  const [odd] = await sql`insert into public.carts (store_id, location_id, customer_id)
    values (${p.otherStoreId}, ${p.locationId}, ${p.customerId}) returning id`;
  await assertPgError(
    asStaff(sql, (tx) => get(tx, p.locationId, p.customerId, p.otherStoreId)),
    "P0001",
    "location_store_mismatch",
  );
  const [r] = await asStaff(sql, (tx) => get(tx, p.locationId, p.customerId, p.storeId));
  assert.equal(r.r.cart.id, odd.id);
  assert.equal(r.r.created, false);
  // the store checks are on the location's store: staff of the cart's store only get PT403
  await assertPgError(
    asStaff(
      sql,
      (tx) => get(tx, p.locationId, p.customerId),
      { sub: crypto.randomUUID(), app_metadata: { store_ids: [p.otherStoreId] } },
    ),
    "PT403",
    "store_forbidden",
  );

  // a cart of a customer that no longer exists (foreign key left NOT VALID on legacy data)
  const ghost = crypto.randomUUID();
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await tx`insert into public.carts (store_id, location_id, customer_id)
      values (${p.storeId}, ${p.locationId}, ${ghost})`;
  });
  await assertPgError(
    asStaff(sql, (tx) => get(tx, p.locationId, ghost)),
    "PT404",
    "customer_not_found",
  );
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await tx`delete from public.carts where customer_id = ${ghost}`;
  });
});

Deno.test("existing cart path: unknown location, unknown customer, missing device as before", async () => {
  const p = await newPlace(sql);
  await assertPgError(
    asStaff(sql, (tx) => get(tx, crypto.randomUUID(), p.customerId)),
    "PT404",
    "location_not_found",
  );
  await assertPgError(
    asStaff(sql, (tx) => get(tx, p.locationId, crypto.randomUUID())),
    "PT404",
    "customer_not_found",
  );
  await assertPgError(
    asStaff(sql, (tx) => getDevice(tx, p.locationId, "  ")),
    "P0001",
    "device_id_required",
  );
  await assertPgError(
    asStaff(
      sql,
      (tx) =>
        tx`select public.get_or_create_cart(p_location_id => null, p_customer_id => ${p.customerId}::uuid)`,
    ),
    "P0001",
    "invalid_argument",
  );
});

Deno.test("existing cart path: the RPC keeps its declared properties", async () => {
  const [f] = await sql`select p.provolatile, p.prosecdef, p.proconfig from pg_proc p
    where p.oid = 'public.get_or_create_cart(uuid, uuid, uuid, text)'::regprocedure`;
  assert.equal(f.provolatile, "v");
  assert.equal(f.prosecdef, false);
  assert.deepEqual(f.proconfig, ['search_path=""']);
});

Deno.test({
  name: "existing cart: close the connection",
  fn: () => sql.end(),
});
