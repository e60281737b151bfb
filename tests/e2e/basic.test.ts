// End to end through the gateway with supabase-js `functions.invoke('cart')`: every action,
// its answer compared with what the database holds, two simultaneous gets, GET with query
// parameters, and the camelCase aliases existing apps send.
import {
  activeCarts,
  assert,
  assertEquals,
  assertMatch,
  call,
  e2eTest,
  posClient,
  stackInfo,
  userJwt,
  UUID_RE,
} from "./_lib.ts";

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const CART_KEYS = [
  "id",
  "store_id",
  "location_id",
  "customer_id",
  "device_id",
  "status",
  "merged_into",
  "created_at",
  "updated_at",
  "completed_at",
];
const ENTRY_KEYS = [
  "id",
  "store_id",
  "location_id",
  "customer_id",
  "cart_id",
  "status",
  "party_size",
  "note",
  "created_at",
  "updated_at",
];

/** Every key of the documented shape, a uuid id, and RFC 3339 for the timestamps named. */
// deno-lint-ignore no-explicit-any
function assertShape(what: string, keys: string[], timestamps: string[], row: any) {
  for (const k of keys) assert(k in row, `${what} has ${k}: ${JSON.stringify(row)}`);
  assertMatch(row.id, UUID_RE);
  for (const t of timestamps) assertMatch(row[t], RFC3339);
}
// deno-lint-ignore no-explicit-any
const assertCartShape = (cart: any) =>
  assertShape("cart", CART_KEYS, ["created_at", "updated_at"], cart);
// deno-lint-ignore no-explicit-any
const assertEntryShape = (entry: any) => assertShape("entry", ENTRY_KEYS, ["created_at"], entry);

e2eTest(
  "get creates one cart, returns it again, and matches the database",
  { customers: 1 },
  async ({ sql, fx }) => {
    const [customer] = fx.customerIds;
    const app = posClient(await userJwt({ storeIds: [fx.storeId] }));
    const body = { action: "get", customer_id: customer, location_id: fx.locationId };

    const first = await call(app, body);
    assertEquals(first.status, 200, JSON.stringify(first.body));
    assertCartShape(first.body.cart);
    assertEquals(first.body.created, true);
    assert(first.headers.get("x-request-id"), "x-request-id echoed");

    const [row] = await sql`select * from public.carts where id = ${first.body.cart.id}`;
    assertEquals(row.customer_id, customer);
    assertEquals(row.location_id, fx.locationId);
    assertEquals(row.store_id, fx.storeId);
    assertEquals(row.status, "active");
    assertEquals(first.body.cart.store_id, fx.storeId);
    assertEquals(first.body.cart.status, "active");
    assertEquals(new Date(first.body.cart.created_at).getTime(), row.created_at.getTime());

    const second = await call(app, { ...body, store_id: fx.storeId });
    assertEquals(second.status, 200);
    assertEquals(second.body.created, false);
    assertEquals(second.body.cart.id, first.body.cart.id);
    assertEquals((await activeCarts(sql, fx.locationId, customer)).length, 1);
    console.log(
      `get: created ${first.body.cart.id} in ${first.ms.toFixed(1)} ms, again ${
        second.ms.toFixed(1)
      } ms`,
    );
  },
);

e2eTest(
  "two simultaneous gets for one customer+location return the same cart",
  { customers: 1 },
  async ({ sql, fx }) => {
    const body = { action: "get", customer_id: fx.customerIds[0], location_id: fx.locationId };
    const ipad = posClient(await userJwt({ storeIds: [fx.storeId] }));
    const mac = posClient(await userJwt({ storeIds: [fx.storeId] }));
    const [a, b] = await Promise.all([call(ipad, body), call(mac, body)]);
    assertEquals([a.status, b.status], [200, 200]);
    assertEquals(a.body.cart.id, b.body.cart.id);
    assertEquals([a.body.created, b.body.created].filter(Boolean).length, 1, "exactly one created");
    const carts = await activeCarts(sql, fx.locationId, fx.customerIds[0]);
    assertEquals(carts.map((c) => c.id), [a.body.cart.id]);
  },
);

e2eTest("anonymous get is keyed by location+device", async ({ sql, fx }) => {
  const app = posClient(await userJwt({ storeIds: [fx.storeId] }));
  const a = await call(app, { action: "get", location_id: fx.locationId, device_id: "ipad-1" });
  const b = await call(app, { action: "get", location_id: fx.locationId, device_id: "ipad-1" });
  const c = await call(app, { action: "get", location_id: fx.locationId, device_id: "mac-1" });
  assertEquals([a.status, b.status, c.status], [200, 200, 200]);
  assertEquals(a.body.cart.id, b.body.cart.id);
  assert(a.body.cart.id !== c.body.cart.id, "another device has its own cart");
  assertEquals(a.body.cart.customer_id, null);
  assertEquals(a.body.cart.device_id, "ipad-1");
  const rows = await sql`
    select device_id from public.carts
    where location_id = ${fx.locationId} and status = 'active' order by device_id`;
  assertEquals(rows.map((r) => r.device_id), ["ipad-1", "mac-1"]);
  const missing = await call(app, { action: "get", location_id: fx.locationId });
  assertEquals(missing.status, 400, JSON.stringify(missing.body));
});

e2eTest(
  "the queue lifecycle: add, list, call, serve, no_show, remove, complete",
  { customers: 3 },
  async ({ sql, fx }) => {
    const [alice, bob, carol] = fx.customerIds;
    const app = posClient(await userJwt({ storeIds: [fx.storeId] }));
    const loc = { location_id: fx.locationId, store_id: fx.storeId };

    // add_to_queue: entry and cart in one go, the entry carrying the cart id.
    const added = await call(app, {
      action: "add_to_queue",
      ...loc,
      customer_id: alice,
      party_size: 2,
      note: "window seat",
    });
    assertEquals(added.status, 200, JSON.stringify(added.body));
    assertEntryShape(added.body.queue_entry);
    assertCartShape(added.body.cart);
    assertEquals(added.body.created, true);
    const entry = added.body.queue_entry;
    assertEquals(entry.cart_id, added.body.cart.id);
    assertEquals(entry.status, "waiting");
    assertEquals(entry.party_size, 2);
    assertEquals(entry.note, "window seat");
    const [dbEntry] = await sql`select * from public.location_queue where id = ${entry.id}`;
    assertEquals(dbEntry.cart_id, added.body.cart.id);
    assertEquals(dbEntry.customer_id, alice);
    assertEquals(dbEntry.status, "waiting");

    // Idempotent: a customer already waiting gets the same entry and cart.
    const again = await call(app, { action: "add_to_queue", ...loc, customer_id: alice });
    assertEquals(again.status, 200);
    assertEquals(again.body.created, false);
    assertEquals(again.body.queue_entry.id, entry.id);
    assertEquals(again.body.cart.id, added.body.cart.id);

    // The get of a queued customer returns the queue's cart.
    const got = await call(app, { action: "get", ...loc, customer_id: alice });
    assertEquals(got.body.cart.id, entry.cart_id);

    const bobAdd = await call(app, { action: "add_to_queue", ...loc, customer_id: bob });
    const carolAdd = await call(app, { action: "add_to_queue", ...loc, customer_id: carol });
    assertEquals([bobAdd.status, carolAdd.status], [200, 200]);

    // list_queue: positions in arrival order.
    const listed = await call(app, { action: "list_queue", ...loc });
    assertEquals(listed.status, 200, JSON.stringify(listed.body));
    assertEquals(listed.body.location_id, fx.locationId);
    // deno-lint-ignore no-explicit-any
    const entries = listed.body.entries as any[];
    assertEquals(entries.map((e) => e.customer_id), [alice, bob, carol]);
    assertEquals(entries.map((e) => e.position), [1, 2, 3]);
    entries.forEach(assertEntryShape);

    // call -> serve for alice (by entry id).
    const called = await call(app, { action: "call", queue_entry_id: entry.id });
    assertEquals(called.status, 200, JSON.stringify(called.body));
    assertEquals(called.body.queue_entry.status, "called");
    assertMatch(called.body.queue_entry.called_at, RFC3339);
    const served = await call(app, { action: "serve", queue_entry_id: entry.id });
    assertEquals(served.status, 200, JSON.stringify(served.body));
    assertEquals(served.body.queue_entry.status, "served");
    const [servedRow] = await sql`
    select status, served_at from public.location_queue where id = ${entry.id}`;
    assertEquals(servedRow.status, "served");
    assert(servedRow.served_at instanceof Date);

    // Serving again is not a valid transition.
    const twice = await call(app, { action: "call", queue_entry_id: entry.id });
    assertEquals(twice.status, 409, JSON.stringify(twice.body));

    // call -> no_show for bob (by location + customer).
    const bobCalled = await call(app, { action: "call", ...loc, customer_id: bob });
    assertEquals(bobCalled.status, 200, JSON.stringify(bobCalled.body));
    const noShow = await call(app, { action: "no_show", ...loc, customer_id: bob });
    assertEquals(noShow.status, 200, JSON.stringify(noShow.body));
    assertEquals(noShow.body.queue_entry.status, "no_show");

    // remove carol: the entry is kept with its status; her cart stays active.
    const removed = await call(app, { action: "remove_from_queue", ...loc, customer_id: carol });
    assertEquals(removed.status, 200, JSON.stringify(removed.body));
    assertEquals(removed.body.queue_entry.status, "removed");
    const [carolRow] = await sql`
    select q.status, q.removed_at, c.status as cart_status from public.location_queue q
    join public.carts c on c.id = q.cart_id where q.id = ${carolAdd.body.queue_entry.id}`;
    assertEquals([carolRow.status, carolRow.cart_status], ["removed", "active"]);

    const empty = await call(app, { action: "list_queue", ...loc });
    assertEquals(empty.body.entries, []);

    // complete_cart: idempotent; afterwards get creates a fresh cart.
    const cartId = added.body.cart.id;
    const done = await call(app, { action: "complete_cart", cart_id: cartId });
    assertEquals(done.status, 200, JSON.stringify(done.body));
    assertEquals(done.body.cart.status, "completed");
    assertMatch(done.body.cart.completed_at, RFC3339);
    const doneAgain = await call(app, { action: "complete_cart", cart_id: cartId });
    assertEquals(doneAgain.status, 200);
    assertEquals(doneAgain.body.cart.completed_at, done.body.cart.completed_at);
    const fresh = await call(app, { action: "get", ...loc, customer_id: alice });
    assertEquals(fresh.body.created, true);
    assert(fresh.body.cart.id !== cartId);
    const [cartRow] = await sql`select status from public.carts where id = ${cartId}`;
    assertEquals(cartRow.status, "completed");

    // Unknown ids are 404s.
    const unknownEntry = await call(app, {
      action: "serve",
      queue_entry_id: crypto.randomUUID(),
    });
    assertEquals(unknownEntry.status, 404, JSON.stringify(unknownEntry.body));
    const unknownCart = await call(app, { action: "complete_cart", cart_id: crypto.randomUUID() });
    assertEquals(unknownCart.status, 404, JSON.stringify(unknownCart.body));
    console.log("queue lifecycle: every action answered as the database shows");
  },
);

e2eTest(
  "GET with query parameters serves get; camelCase aliases are accepted",
  { customers: 2 },
  async ({ fx }) => {
    const [c1, c2] = fx.customerIds;
    const app = posClient(await userJwt({ storeIds: [fx.storeId] }));

    const viaGet = await call(app, undefined, {
      method: "GET",
      query: { customer_id: c1, location_id: fx.locationId },
    });
    assertEquals(viaGet.status, 200, JSON.stringify(viaGet.body));
    assertEquals(viaGet.body.cart.customer_id, c1);
    const viaGetAction = await call(app, undefined, {
      method: "GET",
      query: { action: "get", customerId: c1, locationId: fx.locationId },
    });
    assertEquals(viaGetAction.status, 200, JSON.stringify(viaGetAction.body));
    assertEquals(viaGetAction.body.cart.id, viaGet.body.cart.id);

    // Action from the query string, fields in the body.
    const actionInQuery = await call(app, { customer_id: c1, location_id: fx.locationId }, {
      query: { action: "get" },
    });
    assertEquals(actionInQuery.status, 200, JSON.stringify(actionInQuery.body));
    assertEquals(actionInQuery.body.cart.id, viaGet.body.cart.id);

    const camel = await call(app, {
      action: "addToQueue",
      customerId: c2,
      locationId: fx.locationId,
      storeId: fx.storeId,
      partySize: 4,
    });
    assertEquals(camel.status, 200, JSON.stringify(camel.body));
    assertEquals(camel.body.queue_entry.customer_id, c2);
    assertEquals(camel.body.queue_entry.party_size, 4);
    const listed = await call(app, { action: "listQueue", locationId: fx.locationId });
    assertEquals(listed.status, 200, JSON.stringify(listed.body));
    assertEquals(listed.body.entries.length, 1);
    const removed = await call(app, {
      action: "removeFromQueue",
      queueEntryId: camel.body.queue_entry.id,
    });
    assertEquals(removed.status, 200, JSON.stringify(removed.body));
    const completed = await call(app, { action: "completeCart", cartId: camel.body.cart.id });
    assertEquals(completed.status, 200, JSON.stringify(completed.body));
    assertEquals(completed.body.cart.status, "completed");

    const anon = await call(app, undefined, {
      method: "GET",
      query: { action: "get", locationId: fx.locationId, deviceId: "kiosk-7" },
    });
    assertEquals(anon.status, 200, JSON.stringify(anon.body));
    assertEquals(anon.body.cart.device_id, "kiosk-7");
  },
);

e2eTest("CORS preflight is answered", async () => {
  const res = await fetch(`${stackInfo().apiUrl}/functions/v1/cart`, {
    method: "OPTIONS",
    headers: {
      origin: "http://pos.example",
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type, apikey, x-region",
    },
  });
  await res.body?.cancel();
  assert(res.status === 200 || res.status === 204, `preflight status ${res.status}`);
  assertEquals(res.headers.get("access-control-allow-origin"), "*");
  const allowed = res.headers.get("access-control-allow-headers") ?? "";
  assertMatch(allowed, /authorization/i);
  // supabase-js's `functions.invoke(name, { region })` sends x-region
  assertMatch(allowed, /x-region/i);
});
