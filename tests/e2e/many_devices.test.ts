// Many devices and one customer: 50 devices, each with its own supabase-js client,
// released together by a barrier, ask `get` (then `add_to_queue`) for the same customer at the
// same location. All must get the same cart (and the same entry); the database holds one.
import {
  activeCarts,
  assertEquals,
  call,
  type CallResult,
  e2eTest,
  posClient,
  statusCounts,
  userJwt,
} from "./_lib.ts";

const DEVICES = 50;

/** Builds the clients first, then fires every call at once when the barrier opens. */
async function stampede(storeId: string, body: Record<string, unknown>): Promise<CallResult[]> {
  const clients = await Promise.all(
    Array.from({ length: DEVICES }, async () => posClient(await userJwt({ storeIds: [storeId] }))),
  );
  let open!: () => void;
  const barrier = new Promise<void>((resolve) => (open = resolve));
  const calls = clients.map(async (client) => {
    await barrier;
    return await call(client, body, { headers: { "x-device": crypto.randomUUID() } });
  });
  open();
  return await Promise.all(calls);
}

e2eTest(
  "50 devices asking at the same instant get one cart and one queue entry for the customer",
  { customers: 2 },
  async ({ sql, fx }) => {
    const [customer, queued] = fx.customerIds;

    const gets = await stampede(fx.storeId, {
      action: "get",
      customer_id: customer,
      location_id: fx.locationId,
      store_id: fx.storeId,
    });
    const ids = new Set(gets.map((r) => r.body?.cart?.id));
    const created = gets.filter((r) => r.body?.created === true).length;
    const slowest = Math.max(...gets.map((r) => r.ms));
    console.log(
      `50 devices get: ${DEVICES} calls, statuses ${JSON.stringify(statusCounts(gets))}, ` +
        `distinct cart ids ${ids.size}, created=true ${created}, slowest ${slowest.toFixed(0)} ms`,
    );
    assertEquals(statusCounts(gets), { "200": DEVICES });
    assertEquals(ids.size, 1);
    assertEquals(created, 1);
    const carts = await activeCarts(sql, fx.locationId, customer);
    assertEquals(carts.map((c) => c.id), [...ids]);

    const adds = await stampede(fx.storeId, {
      action: "add_to_queue",
      customer_id: queued,
      location_id: fx.locationId,
    });
    const entryIds = new Set(adds.map((r) => r.body?.queue_entry?.id));
    const cartIds = new Set(adds.map((r) => r.body?.cart?.id));
    const entriesCreated = adds.filter((r) => r.body?.created === true).length;
    console.log(
      `50 devices add_to_queue: ${DEVICES} calls, statuses ${
        JSON.stringify(statusCounts(adds))
      }, distinct entries ${entryIds.size}, distinct carts ${cartIds.size}, created=true ${entriesCreated}`,
    );
    assertEquals(statusCounts(adds), { "200": DEVICES });
    assertEquals(entryIds.size, 1);
    assertEquals(cartIds.size, 1);
    assertEquals(entriesCreated, 1);
    const entries = await sql`
    select id, cart_id, status from public.location_queue
    where location_id = ${fx.locationId} and customer_id = ${queued}`;
    assertEquals(entries.length, 1);
    assertEquals(entries[0].id, [...entryIds][0]);
    assertEquals(entries[0].cart_id, [...cartIds][0]);
    const queuedCarts = await activeCarts(sql, fx.locationId, queued);
    assertEquals(queuedCarts.map((c) => c.id), [...cartIds]);
  },
);
