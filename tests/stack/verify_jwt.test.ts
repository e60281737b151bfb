// The gateway's verify_jwt (stack/gateway.ts) answers as the Supabase CLI's edge runtime does
// before a function runs: the token is taken from `Authorization: Bearer <token>` (exactly
// that spelling) or `sb-api-key`; refusals are 401 `{"code", "message", "msg"}` with
// `sb-error-code` and nothing from the function (no CORS origin, no request id). A valid
// token reaches the function untouched. Runs the gateway as a fetch handler in-process, with
// a small function upstream that echoes; no database.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { gatewayHandler } from "../../stack/gateway.ts";
import { LOCAL_JWT_SECRET, signJwt } from "../../stack/jwt.ts";
import { foreignToken, userToken } from "../_support/jwt.ts";

const b64url = (value: unknown) =>
  btoa(JSON.stringify(value)).replaceAll("=", "").replaceAll("+", "-").replaceAll("/", "_");

Deno.test("verify_jwt answers like the edge runtime", async (t) => {
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) =>
      Response.json({ reached: true, authorization: req.headers.get("authorization") }, {
        headers: { "Access-Control-Allow-Origin": "*", "x-request-id": "from-the-function" },
      }),
  );
  const gateway = gatewayHandler({
    postgrestUrl: "http://127.0.0.1:9",
    functions: { cart: { url: `http://127.0.0.1:${upstream.addr.port}`, verifyJwt: true } },
    jwtSecret: LOCAL_JWT_SECRET,
    apiKeys: [],
  });
  const call = (headers: Record<string, string>, method = "POST") =>
    gateway(
      new Request("http://127.0.0.1/functions/v1/cart", {
        method,
        headers,
        body: method === "POST" ? "{}" : null,
      }),
    );
  try {
    const valid = (await userToken()).token;
    const refused = (code: string, message: string) => ({
      status: 401,
      body: { code, message, msg: message },
      headers: {
        "access-control-expose-headers": "sb-error-code",
        "content-type": "application/json",
        "sb-error-code": code,
      },
    });
    const missing = refused("UNAUTHORIZED_NO_AUTH_HEADER", "Missing authorization header");
    const format = refused("UNAUTHORIZED_INVALID_JWT_FORMAT", "Invalid JWT format");
    const invalid = refused("UNAUTHORIZED_LEGACY_JWT", "Invalid JWT");
    const cases: [string, Record<string, string>, ReturnType<typeof refused>][] = [
      ["no Authorization header", {}, missing],
      ["an empty Authorization header", { authorization: "" }, missing],
      ["another scheme", { authorization: `Basic ${valid}` }, format],
      ["the scheme in lower case", { authorization: `bearer ${valid}` }, format],
      ["two spaces after Bearer", { authorization: `Bearer  ${valid}` }, format],
      ["a token that is not a JWT", { authorization: "Bearer not-a-jwt" }, format],
      ["a header that is not JSON", { authorization: "Bearer e30x.e30.sig" }, format],
      ["the wrong secret", { authorization: `Bearer ${await foreignToken()}` }, invalid],
      [
        "an expired token",
        { authorization: `Bearer ${(await userToken({ expiresIn: -5 })).token}` },
        invalid,
      ],
      [
        "an asymmetric token this stack has no key for",
        { authorization: `Bearer ${b64url({ alg: "ES256", typ: "JWT" })}.${b64url({})}.c2ln` },
        refused("UNAUTHORIZED_ASYMMETRIC_JWT", "Invalid JWT"),
      ],
      [
        "an unsupported algorithm",
        { authorization: `Bearer ${b64url({ alg: "none" })}.${b64url({})}.` },
        refused("UNAUTHORIZED_UNSUPPORTED_TOKEN_ALGORITHM", "Unsupported JWT algorithm none"),
      ],
    ];
    for (const [label, headers, want] of cases) {
      await t.step(label, async () => {
        const res = await call(headers);
        assertEquals({
          status: res.status,
          body: await res.json(),
          headers: Object.fromEntries(res.headers),
        }, want);
      });
    }

    await t.step("a valid token, or one in sb-api-key, reaches the function", async () => {
      const passing: Record<string, string>[] = [
        { authorization: `Bearer ${valid}` },
        { "sb-api-key": valid },
        { authorization: "Bearer sb_publishable_xyz", "sb-api-key": `Bearer ${valid}` },
        { authorization: `Bearer ${await signJwt({ role: "anon" })}` },
      ];
      for (const headers of passing) {
        const res = await call(headers);
        assertEquals(
          [res.status, (await res.json()).reached],
          [200, true],
          JSON.stringify(headers),
        );
      }
    });

    await t.step("a preflight is not checked", async () => {
      const res = await call({}, "OPTIONS");
      assertEquals(res.status, 200);
      await res.body?.cancel();
    });
  } finally {
    await upstream.shutdown();
  }
});
