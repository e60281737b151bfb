// PostgREST stand-in conformance, authentication and the per-request settings
// (docs/postgrest-standin.md, "Tokens"): no token -> anon, bad token -> 401 PGRST301, expired /
// not yet valid -> 401 PGRST303, WWW-Authenticate on every 401, the role switch, and the
// request.* settings visible in SQL.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { signJwt } from "../../stack/jwt.ts";
import { foreignToken, userToken } from "../_support/jwt.ts";
import { STACK_TEST, withHarness } from "./_harness.ts";

/** A token refused for its claims: 401 PGRST303 with `message`, said in WWW-Authenticate too. */
async function assertClaimRefused(res: Response, message: string) {
  assertEquals([res.status, await res.json()], [401, {
    code: "PGRST303",
    message,
    details: null,
    hint: null,
  }], message);
  assertEquals(
    res.headers.get("www-authenticate"),
    `Bearer error="invalid_token", error_description="${message}"`,
  );
}

Deno.test("stand-in: authentication and request settings", STACK_TEST, async (t) => {
  await withHarness(async (h) => {
    await t.step("no token: role anon, claims {role: anon}", async () => {
      const me = await (await h.rpc("t_whoami", {})).json();
      assertEquals([me.current_user, me.role, me.uid, me.jwt], ["anon", "anon", null, {
        role: "anon",
      }]);
    });

    await t.step("a user token switches to its role; auth.uid() is its sub", async () => {
      const user = await userToken();
      const me = await (await h.rpc("t_whoami", {}, { token: user.token })).json();
      assertEquals([me.current_user, me.role, me.uid], [
        "authenticated",
        "authenticated",
        user.sub,
      ]);
      assertEquals(me.jwt, user.claims);
      const service = await (await h.rpc("t_whoami", {}, { token: h.serviceRoleKey })).json();
      assertEquals(service.current_user, "service_role");
    });

    await t.step("the role's own settings apply (statement_timeout 3s anon, 8s user)", async () => {
      const anon = await (await h.rpc("t_whoami", {})).json();
      const user = await (await h.rpc("t_whoami", {}, { token: (await userToken()).token })).json();
      assertEquals([anon.statement_timeout, user.statement_timeout], ["3s", "8s"]);
    });

    await t.step("a token without role claim runs as anon", async () => {
      const token = await signJwt({ sub: crypto.randomUUID() });
      const me = await (await h.rpc("t_whoami", {}, { token })).json();
      assertEquals(me.current_user, "anon");
    });

    await t.step("request.method, request.path, request.headers, search_path", async () => {
      const res = await h.rpc("t_whoami", {}, {
        headers: { "X-Client-Info": "supabase-js/2", Cookie: "secret=1" },
      });
      const me = await res.json();
      assertEquals([me.method, me.path], ["POST", "/rpc/t_whoami"]);
      assertEquals(me.headers["x-client-info"], "supabase-js/2");
      assertEquals(me.headers["content-type"], "application/json");
      assertEquals("cookie" in me.headers, false);
      assertEquals(me.search_path, '"public", "extensions"');
      const viaGet = await (await fetch(`${h.restUrl}/rpc/t_whoami`)).json();
      assertEquals(viaGet.method, "GET");
    });

    await t.step("bad tokens -> 401 PGRST301 with WWW-Authenticate", async () => {
      for (const token of ["", "not.a-jwt", await foreignToken()]) {
        const res = await fetch(`${h.restUrl}/rpc/t_int`, {
          method: "POST",
          headers: { Authorization: `Bearer ${token}` },
        });
        const body = await res.json();
        assertEquals([res.status, body.code], [401, "PGRST301"], token);
        assertEquals(
          res.headers.get("www-authenticate")?.startsWith('Bearer error="invalid_token"'),
          true,
        );
        assertEquals(res.headers.get("proxy-status"), "PostgREST; error=PGRST301");
      }
    });

    await t.step("expired or not-yet-valid tokens -> 401 PGRST303", async () => {
      const expired = await userToken({ expiresIn: -120 });
      const future = await userToken({ extra: { nbf: Math.floor(Date.now() / 1000) + 600 } });
      for (
        const [token, message] of [[expired.token, "JWT expired"], [
          future.token,
          "JWT not yet valid",
        ]]
      ) {
        await assertClaimRefused(await h.rpc("t_int", {}, { token }), message);
      }
    });

    await t.step("claims of the wrong type -> 401 PGRST303 (AuthSpec)", async () => {
      // AuthSpec: "fails when the exp claim is not a number", "... the aud claim has a
      // single value and it's not a string"
      const cases: [Record<string, unknown>, string][] = [
        [{ exp: "invalid" }, "The JWT 'exp' claim must be a number"],
        [{ nbf: "invalid" }, "The JWT 'nbf' claim must be a number"],
        [{ iat: "invalid" }, "The JWT 'iat' claim must be a number"],
        [
          { aud: { invalid: "value" } },
          "The JWT 'aud' claim must be a string or an array of strings",
        ],
      ];
      for (const [claims, message] of cases) {
        const token = await signJwt({ role: "authenticated", ...claims });
        await assertClaimRefused(await h.rpc("t_int", {}, { token }), message);
      }
    });

    await t.step("a non-string role claim is used as its JSON text", async () => {
      const res = await h.rpc("t_int", {}, { token: await signJwt({ role: 12 }) });
      const body = await res.json();
      assertEquals([res.status, body.code, body.message], [
        401,
        "22023",
        'role "12" does not exist',
      ]);
    });

    await t.step(
      "insufficient privilege: 401 for anon, 403 for a user; service_role passes",
      async () => {
        const anon = await h.rpc("t_private", {});
        assertEquals(
          [anon.status, (await anon.json()).code, anon.headers.get("www-authenticate")],
          [401, "42501", "Bearer"],
        );
        const user = await h.rpc("t_private", {}, { token: (await userToken()).token });
        assertEquals([user.status, (await user.json()).code], [403, "42501"]);
        const service = await h.rpc("t_private", {}, { token: h.serviceRoleKey });
        assertEquals([service.status, await service.json()], [200, "secret"]);
      },
    );

    await t.step("a role that does not exist -> 401 (22023)", async () => {
      const token = await signJwt({ role: "no_such_role" });
      const res = await h.rpc("t_int", {}, { token });
      assertEquals([res.status, (await res.json()).code], [401, "22023"]);
    });
  });
});
