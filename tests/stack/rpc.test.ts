// PostgREST stand-in conformance, RPC calls (docs/postgrest-standin.md, "RPC"): argument
// names against the catalog, json_to_record conversion, response shape by return type,
// single-object Accept, methods, invalid JSON, and READ ONLY for STABLE functions and GET.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { result, STACK_TEST, withHarness } from "./_harness.ts";

Deno.test("stand-in: RPC calls", STACK_TEST, async (t) => {
  await withHarness(async (h) => {
    const id = crypto.randomUUID();

    await t.step("required plus any subset of defaulted arguments", async () => {
      assertEquals(await result(await h.rpc("t_echo", { p_id: id })), {
        status: 200,
        body: { id, n: null, note: null },
      });
      assertEquals(await result(await h.rpc("t_echo", { p_id: id, p_note: "x" })), {
        status: 200,
        body: { id, n: null, note: "x" },
      });
      assertEquals(
        (await result(await h.rpc("t_echo", { p_id: id, p_n: 3, p_note: "y" }))).body,
        { id, n: 3, note: "y" },
      );
    });

    await t.step("missing required or unknown argument -> 404 PGRST202", async () => {
      for (const body of [{}, { p_n: 1 }, { p_id: id, p_other: 1 }]) {
        const r = await result(await h.rpc("t_echo", body));
        assertEquals([r.status, r.body.code], [404, "PGRST202"], JSON.stringify(body));
      }
      const extra = await result(await h.rpc("t_echo", { p_zz: 1, p_id: id }));
      assertEquals(
        extra.body.message,
        "Could not find the function public.t_echo(p_id, p_zz) in the schema cache",
      );
      const unknown = await result(await h.rpc("t_no_such_function", {}));
      assertEquals(
        unknown.body.message,
        "Could not find the function public.t_no_such_function without parameters in the schema cache",
      );
      const empty = await h.rpc("t_echo", undefined, { raw: "" });
      assertEquals((await result(empty)).body.code, "PGRST202");
    });

    await t.step("arguments use PostgreSQL input rules: bad uuid -> 400 22P02", async () => {
      const r = await result(await h.rpc("t_echo", { p_id: "not-a-uuid" }));
      assertEquals([r.status, r.body.code], [400, "22P02"]);
      assertEquals(r.body.message, 'invalid input syntax for type uuid: "not-a-uuid"');
      const n = await result(await h.rpc("t_echo", { p_id: id, p_n: "7" }));
      assertEquals(n.body.n, 7);
    });

    await t.step("two matching overloads -> 300 PGRST203", async () => {
      const r = await result(await h.rpc("t_over", { a: 1 }));
      assertEquals([r.status, r.body.code], [300, "PGRST203"]);
    });

    await t.step("argument names are never mistaken for anything else", async () => {
      await h.sql.unsafe(
        "create function public.t_status_body(status int, body text) returns text language sql as $$ select body || status $$",
      );
      const r = await result(await h.rpc("t_status_body", { status: 1, body: "x" }));
      assertEquals(r, { status: 200, body: "x1" });
    });

    await t.step("a single unnamed json parameter receives the whole body", async () => {
      assertEquals((await result(await h.rpc("t_whole", { any: [1, { b: 2 }] }))).body, {
        any: [1, { b: 2 }],
      });
    });

    await t.step("response shape follows the return type", async () => {
      const shapes: [string, unknown][] = [
        ["t_int", 42],
        ["t_text", "hi"],
        ["t_null", null],
        ["t_json", { a: [1, 2] }],
        ["t_row", { id: 1, name: "one" }],
        ["t_rows", [{ id: 1, name: "one" }, { id: 2, name: "two" }]],
        ["t_table", [{ a: 1, b: "x" }, { a: 2, b: "y" }]],
        ["t_nums", [1, 2, 3]],
      ];
      for (const [fn, body] of shapes) {
        const res = await h.rpc(fn, {});
        assertEquals(res.headers.get("content-type"), "application/json; charset=utf-8", fn);
        assertEquals(await result(res), { status: 200, body }, fn);
      }
      const empty = await result(await h.rpc("t_rows", { p_max: 0 }));
      assertEquals(empty, { status: 200, body: [] });
      const voided = await h.rpc("t_void", {});
      assertEquals([voided.status, await voided.text()], [204, ""]);
    });

    await t.step("Accept: application/vnd.pgrst.object+json needs exactly one row", async () => {
      const accept = { Accept: "application/vnd.pgrst.object+json" };
      const one = await h.rpc("t_rows", { p_max: 1 }, { headers: accept });
      assertEquals(
        one.headers.get("content-type"),
        "application/vnd.pgrst.object+json; charset=utf-8",
      );
      assertEquals(await result(one), { status: 200, body: { id: 1, name: "one" } });
      for (const p_max of [0, 2]) {
        const r = await result(await h.rpc("t_rows", { p_max }, { headers: accept }));
        assertEquals([r.status, r.body.code, r.body.details], [
          406,
          "PGRST116",
          `The result contains ${p_max} rows`,
        ]);
      }
    });

    await t.step("GET passes query arguments; other methods -> 405 PGRST101", async () => {
      const res = await fetch(`${h.restUrl}/rpc/t_rows?p_max=1`);
      assertEquals(await result(res), { status: 200, body: [{ id: 1, name: "one" }] });
      for (const method of ["PUT", "PATCH", "DELETE"]) {
        const r = await result(await h.rpc("t_int", {}, { method }));
        assertEquals([r.status, r.body.code], [405, "PGRST101"], method);
      }
    });

    await t.step("Content-Profile public is accepted, another schema -> 406 PGRST106", async () => {
      const ok = await h.rpc("t_int", {}, { headers: { "Content-Profile": "public" } });
      assertEquals(await result(ok), { status: 200, body: 42 });
      const other = await result(
        await h.rpc("t_int", {}, { headers: { "Content-Profile": "private" } }),
      );
      assertEquals([other.status, other.body.code], [406, "PGRST106"]);
      const viaGet = await fetch(`${h.restUrl}/rpc/t_int`, {
        headers: { "Accept-Profile": "auth" },
      });
      assertEquals((await result(viaGet)).status, 406);
    });

    await t.step("invalid JSON body -> 400 PGRST102", async () => {
      const r = await result(await h.rpc("t_echo", undefined, { raw: "{not json" }));
      assertEquals([r.status, r.body.code, r.body.message], [
        400,
        "PGRST102",
        "Empty or invalid json",
      ]);
    });

    await t.step("STABLE functions and GET run READ ONLY; VOLATILE POST read write", async () => {
      const stable = await result(await h.rpc("t_whoami", {}));
      assertEquals([stable.body.read_only, stable.body.isolation], ["on", "read committed"]);
      const volatile = await result(await h.rpc("t_whoami_volatile", {}));
      assertEquals(volatile.body.read_only, "off");
      const viaGet = await result(await fetch(`${h.restUrl}/rpc/t_whoami_volatile`));
      assertEquals(viaGet.body.read_only, "on");
      const write = await result(await h.rpc("t_write_in_stable", { p_id: 900 }));
      assertEquals([write.status, write.body.code], [405, "25006"]);
      const insertViaGet = await result(await fetch(`${h.restUrl}/rpc/t_insert?p_id=901`));
      assertEquals([insertViaGet.status, insertViaGet.body.code], [405, "25006"]);
    });
  });
});
