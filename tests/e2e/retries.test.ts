// Client retries as the POS apps of the previous version make them: every call retried up to 3 times, first
// attempts abandoned after a short client-side timeout (whether or not the server finished),
// calls repeated in parallel from several devices, and calls abandoned exactly when the
// database shows their commit (the response is lost to the app). No duplicates; every answer
// for a customer names the same cart and entry.
import {
  assert,
  assertEquals,
  call,
  type CallOptions,
  type CallResult,
  e2eTest,
  pool,
  posClient,
  seededRandom,
  sleep,
  statusCounts,
  userJwt,
} from "./_lib.ts";
import type { SupabaseClient } from "@supabase/supabase-js";

interface Retried {
  final: CallResult;
  attempts: CallResult[];
}

/** The previous apps' habit: try, and on no answer or a 5xx try again, up to 3 more times. */
async function withRetries(
  client: SupabaseClient,
  body: Record<string, unknown>,
  firstAttempt: CallOptions = {},
): Promise<Retried> {
  const attempts: CallResult[] = [];
  for (let i = 0; i < 4; i++) {
    const res = await call(client, body, i === 0 ? firstAttempt : { timeoutMs: 15_000 });
    attempts.push(res);
    if (res.status !== 0 && res.status < 500) return { final: res, attempts };
    await sleep(20 * 2 ** i);
  }
  return { final: attempts[attempts.length - 1], attempts };
}

e2eTest(
  "calls retried after client-side timeouts and repeated from several devices create no duplicates",
  { customers: 24 },
  async ({ sql, fx }) => {
    const random = seededRandom(3);
    const devices = await Promise.all(
      [1, 2, 3].map(async () => posClient(await userJwt({ storeIds: [fx.storeId] }))),
    );
    const base = { location_id: fx.locationId, store_id: fx.storeId };
    const all: Retried[] = [];

    // Each customer: three devices at once, each doing get then add_to_queue, each first
    // attempt cut by a 1-40 ms client-side timeout.
    await pool(fx.customerIds, 8, async (customer) => {
      const perDevice = await Promise.all(devices.map(async (device) => {
        const get = await withRetries(device, { action: "get", customer_id: customer, ...base }, {
          timeoutMs: 1 + Math.floor(random() * 40),
        });
        const add = await withRetries(
          device,
          { action: "add_to_queue", customer_id: customer, ...base },
          { timeoutMs: 1 + Math.floor(random() * 40) },
        );
        return { get, add };
      }));
      for (const { get, add } of perDevice) all.push(get, add);
      const cartIds = new Set(
        perDevice.flatMap((d) => [d.get, d.add]).map((r) => r.final.body?.cart?.id),
      );
      const entryIds = new Set(perDevice.map((d) => d.add.final.body?.queue_entry?.id));
      assertEquals(cartIds.size, 1, `one cart for ${customer}: ${[...cartIds]}`);
      assertEquals(entryIds.size, 1, `one entry for ${customer}: ${[...entryIds]}`);
      const [db] = await sql`
      select (select count(*) from public.carts where customer_id = ${customer}
                and location_id = ${fx.locationId})::int as carts,
             (select count(*) from public.location_queue where customer_id = ${customer}
                and location_id = ${fx.locationId})::int as entries,
             (select cart_id from public.location_queue where customer_id = ${customer}
                and location_id = ${fx.locationId} limit 1) as cart_id`;
      assertEquals([db.carts, db.entries, db.cart_id], [1, 1, [...cartIds][0]]);
    });

    const attempts = all.flatMap((r) => r.attempts);
    const aborted = attempts.filter((a) => a.status === 0).length;
    console.log(
      `retries: ${all.length} logical calls, ${attempts.length} attempts, ${aborted} aborted ` +
        `by the client timeout, final statuses ${
          JSON.stringify(statusCounts(all.map((r) => r.final)))
        }`,
    );
    assertEquals(statusCounts(all.map((r) => r.final)), { "200": all.length });
  },
);

e2eTest("a call abandoned after its commit is retried to the same answer", {
  customers: 10,
}, async ({ sql, fx }) => {
  const app = posClient(await userJwt({ storeIds: [fx.storeId] }));
  let lostAfterCommit = 0;
  for (const customer of fx.customerIds) {
    const body = { action: "add_to_queue", customer_id: customer, location_id: fx.locationId };
    const controller = new AbortController();
    const pending = call(app, body, { signal: controller.signal });
    let settled = false;
    pending.then(() => (settled = true));
    // Abandon the call as soon as the database shows the entry (the app's timeout firing
    // while the answer is on its way).
    while (!settled) {
      const rows = await sql`
        select 1 from public.location_queue
        where customer_id = ${customer} and location_id = ${fx.locationId}`;
      if (rows.length) {
        controller.abort();
        break;
      }
      await sleep(1);
    }
    const first = await pending;
    if (first.status === 0) lostAfterCommit++;
    const retry = await call(app, body);
    assertEquals(retry.status, 200, JSON.stringify(retry.body));
    if (first.status === 0) {
      assertEquals(retry.body.created, false, "the retry finds the committed entry");
    } else {
      assertEquals(retry.body.queue_entry.id, first.body.queue_entry.id);
    }
    const rows = await sql`
      select id, cart_id from public.location_queue
      where customer_id = ${customer} and location_id = ${fx.locationId}`;
    assertEquals(rows.length, 1);
    assertEquals(retry.body.queue_entry.id, rows[0].id);
    assertEquals(retry.body.cart.id, rows[0].cart_id);
  }
  console.log(
    `retries: ${lostAfterCommit} of ${fx.customerIds.length} add_to_queue answers lost ` +
      `after commit; every retry returned the committed entry`,
  );
  assert(lostAfterCommit > 0, "at least one answer was lost after its commit");
});
