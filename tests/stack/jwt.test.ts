// HS256 signing and verification (stack/jwt.ts): the demo keys equal the ones the Supabase
// CLI publishes, and verification follows PostgREST's rules.
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
