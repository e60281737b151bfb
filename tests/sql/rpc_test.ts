// The RPCs against the real database: get_or_create_cart idempotency, anonymous carts,
// the documented errors (errcode + HINT), the queue lifecycle and complete_cart.
import assert from "node:assert/strict";
import { adminSql } from "../_support/stack.ts";
import { assertPgError, asStaff, type Json, newCustomer, newPlace, type Tx } from "./_db.ts";

const sql = adminSql({ max: 2 });

const get = (tx: Tx, args: Record<string, unknown>) =>
  tx`select public.get_or_create_cart(
      p_location_id => ${args.location as string ?? null}::uuid,
      p_customer_id => ${args.customer as string ?? null}::uuid,
      p_store_id => ${args.store as string ?? null}::uuid, p_device_id => ${
    args.device as string ?? null
  }::text) as r`
    .then((rows) => rows[0].r as Json);
const call = (tx: Tx, fn: string, args: Record<string, unknown>) => {
  const names = Object.keys(args);
  const list = names.map((n, i) => `${n} => $${i + 1}`).join(", ");
  return tx.unsafe(`select public.${fn}(${list}) as r`, names.map((n) => args[n] as string))
    .then((rows) => rows[0].r as Json);
};

Deno.test("get_or_create_cart: 1,000 calls return the same cart, created once", async () => {
  const p = await newPlace(sql);
  const first = await asStaff(
    sql,
    (tx) => get(tx, { location: p.locationId, customer: p.customerId }),
  );
  assert.equal(first.created, true);
  assert.equal(first.cart.status, "active");
  assert.equal(first.cart.store_id, p.storeId);
  assert.match(first.cart.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  const ids = new Set<string>();
  let created = 0;
  for (let i = 0; i < 1000; i++) {
    const r = await asStaff(
      sql,
      (tx) => get(tx, { location: p.locationId, customer: p.customerId, store: p.storeId }),
    );
    ids.add(r.cart.id);
    if (r.created) created++;
  }
  assert.deepEqual([...ids], [first.cart.id]);
  assert.equal(created, 0);
  const [{ n }] =
    await sql`select count(*)::int as n from public.carts where customer_id = ${p.customerId}`;
  assert.equal(n, 1);
});

Deno.test("get_or_create_cart: anonymous carts need a device id and are per device", async () => {
  const p = await newPlace(sql);
  await assertPgError(
    asStaff(sql, (tx) => get(tx, { location: p.locationId })),
    "P0001",
    "device_id_required",
  );
  await assertPgError(
    asStaff(sql, (tx) => get(tx, { location: p.locationId, device: "  " })),
    "P0001",
    "device_id_required",
  );
  const a = await asStaff(sql, (tx) => get(tx, { location: p.locationId, device: "ipad-1" }));
  const a2 = await asStaff(sql, (tx) => get(tx, { location: p.locationId, device: "ipad-1" }));
  const b = await asStaff(sql, (tx) => get(tx, { location: p.locationId, device: "mac-1" }));
  assert.equal(a.created, true);
  assert.equal(a2.created, false);
  assert.equal(a2.cart.id, a.cart.id);
  assert.notEqual(b.cart.id, a.cart.id);
  assert.equal(a.cart.customer_id, null);
  assert.equal(a.cart.device_id, "ipad-1");
});

Deno.test("RPC errors: unknown ids, store mismatch, bad transitions carry errcode and hint", async () => {
  const p = await newPlace(sql);
  const missing = crypto.randomUUID();
  await assertPgError(
    asStaff(sql, (tx) => get(tx, { location: missing, customer: p.customerId })),
    "PT404",
    "location_not_found",
  );
  await assertPgError(
    asStaff(sql, (tx) => get(tx, { location: p.locationId, customer: missing })),
    "PT404",
    "customer_not_found",
  );
  await assertPgError(
    asStaff(
      sql,
      (tx) => get(tx, { location: p.locationId, customer: p.customerId, store: p.otherStoreId }),
    ),
    "P0001",
    "location_store_mismatch",
  );
  await assertPgError(
    asStaff(sql, (tx) => get(tx, { customer: p.customerId })),
    "P0001",
    "invalid_argument",
  );
  await assertPgError(
    asStaff(sql, (tx) => call(tx, "complete_cart", { p_cart_id: missing })),
    "PT404",
    "cart_not_found",
  );
  await assertPgError(
    asStaff(sql, (tx) => call(tx, "remove_from_queue", { p_queue_entry_id: missing })),
    "PT404",
    "queue_entry_not_found",
  );
  await assertPgError(
    asStaff(sql, (tx) => call(tx, "remove_from_queue", { p_location_id: p.locationId })),
    "P0001",
    "queue_entry_ref_required",
  );
  await assertPgError(
    asStaff(
      sql,
      (tx) =>
        call(tx, "add_to_queue", {
          p_location_id: p.locationId,
          p_customer_id: p.customerId,
          p_party_size: "0",
        }),
    ),
    "P0001",
    "invalid_argument",
  );
  await assertPgError(
    asStaff(
      sql,
      (tx) => call(tx, "list_queue", { p_location_id: p.locationId, p_store_id: p.otherStoreId }),
    ),
    "P0001",
    "location_store_mismatch",
  );
  // invalid transitions
  const added = await asStaff(
    sql,
    (tx) => call(tx, "add_to_queue", { p_location_id: p.locationId, p_customer_id: p.customerId }),
  );
  const entry = added.queue_entry.id;
  await asStaff(sql, (tx) => call(tx, "serve_queue_entry", { p_queue_entry_id: entry }));
  await assertPgError(
    asStaff(sql, (tx) => call(tx, "call_queue_entry", { p_queue_entry_id: entry })),
    "PT409",
    "invalid_transition",
  );
  await assertPgError(
    asStaff(sql, (tx) => call(tx, "remove_from_queue", { p_queue_entry_id: entry })),
    "PT409",
    "invalid_transition",
  );
  await assertPgError(
    asStaff(sql, (tx) => call(tx, "mark_no_show", { p_queue_entry_id: entry })),
    "PT409",
    "invalid_transition",
  );
  // a merged cart cannot be completed; a completed cart's items are immutable
  const cart = added.cart.id;
  await asStaff(sql, (tx) => call(tx, "complete_cart", { p_cart_id: cart }));
  await assertPgError(
    asStaff(
      sql,
      (tx) => tx`insert into public.cart_items (cart_id, product_id) values (${cart}, 'sku')`,
    ),
    "PT409",
    "cart_not_active",
  );
  const [merged] =
    await sql`insert into public.carts (store_id, location_id, customer_id, status, merged_into)
    values (${p.storeId}, ${p.locationId}, ${p.customerId}, 'merged', ${cart}) returning id`;
  await assertPgError(
    asStaff(sql, (tx) => call(tx, "complete_cart", { p_cart_id: merged.id })),
    "PT409",
    "cart_not_active",
  );
});

Deno.test("queue lifecycle: add, idempotent re-add, call, serve, remove, re-add, no-show, positions", async () => {
  const p = await newPlace(sql);
  const c2 = await newCustomer(sql);
  const c3 = await newCustomer(sql);
  const add = (customer: string) =>
    asStaff(
      sql,
      (tx) =>
        call(tx, "add_to_queue", {
          p_location_id: p.locationId,
          p_customer_id: customer,
          p_party_size: "2",
          p_note: "window",
        }),
    );

  const a = await add(p.customerId);
  assert.equal(a.created, true);
  assert.equal(a.queue_entry.status, "waiting");
  assert.equal(a.queue_entry.cart_id, a.cart.id);
  assert.equal(a.queue_entry.party_size, 2);
  const again = await add(p.customerId);
  assert.equal(again.created, false);
  assert.equal(again.queue_entry.id, a.queue_entry.id);
  assert.equal(again.cart.id, a.cart.id);
  // the cart of the entry is the customer's one active cart
  const g = await asStaff(sql, (tx) => get(tx, { location: p.locationId, customer: p.customerId }));
  assert.equal(g.cart.id, a.cart.id);

  const b = await add(c2);
  await add(c3);
  let list = await asStaff(sql, (tx) => call(tx, "list_queue", { p_location_id: p.locationId }));
  assert.deepEqual(list.entries.map((e: Json) => [e.customer_id, e.position]), [[p.customerId, 1], [
    c2,
    2,
  ], [c3, 3]]);

  const called = await asStaff(
    sql,
    (tx) =>
      call(tx, "call_queue_entry", { p_location_id: p.locationId, p_customer_id: p.customerId }),
  );
  assert.equal(called.queue_entry.status, "called");
  assert.ok(called.queue_entry.called_at);
  const calledAgain = await asStaff(
    sql,
    (tx) => call(tx, "call_queue_entry", { p_queue_entry_id: a.queue_entry.id }),
  );
  assert.equal(calledAgain.queue_entry.called_at, called.queue_entry.called_at);
  const served = await asStaff(
    sql,
    (tx) => call(tx, "serve_queue_entry", { p_queue_entry_id: a.queue_entry.id }),
  );
  assert.equal(served.queue_entry.status, "served");
  assert.ok(served.queue_entry.served_at);

  // remove keeps the entry and the cart; a re-add returns the same cart, a new entry at the back
  const removed = await asStaff(
    sql,
    (tx) => call(tx, "remove_from_queue", { p_location_id: p.locationId, p_customer_id: c2 }),
  );
  assert.equal(removed.queue_entry.status, "removed");
  assert.ok(removed.queue_entry.removed_at);
  const removedAgain = await asStaff(
    sql,
    (tx) => call(tx, "remove_from_queue", { p_location_id: p.locationId, p_customer_id: c2 }),
  );
  assert.equal(removedAgain.queue_entry.id, removed.queue_entry.id);
  const readd = await add(c2);
  assert.equal(readd.created, true);
  assert.notEqual(readd.queue_entry.id, b.queue_entry.id);
  assert.equal(readd.cart.id, b.cart.id);

  const ns = await asStaff(
    sql,
    (tx) => call(tx, "mark_no_show", { p_location_id: p.locationId, p_customer_id: c3 }),
  );
  assert.equal(ns.queue_entry.status, "no_show");
  assert.ok(ns.queue_entry.no_show_at);

  list = await asStaff(
    sql,
    (tx) => call(tx, "list_queue", { p_location_id: p.locationId, p_store_id: p.storeId }),
  );
  assert.deepEqual(list.entries.map((e: Json) => [e.customer_id, e.position]), [[c2, 1]]);
  assert.equal(list.location_id, p.locationId);
});

Deno.test("complete_cart: idempotent, closes open entries, next get creates a fresh cart", async () => {
  const p = await newPlace(sql);
  const a = await asStaff(
    sql,
    (tx) => call(tx, "add_to_queue", { p_location_id: p.locationId, p_customer_id: p.customerId }),
  );
  await asStaff(
    sql,
    (tx) =>
      tx`insert into public.cart_items (cart_id, product_id, quantity, unit_price)
    values (${a.cart.id}, 'sku-1', 2, 3.50)`,
  );
  const done = await asStaff(sql, (tx) => call(tx, "complete_cart", { p_cart_id: a.cart.id }));
  assert.equal(done.cart.status, "completed");
  assert.ok(done.cart.completed_at);
  const twice = await asStaff(sql, (tx) => call(tx, "complete_cart", { p_cart_id: a.cart.id }));
  assert.deepEqual(twice, done);
  const [entry] =
    await sql`select status, served_at from public.location_queue where id = ${a.queue_entry.id}`;
  assert.equal(entry.status, "served");
  assert.ok(entry.served_at);
  const fresh = await asStaff(
    sql,
    (tx) => get(tx, { location: p.locationId, customer: p.customerId }),
  );
  assert.equal(fresh.created, true);
  assert.notEqual(fresh.cart.id, a.cart.id);
  const [{ n }] =
    await sql`select count(*)::int as n from public.cart_items where cart_id = ${a.cart.id}`;
  assert.equal(n, 1);
});

Deno.test({
  name: "close the connection pool",
  fn: () => sql.end(),
  sanitizeOps: false,
  sanitizeResources: false,
});
