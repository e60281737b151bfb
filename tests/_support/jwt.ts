// Test support: user JWTs signed with the local stack's secret, shaped like the access
// tokens Supabase Auth issues (role authenticated, aud authenticated, sub = user id).
import { type Claims, LOCAL_JWT_SECRET, signJwt } from "../../stack/jwt.ts";

export interface UserTokenOptions {
  /** The user id (`sub`); a random uuid by default. */
  sub?: string;
  role?: string;
  /** Seconds until expiry (negative: already expired). Default one hour. */
  expiresIn?: number;
  /** Supabase's `app_metadata` (e.g. `{ store_ids: [...] }`). */
  appMetadata?: Record<string, unknown>;
  /** More claims, merged last. */
  extra?: Claims;
  secret?: string;
}

/** A signed user access token and its claims. */
export async function userToken(options: UserTokenOptions = {}): Promise<{
  token: string;
  claims: Claims;
  sub: string;
}> {
  const now = Math.floor(Date.now() / 1000);
  const sub = options.sub ?? crypto.randomUUID();
  const claims: Claims = {
    iss: "supabase-demo",
    sub,
    aud: "authenticated",
    role: options.role ?? "authenticated",
    iat: now,
    exp: now + (options.expiresIn ?? 3600),
    app_metadata: { provider: "email", ...options.appMetadata },
    user_metadata: {},
    ...options.extra,
  };
  const token = await signJwt(claims, options.secret ?? LOCAL_JWT_SECRET);
  return { token, claims, sub };
}

/** A token signed with the wrong secret (for 401 cases). */
export function foreignToken(claims: Claims = { role: "authenticated" }): Promise<string> {
  return signJwt(claims, "another-secret-that-is-also-at-least-32-characters");
}
