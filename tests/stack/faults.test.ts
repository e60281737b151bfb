// Fault injection (stack/faults.ts, docs/architecture.md "Fault injection"): the fault proxy
// in front of PostgREST answers a status, drops a connection before forwarding, or drops it
// after PostgREST answered and committed; duration, off, GET state; through the gateway a
// dropped connection is 502. The proxy is transparent when no fault is set. These run
// unchanged against a real PostgREST (POSTGREST_BIN). Also the pure FaultState rules.
import { Buffer } from "node:buffer";
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { FaultState, startFaultProxy, validateFaultSpec } from "../../stack/faults.ts";
import { STACK_TEST, withHarness } from "./_harness.ts";

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

Deno.test("fault proxy in front of PostgREST", STACK_TEST, async (t) => {
  await withHarness(async (h) => {
    const viaProxy = (fn: string, body: unknown) =>
      fetch(`${h.proxyUrl}/rpc/${fn}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });

    await t.step("status: the next N RPCs get that status and touch nothing", async () => {
      const state = await setFault(h.faultUrl, { mode: "status", status: 503, count: 2 });
      assertEquals([state.mode, state.remaining], ["status", 2]);
      for (let i = 0; i < 2; i++) {
        const res = await viaProxy("t_insert", { p_id: 10 });
        assertEquals([res.status, (await res.json()).code], [503, "PGRST001"]);
        assertEquals(res.headers.get("proxy-status"), "PostgREST; error=PGRST001");
      }
      assertEquals(await logged(h, 10), 0);
      const ok = await viaProxy("t_insert", { p_id: 10 });
      assertEquals([ok.status, await ok.json()], [200, 10]);
      assertEquals((await (await fetch(h.faultUrl)).json()).mode, "off");
    });

    await t.step("drop: the connection closes before the call is forwarded", async () => {
      await setFault(h.faultUrl, { mode: "drop", count: 1 });
      const failed = await viaProxy("t_insert", { p_id: 11 }).then(
        () => "answered",
        () => "dropped",
      );
      assertEquals(failed, "dropped");
      assertEquals(await logged(h, 11), 0);
    });

    await t.step("drop_after_commit: committed, but the answer is lost", async () => {
      await setFault(h.faultUrl, { mode: "drop_after_commit", count: 1 });
      const failed = await viaProxy("t_insert", { p_id: 12 }).then(
        () => "answered",
        () => "dropped",
      );
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
      const res = await viaProxy("t_int", {});
      assertEquals([res.status, (await res.json()).code], [500, "40001"]);
      await setFault(h.faultUrl, { mode: "off" });
      const after = await viaProxy("t_int", {});
      assertEquals([after.status, await after.json()], [200, 42]);
    });

    await t.step("only RPCs are faulted", async () => {
      await setFault(h.faultUrl, { mode: "drop", count: 1 });
      const viaProxyTable = await fetch(`${h.proxyUrl}/t_item?id=eq.1`);
      const direct = await fetch(`${h.restUrl}/t_item?id=eq.1`);
      assertEquals(
        [viaProxyTable.status, await viaProxyTable.json()],
        [direct.status, await direct.json()],
      );
      assertEquals((await (await fetch(h.faultUrl)).json()).remaining, 1);
      await setFault(h.faultUrl, { mode: "off" });
    });

    await t.step("a bad spec is refused", async () => {
      const res = await fetch(h.faultUrl, { method: "POST", body: '{"mode":"drop"}' });
      assertEquals([res.status, typeof (await res.json()).message], [400, "string"]);
    });

    await t.step("PostgREST itself has no fault hook: /_fault is an unknown table", async () => {
      const res = await fetch(`${h.restUrl}/_fault`, {
        method: "POST",
        body: '{"mode":"drop","count":1}',
      });
      assertEquals([res.status, (await res.json()).code], [404, "PGRST205"]);
    });
  });
});

Deno.test(
  "without a fault the proxy forwards requests and answers unchanged",
  STACK_TEST,
  async () => {
    // A fake upstream (node:http, so it can send a reason phrase of its own) that echoes the
    // request and answers with two cookies.
    const upstream = http.createServer((req, res) => {
      const chunks: Uint8Array[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        const url = new URL(req.url ?? "/", "http://upstream");
        res.writeHead(201, "Made It", {
          "Content-Type": "application/json",
          "X-Upstream": "yes",
          "Set-Cookie": ["a=1", "b=2"],
        });
        res.end(JSON.stringify({
          method: req.method,
          path: url.pathname,
          search: url.search,
          prefer: req.headers["prefer"],
          body: new TextDecoder().decode(Buffer.concat(chunks)),
        }));
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const port = (upstream.address() as AddressInfo).port;
    const proxy = await startFaultProxy(`http://127.0.0.1:${port}`);
    try {
      // Read with node:http: fetch reports the standard reason phrase whatever was sent.
      const res = await new Promise<http.IncomingMessage & { text: string }>((resolve, reject) => {
        const req = http.request(`${proxy.url}/rpc/anything?select=id&id=eq.1`, {
          method: "POST",
          headers: { Prefer: "return=minimal" },
        }, (answer) => {
          const chunks: Uint8Array[] = [];
          answer.on("data", (c) => chunks.push(c));
          answer.on(
            "end",
            () => resolve(Object.assign(answer, { text: Buffer.concat(chunks).toString() })),
          );
        });
        req.on("error", reject);
        req.end('{"a":1}');
      });
      assertEquals([res.statusCode, res.statusMessage], [201, "Made It"]);
      assertEquals(res.headers["x-upstream"], "yes");
      assertEquals(res.headers["set-cookie"], ["a=1", "b=2"]);
      assertEquals(res.headers["connection"], "close");
      assertEquals(JSON.parse(res.text), {
        method: "POST",
        path: "/rpc/anything",
        search: "?select=id&id=eq.1",
        prefer: "return=minimal",
        body: '{"a":1}',
      });
      const state = await (await fetch(proxy.faultUrl)).json();
      assertEquals(state, { mode: "off", applied: 0 });
    } finally {
      await proxy.stop();
      await new Promise((resolve) => upstream.close(resolve));
    }
  },
);
