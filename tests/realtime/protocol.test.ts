// Conformance of the local Realtime's channel protocol, frame by frame, as realtime-js 2.x
// speaks it: the gateway's key-auth, heartbeats, joins and their replies (ids in binding
// order), the `system` message once subscribed and the reasons when not, leave, unmatched
// topics, access-token refresh and expiry, a second join of a topic, vsn 1.0.0 objects.
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { LOCAL_JWT_SECRET, LOCAL_PUBLISHABLE_KEY, signJwt } from "../../stack/jwt.ts";
import { type Harness, type Message, sleep, withHarness } from "./_harness.ts";

const steps = { sanitizeOps: false, sanitizeResources: false };

const isSystem = (topic: string) => (m: Message) => m.topic === topic && m.event === "system";

async function changeOn(h: Harness, id: number, team = "a") {
  await h.sql`insert into public.rt_item (id, team, n) values (${id}, ${team}, ${id})`;
}

Deno.test({
  name: "protocol: connection, heartbeat, join, leave, topics",
  ...steps,
  fn: (t) =>
    withHarness(async (h) => {
      const teamA = await h.token({ app_metadata: { team: "a" } });

      await t.step("the gateway requires a known apikey; Realtime checks it too", async () => {
        const url = `${h.apiUrl}/realtime/v1/websocket`;
        const none = await fetch(`${url}?vsn=2.0.0`);
        assertEquals([none.status, await none.json()], [401, {
          message: "No API key found in request",
        }]);
        const bad = await fetch(`${url}?apikey=nope`);
        assertEquals([bad.status, await bad.json()], [401, { message: "Invalid API key" }]);
        const forged = await signJwt({ role: "anon", exp: 2e9 }, "x".repeat(40));
        const direct = await h.realtime.handle(
          new Request(`http://x/realtime/v1/websocket?apikey=${forged}`, {
            headers: { upgrade: "websocket" },
          }),
        );
        assertEquals(direct.status, 403);
      });

      await t.step("the CLI's publishable key stands for the anon key", async () => {
        // supabase-js sends it as `apikey` and, without a session, as the join's access_token
        const c = await h.raw({ apikey: LOCAL_PUBLISHABLE_KEY });
        const { reply } = await c.join("open", {
          config: { postgres_changes: [{ event: "INSERT", schema: "public", table: "rt_open" }] },
          access_token: LOCAL_PUBLISHABLE_KEY,
        });
        assertEquals(reply.payload.status, "ok");
        assertEquals((await c.next(isSystem("realtime:open"))).payload.status, "ok");
        await h.sql`insert into public.rt_open values (77, 'seen by anon')`;
        const change = await c.next((m) => m.event === "postgres_changes");
        assertEquals(change.payload.data.record, { id: 77, label: "seen by anon" });
      });

      await t.step("heartbeat on `phoenix` is answered ok", async () => {
        const c = await h.raw();
        const ref = c.send("phoenix", "heartbeat", {});
        const r = await c.reply(ref);
        assertEquals(r, {
          joinRef: null,
          ref,
          topic: "phoenix",
          event: "phx_reply",
          payload: { status: "ok", response: {} },
        });
      });

      await t.step(
        "join: reply echoes each binding with its id, in order; then system ok",
        async () => {
          const c = await h.raw();
          const bindings = [
            { event: "UPDATE", schema: "public", table: "rt_item", filter: "n=gt.5" },
            { event: "*", schema: "public", table: "rt_open" },
            { event: "INSERT", schema: "public", table: "rt_item" },
          ];
          const { ref, reply } = await c.join("room", {
            config: { postgres_changes: bindings },
            access_token: teamA,
          });
          assertEquals([reply.joinRef, reply.topic, reply.payload.status], [
            ref,
            "realtime:room",
            "ok",
          ]);
          const echoed = reply.payload.response.postgres_changes;
          assertEquals(echoed.map(({ id: _, ...rest }: { id: number }) => rest), bindings);
          assert(echoed.every((b: { id: unknown }) => Number.isInteger(b.id)));
          assertEquals(new Set(echoed.map((b: { id: number }) => b.id)).size, 3);
          const system = await c.next(isSystem("realtime:room"));
          assertEquals([system.joinRef, system.ref, system.payload], [ref, null, {
            extension: "postgres_changes",
            status: "ok",
            message: "Subscribed to PostgreSQL",
            channel: "room",
          }]);
          // The same entry joined elsewhere gets the same id.
          const other = await h.raw();
          const again = await other.join("elsewhere", {
            config: { postgres_changes: [bindings[2]] },
            access_token: teamA,
          });
          assertEquals(again.reply.payload.response.postgres_changes[0].id, echoed[2].id);
        },
      );

      await t.step("a join without postgres_changes is answered with none", async () => {
        const c = await h.raw();
        const { reply } = await c.join("plain", { config: {} });
        assertEquals(reply.payload, { status: "ok", response: { postgres_changes: [] } });
        await sleep(200);
        assertEquals(c.of("realtime:plain", "system"), []);
      });

      await t.step("bad tokens, topics and private channels are refused in the reply", async () => {
        const c = await h.raw();
        const now = Math.floor(Date.now() / 1000);
        const cases: [string, Record<string, unknown>, string | RegExp][] = [
          ["forged", {
            access_token: await signJwt({ role: "anon", exp: now + 60 }, "y".repeat(40)),
          }, "JwtSignatureError: Failed to validate JWT signature"],
          [
            "garbage",
            { access_token: "not-a-jwt" },
            "MalformedJWT: The token provided is not a valid JWT",
          ],
          [
            "expired",
            { access_token: await h.token({ exp: now - 30 }) },
            /^InvalidJWTToken: Token has expired 3\d seconds ago$/,
          ],
          [
            "noexp",
            { access_token: await signJwt({ role: "authenticated" }, LOCAL_JWT_SECRET) },
            "InvalidJWTToken: Fields `role` and `exp` are required in JWT",
          ],
          [
            "private",
            { access_token: teamA, config: { private: true } },
            "Unauthorized: You do not have permissions to read from this Channel topic: private (the local Realtime serves public channels only)",
          ],
        ];
        for (const [name, payload, reason] of cases) {
          const { reply } = await c.join(name, payload);
          assertEquals(reply.payload.status, "error", name);
          const got = reply.payload.response.reason;
          assert(typeof reason === "string" ? got === reason : reason.test(got), `${name}: ${got}`);
        }
        const empty = c.send("realtime:", "phx_join", {}, "90");
        assertEquals(
          (await c.reply(empty)).payload.response.reason,
          "TopicNameRequired: You must provide a topic name",
        );
        const stray = c.send("room:x", "phx_join", {}, "91");
        assertEquals((await c.reply(stray)).payload, {
          status: "error",
          response: { reason: "unmatched topic" },
        });
        const unjoined = c.send("realtime:never", "access_token", { access_token: teamA }, "92");
        assertEquals((await c.reply(unjoined)).payload.response.reason, "unmatched topic");
      });

      await t.step(
        "bindings Realtime cannot subscribe get a system error after an ok reply",
        async () => {
          const c = await h.raw();
          const cases: [Record<string, unknown>, RegExp][] = [
            [
              { event: "*", schema: "public", table: "rt_hidden" },
              /Please check Realtime is enabled for the given connect parameters: \[event: \*, schema: public, table: rt_hidden/,
            ],
            [
              { event: "*", schema: "public", table: "rt_item", filter: "n=like.5" },
              /^Error parsing `filter` params/,
            ],
            [
              { event: "*", schema: "public", table: "rt_item", filter: "secret=eq.x" },
              /Exception: invalid column for filter secret$/,
            ],
            [
              { event: "*", schema: "public", table: "rt_item", filter: "n=eq.abc" },
              /Exception: invalid input syntax for type integer: "abc"$/,
            ],
            [{ event: "*" }, /^No subscription params provided/],
          ];
          for (const [i, [binding, message]] of cases.entries()) {
            const { reply } = await c.join(`bad${i}`, {
              config: { postgres_changes: [binding] },
              access_token: teamA,
            });
            assertEquals(reply.payload.status, "ok");
            const system = await c.next(isSystem(`realtime:bad${i}`));
            assertEquals([system.payload.extension, system.payload.status], [
              "postgres_changes",
              "error",
            ]);
            assert(message.test(system.payload.message), system.payload.message);
          }
        },
      );

      await t.step("phx_leave is answered, closes the channel, and stops its changes", async () => {
        const c = await h.raw();
        const { ref } = await c.join("leaving", {
          config: { postgres_changes: [{ event: "*", schema: "public", table: "rt_item" }] },
          access_token: teamA,
        });
        await c.next(isSystem("realtime:leaving"));
        await changeOn(h, 100);
        await c.next((m) => m.event === "postgres_changes");
        const leave = c.send("realtime:leaving", "phx_leave", {}, ref);
        assertEquals((await c.reply(leave)).payload, { status: "ok", response: {} });
        const close = await c.next((m) => m.event === "phx_close");
        assertEquals([close.joinRef, close.ref, close.payload], [ref, ref, {}]);
        await changeOn(h, 101);
        await sleep(500);
        assertEquals(c.messages.filter((m) => m.event === "postgres_changes").length, 1);
      });

      await t.step("a second join of a topic closes the first", async () => {
        const c = await h.raw();
        const first = await c.join("twice", { config: {}, access_token: teamA });
        const second = await c.join("twice", { config: {}, access_token: teamA });
        assertEquals(second.reply.payload.status, "ok");
        const close = await c.next((m) => m.event === "phx_close");
        assertEquals(close.joinRef, first.ref);
      });

      await t.step("a frame that is not the protocol closes the connection", async () => {
        const c = await h.raw();
        c.sendText('{"not":"an array"}');
        const closed = await c.closed;
        assertEquals(closed.code, 4007);
      });
    }),
});

Deno.test({
  name: "protocol: access tokens refreshed, refused and expiring; vsn 1.0.0",
  ...steps,
  fn: (t) =>
    withHarness(async (h) => {
      const teamA = await h.token({ app_metadata: { team: "a" } });
      const teamB = await h.token({ app_metadata: { team: "b" } });
      const binding = { event: "INSERT", schema: "public", table: "rt_item" };

      await t.step("access_token switches the claims the changes are checked against", async () => {
        const c = await h.raw();
        await c.join("refresh", { config: { postgres_changes: [binding] }, access_token: teamA });
        await c.next(isSystem("realtime:refresh"));
        await changeOn(h, 1, "a");
        await c.next((m) => m.event === "postgres_changes" && m.payload.data.record.id === 1);
        c.send("realtime:refresh", "access_token", { access_token: teamB }, c.messages[0].joinRef);
        await c.next((m) =>
          isSystem("realtime:refresh")(m) && c.of("realtime:refresh", "system").length === 2
        );
        await changeOn(h, 2, "a");
        await changeOn(h, 3, "b");
        await c.next((m) => m.event === "postgres_changes" && m.payload.data.record.id === 3);
        const ids = c.of("realtime:refresh", "postgres_changes").map((m) =>
          m.payload.data.record.id
        );
        assertEquals(ids, [1, 3]);
      });

      await t.step("a refused access_token closes the channel with a system error", async () => {
        const c = await h.raw();
        const { ref } = await c.join("refused", { config: {}, access_token: teamA });
        c.send("realtime:refused", "access_token", { access_token: "not-a-jwt" }, ref);
        const system = await c.next(isSystem("realtime:refused"));
        assertEquals(system.payload, {
          extension: "system",
          status: "error",
          message: "MalformedJWT: The token provided is not a valid JWT",
          channel: "refused",
        });
        await c.next((m) => m.event === "phx_close" && m.joinRef === ref);
      });

      await t.step("the channel closes when its token expires", async () => {
        const c = await h.raw();
        const soon = await h.token({ exp: Math.floor(Date.now() / 1000) + 2 });
        const { ref } = await c.join("expiring", { config: {}, access_token: soon });
        const system = await c.next(isSystem("realtime:expiring"), 5000);
        assertEquals([
          system.payload.status,
          /^InvalidJWTToken: Token has expired/.test(system.payload.message),
        ], ["error", true]);
        await c.next((m) => m.event === "phx_close" && m.joinRef === ref);
      });

      await t.step("vsn 1.0.0: objects in and out, the same events", async () => {
        const c = await h.raw({ vsn: "1.0.0" });
        const hb = c.send("phoenix", "heartbeat", {});
        assertEquals((await c.reply(hb)).payload, { status: "ok", response: {} });
        const { reply } = await c.join("v1", {
          config: { postgres_changes: [binding] },
          access_token: teamA,
        });
        assertEquals(reply.payload.status, "ok");
        await c.next(isSystem("realtime:v1"));
        await changeOn(h, 10, "a");
        const change = await c.next((m) => m.event === "postgres_changes");
        assertEquals(
          [change.topic, change.ref, change.payload.ids, change.payload.data.record.id],
          [
            "realtime:v1",
            null,
            [reply.payload.response.postgres_changes[0].id],
            10,
          ],
        );
      });
    }),
});
