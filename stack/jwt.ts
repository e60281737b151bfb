// HS256 JSON Web Tokens for the local stack: signing, verification with PostgREST's
// rules (supabase-platform.md section 4), and the Supabase CLI's local defaults
// (JWT secret and the demo anon / service_role keys). WebCrypto only; no I/O.

/** The Supabase CLI's local JWT secret (public in the CLI source). */
export const LOCAL_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long";

/** Expiry of the CLI's demo keys. */
export const DEMO_KEY_EXP = 1983812996;

export type Claims = Record<string, unknown>;

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") +
    "=".repeat((4 - (text.length % 4)) % 4);
  const binary = atob(padded);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

/** Signs `claims` as an HS256 JWT (header `{"alg":"HS256","typ":"JWT"}`, claim order kept). */
export async function signJwt(claims: Claims, secret = LOCAL_JWT_SECRET): Promise<string> {
  const header = base64url(encoder.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));
  const payload = base64url(encoder.encode(JSON.stringify(claims)));
  const input = `${header}.${payload}`;
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(input));
  return `${input}.${base64url(new Uint8Array(mac))}`;
}

/** The demo key the Supabase CLI publishes for `role` ("anon" or "service_role"). */
export function demoKey(role: "anon" | "service_role", secret = LOCAL_JWT_SECRET) {
  return signJwt({ iss: "supabase-demo", role, exp: DEMO_KEY_EXP }, secret);
}

/** Why a token was refused: `malformed` (PGRST301) or `claims` (PGRST303). */
export type JwtFailure = { kind: "malformed" | "claims"; message: string };

export type JwtResult = { ok: true; claims: Claims } | { ok: false; error: JwtFailure };

export interface VerifyOptions {
  secret?: string;
  /** Expected audience; when set, a token with a different `aud` is refused. */
  audience?: string;
  /** Current time in seconds (for tests). */
  now?: number;
  /** Allowed clock skew in seconds (PostgREST uses 30). */
  skew?: number;
}

/** Verifies an HS256 token the way PostgREST does. */
export async function verifyJwt(token: string, options: VerifyOptions = {}): Promise<JwtResult> {
  const malformed = (message: string): JwtResult => ({
    ok: false,
    error: { kind: "malformed", message },
  });
  const badClaims = (message: string): JwtResult => ({
    ok: false,
    error: { kind: "claims", message },
  });
  if (token === "") return malformed("Empty JWT is sent in Authorization header");
  const parts = token.split(".");
  if (parts.length !== 3) {
    return malformed(`Expected 3 parts in JWT; got ${parts.length}`);
  }
  let header: Claims;
  let claims: Claims;
  let signature: Uint8Array;
  try {
    header = JSON.parse(new TextDecoder().decode(fromBase64url(parts[0])));
    claims = JSON.parse(new TextDecoder().decode(fromBase64url(parts[1])));
    signature = fromBase64url(parts[2]);
  } catch {
    return malformed("JWT cryptographic operation failed");
  }
  if (header?.alg !== "HS256" || typeof claims !== "object" || claims === null) {
    return malformed("Wrong or unsupported encoding algorithm");
  }
  const valid = await crypto.subtle.verify(
    "HMAC",
    await hmacKey(options.secret ?? LOCAL_JWT_SECRET),
    signature as BufferSource,
    encoder.encode(`${parts[0]}.${parts[1]}`),
  );
  if (!valid) return malformed("No suitable key or wrong key type");
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const skew = options.skew ?? 30;
  if (typeof claims.exp === "number" && now - skew > claims.exp) {
    return badClaims("JWT expired");
  }
  if (typeof claims.nbf === "number" && now + skew < claims.nbf) {
    return badClaims("JWT not yet valid");
  }
  if (typeof claims.iat === "number" && now + skew < claims.iat) {
    return badClaims("JWT issued at future");
  }
  if (options.audience !== undefined && claims.aud !== undefined) {
    const auds = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!auds.includes(options.audience)) return badClaims("JWT not in audience");
  }
  return { ok: true, claims };
}
