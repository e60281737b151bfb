// A PostgreSQL restart (`pg_ctl restart -m fast`) in the middle of a stream of queue changes
// made through the `cart` function, on the running local stack, with three devices listening.
// Their channels stay joined and the service tells them the subscription is live again; every
// change committed (read back from the database afterwards) reaches every device exactly
// once, each entry's INSERT before its UPDATE; nothing is delivered twice.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { call, e2eTest, sleep } from "../e2e/_lib.ts";
import { restartPostgres, sharedSql } from "../_support/stack.ts";
import { type Device, device, ok } from "./_devices.ts";

e2eTest(
  "Realtime through a PostgreSQL restart mid-stream: nothing lost, nothing twice",
  { customers: 3 },
  async ({ fx }) => {
    const devices: Device[] = [];
    try {
      const loc = fx.locationId;
      for (let i = 0; i < 3; i++) devices.push(await device(`device-${i}`, [fx.storeId], loc));
      await Promise.all(devices.map((d) => d.heard.live()));
      const app = devices[0].client;
      for (const customer of fx.customerIds) {
        await ok(app, { action: "get", customer_id: customer, location_id: loc });
      }
      await sleep(500);
      const start = devices.map((d) => d.heard.changes.length);

      // Each customer in turn is queued, then removed, without pause.
      let running = true;
      const statuses: Record<string, number> = {};
      const writer = (async () => {
        const open = new Map<string, string>();
        for (let i = 0; running; i++) {
          const customer = fx.customerIds[i % fx.customerIds.length];
          const entry = open.get(customer);
          const r = entry
            ? await call(app, { action: "remove_from_queue", queue_entry_id: entry })
            : await call(app, { action: "add_to_queue", customer_id: customer, location_id: loc });
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          if (r.status !== 200) continue;
          if (entry) open.delete(customer);
          else open.set(customer, r.body.queue_entry.id);
        }
      })();
      await sleep(1500);
      const restartMs = await restartPostgres();
      await Promise.all(devices.map((d) => d.heard.live(2, 30_000)));
      await sleep(1500);
      running = false;
      await writer;

      // What the database says was committed: an INSERT per entry, an UPDATE per removal.
      const sql = sharedSql();
      const rows = await sql<{ id: string; status: string }[]>`
      select id, status from public.location_queue where location_id = ${loc}`;
      const expected = rows.flatMap((r) =>
        r.status === "removed" ? [`INSERT ${r.id}`, `UPDATE ${r.id}`] : [`INSERT ${r.id}`]
      ).sort();
      await Promise.all(devices.map((d, i) =>
        d.heard.until(
          () => d.heard.changes.length - start[i] >= expected.length,
          15_000,
          `${d.name} catches up`,
        )
      ));
      await sleep(500);
      console.log(
        `restart took ${restartMs.toFixed(0)} ms; function answers ${JSON.stringify(statuses)}; ` +
          `${rows.length} entries, ${expected.length} changes committed; heard per device ${
            devices.map((d, i) => d.heard.changes.length - start[i]).join(", ")
          }; system messages per device ${devices.map((d) => d.heard.system.length).join(", ")}`,
      );
      for (const [i, d] of devices.entries()) {
        const heard = d.heard.changes.slice(start[i]);
        assert(heard.every((c) => c.table === "location_queue" && !c.errors?.length));
        const keys = heard.map((c) => `${c.eventType} ${c.new.id}`);
        assertEquals(new Set(keys).size, keys.length, `${d.name}: nothing twice`);
        assertEquals([...keys].sort(), expected, `${d.name}: every committed change`);
        for (const r of rows.filter((r) => r.status === "removed")) {
          assert(keys.indexOf(`INSERT ${r.id}`) < keys.indexOf(`UPDATE ${r.id}`), "INSERT first");
        }
        assert(d.heard.statuses.every((s) => s === "SUBSCRIBED"), d.heard.statuses.join());
      }
    } finally {
      for (const d of devices) await d.client.removeAllChannels();
    }
  },
);
