// The POS flows around the cart, through the gateway and the function with supabase-js, one
// client per device: walk-in carts identified while other devices get the customer's cart, one
// walk-in cart attached by several devices at once, the same product scanned on 32 devices at
// once, a stale edit, and Idempotency-Key retries (a stale add_to_queue after serve, a key
// reused for another request, the same key sent by several devices at once). After each: the
// invariant census is all zero.
import {
  assert,
  assertEquals,
  call,
  type CallResult,
  e2eTest,
  posClient,
  sleep,
  statusCounts,
  userJwt,
} from "./_lib.ts";
import type { SupabaseClient } from "@supabase/supabase-js";

/** Runs every call at the same instant (clients and bodies made first). */
async function atOnce(calls: (() => Promise<CallResult>)[]): Promise<CallResult[]> {
  let open!: () => void;
  const barrier = new Promise<void>((r) => (open = r));
  const running = calls.map(async (c) => {
    await barrier;
    return await c();
  });
  open();
  return await Promise.all(running);
}

async function devices(storeId: string, n: number): Promise<SupabaseClient[]> {
  return await Promise.all(
    Array.from({ length: n }, async () => posClient(await userJwt({ storeIds: [storeId] }))),
  );
}

e2eTest(
  "32 devices: 16 walk-in carts attached to one customer while 16 devices get the customer's cart",
  { customers: 1 },
  async ({ sql, fx }) => {
    const [customer] = fx.customerIds;
    const tills = await devices(fx.storeId, 16);
    const others = await devices(fx.storeId, 16);
    // each till has a walk-in cart with its own product on it
    for (const [i, till] of tills.entries()) {
      const got = await call(till, {
        action: "get",
        location_id: fx.locationId,
        device_id: `till-${i}`,
      });
      assertEquals(got.status, 200, JSON.stringify(got.body));
      const added = await call(till, {
        action: "add_item",
        cart_id: got.body.cart.id,
        product_id: `sku-${i}`,
        quantity: 1,
        unit_price: 2.5,
      });
      assertEquals(added.status, 200, JSON.stringify(added.body));
    }
    const results = await atOnce([
      ...tills.map((till, i) => () =>
        call(till, {
          action: "attach_customer",
          customer_id: customer,
          location_id: fx.locationId,
          device_id: `till-${i}`,
        })
      ),
      ...others.map((device, i) => () =>
        call(device, {
          action: i % 4 === 0 ? "add_to_queue" : "get",
          customer_id: customer,
          location_id: fx.locationId,
        })
      ),
    ]);
    console.log(`attach + get at once: ${JSON.stringify(statusCounts(results))}`);
    assertEquals(statusCounts(results), { "200": 32 });

    const active = await sql`select id from public.carts
    where customer_id = ${customer} and location_id = ${fx.locationId} and status = 'active'`;
    assertEquals(active.length, 1, "one active cart for the customer");
    const cartId = active[0].id;
    const lines =
      await sql`select product_id, quantity from public.cart_items where cart_id = ${cartId}
    order by product_id`;
    assertEquals(lines.length, 16, "every walk-in cart's line is on it");
    assert(lines.every((l) => l.quantity === 1));
    // every attach answered that cart, every get and add_to_queue too
    const answered = new Set(results.map((r) => r.body.cart.id));
    assertEquals([...answered], [cartId]);
    const [q] =
      await sql`select count(*)::int as n, min(cart_id::text) as cart from public.location_queue
    where customer_id = ${customer} and status = 'waiting'`;
    assertEquals([q.n, q.cart], [1, cartId], "the queue entry is on the surviving cart");
  },
);

e2eTest(
  "8 devices attach one walk-in cart at once: one customer answers alike, two get one winner and 409s",
  { customers: 3 },
  async ({ sql, fx }) => {
    // three customers without a cart: an attach makes the walk-in cart theirs (no merge)
    const [only, first, second] = fx.customerIds;
    const tills = await devices(fx.storeId, 8);
    const walkIn = async (device: string) => {
      const got = await call(tills[0], {
        action: "get",
        location_id: fx.locationId,
        device_id: device,
      });
      assertEquals(got.status, 200, JSON.stringify(got.body));
      return got.body.cart.id as string;
    };
    const attachAll = (cartId: string, customer: (i: number) => string) =>
      atOnce(
        tills.map((till, i) => () =>
          call(till, { action: "attach_customer", customer_id: customer(i), cart_id: cartId })
        ),
      );

    // The same customer from every device: every one answers the cart, as a repeat does.
    const same = await walkIn("till-same");
    const alike = await attachAll(same, () => only);
    console.log(`one customer from 8 devices: ${JSON.stringify(statusCounts(alike))}`);
    assertEquals(statusCounts(alike), { "200": 8 });
    assertEquals([...new Set(alike.map((r) => r.body.cart.id))], [same]);

    // Two customers: the first attach wins; every device asking for the other is told the
    // cart has a customer, as it would be a moment later.
    const contested = await walkIn("till-contested");
    const mixed = await attachAll(contested, (i) => (i % 2 ? second : first));
    console.log(`two customers from 8 devices: ${JSON.stringify(statusCounts(mixed))}`);
    const [row] = await sql`select customer_id::text from public.carts where id = ${contested}`;
    mixed.forEach((r, i) => {
      const asked = i % 2 ? second : first;
      if (asked === row.customer_id) {
        assertEquals([r.status, r.body.cart.id], [200, contested], JSON.stringify(r.body));
      } else {
        assertEquals(
          [r.status, r.body.error.code],
          [409, "cart_has_customer"],
          JSON.stringify(r.body),
        );
      }
    });
  },
);

e2eTest("32 devices scan the same product at the same moment: one line, quantity 32", {
  customers: 1,
}, async ({ sql, fx }) => {
  const [customer] = fx.customerIds;
  const all = await devices(fx.storeId, 32);
  const got = await call(all[0], {
    action: "get",
    customer_id: customer,
    location_id: fx.locationId,
  });
  const cartId = got.body.cart.id;
  const results = await atOnce(
    all.map((d) => () =>
      call(d, { action: "add_item", cart_id: cartId, product_id: "sku-coffee", unit_price: 3.2 })
    ),
  );
  assertEquals(statusCounts(results), { "200": 32 });
  const lines =
    await sql`select quantity, version from public.cart_items where cart_id = ${cartId}`;
  console.log(`32 scans of one product: ${lines.length} line(s), quantity ${lines[0]?.quantity}`);
  assertEquals(lines.length, 1);
  assertEquals(lines[0].quantity, 32);
  const totals = results.map((r) => r.body.cart.total_quantity).sort((a, b) => a - b);
  assertEquals(
    totals,
    Array.from({ length: 32 }, (_, i) => i + 1),
    "each answer saw its own add",
  );
  const last = results.find((r) => r.body.cart.total_quantity === 32)!;
  assertEquals(Number(last.body.cart.total_amount), 102.4);
});

e2eTest(
  "a stale edit gets 409 stale_cart with the current cart, the current one succeeds",
  { customers: 1 },
  async ({ sql, fx }) => {
    const [customer] = fx.customerIds;
    const [ipad, mac] = await devices(fx.storeId, 2);
    const got = await call(ipad, {
      action: "get",
      customer_id: customer,
      location_id: fx.locationId,
    });
    const added = await call(ipad, {
      action: "add_item",
      cart_id: got.body.cart.id,
      product_id: "sku-1",
    });
    const line = added.body.cart.lines[0];
    assertEquals(line.version, 1);
    // both devices show version 1; the iPad changes the line first
    const first = await call(ipad, {
      action: "set_item_quantity",
      cart_id: got.body.cart.id,
      item_id: line.id,
      quantity: 5,
      expected_version: 1,
    });
    assertEquals(first.status, 200, JSON.stringify(first.body));
    const stale = await call(mac, {
      action: "set_item_quantity",
      cart_id: got.body.cart.id,
      item_id: line.id,
      quantity: 3,
      expected_version: 1,
    });
    assertEquals(stale.status, 409, JSON.stringify(stale.body));
    assertEquals(stale.body.error.code, "stale_cart");
    assertEquals(
      stale.body.error.cart.lines[0].quantity,
      5,
      "the answer carries the current cart",
    );
    assertEquals(stale.body.error.cart.lines[0].version, 2);
    const redrawn = await call(mac, {
      action: "set_item_quantity",
      cart_id: got.body.cart.id,
      item_id: line.id,
      quantity: 3,
      expected_version: 2,
    });
    assertEquals(redrawn.status, 200);
    assertEquals(redrawn.body.cart.lines[0].quantity, 3);
    const removedStale = await call(ipad, {
      action: "remove_item",
      cart_id: got.body.cart.id,
      item_id: line.id,
      expected_version: 2,
    });
    assertEquals(removedStale.status, 409);
    const [row] = await sql`select quantity from public.cart_items where id = ${line.id}`;
    assertEquals(row.quantity, 3, "the stale edits changed nothing");
  },
);

e2eTest(
  "Idempotency-Key: a stale add_to_queue after serve replays, a reused key is 422, one key sent at once changes once",
  { customers: 2 },
  async ({ sql, fx }) => {
    const [customer, other] = fx.customerIds;
    const [app, staff] = await devices(fx.storeId, 2);
    const key = `visit-${crypto.randomUUID()}`;
    const body = {
      action: "add_to_queue",
      customer_id: customer,
      location_id: fx.locationId,
      party_size: 2,
    };
    const first = await call(app, body, { headers: { "Idempotency-Key": key } });
    assertEquals(first.status, 200, JSON.stringify(first.body));
    const served = await call(staff, {
      action: "serve",
      queue_entry_id: first.body.queue_entry.id,
    });
    assertEquals(served.status, 200);
    // the app's retry arrives late, after the customer was served
    const late = await call(app, body, { headers: { "Idempotency-Key": key } });
    assertEquals(late.status, 200);
    assertEquals(
      JSON.stringify(late.body),
      JSON.stringify(first.body),
      "the first answer, replayed",
    );
    const [entries] = await sql`select count(*)::int as n from public.location_queue
    where customer_id = ${customer} and location_id = ${fx.locationId}`;
    assertEquals(entries.n, 1, "nobody was queued again");

    const reused = await call(app, { ...body, party_size: 3 }, {
      headers: { "Idempotency-Key": key },
    });
    assertEquals(reused.status, 422, JSON.stringify(reused.body));
    assertEquals(reused.body.error.code, "idempotency_key_reused");

    // one key from 8 devices at the same moment: one change
    const cart = await call(app, {
      action: "get",
      customer_id: other,
      location_id: fx.locationId,
    });
    const scan = { action: "add_item", cart_id: cart.body.cart.id, product_id: "sku-1" };
    const scanKey = `scan-${crypto.randomUUID()}`;
    // eight devices of one staff member (a key is scoped to its user)
    const token = await userJwt({ storeIds: [fx.storeId] });
    const senders = Array.from({ length: 8 }, () => posClient(token));
    const burst = await atOnce(
      senders.map((d) => () => call(d, scan, { headers: { "Idempotency-Key": scanKey } })),
    );
    const counts = statusCounts(burst);
    console.log(`one Idempotency-Key from 8 devices at once: ${JSON.stringify(counts)}`);
    assert(
      burst.every((r) => r.status === 200 || r.status === 409),
      JSON.stringify(counts),
    );
    for (const r of burst.filter((r) => r.status === 409)) {
      assertEquals(r.body.error.code, "idempotency_key_in_use");
      assert(r.headers.get("retry-after"), "Retry-After on 409 idempotency_key_in_use");
    }
    await sleep(1000);
    const retried = await Promise.all(
      senders.map((d) => call(d, scan, { headers: { "Idempotency-Key": scanKey } })),
    );
    assertEquals(statusCounts(retried), { "200": 8 });
    const answers = new Set(
      [...burst, ...retried].filter((r) => r.status === 200).map((r) => JSON.stringify(r.body)),
    );
    assertEquals(answers.size, 1, "every 200 is the one answer");
    const [line] =
      await sql`select quantity from public.cart_items where cart_id = ${cart.body.cart.id}`;
    assertEquals(line.quantity, 1, "added once");

    // the key is per user: another user's same key is their own request
    const someoneElse = await call(staff, scan, { headers: { "Idempotency-Key": scanKey } });
    assertEquals(someoneElse.status, 200);
    const [after] =
      await sql`select quantity from public.cart_items where cart_id = ${cart.body.cart.id}`;
    assertEquals(after.quantity, 2);
    const bad = await call(app, scan, { headers: { "Idempotency-Key": "has space" } });
    assertEquals(bad.status, 400);
  },
);

e2eTest(
  "a POS app reads a cart with its lines, and a queue with its carts, in one request; a user of no store reads nothing",
  { customers: 1 },
  async ({ fx }) => {
    const [customer] = fx.customerIds;
    const [till] = await devices(fx.storeId, 1);
    const nobody = posClient(await userJwt());
    const queued = await call(till, {
      action: "add_to_queue",
      location_id: fx.locationId,
      customer_id: customer,
    });
    assertEquals(queued.status, 200, JSON.stringify(queued.body));
    const cartId = queued.body.cart.id;
    const added = await call(till, {
      action: "add_item",
      cart_id: cartId,
      product_id: "sku-embed",
      quantity: 2,
      unit_price: 3,
    });
    assertEquals(added.status, 200, JSON.stringify(added.body));

    // supabase-js resource embedding, as a POS app's screens read (RLS on every level)
    const cart = await till.from("carts").select("id, status, cart_items(product_id, quantity)")
      .eq("id", cartId);
    assertEquals([cart.status, cart.data], [200, [{
      id: cartId,
      status: "active",
      cart_items: [{ product_id: "sku-embed", quantity: 2 }],
    }]]);
    const queue = await till.from("location_queue")
      .select("status, cart:carts(id, cart_items(quantity))").eq("location_id", fx.locationId);
    assertEquals(queue.data, [{
      status: "waiting",
      cart: { id: cartId, cart_items: [{ quantity: 2 }] },
    }]);
    for (
      const read of [
        nobody.from("carts").select("id, cart_items(id)").eq("id", cartId),
        nobody.from("cart_items").select("id, carts(id)").eq("cart_id", cartId),
        nobody.from("location_queue").select("id, carts!inner(id)").eq(
          "location_id",
          fx.locationId,
        ),
      ]
    ) {
      const { status, data } = await read;
      assertEquals([status, data], [200, []]);
    }
  },
);
