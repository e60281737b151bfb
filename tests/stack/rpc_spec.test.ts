// Conformance with PostgREST's own RPC cases (docs/postgrest-standin.md, "RPC" and
// "Prefer"). Each step names the case it follows in PostgREST's test suite:
// Feature/Query/RpcSpec.hs, Feature/Query/PreferencesSpec.hs, Feature/RollbackSpec.hs,
// Feature/Query/SingularSpec.hs, Feature/Auth/AuthSpec.hs. The functions are in
// tests/stack/fixtures.sql.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { result, STACK_TEST, withHarness } from "./_harness.ts";

Deno.test("RpcSpec: return shapes, arguments, errors", STACK_TEST, async (t) => {
  await withHarness(async (h) => {
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${h.restUrl}${path}`, { headers });

    await t.step("procs with OUT/INOUT params answer an object", async () => {
      // "returns an object result when there is a single OUT param"
      assertEquals(await result(await get("/rpc/single_out_param?num=5")), {
        status: 200,
        body: { num_plus_one: 6 },
      });
      assertEquals((await result(await get("/rpc/single_json_out_param?a=1&b=two"))).body, {
        my_json: { a: 1, b: "two" },
      });
      // "returns an object result when there is a single INOUT param"
      assertEquals((await result(await get("/rpc/single_inout_param?num=2"))).body, { num: 3 });
      // "returns an object result when there are many OUT params"
      assertEquals((await result(await get("/rpc/many_out_params"))).body, {
        my_json: { a: 1, b: "two" },
        num: 3,
        str: "four",
      });
      // "returns an object result when there are many INOUT params"
      assertEquals(
        (await result(await get("/rpc/many_inout_params?num=1&str=two&b=false"))).body,
        { num: 1, str: "two", b: false },
      );
      // "can handle procs with args that have a DEFAULT value"
      assertEquals((await result(await get("/rpc/many_inout_params?num=1&str=two"))).body, {
        num: 1,
        str: "two",
        b: true,
      });
      const viaPost = await h.rpc("single_out_param", { num: 5 });
      assertEquals(await result(viaPost), { status: 200, body: { num_plus_one: 6 } });
    });

    await t.step("procs with TABLE return answer an array of objects", async () => {
      // "returns an object result when there is a single-column TABLE return type"
      assertEquals((await result(await get("/rpc/single_column_table_return"))).body, [
        { a: "A" },
      ]);
      // "returns an object result when there is a multi-column TABLE return type"
      assertEquals((await result(await get("/rpc/multi_column_table_return"))).body, [
        { a: "A", b: "B" },
      ]);
    });

    await t.step("record and setof record", async () => {
      // "returns a record type", "returns a setof record type"
      assertEquals(await result(await h.rpc("returns_record", undefined, { raw: "" })), {
        status: 200,
        body: { id: 1, name: "one" },
      });
      assertEquals(await result(await h.rpc("returns_setof_record", undefined, { raw: "" })), {
        status: 200,
        body: [{ id: 1, name: "one" }, { id: 2, name: "two" }],
      });
    });

    await t.step("procs with VARIADIC params", async () => {
      // "works with POST"
      assertEquals(
        (await result(await h.rpc("variadic_param", { v: ["hi", "hello", "there"] }))).body,
        ["hi", "hello", "there"],
      );
      // "works with GET and repeated params": n=0 (through DEFAULT), n=1, n>1
      assertEquals((await result(await get("/rpc/variadic_param"))).body, []);
      assertEquals((await result(await get("/rpc/variadic_param?v=hi"))).body, ["hi"]);
      assertEquals((await result(await get("/rpc/variadic_param?v=hi&v=there"))).body, [
        "hi",
        "there",
      ]);
      // "returns last value for repeated non-variadic params in function with other
      // VARIADIC arguments"
      assertEquals(
        (await result(await get("/rpc/sayhello_variadic?name=ignored&name=world&v=unused")))
          .body,
        "Hello, world",
      );
    });

    await t.step("a proc with bit and char parameters", async () => {
      // "modifies the param type from character to character varying"
      assertEquals(
        (await result(await get("/rpc/char_param_select?char_=abcdefg&char_arr={abc,abcdefg}")))
          .body,
        [{ char_: "abcdefg", char_arr: ["abc", "abcdefg"] }],
      );
      const charInsert = await h.rpc("char_param_insert", {
        char_: "abcdefg",
        char_arr: "{abc,abcdefg}",
      });
      assertEquals(await result(charInsert), {
        status: 400,
        body: {
          code: "22001",
          details: null,
          hint: null,
          message: "value too long for type character(5)",
        },
      });
      // "modifies the param type from bit to bit varying"
      assertEquals(
        (await result(await get("/rpc/bit_param_select?bit_=101010&bit_arr={101,101010}"))).body,
        [{ bit_: "101010", bit_arr: ["101", "101010"] }],
      );
      const bitInsert = await h.rpc("bit_param_insert", {
        bit_: "101010",
        bit_arr: "{101,101010}",
      });
      assertEquals(await result(bitInsert), {
        status: 400,
        body: {
          code: "22026",
          details: null,
          hint: null,
          message: "bit string length 6 does not match type bit(5)",
        },
      });
    });

    await t.step("RAISE PTxyz maps to its status; PT not followed by a number is 500", async () => {
      await h.sql.unsafe(`
        create function public.raise_pt402() returns void language plpgsql as $$
        begin
          raise sqlstate 'PT402' using message = 'Payment Required',
            detail = 'Quota exceeded', hint = 'Upgrade your plan';
        end $$;
        create function public.raise_bad_pt() returns void language plpgsql as $$
        begin raise sqlstate 'PT40A' using message = 'Wrong'; end $$;`);
      // "can map a RAISE error code and message to a http status"
      const pt402 = await get("/rpc/raise_pt402");
      assertEquals(await result(pt402), {
        status: 402,
        body: {
          hint: "Upgrade your plan",
          details: "Quota exceeded",
          code: "PT402",
          message: "Payment Required",
        },
      });
      assertEquals(pt402.headers.get("content-type"), "application/json; charset=utf-8");
      // "defaults to status 500 if RAISE code is PT not followed by a number"
      assertEquals(await result(await get("/rpc/raise_bad_pt")), {
        status: 500,
        body: { hint: null, details: null, code: "PT40A", message: "Wrong" },
      });
    });

    await t.step(
      "RAISE SQLSTATE 'PGRST' with malformed MESSAGE or DETAIL is 500 PGRST121",
      async () => {
        await h.sql.unsafe(`
        create function public.raise_sqlstate_invalid_json_message() returns void
        language plpgsql as $$ begin
          raise sqlstate 'PGRST' using message = 'INVALID', detail = '{"status":400,"headers":{}}';
        end $$;
        create function public.raise_sqlstate_invalid_json_details() returns void
        language plpgsql as $$ begin
          raise sqlstate 'PGRST' using message = '{"code":"123","message":"ABC"}', detail = 'INVALID';
        end $$;
        create function public.raise_sqlstate_missing_details() returns void
        language plpgsql as $$ begin
          raise sqlstate 'PGRST' using message = '{"code":"123","message":"ABC"}';
        end $$;`);
        const message = `Could not parse JSON in the "RAISE SQLSTATE 'PGRST'" error`;
        const detailHint =
          "DETAIL must be a JSON object with obligatory keys: 'status', 'headers' and optional key: 'status_text'.";
        // "returns error for invalid JSON in the MESSAGE option of the RAISE statement"
        assertEquals(await result(await get("/rpc/raise_sqlstate_invalid_json_message")), {
          status: 500,
          body: {
            code: "PGRST121",
            message,
            details: "Invalid JSON value for MESSAGE: 'INVALID'",
            hint:
              "MESSAGE must be a JSON object with obligatory keys: 'code', 'message' and optional keys: 'details', 'hint'.",
          },
        });
        // "returns error for invalid JSON in the DETAIL option of the RAISE statement"
        assertEquals(await result(await get("/rpc/raise_sqlstate_invalid_json_details")), {
          status: 500,
          body: {
            code: "PGRST121",
            message,
            details: "Invalid JSON value for DETAIL: 'INVALID'",
            hint: detailHint,
          },
        });
        // "returns error for missing DETAIL option in the RAISE statement"
        assertEquals(await result(await get("/rpc/raise_sqlstate_missing_details")), {
          status: 500,
          body: {
            code: "PGRST121",
            message,
            details: "DETAIL is missing in the RAISE statement",
            hint: detailHint,
          },
        });
      },
    );

    await t.step(
      "a proc that returns a set: filters, select, order and range on its result",
      async () => {
        // "can filter proc results", GET and POST
        const filtered = [{ id: 2 }, { id: 3 }, { id: 4 }];
        const viaPost = await fetch(`${h.restUrl}/rpc/t_series?id=gt.1&id=lt.5&select=id`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ p_n: 10 }),
        });
        assertEquals(await result(viaPost), { status: 200, body: filtered });
        assertEquals(
          (await result(await get("/rpc/t_series?p_n=10&id=gt.1&id=lt.5&select=id"))).body,
          filtered,
        );
        // "can limit proc results"
        const limited = await get(
          "/rpc/t_series?p_n=10&id=gt.1&id=lt.5&select=id&limit=2&offset=1",
        );
        assertEquals(limited.headers.get("content-range"), "1-2/*");
        assertEquals((await result(limited)).body, [{ id: 3 }, { id: 4 }]);
        // "using the Range header"; "includes total count if requested" (206)
        const ranged = await get("/rpc/t_series?p_n=4&select=id&order=id.desc", {
          Range: "1-1",
          Prefer: "count=exact",
        });
        assertEquals([ranged.status, ranged.headers.get("content-range")], [206, "1-1/4"]);
        assertEquals((await result(ranged)).body, [{ id: 3 }]);
        assertEquals(ranged.headers.get("preference-applied"), "count=exact");
        // "should filter a proc that has arg name = filter name"; "... with the not operator"
        assertEquals(
          (await result(await get("/rpc/get_projects_below?id=5&id=gt.2&select=id"))).body,
          [
            { id: 3 },
            { id: 4 },
          ],
        );
        assertEquals(
          (await result(await get("/rpc/get_projects_below?id=5&id=not.in.(1,3)&select=id"))).body,
          [{ id: 2 }, { id: 4 }],
        );
        // "includes exact count of 1 for functions that return a single scalar"
        const scalar = await get("/rpc/t_int", { Prefer: "count=exact" });
        assertEquals([scalar.headers.get("content-range"), await scalar.json()], ["0-0/1", 42]);
      },
    );

    await t.step("only for POST rpc: the query string holds filters, not arguments", async () => {
      // "gives a parse filter error if GET style proc args are specified"
      const res = await fetch(`${h.restUrl}/rpc/t_echo?p_id=${crypto.randomUUID()}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: "{}",
      });
      const body = await res.json();
      assertEquals([res.status, body.code], [400, "PGRST100"]);
      // "ignores json keys not included in ?columns"
      const id = crypto.randomUUID();
      const columns = await fetch(`${h.restUrl}/rpc/t_echo?columns=p_id`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ p_id: id, smth: "here", other: "stuff" }),
      });
      assertEquals(await result(columns), { status: 200, body: { id, n: null, note: null } });
      // "only takes the first object in case of array of objects payload"
      const first = await h.rpc("t_echo", [{ p_id: id, p_n: 1 }, { p_id: id, p_n: 2 }]);
      assertEquals((await result(first)).body, { id, n: 1, note: null });
    });

    await t.step("GUC headers and status set by the function", async () => {
      // "succeeds setting the headers"
      const res = await get("/rpc/get_int_and_guc_headers?num=1");
      assertEquals([res.status, res.headers.get("x-test"), res.headers.get("x-test-2")], [
        200,
        "key1=val1; someValue; key2=val2",
        "key1=val1",
      ]);
      assertEquals(await res.json(), 1);
      // "fails when setting headers with wrong json structure"
      assertEquals(await result(await h.rpc("bad_guc_headers_1", {})), {
        status: 500,
        body: {
          message:
            "response.headers guc must be a JSON array composed of objects with a single key and a string value",
          code: "PGRST111",
          details: null,
          hint: null,
        },
      });
      // "can override the status on RPC"
      assertEquals(await result(await get("/rpc/send_body_status_403")), {
        status: 403,
        body: { message: "invalid user or password" },
      });
      // "fails when setting invalid status guc"
      assertEquals(await result(await get("/rpc/send_bad_status")), {
        status: 500,
        body: {
          message: "response.status guc must be a valid status code",
          code: "PGRST112",
          details: null,
          hint: null,
        },
      });
    });

    await t.step(
      "answers carry Content-Length; void answers 204 without Content-Type",
      async () => {
        // AuthSpec "denies access to tables that anonymous does not own" checks Content-Length;
        // RpcSpec "returns 204, no Content-Type header and no content for void"
        const res = await h.rpc("t_echo", { p_id: "x" });
        const text = await res.text();
        assertEquals(
          res.headers.get("content-length"),
          String(new TextEncoder().encode(text).length),
        );
        const ok = await h.rpc("t_text", {});
        assertEquals([ok.headers.get("content-length"), await ok.text()], ["4", '"hi"']);
        const voided = await h.rpc("t_void", {});
        assertEquals([voided.status, voided.headers.get("content-type"), await voided.text()], [
          204,
          null,
          "",
        ]);
      },
    );
  });
});

Deno.test("Singular and Prefer on RPC: rollback, handling, tx", STACK_TEST, async (t) => {
  await withHarness(async (h) => {
    const logged = async (ids: number[]) => {
      const [row] = await h.sql`select count(*)::int as n from public.t_log where id = any(${ids})`;
      return row.n;
    };

    await t.step("a write whose answer cannot be one object is rolled back (406)", async () => {
      // SingularSpec: "fails for multiple rows and rolls back" (functions that write)
      const res = await h.rpc("t_insert_rows", { p_ids: [501, 502] }, {
        headers: { Accept: "application/vnd.pgrst.object+json" },
      });
      assertEquals(await result(res), {
        status: 406,
        body: {
          code: "PGRST116",
          message: "Cannot coerce the result to a single JSON object",
          details: "The result contains 2 rows",
          hint: null,
        },
      });
      assertEquals(await logged([501, 502]), 0);
      const one = await h.rpc("t_insert_rows", { p_ids: [503] }, {
        headers: { Accept: "application/vnd.pgrst.object+json" },
      });
      assertEquals(await result(one), { status: 200, body: { id: 503, note: "many" } });
      assertEquals(await logged([503]), 1);
    });

    await t.step("handling=strict refuses unknown preferences (PGRST122)", async () => {
      // PreferencesSpec: "throws error with rpc"
      const strict = await h.rpc("t_int", {}, { headers: { Prefer: "handling=strict, anything" } });
      assertEquals(await result(strict), {
        status: 400,
        body: {
          details: "Invalid preferences: anything",
          message: "Invalid preferences given with handling=strict",
          code: "PGRST122",
          hint: null,
        },
      });
      // "throw error when handling=strict and invalid prefs are given with multiples in
      // separate prefers"
      const many = await fetch(`${h.restUrl}/rpc/t_int`, {
        method: "POST",
        headers: [["Prefer", "handling=strict"], ["Prefer", "something, else"]],
        body: "{}",
      });
      assertEquals((await result(many)).body.details, "Invalid preferences: something, else");
      // "does not throw error with rpc" (lenient)
      const lenient = await h.rpc("t_int", {}, {
        headers: { Prefer: "handling=lenient, anything" },
      });
      assertEquals([
        lenient.status,
        lenient.headers.get("preference-applied"),
        await lenient.json(),
      ], [
        200,
        "handling=lenient",
        42,
      ]);
    });

    await t.step("max-affected under handling=strict (PGRST124, PGRST128)", async () => {
      // PostgREST 12.2+: a set-returning call answering more rows than allowed is refused and
      // its writes rolled back; a function answering one value cannot take the preference.
      const strict = (n: number) => ({ headers: { Prefer: `handling=strict, max-affected=${n}` } });
      const over = await h.rpc("t_insert_rows", { p_ids: [560, 561, 562] }, strict(2));
      assertEquals(await result(over), {
        status: 400,
        body: {
          code: "PGRST124",
          message: "Query result exceeds max-affected preference constraint",
          details: "The query affects 3 rows",
          hint: null,
        },
      });
      assertEquals(await logged([560, 561, 562]), 0);
      const within = await h.rpc("t_insert_rows", { p_ids: [560, 561, 562] }, strict(3));
      assertEquals(within.status, 200);
      assertEquals((await within.json()).length, 3);
      const single = await h.rpc("t_int", {}, strict(1));
      assertEquals(await result(single), {
        status: 400,
        body: {
          code: "PGRST128",
          message:
            "Function must return SETOF or TABLE when max-affected preference is used with handling=strict",
          details: null,
          hint: null,
        },
      });
      // Lenient handling ignores it.
      const lenient = await h.rpc("t_int", {}, { headers: { Prefer: "max-affected=1" } });
      assertEquals(await result(lenient), { status: 200, body: 42 });
    });

    await t.step("return= is not applied to a function's answer", async () => {
      // Response.hs answers a call with its body whatever `return=` says, and lists only
      // count, tx and handling in Preference-Applied.
      const res = await h.rpc("t_insert", { p_id: 510 }, {
        headers: { Prefer: "return=minimal, count=exact" },
      });
      assertEquals([res.status, res.headers.get("preference-applied"), await res.json()], [
        200,
        "count=exact",
        510,
      ]);
    });

    await t.step("db-tx-end = commit (Supabase): Prefer tx= is ignored", async () => {
      // RollbackSpec "tx-rollback-all = false, tx-allow-override = false": "Prefer
      // tx=rollback" still persists, without Preference-Applied
      const res = await h.rpc("t_insert", { p_id: 520 }, { headers: { Prefer: "tx=rollback" } });
      assertEquals([res.status, res.headers.get("preference-applied")], [200, null]);
      await res.body?.cancel();
      assertEquals(await logged([520]), 1);
    });

    await t.step("db-tx-end = commit-allow-override: tx=rollback rolls back", async () => {
      const rest = await h.startRest("commit-allow-override");
      const call = (fn: string, body: unknown, prefer: string) =>
        fetch(`${rest.url}/rpc/${fn}`, {
          method: "POST",
          headers: { "Content-Type": "application/json", Prefer: prefer },
          body: JSON.stringify(body),
        });
      // RollbackSpec "tx-allow-override = true", "Prefer tx=rollback": "does not persist"
      const rolled = await call("t_insert", { p_id: 530 }, "tx=rollback");
      assertEquals([rolled.status, rolled.headers.get("preference-applied"), await rolled.json()], [
        200,
        "tx=rollback",
        530,
      ]);
      assertEquals(await logged([530]), 0);
      // "Prefer tx=commit": "does persist", with Preference-Applied
      const committed = await call("t_insert", { p_id: 531 }, "tx=commit");
      assertEquals(committed.headers.get("preference-applied"), "tx=commit");
      await committed.body?.cancel();
      assertEquals(await logged([531]), 1);
      // "raises deferred constraints" even when rolling back; no Preference-Applied
      const deferred = await call("raise_constraint", { deferred: true }, "tx=rollback");
      const body = await deferred.json();
      assertEquals([deferred.status, body.code, deferred.headers.get("preference-applied")], [
        409,
        "23505",
        null,
      ]);
    });
  });
});
