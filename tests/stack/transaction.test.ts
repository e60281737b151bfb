// PostgREST stand-in conformance, the request transaction and database errors: COMMIT on
// success, ROLLBACK on error, every SQLSTATE class raised from SQL reaching the HTTP status
// of docs/postgrest-standin.md ("Errors"), and surviving a database restart.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { STACK_TEST, withHarness } from "./_harness.ts";

Deno.test("stand-in: transactions and database errors", STACK_TEST, async (t) => {
  await withHarness(async (h) => {
    await t.step("success commits", async () => {
      const res = await h.rpc("t_insert", { p_id: 1, p_note: "kept" });
      assertEquals([res.status, await res.json()], [200, 1]);
      assertEquals([...await h.sql`select note from public.t_log where id = 1`], [{
        note: "kept",
      }]);
    });

    await t.step("an error rolls the whole request back", async () => {
      const res = await h.rpc("t_insert_then_fail", { p_id: 2 });
      assertEquals([res.status, await res.json()], [400, {
        code: "P0001",
        message: "failing after the insert",
        details: null,
        hint: "rolled_back",
      }]);
      assertEquals([...await h.sql`select count(*)::int as n from public.t_log where id = 2`], [{
        n: 0,
      }]);
    });

    await t.step("a unique violation -> 409 23505", async () => {
      const res = await h.rpc("t_insert", { p_id: 1 });
      const body = await res.json();
      assertEquals([res.status, body.code], [409, "23505"]);
      assertEquals(typeof body.details, "string");
    });

    await t.step("each SQLSTATE raised in SQL maps to its status", async () => {
      const cases: [string, number, string?][] = [
        ["P0001", 400],
        ["PT403", 403],
        ["PT404", 404],
        ["PT409", 409],
        ["23503", 409],
        ["23505", 409],
        ["23502", 400],
        ["22P02", 400],
        ["40001", 500],
        ["40P01", 500],
        ["08006", 503],
        ["53300", 503],
        ["57014", 500],
        ["42883", 404],
        ["42P01", 404],
        ["XX000", 500],
        ["P0002", 500],
        ["25006", 405],
        ["28000", 403],
        ["21000", 400, "DELETE requires a WHERE clause"],
        ["21000", 500, "more than one row"],
      ];
      const token = h.serviceRoleKey;
      for (const [code, status, message = "raised by test"] of cases) {
        const res = await h.rpc("t_raise", {
          p_code: code,
          p_message: message,
          p_detail: "the detail",
          p_hint: "the_hint",
        }, { token });
        assertEquals([res.status, await res.json()], [status, {
          code,
          message,
          details: "the detail",
          hint: "the_hint",
        }], code);
        assertEquals(res.headers.get("proxy-status"), `PostgREST; error=${code}`);
      }
    });

    await t.step("RAISE SQLSTATE 'PGRST' sets status and headers", async () => {
      await h.sql.unsafe(`
        create function public.t_payment() returns void language plpgsql as $$
        begin
          raise sqlstate 'PGRST' using
            message = '{"code":"123","message":"Payment Required","details":"Quota exceeded","hint":"Upgrade"}',
            detail = '{"status":402,"headers":{"X-Powered-By":"Nerd Rage"}}';
        end $$`);
      await h.sql`notify pgrst, 'reload schema'`;
      const res = await h.rpc("t_payment", {});
      assertEquals([res.status, res.headers.get("x-powered-by"), await res.json()], [
        402,
        "Nerd Rage",
        {
          code: "123",
          message: "Payment Required",
          details: "Quota exceeded",
          hint: "Upgrade",
        },
      ]);
    });

    await t.step(
      "under concurrent load a restart gives only 200s and 503s, then 200s",
      async () => {
        let running = true;
        const statuses: Record<string, number> = {};
        const lane = async (lane: number) => {
          for (let i = 0; running; i++) {
            const res = await h.rpc("t_insert", { p_id: 100_000 + lane * 10_000 + i }, {
              token: h.serviceRoleKey,
            }).catch(() => null);
            const body = res ? await res.json().catch(() => null) : null;
            const key = res ? `${res.status}` : "no answer";
            statuses[key] = (statuses[key] ?? 0) + 1;
            if (res && res.status !== 200 && res.status !== 503) {
              statuses[`${res.status} ${body?.code} ${body?.message}`] = 1;
            }
          }
        };
        const lanes = Array.from({ length: 12 }, (_, i) => lane(i));
        await new Promise((r) => setTimeout(r, 300));
        await h.restartDb();
        await new Promise((r) => setTimeout(r, 700));
        running = false;
        await Promise.all(lanes);
        const unexpected = Object.keys(statuses).filter((k) => k !== "200" && k !== "503");
        assertEquals(unexpected, [], JSON.stringify(statuses));
        const after = await h.rpc("t_int", {});
        assertEquals([after.status, await after.json()], [200, 42]);
      },
    );

    await t.step("the stand-in survives pg_ctl restart -m fast", async () => {
      assertEquals((await h.rpc("t_int", {})).status, 200);
      await h.restartDb();
      let status = 0;
      for (let i = 0; i < 5 && status !== 200; i++) {
        const res = await h.rpc("t_int", {});
        status = res.status;
        const body = await res.json();
        if (status !== 200) {
          assertEquals([status, /^(PGRST00[01]|57P01|08\d\d\d)$/.test(body.code)], [503, true]);
        }
      }
      assertEquals(status, 200);
    });
  });
});
