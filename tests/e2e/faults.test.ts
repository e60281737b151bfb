// Faults mid-load, injected by the fault proxy in front of PostgREST
// (stack/faults.ts), so they run the same against the stand-in and a real PostgREST
// (POSTGREST_BIN). First, a lost response: PostgREST commits an RPC and the proxy drops the
// connection; the function's retry must return the same cart / entry. Then 16 clients loop
// over get / add_to_queue on a tiny key space while (a) the proxy answers 503, drops
// connections, and drops answers after commit, and (b) PostgreSQL is restarted with
// `pg_ctl restart -m fast`. Callers get 200 or 503 with Retry-After, never a 500 or a
// hang past the budget; afterwards every call succeeds, the invariants hold, and every queue
// entry acknowledged to a client is in the database.
import {
  activeCarts,
  assert,
  assertEquals,
  call,
  type CallResult,
  e2eTest,
  posClient,
  seededRandom,
  sleep,
  statusCounts,
  userJwt,
} from "./_lib.ts";
import type { SupabaseClient } from "@supabase/supabase-js";
import { faultState, restartPostgres, setFault, sharedSql } from "../_support/stack.ts";

const CLIENTS = 16;
/**
 * A call without an answer after this long counts as a hang: twice the function's default
 * retry budget (CART_RETRY_BUDGET_MS, 5 s), so a caller always hears back in bounded time.
 */
const BUDGET_MS = 10_000;

e2eTest(
  "a response lost after commit is retried to the same cart and entry",
  { customers: 2 },
  async ({ sql, fx }) => {
    try {
      const [forCart, forEntry] = fx.customerIds;
      const app = posClient(await userJwt({ storeIds: [fx.storeId] }));
      await setFault({ mode: "off" });

      // `applied` counts the uses of the fault set last.
      await setFault({ mode: "drop_after_commit", count: 1 });
      const got = await call(app, {
        action: "get",
        customer_id: forCart,
        location_id: fx.locationId,
      });
      assertEquals(got.status, 200, JSON.stringify(got.body));
      assertEquals((await faultState()).applied, 1, "the first answer was dropped after commit");
      assertEquals(got.body.created, false, "the retry found the cart the lost call committed");
      assertEquals((await activeCarts(sql, fx.locationId, forCart)).map((c) => c.id), [
        got.body.cart.id,
      ]);

      await setFault({ mode: "drop_after_commit", count: 1 });
      const added = await call(app, {
        action: "add_to_queue",
        customer_id: forEntry,
        location_id: fx.locationId,
      });
      assertEquals(added.status, 200, JSON.stringify(added.body));
      assertEquals((await faultState()).applied, 1, "the first answer was dropped after commit");
      assertEquals(added.body.created, false, "the retry found the entry the lost call committed");
      const entries = await sql`
      select id, cart_id from public.location_queue
      where customer_id = ${forEntry} and location_id = ${fx.locationId}`;
      assertEquals(entries.length, 1);
      assertEquals([entries[0].id, entries[0].cart_id], [
        added.body.queue_entry.id,
        added.body.cart.id,
      ]);
      console.log(
        `lost response: get -> ${got.body.cart.id} (created=false after retry), ` +
          `add_to_queue -> ${added.body.queue_entry.id} (created=false after retry), one row each`,
      );
    } finally {
      await setFault({ mode: "off" }).catch(() => {});
    }
  },
);

interface Outcome extends CallResult {
  phase: string;
  action: string;
}

e2eTest(
  "16 clients through 503s, drops, lost answers and a database restart: only 200 or 503, nothing acknowledged lost",
  { customers: 4 },
  async ({ fx }) => {
    try {
      const clients: SupabaseClient[] = await Promise.all(
        Array.from(
          { length: CLIENTS },
          async () => posClient(await userJwt({ storeIds: [fx.storeId] })),
        ),
      );
      const devices = ["till-1", "till-2"];
      let phase = "warm-up";
      let running = true;
      const outcomes: Outcome[] = [];
      const acknowledgedEntries = new Set<string>();
      const acknowledgedCarts = new Set<string>();

      const loop = async (client: SupabaseClient, lane: number) => {
        const random = seededRandom(lane + 1);
        while (running) {
          const r = random();
          const customer_id = fx.customerIds[Math.floor(random() * 4)];
          // Removals make later add_to_queue calls create new entries, so many distinct
          // entries are acknowledged over the run.
          const body: Record<string, unknown> = r < 0.35
            ? { action: "get", customer_id }
            : r < 0.5
            ? { action: "get", device_id: devices[Math.floor(random() * 2)] }
            : r < 0.65
            ? { action: "remove_from_queue", customer_id }
            : { action: "add_to_queue", customer_id };
          body.location_id = fx.locationId;
          const at = phase;
          const res = await call(client, body, { timeoutMs: BUDGET_MS });
          outcomes.push({ ...res, phase: at, action: body.action as string });
          if (res.status === 200) {
            if (res.body.queue_entry) acknowledgedEntries.add(res.body.queue_entry.id);
            if (res.body.cart) acknowledgedCarts.add(res.body.cart.id);
          } else if (res.status === 503) {
            const wait = Number(res.headers.get("retry-after") ?? "1");
            await sleep(Math.min(wait, 2) * 1000 * random());
          }
        }
      };
      const lanes = clients.map(loop);

      const timeline: string[] = [];
      const mark = (name: string) => {
        phase = name;
        timeline.push(`${new Date().toISOString().slice(11, 23)} ${name}`);
      };
      await sleep(1500);
      mark("PostgREST answers 503");
      await setFault({ mode: "status", status: 503, durationMs: 2500 });
      await sleep(3000);
      mark("connections to PostgREST dropped");
      await setFault({ mode: "drop", durationMs: 2500 });
      await sleep(3000);
      mark("PostgREST answers dropped after commit");
      await setFault({ mode: "drop_after_commit", count: 40 });
      await sleep(2500);
      const lostAfterCommit = await faultState();
      await setFault({ mode: "off" });
      mark("pg_ctl restart -m fast");
      const restartMs = await restartPostgres();
      mark("recovery");
      await sleep(3000);
      mark("after");
      const afterStart = outcomes.length;
      await sleep(3000);
      running = false;
      await Promise.all(lanes);

      // Report by phase.
      const phases = [...new Set(outcomes.map((o) => o.phase))];
      const lines = phases.map((p) => {
        const of = outcomes.filter((o) => o.phase === p);
        const slowest = Math.max(...of.map((o) => o.ms));
        return `  ${p}: ${of.length} calls, statuses ${JSON.stringify(statusCounts(of))}, ` +
          `slowest ${slowest.toFixed(0)} ms`;
      });
      console.log(
        `faults timeline:\n  ${timeline.join("\n  ")}\n` +
          `faults (${CLIENTS} clients, ${outcomes.length} calls, pg restart took ` +
          `${restartMs.toFixed(0)} ms, drop_after_commit uses left ${
            lostAfterCommit.remaining ?? 0
          }):\n` +
          lines.join("\n"),
      );

      // A removal when the customer has no open entry is a business answer, not a failure.
      const answered = (o: Outcome) =>
        o.status === 200 ||
        (o.action === "remove_from_queue" && o.status === 404 &&
          o.body?.error?.code === "queue_entry_not_found");
      const bad = outcomes.filter((o) => !answered(o) && o.status !== 503);
      for (const o of bad.slice(0, 10)) {
        console.log(
          `  unexpected: ${o.phase} ${o.action} ${o.status} ${
            o.networkError ?? JSON.stringify(o.body)
          }`,
        );
      }
      assertEquals(bad.length, 0, "only 200 or 503 (no 500, no hang, no other error)");
      const without = outcomes.filter((o) => o.status === 503 && !o.headers.get("retry-after"));
      assertEquals(without.length, 0, "every 503 carries Retry-After");
      const after = outcomes.slice(afterStart).filter((o) => o.phase === "after");
      assert(after.length > 0, "calls were made after the outage");
      assertEquals(after.filter((o) => !answered(o)).length, 0, "every call succeeds afterwards");
      assert(outcomes.some((o) => o.status === 503), "the outage was visible to callers");
      assert(acknowledgedEntries.size > 8, "entries were created again and again over the run");

      // The database after the restart: nothing acknowledged was lost (the invariants are
      // checked after the test).
      const sql = sharedSql();
      const entryIds = [...acknowledgedEntries];
      const cartIds = [...acknowledgedCarts];
      const [found] = await sql`
      select (select count(*) from public.location_queue where id = any(${entryIds}::uuid[]))::int
               as entries,
             (select count(*) from public.carts where id = any(${cartIds}::uuid[]))::int as carts`;
      console.log(
        `faults acknowledged: ${entryIds.length} queue entries (${found.entries} in the ` +
          `database), ${cartIds.length} carts (${found.carts} in the database); lost ` +
          `${entryIds.length - found.entries + cartIds.length - found.carts}`,
      );
      assertEquals(found.entries, entryIds.length, "every acknowledged queue entry is stored");
      assertEquals(found.carts, cartIds.length, "every acknowledged cart is stored");
      const [keys] = await sql`
      select count(*)::int as carts from public.carts
      where location_id = ${fx.locationId} and status = 'active'`;
      assertEquals(keys.carts, 6, "one active cart per customer (4) and per device (2)");
    } finally {
      await setFault({ mode: "off" }).catch(() => {});
    }
  },
);
