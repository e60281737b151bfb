// The stand-in's fault hook (docs/architecture.md): status, drop before running,
// drop after commit, duration, off, GET state; and through the gateway a dropped
// connection arrives as 502. Also the pure FaultState rules.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { FaultState, validateFaultSpec } from "../../stack/postgrest/faults.ts";
import { startStandIn } from "../../stack/postgrest/server.ts";
import { REAL_POSTGREST, STACK_TEST, withHarness } from "./_harness.ts";

Deno.test("FaultState: count, duration, validation", () => {
  let now = 1000;
  const state = new FaultState(() => now);
  assertEquals(state.take(), null);
  state.set({ mode: "drop", count: 2 });
  assertEquals([state.take(), state.take(), state.take()], [
    { mode: "drop" },
    { mode: "drop" },
    null,
  ]);
  state.set({ mode: "status", status: 503, durationMs: 50 });
  assertEquals(state.take()?.mode, "status");
  now += 60;
  assertEquals(state.take(), null);
  assertEquals(state.snapshot().mode, "off");
  assertEquals(validateFaultSpec({ mode: "drop", count: 1 }), null);
  assertEquals(typeof validateFaultSpec({ mode: "drop" }), "string");
  assertEquals(typeof validateFaultSpec({ mode: "status", count: 1 }), "string");
  assertEquals(typeof validateFaultSpec({ mode: "explode", count: 1 }), "string");
});

async function setFault(url: string, spec: unknown) {
  const res = await fetch(url, { method: "POST", body: JSON.stringify(spec) });
  assertEquals(res.status, 200, await res.clone().text());
  return await res.json();
}

async function logged(h: { sql: import("postgres").Sql }, id: number): Promise<number> {
  const [row] = await h.sql`select count(*)::int as n from public.t_log where id = ${id}`;
  return row.n;
}

Deno.test("stand-in fault hook", { ...STACK_TEST, ignore: REAL_POSTGREST !== null }, async (t) => {
  await withHarness(async (harness) => {
    const h = { ...harness, faultUrl: harness.faultUrl! };
    await t.step("status: the next N RPCs get that status and touch nothing", async () => {
      const state = await setFault(h.faultUrl, { mode: "status", status: 503, count: 2 });
      assertEquals([state.mode, state.remaining], ["status", 2]);
      for (let i = 0; i < 2; i++) {
        const res = await h.rpc("t_insert", { p_id: 10 });
        assertEquals([res.status, (await res.json()).code], [503, "PGRST001"]);
      }
      assertEquals(await logged(h, 10), 0);
      const ok = await h.rpc("t_insert", { p_id: 10 });
      assertEquals([ok.status, await ok.json()], [200, 10]);
      assertEquals((await (await fetch(h.faultUrl)).json()).mode, "off");
    });

    await t.step("drop: the connection closes before the call runs", async () => {
      await setFault(h.faultUrl, { mode: "drop", count: 1 });
      const failed = await h.rpc("t_insert", { p_id: 11 }).then(() => "answered", () => "dropped");
      assertEquals(failed, "dropped");
      assertEquals(await logged(h, 11), 0);
    });

    await t.step("drop_after_commit: committed, but the answer is lost", async () => {
      await setFault(h.faultUrl, { mode: "drop_after_commit", count: 1 });
      const failed = await h.rpc("t_insert", { p_id: 12 }).then(() => "answered", () => "dropped");
      assertEquals(failed, "dropped");
      assertEquals(await logged(h, 12), 1);
    });

    await t.step("through the gateway a dropped connection is 502", async () => {
      await setFault(h.faultUrl, { mode: "drop_after_commit", count: 1 });
      const res = await fetch(`${h.apiUrl}/rest/v1/rpc/t_insert`, {
        method: "POST",
        headers: { apikey: h.anonKey, "Content-Type": "application/json" },
        body: JSON.stringify({ p_id: 13 }),
      });
      assertEquals([res.status, await res.json()], [502, {
        message: "An invalid response was received from the upstream server",
      }]);
      assertEquals(await logged(h, 13), 1);
    });

    await t.step("durationMs and off", async () => {
      await setFault(h.faultUrl, {
        mode: "status",
        status: 500,
        code: "40001",
        durationMs: 60_000,
      });
      const res = await h.rpc("t_int", {});
      assertEquals([res.status, (await res.json()).code], [500, "40001"]);
      await setFault(h.faultUrl, { mode: "off" });
      assertEquals((await h.rpc("t_int", {})).status, 200);
    });

    await t.step("a bad spec is refused", async () => {
      const res = await fetch(h.faultUrl, { method: "POST", body: '{"mode":"drop"}' });
      assertEquals([res.status, typeof (await res.json()).message], [400, "string"]);
    });
  });
});

Deno.test("without faults there is no fault hook", STACK_TEST, async () => {
  // The hook path never reaches the database, so no database is needed here.
  const rest = await startStandIn({ dbUri: "postgresql://authenticator:x@127.0.0.1:1/none" });
  try {
    assertEquals(rest.faultUrl, null);
    const res = await fetch(`${rest.url}/_fault`, {
      method: "POST",
      body: '{"mode":"drop","count":1}',
    });
    assertEquals([res.status, (await res.json()).code], [404, "PGRST205"]);
  } finally {
    await rest.stop();
  }
});
