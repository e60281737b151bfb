// The timeline in which the previous function, which looked a cart up and inserted one when
// `.single()` found none or several, gave one customer a second active cart: two devices (an
// iPad and a Mac signed in as different staff members) ask for the same customer's cart minutes
// apart and at the same moment: get, get a second later, refresh, remove from the queue, add
// again, get from both. One cart throughout; after complete_cart the next get returns a new cart
// and only that one is active.
import {
  activeCarts,
  assert,
  assertEquals,
  call,
  e2eTest,
  posClient,
  sleep,
  userJwt,
} from "./_lib.ts";

e2eTest(
  "an iPad and a Mac asking for one customer's cart over minutes share one cart until checkout, then one new cart",
  {
    customers: 1,
  },
  async ({ sql, fx }) => {
    const fahad = fx.customerIds[0];
    const blowingRock = { location_id: fx.locationId, store_id: fx.storeId };
    const ipad = posClient(await userJwt({ storeIds: [fx.storeId] }));
    const mac = posClient(await userJwt({ storeIds: [fx.storeId] }));
    const get = { action: "get", customer_id: fahad, ...blowingRock };
    const seen: string[] = [];
    const step = async (label: string, app: typeof ipad, body: Record<string, unknown>) => {
      const res = await call(app, body);
      assertEquals(res.status, 200, `${label}: ${JSON.stringify(res.body)}`);
      const cartId = res.body.cart?.id ?? res.body.queue_entry?.cart_id;
      seen.push(`${label} -> ${cartId}`);
      return res;
    };

    // 18:00:00 the customer joins the queue from the iPad, which then asks for the cart.
    const joined = await step("18:00:00 iPad add_to_queue", ipad, {
      action: "add_to_queue",
      customer_id: fahad,
      ...blowingRock,
    });
    const cartA = joined.body.cart.id;
    const first = await step("18:00:00 iPad get", ipad, get);
    await sleep(1000);
    const macGet = await step("18:00:01 Mac get", mac, get);
    const refresh = await step("18:00:02 iPad refresh", ipad, get);
    assertEquals([first.body.cart.id, macGet.body.cart.id, refresh.body.cart.id], [
      cartA,
      cartA,
      cartA,
    ]);
    assertEquals([first.body.created, macGet.body.created, refresh.body.created], [
      false,
      false,
      false,
    ]);

    // 18:04:00 removed from the queue, added again, both devices get at the same moment.
    const removed = await step("18:04:00 iPad remove_from_queue", ipad, {
      action: "remove_from_queue",
      customer_id: fahad,
      ...blowingRock,
    });
    assertEquals(removed.body.queue_entry.status, "removed");
    const readded = await step("18:04:00 Mac add_to_queue", mac, {
      action: "add_to_queue",
      customer_id: fahad,
      ...blowingRock,
    });
    assertEquals(readded.body.created, true, "a new entry after the removal");
    assert(readded.body.queue_entry.id !== joined.body.queue_entry.id);
    assertEquals(readded.body.queue_entry.cart_id, cartA, "the re-added entry points to cart A");
    const [ipadAgain, macAgain] = await Promise.all([call(ipad, get), call(mac, get)]);
    assertEquals([ipadAgain.body.cart.id, macAgain.body.cart.id], [cartA, cartA]);
    assertEquals((await activeCarts(sql, fx.locationId, fahad)).map((c) => c.id), [cartA]);

    // Checkout: the cart is completed (twice, as a retrying app would), the next get opens B.
    const called = await step("call", ipad, {
      action: "call",
      queue_entry_id: readded.body.queue_entry.id,
    });
    assertEquals(called.body.queue_entry.status, "called");
    await step("serve", ipad, { action: "serve", queue_entry_id: readded.body.queue_entry.id });
    const done = await step("complete_cart", mac, { action: "complete_cart", cart_id: cartA });
    assertEquals(done.body.cart.status, "completed");
    const doneAgain = await step("complete_cart again", ipad, {
      action: "complete_cart",
      cart_id: cartA,
    });
    assertEquals(doneAgain.body.cart.status, "completed");
    const [nextIpad, nextMac] = await Promise.all([call(ipad, get), call(mac, get)]);
    const cartB = nextIpad.body.cart.id;
    assert(cartB !== cartA, "a new cart after checkout");
    assertEquals(nextMac.body.cart.id, cartB);
    assertEquals((await activeCarts(sql, fx.locationId, fahad)).map((c) => c.id), [cartB]);
    const all = await sql`
    select status, count(*)::int as n from public.carts
    where location_id = ${fx.locationId} and customer_id = ${fahad}
    group by status order by status`;
    console.log("iPad/Mac timeline:\n  " + seen.join("\n  "));
    console.log(`iPad/Mac timeline, carts for the customer: ${JSON.stringify(all)}`);
    assertEquals([...all], [{ status: "active", n: 1 }, { status: "completed", n: 1 }]);
  },
);
