// Realtime as the devices live it, on the running local stack: five devices of a store, each
// a supabase-js client with its own staff token, listen to their location's carts and queue
// through the gateway while the `cart` function is called. 50 simultaneous gets for a new
// customer: each device hears exactly one cart INSERT. 1,000 repeated gets: nothing.
// add_to_queue, call, serve, complete_cart: exactly one event per state change, in order. A
// device of another store and a user without access hear nothing; anon hears no row (only
// the service's record-less notices). Prints the counts and the delivery latency from commit
// to callback (p50/p99), measured, not asserted.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { call, e2eTest, newStore, pool, sleep } from "../e2e/_lib.ts";
import { type Device, device, heardSince, mark, ok, percentile, summary } from "./_devices.ts";

const DEVICES = 5;
const GETS = 50;
const REPEATS = 1000;
const LATENCY_SAMPLES = 100;

e2eTest("Realtime on five devices: gets, repeats, the queue, other stores, latency", {
  customers: 8,
}, async ({ sql, fx }) => {
  const devices: Device[] = [];
  const everyone: Device[] = [];
  try {
    const other = await newStore(sql);
    const [customer, queued, latencyCustomer, m1, m2, m3, m4, m5] = fx.customerIds;
    const loc = fx.locationId;
    for (let i = 0; i < DEVICES; i++) devices.push(await device(`device-${i}`, [fx.storeId], loc));
    const outsiders = [
      await device("other-store", [other.storeId], loc),
      await device("no-access", [], loc),
      await device("anon", null, null), // anon cannot filter on columns it may not read
    ];
    const anonFiltered = await device("anon-filtered", null, loc);
    everyone.push(...devices, ...outsiders, anonFiltered);
    await Promise.all([...devices, ...outsiders].map((d) => d.heard.live()));
    await anonFiltered.heard.until(() => anonFiltered.heard.system.length > 0);
    assertEquals(
      anonFiltered.heard.system.map((
        s,
      ) => [s.status, /invalid column for filter location_id$/.test(s.message)]),
      [["error", true]],
    );
    const markers: string[] = [];
    const app = devices[0].client;

    // 50 simultaneous gets for a new customer, from the five devices.
    let open!: () => void;
    const barrier = new Promise<void>((r) => (open = r));
    const gets = Array.from({ length: GETS }, async (_, i) => {
      await barrier;
      return await call(devices[i % DEVICES].client, {
        action: "get",
        customer_id: customer,
        location_id: loc,
      });
    });
    open();
    const got = await Promise.all(gets);
    assertEquals(got.map((r) => r.status), Array(GETS).fill(200));
    const cartId = got[0].body.cart.id;
    assertEquals(new Set(got.map((r) => r.body.cart.id)).size, 1);
    markers.push(await mark(app, devices, loc, m1));
    const afterGets = devices.map((d) => heardSince(d, 0, markers).map(summary));
    console.log(
      `${GETS} simultaneous gets: events per device ${afterGets.map((e) => e.length).join(", ")}`,
    );
    for (const heard of afterGets) assertEquals(heard, [`carts INSERT ${cartId} active`]);
    const insert = devices[0].heard.changes.find((c) => c.new.id === cartId)!;
    assertEquals([insert.new.customer_id, insert.new.location_id, insert.new.store_id], [
      customer,
      loc,
      fx.storeId,
    ]);

    // 1,000 repeated gets of that cart: nothing to hear.
    const before = devices.map((d) => d.heard.changes.length);
    const repeats = await pool(
      Array.from({ length: REPEATS }),
      8,
      (_, i) =>
        call(devices[i % DEVICES].client, {
          action: "get",
          customer_id: customer,
          location_id: loc,
        }),
    );
    assertEquals(repeats.filter((r) => r.status !== 200 || r.body.cart.id !== cartId).length, 0);
    markers.push(await mark(app, devices, loc, m2));
    const afterRepeats = devices.map((d, i) => heardSince(d, before[i], markers).length);
    console.log(`${REPEATS} repeated gets: events per device ${afterRepeats.join(", ")}`);
    assertEquals(afterRepeats, Array(DEVICES).fill(0));

    // The queue: the customer's cart is open on a device, then add, call, serve, check out.
    const opened = await ok(app, { action: "get", customer_id: queued, location_id: loc });
    const queuedCart = opened.body.cart.id;
    markers.push(await mark(app, devices, loc, m3));
    const start = devices.map((d) => d.heard.changes.length);
    const added = await ok(app, { action: "add_to_queue", customer_id: queued, location_id: loc });
    const entry = added.body.queue_entry;
    assertEquals(added.body.cart.id, queuedCart);
    await ok(devices[1].client, { action: "call", queue_entry_id: entry.id });
    await ok(devices[2].client, { action: "serve", queue_entry_id: entry.id });
    await ok(devices[3].client, { action: "complete_cart", cart_id: queuedCart });
    markers.push(await mark(app, devices, loc, m4));
    const expected = [
      `location_queue INSERT ${entry.id} waiting`,
      `location_queue UPDATE ${entry.id} called`,
      `location_queue UPDATE ${entry.id} served`,
      `carts UPDATE ${queuedCart} completed`,
    ];
    const heardQueue = devices.map((d, i) => heardSince(d, start[i], markers).map(summary));
    console.log(`queue lifecycle: events per device ${heardQueue.map((h) => h.length).join(", ")}`);
    for (const heard of heardQueue) assertEquals(heard, expected);
    const queueInsert = devices[0].heard.changes.find((c) =>
      c.table === "location_queue" && c.eventType === "INSERT" && c.new.id === entry.id
    )!;
    assertEquals(queueInsert.new.cart_id, queuedCart);
    const served = devices[0].heard.changes.find((c) =>
      c.eventType === "UPDATE" && c.new.status === "served"
    )!;
    assertEquals(served.old.status, "called");

    // Latency: one state change at a time, every device timing commit -> callback.
    const sent: { answered: number; entry: string; status: string }[] = [];
    const latencyStart = devices.map((d) => d.heard.changes.length);
    let queueEntry: string | null = null;
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      const r: { body: { queue_entry: { id: string; status: string } } } = queueEntry
        ? await ok(app, { action: "remove_from_queue", queue_entry_id: queueEntry })
        : await ok(app, { action: "add_to_queue", customer_id: latencyCustomer, location_id: loc });
      const e = r.body.queue_entry;
      sent.push({
        answered: performance.timeOrigin + performance.now(),
        entry: e.id,
        status: e.status,
      });
      queueEntry = queueEntry ? null : e.id;
      await sleep(20);
    }
    markers.push(await mark(app, devices, loc, m5));
    const commitMs: number[] = [];
    const answerMs: number[] = [];
    for (const [i, d] of devices.entries()) {
      const heard = heardSince(d, latencyStart[i], markers).filter((c) =>
        c.table === "location_queue"
      );
      assertEquals(
        heard.map((c) => `${c.new.id} ${c.new.status}`),
        sent.map((s) => `${s.entry} ${s.status}`),
      );
      heard.forEach((c, k) => {
        commitMs.push(c.receivedAt - Date.parse(c.commit_timestamp));
        answerMs.push(c.receivedAt - sent[k].answered);
      });
    }
    const fmt = (v: number[]) =>
      `p50 ${percentile(v, 50).toFixed(1)} ms, p99 ${percentile(v, 99).toFixed(1)} ms, max ${
        Math.max(...v).toFixed(1)
      } ms`;
    console.log(
      `delivery latency over ${commitMs.length} deliveries (${LATENCY_SAMPLES} changes x ${DEVICES} devices): ` +
        `commit -> callback ${fmt(commitMs)} (commit_timestamp has millisecond resolution); ` +
        `function answer -> callback ${fmt(answerMs)}`,
    );

    // The outsiders, subscribed all along.
    await sleep(300);
    assertEquals(anonFiltered.heard.changes.length, 0);
    for (const d of outsiders) {
      const rows = d.heard.changes.filter((c) => !c.errors?.length);
      const notices = d.heard.changes.filter((c) => c.errors?.length);
      console.log(
        `${d.name}: ${rows.length} rows, ${notices.length} record-less notices (${
          [...new Set(notices.map(summary))].join("; ")
        })`,
      );
      assertEquals(rows.map(summary), [], `${d.name} must not hear a row`);
      for (const n of notices) {
        assertEquals([n.errors, n.new, n.old, n.commit_timestamp], [
          ["Error 401: Unauthorized"],
          {},
          {},
          null,
        ]);
      }
      if (d.name !== "anon") assertEquals(notices.length, 0);
    }
    for (const d of everyone) {
      assert(d.heard.statuses.every((s) => s === "SUBSCRIBED"), d.heard.statuses.join());
    }
  } finally {
    for (const d of everyone) await d.client.removeAllChannels();
  }
});
