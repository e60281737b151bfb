// Conformance of the changes the local Realtime delivers: the `postgres_changes` message and
// its typed payload per event, `event` and every filter operator honoured, row level
// security decided per subscriber by the table's own policies (claims, roles, column
// privileges), the record-less notices the service sends instead (no primary key, no
// privilege on it, a policy that raised), commit order, and a table published later.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { type Harness, type Message, type RawClient, sleep, withHarness } from "./_harness.ts";

const steps = { sanitizeOps: false, sanitizeResources: false };

/** Joins `name` with `bindings` and waits until the subscription is live. */
async function subscribe(
  c: RawClient,
  name: string,
  bindings: Record<string, unknown>[],
  token?: string,
): Promise<number[]> {
  const { reply } = await c.join(name, {
    config: { postgres_changes: bindings },
    ...(token ? { access_token: token } : {}),
  });
  const system = await c.next((m) => m.topic === `realtime:${name}` && m.event === "system");
  assertEquals(system.payload.status, "ok", system.payload.message);
  return reply.payload.response.postgres_changes.map((b: { id: number }) => b.id);
}

const changes = (c: RawClient, name: string): Message[] =>
  c.of(`realtime:${name}`, "postgres_changes");

/** Writes a marker row to rt_open and waits until `c` has it on `name`: everything committed
 * before the marker has been delivered by then. */
async function settle(h: Harness, c: RawClient, name: string, marker: number) {
  await h.sql`insert into public.rt_open (id, label) values (${marker}, 'marker')`;
  await c.next((m) =>
    m.topic === `realtime:${name}` && m.event === "postgres_changes" &&
    m.payload.data.table === "rt_open" && m.payload.data.record?.id === marker
  );
}

const MARK = { event: "INSERT", schema: "public", table: "rt_open", filter: "label=eq.marker" };

Deno.test({
  name: "changes: payloads, events, filters",
  ...steps,
  fn: (t) =>
    withHarness(async (h) => {
      const teamA = await h.token({ app_metadata: { team: "a" } });

      await t.step("INSERT, UPDATE, DELETE as the service sends them", async () => {
        const c = await h.raw();
        const [id] = await subscribe(
          c,
          "all",
          [{ event: "*", schema: "public", table: "rt_item" }],
          teamA,
        );
        await h
          .sql`insert into public.rt_item (id, team, n, label, price, done, tags, doc, ref, secret)
          values (1, 'a', 5, 'x', 1.25, true, '{p,q}', '{"k": [1, {"z": null}]}',
                  'c0570000-0000-4000-8000-000000000001', 'hidden')`;
        const ins = await c.next((m) => m.event === "postgres_changes");
        assertEquals([ins.joinRef, ins.ref, ins.topic, ins.payload.ids], [
          null,
          null,
          "realtime:all",
          [id],
        ]);
        const data = ins.payload.data;
        assert(
          /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(data.commit_timestamp),
          data.commit_timestamp,
        );
        assertEquals(
          Object.keys(data).sort(),
          ["columns", "commit_timestamp", "errors", "record", "schema", "table", "type"],
        );
        assertEquals([data.schema, data.table, data.type, data.errors], [
          "public",
          "rt_item",
          "INSERT",
          null,
        ]);
        assertEquals(data.columns, [
          { name: "id", type: "int4" },
          { name: "team", type: "text" },
          { name: "n", type: "int4" },
          { name: "label", type: "text" },
          { name: "price", type: "numeric" },
          { name: "done", type: "bool" },
          { name: "tags", type: "_text" },
          { name: "doc", type: "jsonb" },
          { name: "at", type: "timestamptz" },
          { name: "ref", type: "uuid" },
        ]);
        const { at, ...rest } = data.record;
        assert(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00$/.test(at), at);
        assertEquals(rest, {
          id: 1,
          team: "a",
          n: 5,
          label: "x",
          price: 1.25,
          done: true,
          tags: ["p", "q"],
          doc: { k: [1, { z: null }] },
          ref: "c0570000-0000-4000-8000-000000000001",
        });

        await h.sql`update public.rt_item set n = 6, label = null where id = 1`;
        const upd = (await c.next((m) => m.payload?.data?.type === "UPDATE")).payload.data;
        assertEquals([upd.record.n, upd.record.label, upd.old_record.n, upd.old_record.label], [
          6,
          null,
          5,
          "x",
        ]);
        assert(!("secret" in upd.record) && !("secret" in upd.old_record));

        await h.sql`delete from public.rt_item where id = 1`;
        const del = (await c.next((m) => m.payload?.data?.type === "DELETE")).payload.data;
        assertEquals([del.old_record, "record" in del], [{ id: 1 }, false]);
      });

      await t.step("DELETE on a table without row level security carries the old row", async () => {
        const c = await h.raw();
        await subscribe(
          c,
          "open",
          [{ event: "DELETE", schema: "public", table: "rt_open" }],
          teamA,
        );
        await h.sql`insert into public.rt_open values (8, 'eight')`;
        await h.sql`delete from public.rt_open where id = 8`;
        const del = await c.next((m) => m.event === "postgres_changes");
        assertEquals(del.payload.data.old_record, { id: 8, label: "eight" });
        assertEquals(changes(c, "open").length, 1); // the INSERT was not asked for
      });

      await t.step(
        "`event` selects the actions; a change names every binding it matches",
        async () => {
          const c = await h.raw();
          const [ins, upd, all] = await subscribe(c, "ev", [
            { event: "INSERT", schema: "public", table: "rt_open" },
            { event: "UPDATE", schema: "public", table: "rt_open" },
            { event: "*", schema: "public", table: "rt_open" },
          ], teamA);
          await h.sql`insert into public.rt_open (id, label) values (20, 'a')`;
          await h.sql`update public.rt_open set label = 'b' where id = 20`;
          await h.sql`delete from public.rt_open where id = 20`;
          await c.next(() => changes(c, "ev").length === 3);
          await sleep(200);
          const got = changes(c, "ev").map((m) => [m.payload.data.type, m.payload.ids.sort()]);
          assertEquals(got, [
            ["INSERT", [ins, all].sort()],
            ["UPDATE", [upd, all].sort()],
            ["DELETE", [all]],
          ]);
        },
      );

      await t.step("filters: eq, neq, lt, lte, gt, gte, in, not; NULL matches none", async () => {
        const c = await h.raw();
        const filters = [
          "n=eq.3",
          "n=neq.3",
          "n=lt.3",
          "n=lte.3",
          "n=gt.3",
          "n=gte.3",
          "n=in.(1,4)",
          'label=in.("b,c",d)',
          "n=not.eq.3",
          "ref=eq.c0570000-0000-4000-8000-000000000001",
          "n=gte.2,n=lte.4",
        ];
        const ids = await subscribe(
          c,
          "filters",
          [
            ...filters.map((filter) => ({
              event: "INSERT",
              schema: "public",
              table: "rt_item",
              filter,
            })),
            MARK,
          ],
          teamA,
        );
        const rows: [number, number | null, string | null, string | null][] = [
          [31, 1, "b,c", null],
          [32, 2, "d", "c0570000-0000-4000-8000-000000000001"],
          [33, 3, "x", null],
          [34, 4, null, null],
          [35, 5, "y", null],
          [36, null, "d", null],
        ];
        for (const [id, n, label, ref] of rows) {
          await h
            .sql`insert into public.rt_item (id, team, n, label, ref) values (${id}, 'a', ${n}, ${label}, ${ref})`;
        }
        await settle(h, c, "filters", 1030);
        const matched = (filter: string) =>
          changes(c, "filters").filter((m) => m.payload.ids.includes(ids[filters.indexOf(filter)]))
            .map((m) => m.payload.data.record.id);
        assertEquals(
          Object.fromEntries(filters.map((f) => [f, matched(f)])),
          {
            "n=eq.3": [33],
            "n=neq.3": [31, 32, 34, 35],
            "n=lt.3": [31, 32],
            "n=lte.3": [31, 32, 33],
            "n=gt.3": [34, 35],
            "n=gte.3": [33, 34, 35],
            "n=in.(1,4)": [31, 34],
            'label=in.("b,c",d)': [31, 32, 36],
            "n=not.eq.3": [31, 32, 34, 35],
            "ref=eq.c0570000-0000-4000-8000-000000000001": [32],
            "n=gte.2,n=lte.4": [32, 33, 34],
          },
        );
        // One message per change, naming all its matching bindings.
        assertEquals(
          changes(c, "filters").filter((m) => m.payload.data.table === "rt_item").length,
          6,
        );
      });

      await t.step("an UPDATE is matched on the new row, a DELETE on the old row", async () => {
        const c = await h.raw();
        await subscribe(c, "rows", [
          { event: "*", schema: "public", table: "rt_item", filter: "n=eq.40" },
          MARK,
        ], teamA);
        // Each write waits for the one before to be delivered: an INSERT or UPDATE is checked
        // against the row as it is when processed, so a row deleted by then is not sent.
        const writes = [
          h.sql`insert into public.rt_item (id, team, n) values (40, 'a', 1)`,
          h.sql`update public.rt_item set n = 40 where id = 40`,
          h.sql`update public.rt_item set n = 2 where id = 40`,
          h.sql`insert into public.rt_item (id, team, n) values (41, 'a', 40)`,
          h.sql`delete from public.rt_item where id = 41`,
        ];
        for (const [i, write] of writes.entries()) {
          await write;
          await settle(h, c, "rows", 1040 + i);
        }
        assertEquals(
          changes(c, "rows").filter((m) => m.payload.data.table === "rt_item")
            .map((
              m,
            ) => [m.payload.data.type, (m.payload.data.record ?? m.payload.data.old_record).id]),
          [["UPDATE", 40], ["INSERT", 41], ["DELETE", 41]],
        );
      });
    }),
});

Deno.test({
  name: "changes: row level security per subscriber, notices, order, publication",
  ...steps,
  fn: (t) =>
    withHarness(async (h) => {
      const binding = { event: "*", schema: "public", table: "rt_item" };

      await t.step(
        "each subscriber gets what its role and claims may select, nothing else",
        async () => {
          const subscribers: Record<string, string | undefined> = {
            teamA: await h.token({ app_metadata: { team: "a" } }),
            teamA2: await h.token({ app_metadata: { team: "a" } }),
            teamB: await h.token({ app_metadata: { team: "b" } }),
            noTeam: await h.token({ app_metadata: {} }),
            service: await h.token({ role: "service_role" }),
            anon: undefined,
          };
          const clients = new Map<string, RawClient>();
          for (const [name, token] of Object.entries(subscribers)) {
            const c = await h.raw();
            await subscribe(c, name, [binding, MARK], token);
            clients.set(name, c);
          }
          await h
            .sql`insert into public.rt_item (id, team, secret) values (50, 'a', 's'), (51, 'b', 's')`;
          await h.sql`update public.rt_item set n = 1 where id in (50, 51)`;
          for (const [name, c] of clients) {
            await settle(h, c, name, 1050 + [...clients.keys()].indexOf(name));
          }
          const seen = (name: string) =>
            changes(clients.get(name)!, name).filter((m) => m.payload.data.table === "rt_item")
              .map((m) =>
                `${m.payload.data.type} ${m.payload.data.record?.id ?? "-"} ${
                  m.payload.data.errors ?? ""
                }`
              );
          const counts = Object.fromEntries([...clients.keys()].map((n) => [n, seen(n)]));
          console.log("seen per subscriber:", JSON.stringify(counts));
          assertEquals(counts, {
            teamA: ["INSERT 50 ", "UPDATE 50 "],
            teamA2: ["INSERT 50 ", "UPDATE 50 "],
            teamB: ["INSERT 51 ", "UPDATE 51 "],
            noTeam: [],
            service: ["INSERT 50 ", "INSERT 51 ", "UPDATE 50 ", "UPDATE 51 "],
            // anon has no SELECT on rt_item: a record-less notice per change, as the service sends
            anon: [
              "INSERT - Error 401: Unauthorized",
              "INSERT - Error 401: Unauthorized",
              "UPDATE - Error 401: Unauthorized",
              "UPDATE - Error 401: Unauthorized",
            ],
          });
          const service = changes(clients.get("service")!, "service")[0].payload.data;
          assertEquals(service.record.secret, "s"); // service_role may read every column
          const anon = changes(clients.get("anon")!, "anon")[0].payload.data;
          assertEquals([anon.columns, anon.record, anon.commit_timestamp], [[], {}, null]);
        },
      );

      await t.step("a table without primary key gets the no-primary-key notice", async () => {
        const c = await h.raw();
        await subscribe(
          c,
          "nopk",
          [{ event: "INSERT", schema: "public", table: "rt_nopk" }],
          await h.token(),
        );
        await h.sql`insert into public.rt_nopk values ('x')`;
        const m = await c.next((m) => m.event === "postgres_changes");
        assertEquals([m.payload.data.errors, m.payload.data.record], [[
          "Error 400: Bad Request, no primary key",
        ], {}]);
      });

      await t.step("a policy that raises for one subscriber fails only that one", async () => {
        const boom = await h.raw();
        const fine = await h.raw();
        await subscribe(
          boom,
          "boom",
          [binding],
          await h.token({ app_metadata: { team: "a" }, boom: "x" }),
        );
        await subscribe(fine, "fine", [binding], await h.token({ app_metadata: { team: "a" } }));
        await h.sql`insert into public.rt_item (id, team) values (60, 'a')`;
        const bad = await boom.next((m) => m.event === "postgres_changes");
        assertEquals(bad.payload.data.errors, [
          "Error 500: Internal Server Error, RLS policy evaluation failed",
        ]);
        assertEquals(bad.payload.data.record, {});
        const good = await fine.next((m) => m.event === "postgres_changes");
        assertEquals([good.payload.data.record.id, good.payload.data.errors], [60, null]);
      });

      await t.step("an INSERT whose row is gone when it is processed is not sent", async () => {
        const c = await h.raw();
        await subscribe(c, "gone", [binding], await h.token({ app_metadata: { team: "a" } }));
        await h.sql.begin(async (tx) => {
          await tx`insert into public.rt_item (id, team) values (70, 'a')`;
          await tx`delete from public.rt_item where id = 70`;
        });
        const m = await c.next((m) => m.event === "postgres_changes");
        await sleep(300);
        assertEquals(changes(c, "gone").map((m) => m.payload.data.type), ["DELETE"]);
        assertEquals(m.payload.data.old_record, { id: 70 });
      });

      await t.step("changes arrive in commit order, a transaction's changes together", async () => {
        const c = await h.raw();
        await subscribe(
          c,
          "order",
          [binding, { event: "*", schema: "public", table: "rt_open" }],
          await h.token({ role: "service_role" }),
        );
        const expected: string[] = [];
        for (let i = 0; i < 20; i++) {
          await h.sql.begin(async (tx) => {
            await tx`insert into public.rt_item (id, team) values (${100 + i}, 'z')`;
            await tx`insert into public.rt_open (id, label) values (${100 + i}, 'o')`;
          });
          expected.push(`rt_item ${100 + i}`, `rt_open ${100 + i}`);
        }
        await c.next(() => changes(c, "order").length >= 40);
        await sleep(200);
        assertEquals(
          changes(c, "order").map((m) => `${m.payload.data.table} ${m.payload.data.record.id}`),
          expected,
        );
      });

      await t.step("a table added to the publication later can be subscribed", async () => {
        const c = await h.raw();
        await h.sql`alter table public.rt_hidden replica identity full`;
        await h.sql`alter publication supabase_realtime add table public.rt_hidden`;
        await subscribe(
          c,
          "later",
          [{ event: "INSERT", schema: "public", table: "rt_hidden" }],
          await h.token(),
        );
        await h.sql`insert into public.rt_hidden values (1, 'now published')`;
        const m = await c.next((m) => m.event === "postgres_changes");
        assertEquals(m.payload.data.record, { id: 1, label: "now published" });
      });
    }),
});
