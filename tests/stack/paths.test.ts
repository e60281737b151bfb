// Conformance of the stand-in's JSON paths and full-text search operators with PostgREST's own
// cases (docs/postgrest-standin.md, "Query string"): Feature/Query/JsonOperatorSpec.hs and
// QuerySpec.hs "Full text search operator", and what supabase-js sends. Tables are in
// tests/stack/fixtures.sql (t_json, t_doc).
import { createClient } from "@supabase/supabase-js";
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { result, STACK_TEST, withHarness } from "./_harness.ts";

Deno.test("JSON paths and full-text search", STACK_TEST, async (t) => {
  await withHarness(async (h) => {
    const get = async (path: string) => (await result(await fetch(`${h.restUrl}${path}`))).body;
    const ids = async (path: string) => ((await get(path)) as { id: number }[]).map((r) => r.id);

    await t.step("JSON paths in select, filters and order", async () => {
      // JsonOperatorSpec "obtains a json subfield one level with casting", "renames json
      // subfield", "gets array item", "can filter by properties inside json column"
      assertEquals(await get("/t_json?select=id,data->>blood_type&order=id"), [
        { id: 1, blood_type: "A-" },
        { id: 2, blood_type: "O+" },
        { id: 3, blood_type: "AB+" },
      ]);
      assertEquals(await get("/t_json?select=type:data->>blood_type,data->age&id=eq.2"), [
        { type: "O+", age: 25 },
      ]);
      assertEquals(await get("/t_json?select=data->phones->0->>number&id=eq.1"), [
        { number: "917-929-5745" },
      ]);
      assertEquals(await get("/t_json?select=id,data->>age::int&id=eq.3"), [{ id: 3, age: 40 }]);
      assertEquals(await ids("/t_json?data->>blood_type=eq.A-"), [1]);
      assertEquals(await ids("/t_json?data->tags->>vip=eq.true"), [1]);
      assertEquals(await ids("/t_json?data->age=gt.26&order=id"), [1, 3]);
      assertEquals(await ids("/t_json?data->>blood_type=like.A*&order=data->>age.desc"), [3, 1]);
      assertEquals(await ids("/t_json?data->tags=is.null"), [3]);
    });

    await t.step("full-text search: fts, plfts, phfts, wfts, with a configuration", async () => {
      // QuerySpec "finds matches with to_tsquery", "can use lexeme boolean operators",
      // "finds matches with plainto_tsquery", "finds matches with phraseto_tsquery",
      // "finds matches with websearch_to_tsquery", "can be negated"
      assertEquals(await ids("/t_doc?words=fts.cat&order=id"), [1, 2, 3]);
      assertEquals(await ids("/t_doc?words=fts.rat%26fat&order=id"), [1, 2, 4]);
      assertEquals(await ids("/t_doc?words=fts(english).dogs%7Cran&order=id"), [3, 4]);
      assertEquals(await ids("/t_doc?words=plfts.fat%20rats&order=id"), [1, 2, 4]);
      assertEquals(await ids("/t_doc?words=phfts(english).cats%20ate&order=id"), [1]);
      assertEquals(await ids("/t_doc?words=wfts(english).cat%20-dog&order=id"), [1, 2]);
      assertEquals(await ids("/t_doc?words=not.fts.cat&order=id"), [4]);
      // a text column: the database's own text @@ tsquery
      assertEquals(await ids("/t_doc?body=fts(english).chase&order=id"), [3]);
    });

    await t.step("supabase-js", async () => {
      const db = createClient(h.apiUrl, h.serviceRoleKey, {
        auth: { persistSession: false, autoRefreshToken: false },
      });
      const search = await db.from("t_doc").select("id").textSearch("words", "fat & cat", {
        config: "english",
      }).order("id");
      assertEquals(search.data, [{ id: 1 }, { id: 2 }]);
      const web = await db.from("t_doc").select("id").textSearch("body", '"cats ate" or dogs', {
        type: "websearch",
        config: "english",
      }).order("id");
      assertEquals(web.data, [{ id: 1 }, { id: 3 }]);
      const json = await db.from("t_json").select("id, data->phones").eq("data->>blood_type", "O+");
      assertEquals(json.data, [{ id: 2, phones: [{ number: "646-896-4521" }] }]);
    });
  });
});
