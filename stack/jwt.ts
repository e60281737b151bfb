// HS256 JSON Web Tokens for the local stack and its tests: signing and signature checks
// with npm `jose`, the claim rules PostgREST applies on top (docs/postgrest-standin.md,
// "Tokens"), and the Supabase CLI's local defaults (JWT secret and the demo anon /
// service_role keys). No I/O.
import { CompactSign, compactVerify, errors } from "jose";

/** The Supabase CLI's local JWT secret (public in the CLI source). */
export const LOCAL_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";

/** Expiry of the CLI's demo keys. */
export const DEMO_KEY_EXP = 1983812996;

export type Claims = Record<string, unknown>;

const encoder = new TextEncoder();

/** Signs `claims` as an HS256 JWT (header `{"alg":"HS256","typ":"JWT"}`, claim order kept). */
export function signJwt(claims: Claims, secret = LOCAL_JWT_SECRET): Promise<string> {
  return new CompactSign(encoder.encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(encoder.encode(secret));
}

/** The demo key the Supabase CLI publishes for `role` ("anon" or "service_role"). */
export function demoKey(role: "anon" | "service_role", secret = LOCAL_JWT_SECRET) {
  return signJwt({ iss: "supabase-demo", role, exp: DEMO_KEY_EXP }, secret);
}

/** The Supabase CLI's local publishable and secret keys (public in the CLI source): not JWTs. */
export const LOCAL_PUBLISHABLE_KEY = "sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH";
export const LOCAL_SECRET_KEY = "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz";

/**
 * The JWT each opaque key stands for, as the CLI's gateway swaps them: the publishable key is
 * the anon role's, the secret key the service role's.
 */
export async function opaqueKeys(secret = LOCAL_JWT_SECRET): Promise<Record<string, string>> {
  return {
    [LOCAL_PUBLISHABLE_KEY]: await demoKey("anon", secret),
    [LOCAL_SECRET_KEY]: await demoKey("service_role", secret),
  };
}

/** Why a token was refused: `malformed` (PGRST301) or `claims` (PGRST303). */
export type JwtFailure = { kind: "malformed" | "claims"; message: string };

export type JwtResult = { ok: true; claims: Claims } | { ok: false; error: JwtFailure };

export interface VerifyOptions {
  secret?: string;
  /** Expected audience; when set, a token whose `aud` does not name it is refused. */
  audience?: string;
  /** Current time in seconds (for tests). */
  now?: number;
  /** Allowed clock skew in seconds (PostgREST uses 30). */
  skew?: number;
}

const malformed = (message: string): JwtResult => ({
  ok: false,
  error: { kind: "malformed", message },
});
const badClaims = (message: string): JwtResult => ({
  ok: false,
  error: { kind: "claims", message },
});

/** The signature check; the message is PostgREST's for each way a token can fail it. */
async function verifySignature(
  token: string,
  secret: string,
): Promise<{ ok: true; payload: Uint8Array } | { ok: false; result: JwtResult }> {
  if (token === "") {
    return { ok: false, result: malformed("Empty JWT is sent in Authorization header") };
  }
  const parts = token.split(".").length;
  if (parts !== 3) return { ok: false, result: malformed(`Expected 3 parts in JWT; got ${parts}`) };
  try {
    const { payload } = await compactVerify(token, encoder.encode(secret), {
      algorithms: ["HS256"],
    });
    return { ok: true, payload };
  } catch (e) {
    let message = "JWT cryptographic operation failed";
    if (e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JOSENotSupported) {
      message = "Wrong or unsupported encoding algorithm";
    } else if (e instanceof errors.JWSSignatureVerificationFailed) {
      message = "No suitable key or wrong key type";
    }
    return { ok: false, result: malformed(message) };
  }
}

/** A time claim as PostgREST reads it: a non-integer number counts as 0. */
function seconds(value: number): number {
  return Number.isSafeInteger(value) ? value : 0;
}

/**
 * PostgREST's claim checks, first failure wins: `exp`, `nbf`, `iat` must be numbers (null
 * counts as absent) within the skew; `aud` must be a string or an array of strings and,
 * when an audience is configured, name it (an empty array passes).
 */
export function checkClaims(claims: Claims, now: number, skew: number, audience?: string) {
  const present = (key: string) => claims[key] !== undefined && claims[key] !== null;
  const times: [string, (t: number) => boolean, string][] = [
    ["exp", (t) => now - skew > t, "JWT expired"],
    ["nbf", (t) => now + skew < t, "JWT not yet valid"],
    ["iat", (t) => now + skew < t, "JWT issued at future"],
  ];
  for (const [key, failed, message] of times) {
    if (!present(key)) continue;
    const value = claims[key];
    if (typeof value !== "number") return badClaims(`The JWT '${key}' claim must be a number`);
    if (failed(seconds(value))) return badClaims(message);
  }
  if (present("aud")) {
    const aud = claims.aud;
    const auds = Array.isArray(aud) ? aud : [aud];
    if (!auds.every((a) => typeof a === "string")) {
      return badClaims("The JWT 'aud' claim must be a string or an array of strings");
    }
    const matches = audience === undefined || auds.length === 0 || auds.includes(audience);
    if (!matches) return badClaims("JWT not in audience");
  }
  return null;
}

/** Verifies an HS256 token the way PostgREST does. */
export async function verifyJwt(token: string, options: VerifyOptions = {}): Promise<JwtResult> {
  const signed = await verifySignature(token, options.secret ?? LOCAL_JWT_SECRET);
  if (!signed.ok) return signed.result;
  let claims: unknown;
  try {
    claims = JSON.parse(new TextDecoder().decode(signed.payload));
  } catch {
    claims = null;
  }
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
    return badClaims("Parsing claims failed");
  }
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const refused = checkClaims(claims as Claims, now, options.skew ?? 30, options.audience);
  return refused ?? { ok: true, claims: claims as Claims };
}
