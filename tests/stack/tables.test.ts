// Conformance of the stand-in's table routes with PostgREST's own cases
// (docs/postgrest-standin.md, "Tables"). Each step names the case it follows in PostgREST's
// test suite: Feature/Query/QuerySpec.hs, RangeSpec.hs, InsertSpec.hs, UpdateSpec.hs,
// DeleteSpec.hs, UpsertSpec.hs, SingularSpec.hs, Feature/Auth/AuthSpec.hs. Tables are in
// tests/stack/fixtures.sql. Also what supabase-js sends, through the gateway.
import { createClient } from "@supabase/supabase-js";
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { userToken } from "../_support/jwt.ts";
import { MAX_ROWS, result, STACK_TEST, withHarness } from "./_harness.ts";

Deno.test("tables: reads", STACK_TEST, async (t) => {
  await withHarness(async (h) => {
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${h.restUrl}${path}`, { headers });
    const ids = async (path: string) =>
      ((await result(await get(path))).body as { id: number }[]).map((r) => r.id);

    await t.step("horizontal filters", async () => {
      // QuerySpec "matches with equality", "matches with more than one condition using not
      // operator", "matches items IN", "matches nulls using not operator", "matches with like",
      // "matches with ilike"
      assertEquals(await ids("/t_project?id=eq.2"), [2]);
      assertEquals(await ids("/t_project?id=neq.2&order=id"), [1, 3, 4, 5]);
      assertEquals(await ids("/t_project?id=gt.2&id=lte.4&order=id"), [3, 4]);
      assertEquals(await ids("/t_project?id=gte.4&order=id"), [4, 5]);
      assertEquals(await ids("/t_project?id=lt.2"), [1]);
      assertEquals(await ids("/t_project?id=not.eq.2&id=not.eq.4&order=id"), [1, 3, 5]);
      assertEquals(await ids("/t_project?id=in.(1,3,5)&order=id"), [1, 3, 5]);
      assertEquals(await ids("/t_project?id=not.in.(1,3,5)&order=id"), [2, 4]);
      assertEquals(await ids('/t_project?name=in.("Windows 7",IOS)&order=id'), [1, 3]);
      // QueryParams pListElement: only an element that starts with `"` is quoted; in any other
      // a quote is a character of the value
      assertEquals(await ids('/t_project?name=in.(IOS,Win"dows 7")&order=id'), [3]);
      assertEquals(await ids("/t_project?budget=is.null"), [3]);
      assertEquals(await ids("/t_project?client_id=not.is.null&order=id"), [1, 2, 3, 4]);
      assertEquals(await ids("/t_project?name=like.Windows*&order=id"), [1, 2]);
      assertEquals(await ids("/t_project?name=ilike.*os*&order=id"), [3, 4]);
      // QuerySpec "matches filtering nested items" is about embedding; `or` trees:
      // AndOrParamsSpec "can do simple logic"
      assertEquals(await ids("/t_project?or=(id.eq.1,id.eq.4)&order=id"), [1, 4]);
      assertEquals(await ids("/t_project?or=(id.eq.1,and(client_id.eq.2,budget.gt.30))&order=id"), [
        1,
        4,
      ]);
      assertEquals(await ids("/t_project?not.or=(id.lt.3,id.gt.4)&order=id"), [3, 4]);
    });

    await t.step("select, order, limit and offset", async () => {
      // QuerySpec "selecting a single column", "can rename and cast the selected columns"
      assertEquals((await result(await get("/t_project?select=name&id=eq.1"))).body, [
        { name: "Windows 7" },
      ]);
      assertEquals(
        (await result(await get("/t_project?select=pId:id::text,pName:name&id=eq.1"))).body,
        [{ pId: "1", pName: "Windows 7" }],
      );
      // QuerySpec "ordering": "by a column desc", "by a column asc with nulls first"
      assertEquals(await ids("/t_project?order=id.desc"), [5, 4, 3, 2, 1]);
      assertEquals(await ids("/t_project?order=budget.asc.nullsfirst,id"), [3, 1, 2, 4, 5]);
      // LimitOffsetSpec / RangeSpec "limit", "offset"
      const page = await get("/t_project?order=id&limit=2&offset=1");
      assertEquals([page.status, page.headers.get("content-range")], [200, "1-2/*"]);
      assertEquals((await result(page)).body.map((r: { id: number }) => r.id), [2, 3]);
      // A view of the exposed schema is served like a table.
      assertEquals((await result(await get("/t_project_view?id=eq.3"))).body, [
        { id: 3, name: "IOS" },
      ]);
    });

    await t.step("Range header and Prefer: count=exact", async () => {
      // RangeSpec "with range headers": "a satisfiable range ... 206 with exact count"
      const ranged = await get("/t_project?order=id", { Range: "0-1", Prefer: "count=exact" });
      assertEquals([ranged.status, ranged.headers.get("content-range")], [206, "0-1/5"]);
      assertEquals(ranged.headers.get("preference-applied"), "count=exact");
      await ranged.body?.cancel();
      const all = await get("/t_project", { Prefer: "count=exact" });
      assertEquals([all.status, all.headers.get("content-range")], [200, "0-4/5"]);
      await all.body?.cancel();
      // "an invalid range ... 416" (offset past the end with a count)
      const past = await get("/t_project?offset=9", { Prefer: "count=exact" });
      const body = await past.json();
      assertEquals([past.status, body.code], [416, "PGRST103"]);
      const empty = await get("/t_project?id=eq.99");
      assertEquals([empty.headers.get("content-range"), await empty.json()], ["*/*", []]);
      // HEAD: the same headers, no body
      const head = await fetch(`${h.restUrl}/t_project`, {
        method: "HEAD",
        headers: { Prefer: "count=exact" },
      });
      assertEquals([head.status, head.headers.get("content-range"), await head.text()], [
        200,
        "0-4/5",
        "",
      ]);
    });

    await t.step("db-max-rows: a read and an RPC answer at most max_rows rows", async () => {
      // supabase/config.toml [api] max_rows, as Supabase runs PostgREST (db-max-rows): the
      // range is cut to max-rows rows from its offset, and Content-Range says so
      assertEquals(MAX_ROWS, 1000);
      const all = await get("/t_many?select=id&order=id", { Prefer: "count=exact" });
      const rows = (await all.json()) as { id: number }[];
      assertEquals([all.status, all.headers.get("content-range"), rows.length, rows.at(-1)?.id], [
        206,
        "0-999/1500",
        1000,
        1000,
      ]);
      const asked = await get("/t_many?select=id&order=id&limit=5000&offset=1200");
      assertEquals([asked.headers.get("content-range"), (await asked.json()).length], [
        "1200-1499/*",
        300,
      ]);
      const rpc = await get("/rpc/t_many_ids");
      assertEquals([rpc.headers.get("content-range"), (await rpc.json()).length], [
        "0-999/*",
        1000,
      ]);
    });

    await t.step("Accept: application/vnd.pgrst.object+json", async () => {
      // SingularSpec "with GET": "will select an existing object", "can shape plurality
      // singular object routes", "fails for zero and for multiple rows"
      const single = { Accept: "application/vnd.pgrst.object+json" };
      const one = await get("/t_project?id=eq.1&select=id,name", single);
      assertEquals(
        one.headers.get("content-type"),
        "application/vnd.pgrst.object+json; charset=utf-8",
      );
      assertEquals(await result(one), { status: 200, body: { id: 1, name: "Windows 7" } });
      for (const [path, n] of [["/t_project?id=eq.99", 0], ["/t_project?id=lt.3", 2]] as const) {
        assertEquals(await result(await get(path, single)), {
          status: 406,
          body: {
            code: "PGRST116",
            message: "Cannot coerce the result to a single JSON object",
            details: `The result contains ${n} rows`,
            hint: null,
          },
        });
      }
    });

    await t.step("errors", async () => {
      // "unknown table" -> 404 PGRST205
      const missing = await result(await get("/t_nothing"));
      assertEquals([missing.status, missing.body.code, missing.body.message], [
        404,
        "PGRST205",
        "Could not find the table 'public.t_nothing' in the schema cache",
      ]);
      // a bad filter -> 400 PGRST100; an unknown column -> 400 42703
      const badFilter = await result(await get("/t_project?id=nope.1"));
      assertEquals([badFilter.status, badFilter.body.code], [400, "PGRST100"]);
      const badColumn = await result(await get("/t_project?select=nope"));
      assertEquals([badColumn.status, badColumn.body.code], [400, "42703"]);
      // AuthSpec "denies access to tables that anonymous does not own" (401, WWW-Authenticate,
      // Content-Length) and "... that postgrest_test_author does not own" (403)
      const anon = await get("/t_secret");
      const anonText = await anon.text();
      assertEquals([anon.status, JSON.parse(anonText)], [401, {
        hint: null,
        details: null,
        code: "42501",
        message: "permission denied for table t_secret",
      }]);
      assertEquals(
        [anon.headers.get("www-authenticate"), anon.headers.get("content-length")],
        ["Bearer", String(anonText.length)],
      );
      const user = await get("/t_secret", { Authorization: `Bearer ${(await userToken()).token}` });
      assertEquals([user.status, (await user.json()).code], [403, "42501"]);
      // methods a table route does not serve
      const put = await fetch(`${h.restUrl}/t_project`, { method: "PUT", body: "{}" });
      assertEquals([put.status, (await put.json()).code], [405, "PGRST117"]);
    });

    await t.step("row level security applies as the request's role", async () => {
      const alice = await userToken();
      const bob = await userToken();
      await h.sql`insert into public.t_owned values (1, ${alice.sub}, 'a'), (2, ${bob.sub}, 'b')`;
      const asAlice = await get("/t_owned", { Authorization: `Bearer ${alice.token}` });
      assertEquals((await result(asAlice)).body, [{ id: 1, owner: alice.sub, note: "a" }]);
      // A user cannot write a row the policy refuses (42501 -> 403).
      const write = await fetch(`${h.restUrl}/t_owned`, {
        method: "POST",
        headers: { Authorization: `Bearer ${alice.token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ id: 3, owner: bob.sub }),
      });
      assertEquals([write.status, (await write.json()).code], [403, "42501"]);
    });
  });
});

Deno.test("tables: writes", STACK_TEST, async (t) => {
  await withHarness(async (h) => {
    const send = (
      method: string,
      path: string,
      body: unknown,
      headers: Record<string, string> = {},
    ) =>
      fetch(`${h.restUrl}${path}`, {
        method,
        headers: { "Content-Type": "application/json", ...headers },
        body: body === undefined
          ? undefined
          : typeof body === "string"
          ? body
          : JSON.stringify(body),
      });
    const rows = async (
      where: string,
    ) => [
      ...await h.sql.unsafe(
        `select id, name, status from public.t_project where ${where} order by id`,
      ),
    ];
    const rep = { Prefer: "return=representation" };

    await t.step("insert", async () => {
      // InsertSpec "with valid json payload": "succeeds and returns 201 created", no body
      const created = await send("POST", "/t_project", { id: 10, name: "Ten" });
      assertEquals([created.status, created.headers.get("content-type"), await created.text()], [
        201,
        null,
        "",
      ]);
      assertEquals(created.headers.get("content-range"), "*/*");
      assertEquals(await rows("id = 10"), [{ id: 10, name: "Ten", status: "new" }]);
      // "filters columns in result using &select" with return=representation
      const shaped = await send(
        "POST",
        "/t_project?select=id,name",
        { id: 11, name: "Eleven" },
        rep,
      );
      assertEquals(await result(shaped), { status: 201, body: [{ id: 11, name: "Eleven" }] });
      assertEquals(shaped.headers.get("preference-applied"), "return=representation");
      // "with bulk insert": "returns 201 but no location header"; count=exact
      const bulk = await send(
        "POST",
        "/t_project",
        [{ id: 12, name: "a" }, { id: 13, name: "b" }],
        {
          Prefer: "count=exact",
        },
      );
      assertEquals([bulk.status, bulk.headers.get("content-range"), bulk.headers.get("location")], [
        201,
        "*/2",
        null,
      ]);
      await bulk.body?.cancel();
      // "requesting headers only representation": Location of the new row
      const located = await send("POST", "/t_project?select=name", { id: 14, name: "x" }, {
        Prefer: "return=headers-only",
      });
      assertEquals([located.status, located.headers.get("location"), await located.text()], [
        201,
        "/t_project?id=eq.14",
        "",
      ]);
      // columns=: only those keys, the others of each object are ignored
      const cols = await send("POST", "/t_project?columns=id,name", [
        { id: 15, name: "c", status: "ignored" },
        { id: 16, name: "d" },
      ]);
      assertEquals(cols.status, 201);
      await cols.body?.cancel();
      assertEquals(await rows("id in (15, 16)"), [
        { id: 15, name: "c", status: "new" },
        { id: 16, name: "d", status: "new" },
      ]);
      // Prefer missing=default with columns=: absent keys take the column default
      const defaults = await send("POST", "/t_project?columns=id,name,status", [{
        id: 17,
        name: "e",
      }], {
        Prefer: "missing=default, return=representation",
      });
      assertEquals((await result(defaults)).body[0].status, "new");
      const nulls = await send(
        "POST",
        "/t_project?columns=id,name,status",
        [{ id: 18, name: "f" }],
        rep,
      );
      assertEquals((await result(nulls)).body[0].status, null);
    });

    await t.step("insert errors", async () => {
      // "non uniform json array": "rejects json array that has objects with different keys"
      assertEquals(
        await result(await send("POST", "/t_project", [{ id: 20, name: "a" }, { id: 21 }])),
        {
          status: 400,
          body: {
            message: "All object keys must match",
            code: "PGRST102",
            hint: null,
            details: null,
          },
        },
      );
      // "with invalid json payload", "with no payload": 400 PGRST102
      for (const body of ["}{ x = 2", ""]) {
        assertEquals(await result(await send("POST", "/t_project", body)), {
          status: 400,
          body: { message: "Empty or invalid json", code: "PGRST102", details: null, hint: null },
        });
      }
      // a key that is not a column: 400 PGRST204
      const unknown = await result(await send("POST", "/t_project", { id: 22, nope: 1 }));
      assertEquals([unknown.status, unknown.body.code, unknown.body.message], [
        400,
        "PGRST204",
        "Could not find the 'nope' column of 't_project' in the schema cache",
      ]);
      // "attempting to insert a row with the same primary key": 409 23505
      const dup = await result(await send("POST", "/t_project", { id: 1, name: "again" }));
      assertEquals([dup.status, dup.body.code, dup.body.details], [
        409,
        "23505",
        "Key (id)=(1) already exists.",
      ]);
      // foreign key 23503 -> 409; check 23514 -> 400; not null 23502 -> 400
      const fk = await result(
        await send("POST", "/t_project", { id: 23, name: "x", client_id: 9 }),
      );
      assertEquals([fk.status, fk.body.code], [409, "23503"]);
      const check = await result(
        await send("POST", "/t_project", { id: 24, name: "x", budget: -1 }),
      );
      assertEquals([check.status, check.body.code], [400, "23514"]);
      const notNull = await result(await send("POST", "/t_project", { id: 25 }));
      assertEquals([notNull.status, notNull.body.code], [400, "23502"]);
      // P0001 from a trigger -> 400 with its hint; nothing is written
      assertEquals(await result(await send("POST", "/t_project", { id: 26, name: "forbidden" })), {
        status: 400,
        body: {
          code: "P0001",
          message: "name not allowed",
          details: null,
          hint: "name_not_allowed",
        },
      });
      assertEquals(await rows("id between 20 and 26"), []);
    });

    await t.step("upsert", async () => {
      const merge = { Prefer: "return=representation, resolution=merge-duplicates" };
      // UpsertSpec "INSERTs and UPDATEs rows on pk conflict" (201), "UPDATEs rows on pk
      // conflict" (200)
      const mixed = await send("POST", "/t_project?select=id,name", [
        { id: 1, name: "Windows 7 SP1" },
        { id: 30, name: "Thirty" },
      ], merge);
      assertEquals(await result(mixed), {
        status: 201,
        body: [{ id: 1, name: "Windows 7 SP1" }, { id: 30, name: "Thirty" }],
      });
      assertEquals(
        mixed.headers.get("preference-applied"),
        "resolution=merge-duplicates, return=representation",
      );
      const updates = await send(
        "POST",
        "/t_project?select=id,name",
        [{ id: 30, name: "30" }],
        merge,
      );
      assertEquals(await result(updates), { status: 200, body: [{ id: 30, name: "30" }] });
      // "succeeds when the payload has no elements" (200)
      assertEquals(await result(await send("POST", "/t_project", [], merge)), {
        status: 200,
        body: [],
      });
      // "INSERTs and ignores rows on pk conflict"
      const ignore = await send("POST", "/t_project?select=id,name", [
        { id: 30, name: "not applied" },
        { id: 31, name: "Thirty-one" },
      ], { Prefer: "return=representation, resolution=ignore-duplicates" });
      assertEquals(await result(ignore), { status: 201, body: [{ id: 31, name: "Thirty-one" }] });
      assertEquals(await rows("id = 30"), [{ id: 30, name: "30", status: "new" }]);
      // "INSERTs and UPDATEs rows on single unique key conflict" (on_conflict)
      await h.sql`insert into public.t_unique (code, qty) values ('A', 1)`;
      const onConflict = await send("POST", "/t_unique?on_conflict=code&select=code,qty", [
        { code: "A", qty: 5 },
        { code: "B", qty: 6 },
      ], merge);
      assertEquals(await result(onConflict), {
        status: 201,
        body: [{ code: "A", qty: 5 }, { code: "B", qty: 6 }],
      });
    });

    await t.step("update", async () => {
      // UpdateSpec "with representation requested: returns updated object"
      const updated = await send(
        "PATCH",
        "/t_project?id=eq.2&select=id,name",
        { name: "Win 10" },
        rep,
      );
      assertEquals(await result(updated), { status: 200, body: [{ id: 2, name: "Win 10" }] });
      assertEquals(updated.headers.get("content-range"), "0-0/*");
      // "returns empty array when no rows updated and return=rep"... and 204 without it
      const none = await send("PATCH", "/t_project?id=eq.999", { name: "x" }, rep);
      assertEquals(await result(none), { status: 200, body: [] });
      const minimal = await send("PATCH", "/t_project?id=eq.3", { status: "done" }, {
        Prefer: "count=exact",
      });
      assertEquals([minimal.status, minimal.headers.get("content-range"), await minimal.text()], [
        204,
        "0-0/1",
        "",
      ]);
      // "Payload with no columns": an empty object updates nothing
      const empty = await send("PATCH", "/t_project?id=eq.3", {}, rep);
      assertEquals(await result(empty), { status: 200, body: [] });
      // Without a filter, Supabase's `safeupdate` refuses the UPDATE (400 21000) and nothing
      // changes; a filter matching every row updates every row.
      const unfiltered = await send("PATCH", "/t_project", { status: "all" }, rep);
      assertEquals(await result(unfiltered), {
        status: 400,
        body: {
          code: "21000",
          message: "UPDATE requires a WHERE clause",
          details: null,
          hint: null,
        },
      });
      assertEquals(await rows("status = 'all'"), []);
      const all = await send("PATCH", "/t_project?id=not.is.null", { status: "all" }, {
        Prefer: "count=exact",
      });
      assertEquals(all.status, 204);
      const [{ n }] = await h
        .sql`select count(*)::int as n from public.t_project where status <> 'all'`;
      assertEquals(n, 0);
      // Limited update (PostgREST 12): `limit` / `offset` in `order` change that page of the
      // matching rows only; such a PATCH has a WHERE clause, so safeupdate lets it through.
      const first = await send("PATCH", "/t_project?order=id&limit=1", { status: "first" });
      assertEquals(first.status, 204);
      const [{ lowest }] = await h.sql`select min(id)::int as lowest from public.t_project`;
      assertEquals((await rows("status = 'first'")).map((r) => r.id), [lowest]);
      const paged = await send(
        "PATCH",
        "/t_project?id=not.is.null&order=id.desc&limit=2&offset=1",
        {
          status: "paged",
        },
      );
      assertEquals(paged.status, 204);
      const ids = (await h.sql`select id::int from public.t_project order by id desc`).map((r) =>
        r.id
      );
      assertEquals((await rows("status = 'paged'")).map((r) => r.id), [ids[2], ids[1]]);
      // Prefer: max-affected under handling=strict (PostgREST 12.2+, supabase-js maxAffected):
      // more rows than allowed is 400 PGRST124 and rolled back; lenient ignores it.
      const many = await send("PATCH", "/t_project?id=lt.3", { status: "capped" }, {
        Prefer: "handling=strict, max-affected=1",
      });
      assertEquals(await result(many), {
        status: 400,
        body: {
          code: "PGRST124",
          message: "Query result exceeds max-affected preference constraint",
          details: "The query affects 2 rows",
          hint: null,
        },
      });
      assertEquals(await rows("status = 'capped'"), []);
      const within = await send("PATCH", "/t_project?id=lt.3", { status: "capped" }, {
        Prefer: "handling=strict, max-affected=2",
      });
      assertEquals(within.status, 204);
      const lenient = await send("PATCH", "/t_project?id=lt.4", { status: "capped" }, {
        Prefer: "max-affected=1",
      });
      assertEquals(lenient.status, 204);
      assertEquals((await rows("status = 'capped'")).length, 3);
      // SingularSpec "with PATCH": "fails if more than one record would be updated" and
      // rolls the update back
      const single = await send("PATCH", "/t_project?id=lt.3", { status: "single" }, {
        Accept: "application/vnd.pgrst.object+json",
        ...rep,
      });
      assertEquals([single.status, (await single.json()).code], [406, "PGRST116"]);
      assertEquals(await rows("status = 'single'"), []);
    });

    await t.step("delete", async () => {
      // Without a filter: 400 21000 (`safeupdate`), nothing deleted; over max-affected:
      // 400 PGRST124, rolled back.
      const unfiltered = await send("DELETE", "/t_project", undefined, rep);
      assertEquals(await result(unfiltered), {
        status: 400,
        body: {
          code: "21000",
          message: "DELETE requires a WHERE clause",
          details: null,
          hint: null,
        },
      });
      const before = (await rows("true")).length;
      const many = await send("DELETE", "/t_project?id=in.(30,31)", undefined, {
        Prefer: "handling=strict, max-affected=1",
      });
      assertEquals([many.status, (await many.json()).details], [400, "The query affects 2 rows"]);
      assertEquals((await rows("true")).length, before);
      // DeleteSpec "existing record": "succeeds with 204 and deletion count"
      const removed = await send("DELETE", "/t_project?id=eq.31", undefined, {
        Prefer: "count=exact",
      });
      assertEquals([removed.status, removed.headers.get("content-range"), await removed.text()], [
        204,
        "*/1",
        "",
      ]);
      // "returns the deleted item and count if requested"
      const rep2 = await send("DELETE", "/t_project?id=eq.30&select=id,name", undefined, rep);
      assertEquals(await result(rep2), { status: 200, body: [{ id: 30, name: "30" }] });
      assertEquals(await rows("id in (30, 31)"), []);
      // a foreign key still referencing the row: 409 23503
      const referenced = await result(await send("DELETE", "/t_client?id=eq.1", undefined));
      assertEquals([referenced.status, referenced.body.code], [409, "23503"]);
    });

    await t.step("request.method, request.path and request.headers reach SQL", async () => {
      const res = await send("POST", "/t_seen?select=method,path,ua", {}, {
        ...rep,
        "X-Client-Info": "supabase-js/2",
      });
      assertEquals(await result(res), {
        status: 201,
        body: [{ method: "POST", path: "/t_seen", ua: "supabase-js/2" }],
      });
    });
  });
});

Deno.test("tables: what supabase-js sends, through the gateway", STACK_TEST, async () => {
  await withHarness(async (h) => {
    const db = createClient(h.apiUrl, h.serviceRoleKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    });
    const read = await db.from("t_project").select("id,name", { count: "exact" })
      .in("id", [1, 2, 3]).neq("id", 2).order("id", { ascending: false }).range(0, 0);
    assertEquals([read.status, read.count, read.data], [206, 2, [{ id: 3, name: "IOS" }]]);
    const single = await db.from("t_project").select("name").eq("id", 4).single();
    assertEquals(single.data, { name: "OSX" });
    const inserted = await db.from("t_project").insert([{ id: 40, name: "forty" }, {
      id: 41,
      name: "forty-one",
      budget: 1,
    }]).select("id,budget");
    assertEquals([inserted.status, inserted.data], [201, [{ id: 40, budget: null }, {
      id: 41,
      budget: 1,
    }]]);
    const upserted = await db.from("t_project").upsert({ id: 40, name: "FORTY" }).select("name");
    assertEquals([upserted.status, upserted.data], [200, [{ name: "FORTY" }]]);
    const updated = await db.from("t_project").update({ status: "js" }).eq("id", 41).select(
      "status",
    );
    assertEquals(updated.data, [{ status: "js" }]);
    const removed = await db.from("t_project").delete().in("id", [40, 41]);
    assertEquals([removed.status, removed.error], [204, null]);
    const failed = await db.from("t_project").insert({ id: 1, name: "dup" });
    assertEquals([failed.status, failed.error?.code], [409, "23505"]);
  });
});
