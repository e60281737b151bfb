// The access token of a channel, checked as the Realtime service checks it on join, on an
// `access_token` refresh and at its expiry: an HS256 token signed with the project's JWT
// secret, with `role` and `exp` claims, not expired. Failure reasons use the platform's
// `Code: message` wording. Uses WebCrypto through stack/jwt.ts; no other I/O.
import { type Claims, verifyJwt } from "../jwt.ts";

export type TokenCheck =
  | { ok: true; claims: Claims; role: string; exp: number }
  | { ok: false; reason: string; expired?: boolean };

/** Time checks are done here, not by verifyJwt: a skew wide enough to switch its checks off. */
const NO_TIME_CHECKS = 100 * 365 * 24 * 3600;

export async function checkToken(
  token: string,
  secret: string,
  now = Math.floor(Date.now() / 1000),
): Promise<TokenCheck> {
  const verified = await verifyJwt(token, { secret, skew: NO_TIME_CHECKS, now });
  if (!verified.ok) {
    if (verified.error.message === "No suitable key or wrong key type") {
      return { ok: false, reason: "JwtSignatureError: Failed to validate JWT signature" };
    }
    return { ok: false, reason: "MalformedJWT: The token provided is not a valid JWT" };
  }
  const { claims } = verified;
  if (typeof claims.role !== "string" || typeof claims.exp !== "number") {
    return {
      ok: false,
      reason: "InvalidJWTToken: Fields `role` and `exp` are required in JWT",
    };
  }
  if (claims.exp <= now) {
    return {
      ok: false,
      expired: true,
      reason: `InvalidJWTToken: Token has expired ${now - claims.exp} seconds ago`,
    };
  }
  return { ok: true, claims, role: claims.role, exp: claims.exp };
}
