// The gateway (stack/gateway.ts): Kong's apikey check on /rest/v1, the edge runtime's
// verify_jwt on /functions/v1/<name>, unknown functions, path mapping, streamed bodies and
// headers, and 502 when a function fails or drops the connection.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { startGateway } from "../../stack/gateway.ts";
import { foreignToken, userToken } from "../_support/jwt.ts";
import { STACK_TEST, withHarness } from "./_harness.ts";

/** A stand-in function upstream that echoes what it received. */
function echoFunction() {
  const abort = new AbortController();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: abort.signal,
    onListen() {},
    onError: () => new Response("crashed", { status: 500 }),
  }, async (req) => {
    const url = new URL(req.url);
    if (url.pathname.endsWith("/drop")) throw new Error("the function crashed");
    if (url.pathname.endsWith("/stream")) {
      const chunks = ["a", "b", "c"];
      return new Response(
        new ReadableStream({
          async pull(c) {
            const next = chunks.shift();
            if (next === undefined) return c.close();
            await new Promise((r) => setTimeout(r, 5));
            c.enqueue(new TextEncoder().encode(next));
          },
        }),
        { headers: { "X-Streamed": "yes" } },
      );
    }
    return Response.json({
      method: req.method,
      path: url.pathname,
      search: url.search,
      body: await req.text(),
      authorization: req.headers.get("authorization"),
      custom: req.headers.get("x-custom"),
    }, { headers: { "X-Function": "echo" } });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    stop: () => (abort.abort(), server.finished),
  };
}

Deno.test("gateway", STACK_TEST, async (t) => {
  const fn = echoFunction();
  try {
    await withHarness(async (h) => {
      const rest = (headers: Record<string, string>) =>
        fetch(`${h.apiUrl}/rest/v1/rpc/t_int`, { method: "POST", headers, body: "{}" });

      await t.step("/rest/v1 requires a known apikey, like Kong", async () => {
        const missing = await rest({});
        assertEquals([missing.status, await missing.json()], [401, {
          message: "No API key found in request",
        }]);
        assertEquals(missing.headers.get("www-authenticate"), 'Key realm="kong"');
        const wrong = await rest({ apikey: await foreignToken() });
        assertEquals([wrong.status, await wrong.json()], [401, { message: "Invalid API key" }]);
        const ok = await rest({ apikey: h.anonKey });
        assertEquals([ok.status, await ok.json()], [200, 42]);
        assertEquals(ok.headers.get("access-control-allow-origin"), "*");
        assertEquals(missing.headers.get("access-control-allow-origin"), "*");
        const preflight = await fetch(`${h.apiUrl}/rest/v1/rpc/t_int`, { method: "OPTIONS" });
        assertEquals(preflight.status, 200);
        assertEquals(
          preflight.headers.get("access-control-allow-headers")?.includes("apikey"),
          true,
        );
        await preflight.body?.cancel();
        // Kong's cors plugin allows the headers a preflight asks for (an app's global headers)
        const asking = await fetch(`${h.apiUrl}/rest/v1/t_item`, {
          method: "OPTIONS",
          headers: {
            Origin: "http://pos.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "apikey,authorization,x-request-id",
          },
        });
        assertEquals(
          [asking.status, asking.headers.get("access-control-allow-headers")],
          [200, "apikey,authorization,x-request-id"],
        );
        await asking.body?.cancel();
        // a page on another origin may read the count and the location (PostgREST's Cors.hs)
        const page = await fetch(`${h.apiUrl}/rest/v1/t_item?select=id`, {
          headers: { apikey: h.anonKey, Origin: "http://pos.example", Prefer: "count=exact" },
        });
        await page.body?.cancel();
        assertEquals(
          [page.headers.get("access-control-allow-origin"), page.headers.get("content-range")],
          ["*", "0-1/2"],
        );
        assertEquals(
          page.headers.get("access-control-expose-headers")?.split(", ").filter((h) =>
            ["Content-Range", "Location"].includes(h)
          ),
          ["Content-Range", "Location"],
        );
        // key-auth takes an `apikey` from the query string and does not pass it on
        const inQuery = await fetch(
          `${h.apiUrl}/rest/v1/t_item?select=id&order=id&apikey=${h.anonKey}`,
        );
        assertEquals([inQuery.status, await inQuery.json()], [200, [{ id: 1 }, { id: 2 }]]);
        const service = await rest({
          apikey: h.serviceRoleKey,
          Authorization: `Bearer ${h.serviceRoleKey}`,
        });
        assertEquals(service.status, 200);
        await service.body?.cancel();
      });

      await t.step(
        "/rest/v1/rpc/x reaches /rpc/x with the caller's token and PostgREST headers",
        async () => {
          const user = await userToken();
          const res = await fetch(`${h.apiUrl}/rest/v1/rpc/t_whoami`, {
            method: "POST",
            headers: {
              apikey: h.anonKey,
              Authorization: `Bearer ${user.token}`,
              "Content-Type": "application/json",
            },
            body: "{}",
          });
          const me = await res.json();
          assertEquals([me.path, me.uid, me.headers.apikey], [
            "/rpc/t_whoami",
            user.sub,
            h.anonKey,
          ]);
          const denied = await fetch(`${h.apiUrl}/rest/v1/rpc/t_int`, {
            method: "POST",
            headers: { apikey: h.anonKey, Authorization: "Bearer nonsense" },
          });
          assertEquals([denied.status, denied.headers.get("proxy-status")], [
            401,
            "PostgREST; error=PGRST301",
          ]);
          assertEquals(denied.headers.get("www-authenticate")?.startsWith("Bearer"), true);
          await denied.body?.cancel();
        },
      );

      const gw = await startGateway({
        postgrestUrl: h.restUrl,
        functions: {
          open: { url: fn.url, verifyJwt: false },
          guarded: { url: fn.url, verifyJwt: true },
          gone: { url: "http://127.0.0.1:1", verifyJwt: false },
        },
        jwtSecret: "super-secret-jwt-token-with-at-least-32-characters-long",
        apiKeys: [h.anonKey],
      }, 0);
      try {
        const call = (name: string, init: RequestInit = {}) =>
          fetch(`${gw.url}/functions/v1/${name}`, {
            method: "POST",
            body: '{"action":"get"}',
            ...init,
          });

        await t.step("verify_jwt: missing header, bad token, expired token, OPTIONS", async () => {
          const missing = await call("guarded");
          assertEquals([missing.status, (await missing.json()).code], [
            401,
            "UNAUTHORIZED_NO_AUTH_HEADER",
          ]);
          for (
            const token of [
              "x.y.z",
              await foreignToken(),
              (await userToken({ expiresIn: -5 })).token,
            ]
          ) {
            const bad = await call("guarded", { headers: { Authorization: `Bearer ${token}` } });
            const { msg } = await bad.json();
            assertEquals([bad.status, /^Invalid JWT( format)?$/.test(msg)], [401, true], msg);
          }
          const preflight = await call("guarded", { method: "OPTIONS", body: null });
          assertEquals([preflight.status, (await preflight.json()).method], [200, "OPTIONS"]);
        });

        await t.step("a valid token passes with path, query, body and headers kept", async () => {
          const user = await userToken();
          const res = await fetch(`${gw.url}/functions/v1/guarded/sub/path?x=1`, {
            method: "POST",
            headers: { Authorization: `Bearer ${user.token}`, "X-Custom": "kept" },
            body: '{"action":"get"}',
          });
          assertEquals(res.headers.get("x-function"), "echo");
          assertEquals(await res.json(), {
            method: "POST",
            path: "/guarded/sub/path",
            search: "?x=1",
            body: '{"action":"get"}',
            authorization: `Bearer ${user.token}`,
            custom: "kept",
          });
        });

        await t.step("verify_jwt = false passes without a token", async () => {
          const res = await call("open");
          assertEquals([res.status, (await res.json()).authorization], [200, null]);
        });

        await t.step("an unknown function is 404", async () => {
          const res = await call("nope");
          assertEquals([res.status, await res.json()], [404, { msg: "Function not found" }]);
        });

        await t.step(
          "a function's own 500 passes through; an unreachable one gives 502",
          async () => {
            const crashed = await call("open/drop");
            assertEquals(crashed.status, 500);
            await crashed.body?.cancel();
            const gone = await call("gone");
            assertEquals([gone.status, await gone.json()], [502, {
              message: "An invalid response was received from the upstream server",
            }]);
          },
        );

        await t.step("response bodies stream through", async () => {
          const res = await call("open/stream");
          assertEquals([res.headers.get("x-streamed"), await res.text()], ["yes", "abc"]);
        });

        await t.step("other paths are Kong's 404", async () => {
          const res = await fetch(`${gw.url}/auth/v1/user`);
          assertEquals([res.status, await res.json()], [404, {
            message: "no Route matched with those values",
          }]);
        });
      } finally {
        await gw.stop();
      }
    });
  } finally {
    await fn.stop();
  }
});
