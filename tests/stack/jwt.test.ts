// HS256 signing and verification (stack/jwt.ts, npm jose underneath): the demo keys equal the
// ones the Supabase CLI publishes, and verification follows PostgREST's rules
// (docs/postgrest-standin.md, "Tokens"; cases from PostgREST's Feature/Auth/AuthSpec.hs).
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { demoKey, LOCAL_JWT_SECRET, signJwt, verifyJwt } from "../../stack/jwt.ts";

const CLI_ANON_KEY =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0";
const CLI_SERVICE_ROLE_KEY =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU";

Deno.test("demo keys equal the Supabase CLI's published keys", async () => {
  assertEquals(LOCAL_JWT_SECRET, "super-secret-jwt-token-with-at-least-32-characters-long");
  assertEquals(await demoKey("anon"), CLI_ANON_KEY);
  assertEquals(await demoKey("service_role"), CLI_SERVICE_ROLE_KEY);
});

Deno.test("a signed token verifies and keeps its claims", async () => {
  const claims = { sub: "u1", role: "authenticated", exp: 2_000_000_000 };
  const result = await verifyJwt(await signJwt(claims), { now: 1_900_000_000 });
  assertEquals(result, { ok: true, claims });
});

Deno.test("malformed tokens and bad signatures are 'malformed' (PGRST301)", async () => {
  const good = await signJwt({ role: "anon" });
  const wrongKey = await signJwt({ role: "anon" }, "x".repeat(40));
  const tampered = good.slice(0, -2) + (good.endsWith("AA") ? "BB" : "AA");
  for (const token of ["", "abc", "a.b", "a.b.c.d", "!!.??.**", wrongKey, tampered]) {
    const result = await verifyJwt(token);
    assertEquals(result.ok ? "ok" : result.error.kind, "malformed", token);
  }
});

Deno.test("exp, nbf, iat and aud are checked with 30 s skew (PGRST303)", async () => {
  const now = 1_900_000_000;
  const kind = async (claims: Record<string, unknown>, audience?: string) => {
    const r = await verifyJwt(await signJwt(claims), { now, audience });
    return r.ok ? "ok" : r.error.message;
  };
  assertEquals(await kind({ exp: now - 31 }), "JWT expired");
  assertEquals(await kind({ exp: now - 29 }), "ok");
  assertEquals(await kind({ nbf: now + 31 }), "JWT not yet valid");
  assertEquals(await kind({ nbf: now + 29 }), "ok");
  assertEquals(await kind({ iat: now + 60 }), "JWT issued at future");
  assertEquals(await kind({ aud: "other" }, "authenticated"), "JWT not in audience");
  assertEquals(await kind({ aud: ["x", "authenticated"] }, "authenticated"), "ok");
  assertEquals(await kind({ aud: "other" }), "ok");
});

Deno.test("claims of the wrong type are refused (PGRST303), first failure wins", async () => {
  const now = 1_900_000_000;
  const message = async (claims: unknown, audience?: string) => {
    const r = await verifyJwt(await signJwt(claims as Record<string, unknown>), {
      now,
      audience,
    });
    return r.ok ? "ok" : `${r.error.kind}: ${r.error.message}`;
  };
  // AuthSpec: "fails when the exp / nbf / iat claim is not a number"
  for (const key of ["exp", "nbf", "iat"]) {
    assertEquals(
      await message({ [key]: "invalid", role: "authenticated" }),
      `claims: The JWT '${key}' claim must be a number`,
    );
  }
  // AuthSpec: "fails when the aud claim has a single value and it's not a string",
  // "fails when the aud claim is an array but it has non-string elements"
  const audType = "claims: The JWT 'aud' claim must be a string or an array of strings";
  assertEquals(await message({ aud: { invalid: "value" } }), audType);
  assertEquals(await message({ aud: [{ invalid: "value" }, "test"] }), audType);
  assertEquals(await message({ aud: 7 }, "authenticated"), audType);
  // null counts as absent; an empty audience list passes; a fractional time counts as 0.
  assertEquals(await message({ exp: null, nbf: null, iat: null, aud: null }), "ok");
  assertEquals(await message({ aud: [] }, "authenticated"), "ok");
  assertEquals(await message({ exp: now + 0.5 }), "claims: JWT expired");
  assertEquals(await message({ iat: now + 600.5 }), "ok");
  // Order: exp before nbf before iat before aud.
  assertEquals(
    await message({ aud: 1, iat: "x", nbf: now + 60, exp: now - 60 }),
    "claims: JWT expired",
  );
  assertEquals(
    await message({ aud: 1, iat: "x", nbf: now + 60 }),
    "claims: JWT not yet valid",
  );
  // AuthSpec: "should fail when jwt contains no claims" is about the role; a payload that is
  // not an object at all cannot be parsed as claims.
  assertEquals(await message([1, 2]), "claims: Parsing claims failed");
  assertEquals(await message("text"), "claims: Parsing claims failed");
});

Deno.test("a token signed with another algorithm is 'malformed' (PGRST301)", async () => {
  const { CompactSign } = await import("jose");
  const key = new TextEncoder().encode(LOCAL_JWT_SECRET);
  const hs512 = await new CompactSign(new TextEncoder().encode('{"role":"anon"}'))
    .setProtectedHeader({ alg: "HS512", typ: "JWT" }).sign(key);
  const result = await verifyJwt(hs512);
  assertEquals(result, {
    ok: false,
    error: { kind: "malformed", message: "Wrong or unsupported encoding algorithm" },
  });
  const twoParts = await verifyJwt(
    "ey9zdGdyZXN0X3Rlc3RfYXV0aG9yIiwiaWQiOiJqZG9lIn0.y4vZuu1dDdwAl0",
  );
  assertEquals(twoParts, {
    ok: false,
    error: { kind: "malformed", message: "Expected 3 parts in JWT; got 2" },
  });
});
