// The local Realtime through interruptions, with the real supabase-js client: PostgreSQL
// crashed and restarted while a writer commits rows (the channels stay joined, the service says the
// subscription is live again, every committed row arrives once, in order), and every
// WebSocket dropped (the clients reconnect and rejoin by themselves; changes after that
// arrive, none twice).
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { Recorder } from "../_support/realtime.ts";
import { sleep, withHarness } from "./_harness.ts";

const steps = { sanitizeOps: false, sanitizeResources: false };
const CLIENTS = 3;
const binding = { event: "INSERT" as const, schema: "public", table: "rt_item" };

Deno.test({
  name: "reconnect: a PostgreSQL restart mid-stream, then dropped connections",
  ...steps,
  fn: (t) =>
    withHarness(async (h) => {
      const token = await h.token({ app_metadata: { team: "a" } });
      const recorders: Recorder[] = [];
      for (let i = 0; i < CLIENTS; i++) {
        recorders.push(new Recorder(await h.client(token), `device-${i}`, [binding]));
      }
      await Promise.all(recorders.map((r) => r.live()));
      const ids = (r: Recorder) => r.changes.map((c) => c.new.id as number);

      await t.step(
        "PostgreSQL crashes and restarts (pg_ctl restart -m immediate) while rows are committed",
        async () => {
          const committed: number[] = [];
          let writing = true;
          let next = 1;
          const writer = (async () => {
            while (writing) {
              const id = next;
              try {
                await h.sql`insert into public.rt_item (id, team) values (${id}, 'a')`;
                committed.push(id);
                next++;
              } catch (e) {
                // The database is restarting: this id is retried. A crash between the commit
                // and its answer leaves the row committed unbeknown to the writer; its retry
                // then meets the row (a unique violation), so the row counts as committed.
                if ((e as { code?: string }).code === "23505") {
                  committed.push(id);
                  next++;
                }
              }
              await sleep(20);
            }
          })();
          await sleep(500);
          const restartedAt = performance.now();
          await h.restartDb("immediate");
          const restartMs = performance.now() - restartedAt;
          await Promise.all(recorders.map((r) => r.live(2, 20_000)));
          const resubscribedMs = performance.now() - restartedAt;
          await sleep(500);
          writing = false;
          await writer;
          await Promise.all(
            recorders.map((r) => r.until(() => r.changes.length >= committed.length, 10_000)),
          );
          await sleep(300);
          console.log(
            `restart took ${restartMs.toFixed(0)} ms, live again after ${
              resubscribedMs.toFixed(0)
            } ms; ${committed.length} rows committed; received per device: ${
              recorders.map((r) => r.changes.length).join(", ")
            }`,
          );
          for (const r of recorders) {
            assertEquals(ids(r), committed, "every committed row once, in commit order");
            assert(!r.statuses.some((s) => s !== "SUBSCRIBED"), r.statuses.join());
          }
        },
      );

      await t.step("every connection drops; the clients reconnect and rejoin", async () => {
        const before = recorders.map((r) => r.changes.length);
        const joins = recorders.map((r) => r.statuses.length);
        h.realtime.dropConnections();
        await Promise.all(recorders.map((r, i) =>
          r.until(() => r.statuses.length > joins[i] && r.statuses.at(-1) === "SUBSCRIBED", 20_000)
        ));
        await Promise.all(recorders.map((r) =>
          r.live(3, 20_000)
        ));
        const after: number[] = [];
        for (let id = 10_001; id <= 10_010; id++) {
          await h.sql`insert into public.rt_item (id, team) values (${id}, 'a')`;
          after.push(id);
        }
        await Promise.all(
          recorders.map((r, i) => r.until(() => r.changes.length >= before[i] + 10)),
        );
        await sleep(300);
        console.log(
          `statuses after the drop: ${
            recorders.map((r) => r.statuses.slice(joins[0]).join(">")).join(" | ")
          }`,
        );
        for (const [i, r] of recorders.entries()) {
          assertEquals(ids(r).slice(before[i]), after);
          assertEquals(new Set(ids(r)).size, ids(r).length, "nothing twice");
        }
      });
    }),
});
