// Conformance of the stand-in's resource embedding with PostgREST's own cases
// (docs/postgrest-standin.md, "Embedding"): Feature/Query/QuerySpec.hs "embedded resources",
// EmbedInnerJoinSpec.hs, EmbedDisambiguationSpec.hs, and what supabase-js sends. Tables are
// in tests/stack/fixtures.sql (t_client <- t_project <- t_task, t_node, t_owned <- t_note).
import { createClient } from "@supabase/supabase-js";
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { userToken } from "../_support/jwt.ts";
import { result, STACK_TEST, withHarness } from "./_harness.ts";

Deno.test("embedding: parents, children, filters and errors", STACK_TEST, async (t) => {
  await withHarness(async (h) => {
    const get = async (path: string, headers: Record<string, string> = {}) =>
      await result(await fetch(`${h.restUrl}${path}`, { headers }));

    await t.step("a parent is an object, children an array", async () => {
      // QuerySpec "embeds a parent", "embeds children"; a row without a parent embeds null
      assertEquals(
        (await get("/t_project?select=id,t_client(id,name)&id=in.(1,3,5)&order=id")).body,
        [
          { id: 1, t_client: { id: 1, name: "Microsoft" } },
          { id: 3, t_client: { id: 2, name: "Apple" } },
          { id: 5, t_client: null },
        ],
      );
      assertEquals(
        (await get("/t_client?select=id,t_project(id)&order=id&t_project.order=id")).body,
        [{ id: 1, t_project: [{ id: 1 }, { id: 2 }] }, {
          id: 2,
          t_project: [{ id: 3 }, { id: 4 }],
        }],
      );
      // EmbedDisambiguationSpec "can specify a table!fk hint and request children 2 levels"
      assertEquals(
        (await get(
          "/t_client?id=eq.1&select=id,projects:t_project!t_project_client_id_fkey(id,t_task(id))" +
            "&projects.order=id&projects.t_task.order=id",
        )).body,
        [{
          id: 1,
          projects: [{ id: 1, t_task: [{ id: 1 }, { id: 2 }] }, {
            id: 2,
            t_task: [{ id: 3 }, { id: 4 }],
          }],
        }],
      );
      // "can embed by column and select the column at the same time, if aliased"
      assertEquals(
        (await get("/t_project?id=in.(1,3)&select=id,client_id,client:client_id(id,name)&order=id"))
          .body,
        [
          { id: 1, client_id: 1, client: { id: 1, name: "Microsoft" } },
          { id: 3, client_id: 2, client: { id: 2, name: "Apple" } },
        ],
      );
      // a parent's parent, and every column with `*`
      assertEquals(
        (await get("/t_task?id=eq.5&select=*,t_project(name,t_client(name))")).body,
        [{
          id: 5,
          name: "Design IOS",
          project_id: 3,
          t_project: { name: "IOS", t_client: { name: "Apple" } },
        }],
      );
    });

    await t.step("filters, order, limit and !inner on an embedded resource", async () => {
      // QuerySpec "filtering nested items", "ordering embeded entities", "limit of embeded"
      assertEquals(
        (await get("/t_client?id=eq.1&select=id,t_project(id)&t_project.id=gt.1")).body,
        [{ id: 1, t_project: [{ id: 2 }] }],
      );
      assertEquals(
        (await get(
          "/t_client?id=eq.1&select=id,t_project(id)&t_project.order=id.desc&t_project.limit=1",
        ))
          .body,
        [{ id: 1, t_project: [{ id: 2 }] }],
      );
      assertEquals(
        (await get("/t_client?id=eq.2&select=id,t_project(id)&t_project.or=(id.eq.3,name.eq.none)"))
          .body,
        [{ id: 2, t_project: [{ id: 3 }] }],
      );
      // without !inner a filter on children keeps every parent; with it, only parents with a match
      assertEquals(
        (await get("/t_client?select=id,t_project(id)&t_project.name=eq.IOS&order=id")).body,
        [{ id: 1, t_project: [] }, { id: 2, t_project: [{ id: 3 }] }],
      );
      assertEquals(
        (await get("/t_client?select=id,t_project!inner(id)&t_project.name=eq.IOS")).body,
        [{ id: 2, t_project: [{ id: 3 }] }],
      );
    });

    await t.step("an embedded resource without columns, and null filtering on one", async () => {
      // EmbedInnerJoinSpec / QuerySpec "null filtering on embedded resources": `x()` answers no
      // key; `x=not.is.null` keeps rows with (matching) embedded rows, `x=is.null` rows without
      const ids = async (path: string) =>
        ((await get(path)).body as { id: number }[]).map((r) => r.id);
      assertEquals((await get("/t_client?select=id,t_project()&order=id")).body, [{ id: 1 }, {
        id: 2,
      }]);
      assertEquals(
        (await get("/t_client?select=id,t_project!inner()&t_project.name=eq.IOS")).body,
        [{ id: 2 }],
      );
      assertEquals((await get("/t_project?select=id,t_task(id)&t_task=is.null&order=id")).body, [
        { id: 4, t_task: [] },
        { id: 5, t_task: [] },
      ]);
      assertEquals(await ids("/t_project?select=id,t_task()&t_task=not.is.null&order=id"), [
        1,
        2,
        3,
      ]);
      assertEquals(
        await ids(
          "/t_project?select=id,t_task()&t_task.name=like.Code*&t_task=not.is.null&order=id",
        ),
        [1, 2],
      );
      assertEquals(
        await ids("/t_project?select=id,t_task()&or=(t_task.not.is.null,budget.gt.45)&order=id"),
        [1, 2, 3, 5],
      );
    });

    await t.step("errors: no relationship, more than one, not embedded", async () => {
      // EmbedDisambiguationSpec "fails if the fk is not known"
      assertEquals(await get("/t_project?select=id,t_log(*)"), {
        status: 400,
        body: {
          code: "PGRST200",
          message:
            "Could not find a relationship between 't_project' and 't_log' in the schema cache",
          details:
            "Searched for a foreign key relationship between 't_project' and 't_log' in the schema 'public', but no matches were found.",
          hint: null,
        },
      });
      assertEquals(
        (await get("/t_project?select=id,t_client!nope(*)")).body.details,
        "Searched for a foreign key relationship between 't_project' and 't_client' using the hint 'nope' in the schema 'public', but no matches were found.",
      );
      // "errs on an ambiguous embed that has a circular reference": a table referencing itself
      const ambiguous = await get("/t_node?select=*,t_node(*)");
      assertEquals([ambiguous.status, ambiguous.body.code, ambiguous.body.message], [
        300,
        "PGRST201",
        "Could not embed because more than one relationship was found for 't_node' and 't_node'",
      ]);
      assertEquals(
        (ambiguous.body.details as { cardinality: string; relationship: string }[])
          .map((d) => `${d.cardinality}: ${d.relationship}`).sort(),
        [
          "many-to-one: t_node_parent_id_fkey using t_node(parent_id) and t_node(id)",
          "one-to-many: t_node_parent_id_fkey using t_node(id) and t_node(parent_id)",
        ],
      );
      // filters on a resource the select list does not embed
      assertEquals(await get("/t_project?select=id&t_client.id=eq.1"), {
        status: 400,
        body: {
          code: "PGRST108",
          message: "'t_client' is not an embedded resource in this request",
          details: null,
          hint: "Verify that 't_client' is included in the 'select' query parameter.",
        },
      });
    });

    await t.step("row level security applies to embedded rows", async () => {
      const alice = await userToken();
      const bob = await userToken();
      await h.sql`insert into public.t_owned values (10, ${alice.sub}, 'a'), (11, ${bob.sub}, 'b')`;
      await h.sql`insert into public.t_note values (1, 10, 'on a'), (2, 11, 'on b')`;
      assertEquals(
        (await get("/t_note?select=id,t_owned(note)&order=id", {
          Authorization: `Bearer ${alice.token}`,
        })).body,
        [{ id: 1, t_owned: { note: "a" } }, { id: 2, t_owned: null }],
      );
    });

    await t.step("a write answers its rows with their embedded resources", async () => {
      const res = await fetch(`${h.restUrl}/t_task?select=id,t_project(name)`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Prefer: "return=representation" },
        body: JSON.stringify({ id: 9, name: "Test w7", project_id: 1 }),
      });
      assertEquals(await result(res), {
        status: 201,
        body: [{ id: 9, t_project: { name: "Windows 7" } }],
      });
    });

    await t.step("supabase-js through the gateway", async () => {
      const db = createClient(h.apiUrl, h.serviceRoleKey, {
        auth: { persistSession: false, autoRefreshToken: false },
      });
      const read = await db.from("t_client").select("id, projects:t_project(id, t_task(name))")
        .eq("id", 2).eq("projects.id", 3);
      assertEquals([read.status, read.data], [
        200,
        [{ id: 2, projects: [{ id: 3, t_task: [{ name: "Design IOS" }] }] }],
      ]);
      const inner = await db.from("t_project").select("id, t_client!inner(name)")
        .eq("t_client.name", "Apple").order("id");
      assertEquals(inner.data, [
        { id: 3, t_client: { name: "Apple" } },
        { id: 4, t_client: { name: "Apple" } },
      ]);
    });
  });
});
