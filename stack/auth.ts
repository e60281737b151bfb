// A stand-in for Supabase Auth (GoTrue) at /auth/v1, enough for supabase-js to sign users up
// and in against the local stack (stack/README.md): email + password sign-up (confirmed at
// once, as the CLI's local Auth does without email confirmations), anonymous sign-in when
// `[auth] enable_anonymous_sign_ins` allows it, password and refresh-token grants (a rotated
// token reused within 10 s answers the active one, later it revokes the session, as GoTrue's
// reuse interval), the signed-in user (read, update), sign-out by scope, `/health`,
// `/settings`, and the service role's admin API for users (list, create, read, update, ban,
// delete). Users are rows of `auth.users` (passwords hashed with pgcrypto's bcrypt); sessions
// and refresh tokens live in memory, so they end with the stack. Access tokens carry GoTrue's
// claims, signed with the project's JWT secret; one whose session has ended is refused. Errors
// have GoTrue's shape: `{code, error_code, msg}`. Database and network I/O.
import postgres from "postgres";
import { type Claims, signJwt, verifyJwt } from "./jwt.ts";

export interface AuthOptions {
  dbUrl: string;
  jwtSecret: string;
  /** The API's URL (`iss` of the tokens is `<apiUrl>/auth/v1`). */
  apiUrl: string;
  /** `[auth] jwt_expiry`, seconds. */
  jwtExpiry: number;
  /** `[auth] enable_signup`. */
  enableSignup: boolean;
  /** `[auth] enable_anonymous_sign_ins`. */
  enableAnonymous: boolean;
}

export interface RunningAuth {
  /** Handles a request whose path follows `/auth/v1` (e.g. `/token`). */
  handle(req: Request, path: string): Promise<Response>;
  stop(): Promise<void>;
}

interface UserRow {
  id: string;
  email: string | null;
  email_confirmed_at: Date | null;
  last_sign_in_at: Date | null;
  banned_until: Date | null;
  raw_app_meta_data: Record<string, unknown> | null;
  raw_user_meta_data: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
  is_anonymous: boolean;
}

interface RefreshToken {
  userId: string;
  sessionId: string;
  method: string;
  /** Set once the token was exchanged: when, and for which token. */
  rotatedAt?: number;
  child?: string;
}

/** GoTrue's `refresh_token_reuse_interval` as the CLI sets it. */
const REUSE_INTERVAL_MS = 10_000;

const USER_COLUMNS = "id, email, email_confirmed_at, last_sign_in_at, banned_until, " +
  "raw_app_meta_data, raw_user_meta_data, created_at, updated_at, is_anonymous";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function reply(status: number, value: unknown): Response {
  return new Response(status === 204 ? null : JSON.stringify(value), {
    status,
    headers: { "Content-Type": "application/json", "Access-Control-Allow-Origin": "*" },
  });
}

/** GoTrue's error body. */
function fail(status: number, errorCode: string, msg: string): Response {
  return reply(status, { code: status, error_code: errorCode, msg });
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** The user as GoTrue answers it. */
function userJson(u: UserRow): Record<string, unknown> {
  return {
    id: u.id,
    aud: "authenticated",
    role: "authenticated",
    email: u.email ?? "",
    email_confirmed_at: iso(u.email_confirmed_at),
    phone: "",
    confirmed_at: iso(u.email_confirmed_at),
    last_sign_in_at: iso(u.last_sign_in_at),
    ...(u.banned_until ? { banned_until: iso(u.banned_until) } : {}),
    app_metadata: u.raw_app_meta_data ?? {},
    user_metadata: u.raw_user_meta_data ?? {},
    identities: identities(u),
    created_at: iso(u.created_at),
    updated_at: iso(u.updated_at),
    is_anonymous: u.is_anonymous,
  };
}

/**
 * The user's identities: one `email` identity for a user with an email (GoTrue keeps them in
 * `auth.identities`; here it is derived from the user, its `identity_id` being the user's id),
 * none for an anonymous user.
 */
function identities(u: UserRow): Record<string, unknown>[] {
  if (!u.email) return [];
  return [{
    identity_id: u.id,
    id: u.id,
    user_id: u.id,
    identity_data: {
      email: u.email,
      email_verified: u.email_confirmed_at !== null,
      phone_verified: false,
      sub: u.id,
    },
    provider: "email",
    last_sign_in_at: iso(u.last_sign_in_at),
    created_at: iso(u.created_at),
    updated_at: iso(u.updated_at),
    email: u.email,
  }];
}

async function body(req: Request): Promise<Record<string, unknown> | null> {
  try {
    const value = await req.json();
    return value && typeof value === "object" && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/** A Go duration as GoTrue reads `ban_duration` (`24h`, `1h30m`, `90s`), in seconds; null for
 * `none`; undefined when it does not parse. */
function banSeconds(value: unknown): number | null | undefined {
  if (value === "none") return null;
  if (typeof value !== "string" || !/^(\d+(\.\d+)?(h|m|s|ms))+$/.test(value)) return undefined;
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  let seconds = 0;
  for (const [, n, , u] of value.matchAll(/(\d+(\.\d+)?)(h|ms|m|s)/g)) {
    seconds += Number(n) * unit[u];
  }
  return seconds;
}

const bearer = (req: Request) =>
  /^Bearer\s+(\S+)$/i.exec(req.headers.get("authorization") ?? "")?.[1] ?? null;

export function startAuth(options: AuthOptions): RunningAuth {
  const sql = postgres(options.dbUrl, { max: 4, onnotice: () => {} });
  const refreshTokens = new Map<string, RefreshToken>();
  /** Live sessions: id -> user id. */
  const sessions = new Map<string, string>();
  const endSession = (sessionId: string) => {
    sessions.delete(sessionId);
    for (const [k, t] of refreshTokens) if (t.sessionId === sessionId) refreshTokens.delete(k);
  };
  const endSessionsOf = (userId: string) => {
    for (const [sessionId, owner] of sessions) if (owner === userId) endSession(sessionId);
  };

  /** Rows of auth.users from a statement that returns USER_COLUMNS. */
  const users = async (text: string, params: postgres.ParameterOrJSON<never>[]) =>
    await sql.unsafe(text, params) as unknown as UserRow[];
  const findUser = async (id: string): Promise<UserRow | null> =>
    (await users(`select ${USER_COLUMNS} from auth.users where id = $1`, [id]))[0] ?? null;

  /** An access token with GoTrue's claims and a refresh token (`refresh`, else a new one). */
  async function session(user: UserRow, sessionId: string, method: string, refresh?: string) {
    const now = Math.floor(Date.now() / 1000);
    const claims: Claims = {
      iss: `${options.apiUrl}/auth/v1`,
      sub: user.id,
      aud: "authenticated",
      exp: now + options.jwtExpiry,
      iat: now,
      email: user.email ?? "",
      phone: "",
      app_metadata: user.raw_app_meta_data ?? {},
      user_metadata: user.raw_user_meta_data ?? {},
      role: "authenticated",
      aal: "aal1",
      amr: [{ method, timestamp: now }],
      session_id: sessionId,
      is_anonymous: user.is_anonymous,
    };
    let token = refresh;
    if (token === undefined) {
      token = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
      refreshTokens.set(token, { userId: user.id, sessionId, method });
      sessions.set(sessionId, user.id);
    }
    return {
      access_token: await signJwt(claims, options.jwtSecret),
      token_type: "bearer",
      expires_in: options.jwtExpiry,
      expires_at: now + options.jwtExpiry,
      refresh_token: token,
      user: userJson(user),
    };
  }

  const banned = (user: UserRow) =>
    user.banned_until !== null && user.banned_until.getTime() > Date.now();

  async function signIn(user: UserRow, method: string): Promise<Response> {
    if (banned(user)) return fail(400, "user_banned", "User is banned");
    if (method === "password" && user.email_confirmed_at === null) {
      return fail(400, "email_not_confirmed", "Email not confirmed");
    }
    const [signedIn] = await users(
      `update auth.users set last_sign_in_at = now() where id = $1 returning ${USER_COLUMNS}`,
      [user.id],
    );
    return reply(200, await session(signedIn, crypto.randomUUID(), method));
  }

  /** Claims of a valid bearer token, or the refusal. */
  async function caller(req: Request): Promise<Claims | Response> {
    const token = bearer(req);
    if (!token) return fail(401, "no_authorization", "This endpoint requires a Bearer token");
    const checked = await verifyJwt(token, { secret: options.jwtSecret });
    if (!checked.ok) {
      return fail(
        403,
        "bad_jwt",
        `invalid JWT: unable to parse or verify signature, ${checked.error.message}`,
      );
    }
    return checked.claims;
  }

  /** The signed-in user of the request, whose session (if it names one) is live. */
  async function currentUser(req: Request): Promise<UserRow | Response> {
    const claims = await caller(req);
    if (claims instanceof Response) return claims;
    if (typeof claims.sub !== "string") {
      return fail(403, "bad_jwt", "invalid claim: missing sub claim");
    }
    if (typeof claims.session_id === "string" && !sessions.has(claims.session_id)) {
      return fail(403, "session_not_found", "Session from session_id claim in JWT does not exist");
    }
    const user = await findUser(claims.sub);
    return user ?? fail(403, "user_not_found", "User from sub claim in JWT does not exist");
  }

  /**
   * Applies `fields` to the user: metadata merged (a key set to null is removed), password,
   * email, and for the admin API `email_confirm` and `ban_duration`.
   */
  async function updateUser(
    user: UserRow,
    fields: Record<string, unknown>,
    asAdmin: boolean,
  ): Promise<UserRow | Response> {
    const password = fields.password;
    if (password !== undefined && (typeof password !== "string" || password.length < 6)) {
      return fail(422, "weak_password", "Password should be at least 6 characters.");
    }
    const email = typeof fields.email === "string" ? fields.email.trim().toLowerCase() : null;
    if (email !== null && !EMAIL.test(email)) {
      return fail(400, "validation_failed", "Unable to validate email address: invalid format");
    }
    const ban = asAdmin && fields.ban_duration !== undefined
      ? banSeconds(fields.ban_duration)
      : undefined;
    if (asAdmin && fields.ban_duration !== undefined && ban === undefined) {
      return fail(400, "validation_failed", "invalid format for ban duration");
    }
    const appMetadata = asAdmin ? fields.app_metadata ?? {} : {};
    const userMetadata = (asAdmin ? fields.user_metadata : fields.data) ?? {};
    const [updated] = await users(
      `update auth.users
          set raw_app_meta_data = jsonb_strip_nulls(coalesce(raw_app_meta_data, '{}') || $2),
              raw_user_meta_data = jsonb_strip_nulls(coalesce(raw_user_meta_data, '{}') || $3),
              encrypted_password = case when $4::text is null then encrypted_password
                else extensions.crypt($4::text, extensions.gen_salt('bf')) end,
              email = coalesce($5, email),
              email_confirmed_at = case when $6 then coalesce(email_confirmed_at, now())
                else email_confirmed_at end,
              banned_until = case when $7 then now() + make_interval(secs => $8)
                when $9 then null else banned_until end,
              updated_at = now()
        where id = $1 returning ${USER_COLUMNS}`,
      [
        user.id,
        sql.json(appMetadata as postgres.JSONValue),
        sql.json(userMetadata as postgres.JSONValue),
        typeof password === "string" ? password : null,
        email,
        asAdmin && fields.email_confirm === true,
        typeof ban === "number",
        typeof ban === "number" ? ban : 0,
        ban === null,
      ],
    );
    if (typeof ban === "number") {
      endSessionsOf(user.id);
    }
    return updated;
  }

  /**
   * A new user. `extra`: the `app_metadata` beyond the provider, which only the admin API may
   * set (a sign-up's body cannot grant itself a store); `taken` answers an email already
   * registered (sign-up and the admin API answer it differently).
   */
  async function createUser(
    fields: Record<string, unknown>,
    user: {
      anonymous: boolean;
      confirmed: boolean;
      extra: Record<string, unknown>;
      metadata: unknown;
      taken: () => Response;
    },
  ): Promise<UserRow | Response> {
    const { anonymous, confirmed, taken } = user;
    const email = typeof fields.email === "string" ? fields.email.trim().toLowerCase() : null;
    const password = typeof fields.password === "string" ? fields.password : null;
    if (!anonymous && fields.email === undefined) {
      return fail(
        400,
        "validation_failed",
        "Cannot create a user without either an email or phone",
      );
    }
    const id = typeof fields.id === "string" ? fields.id : crypto.randomUUID();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
      return fail(400, "validation_failed", "Unable to validate request body: invalid id");
    }
    if (!anonymous) {
      if (!email || !EMAIL.test(email)) {
        return fail(400, "validation_failed", "Unable to validate email address: invalid format");
      }
      if (password !== null && password.length < 6) {
        return fail(422, "weak_password", "Password should be at least 6 characters.");
      }
      const [exists] = await sql`select 1 from auth.users where lower(email) = ${email}`;
      if (exists) return taken();
    }
    const provider = anonymous ? "anonymous" : "email";
    const appMetadata = { provider, providers: [provider], ...user.extra };
    const userMetadata = user.metadata ?? {};
    const [created] = await users(
      `insert into auth.users (instance_id, id, aud, role, email, encrypted_password,
         email_confirmed_at, raw_app_meta_data, raw_user_meta_data, is_anonymous)
       values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated', $2,
         case when $3::text is null then null
              else extensions.crypt($3::text, extensions.gen_salt('bf')) end,
         case when $4 then now() end, $5, $6, $7)
       returning ${USER_COLUMNS}`,
      [
        id,
        email,
        password,
        confirmed,
        sql.json(appMetadata as postgres.JSONValue),
        sql.json(userMetadata as postgres.JSONValue),
        anonymous,
      ],
    );
    return created;
  }

  async function signup(req: Request): Promise<Response> {
    const fields = await body(req) ?? {};
    const anonymous = fields.email === undefined && fields.phone === undefined;
    if (anonymous && !options.enableAnonymous) {
      return fail(422, "anonymous_provider_disabled", "Anonymous sign-ins are disabled");
    }
    if (!anonymous && !options.enableSignup) {
      return fail(422, "signup_disabled", "Signups not allowed for this instance");
    }
    if (!anonymous && typeof fields.password !== "string") {
      return fail(422, "validation_failed", "Signup requires a valid password");
    }
    const user = await createUser(fields, {
      anonymous,
      confirmed: !anonymous,
      extra: {},
      metadata: fields.data,
      taken: () => fail(422, "user_already_exists", "User already registered"),
    });
    if (user instanceof Response) return user;
    return await signIn(user, anonymous ? "anonymous" : "password");
  }

  async function token(req: Request, url: URL): Promise<Response> {
    const grant = url.searchParams.get("grant_type");
    const fields = await body(req) ?? {};
    if (grant === "password") {
      const email = typeof fields.email === "string" ? fields.email.trim().toLowerCase() : "";
      const password = typeof fields.password === "string" ? fields.password : "";
      const [found] = await users(
        `select ${USER_COLUMNS} from auth.users
          where lower(email) = $1 and deleted_at is null and encrypted_password is not null
            and encrypted_password = extensions.crypt($2, encrypted_password)`,
        [email, password],
      );
      if (!found) return fail(400, "invalid_credentials", "Invalid login credentials");
      return await signIn(found, "password");
    }
    if (grant === "refresh_token") {
      const old = typeof fields.refresh_token === "string"
        ? refreshTokens.get(fields.refresh_token)
        : undefined;
      const user = old && sessions.has(old.sessionId) ? await findUser(old.userId) : null;
      if (!old || !user) {
        return fail(
          400,
          "refresh_token_not_found",
          "Invalid Refresh Token: Refresh Token Not Found",
        );
      }
      if (banned(user)) return fail(400, "user_banned", "User is banned");
      if (old.child !== undefined) {
        // Already exchanged: a client that lost the answer gets the active token back for a
        // short while; after that, reuse means theft, and the session ends.
        if (Date.now() - old.rotatedAt! > REUSE_INTERVAL_MS) {
          endSession(old.sessionId);
          return fail(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used");
        }
        let active = old.child;
        while (refreshTokens.get(active)?.child !== undefined) {
          active = refreshTokens.get(active)!.child!;
        }
        return reply(200, await session(user, old.sessionId, old.method, active));
      }
      const renewed = await session(user, old.sessionId, old.method);
      old.child = renewed.refresh_token;
      old.rotatedAt = Date.now();
      return reply(200, renewed);
    }
    return fail(400, "unsupported_grant_type", "unsupported_grant_type");
  }

  async function admin(req: Request, path: string): Promise<Response> {
    const claims = await caller(req);
    if (claims instanceof Response) return claims;
    if (claims.role !== "service_role" && claims.role !== "supabase_admin") {
      return fail(403, "not_admin", "User not allowed");
    }
    const id = /^\/admin\/users\/([0-9a-f-]{36})$/i.exec(path)?.[1];
    if (path === "/admin/users" && req.method === "GET") {
      const url = new URL(req.url);
      const page = Math.max(1, Number(url.searchParams.get("page")) || 1);
      const perPage = Math.min(1000, Math.max(1, Number(url.searchParams.get("per_page")) || 50));
      const [{ total }] = await sql`select count(*)::int as total from auth.users`;
      const list = await users(
        `select ${USER_COLUMNS} from auth.users order by created_at desc, id
          limit $1 offset $2`,
        [perPage, (page - 1) * perPage],
      );
      const response = reply(200, { users: list.map(userJson), aud: "authenticated" });
      response.headers.set("x-total-count", String(total));
      // GoTrue's pagination links (auth-js reads `total`, `nextPage` and `lastPage` from them).
      if (total > 0) {
        const last = Math.ceil(total / perPage);
        const link = (n: number, rel: string) =>
          `</admin/users?page=${n}&per_page=${perPage}>; rel="${rel}"`;
        response.headers.set(
          "link",
          [...page < last ? [link(page + 1, "next")] : [], link(last, "last")].join(", "),
        );
      }
      return response;
    }
    if (path === "/admin/users" && req.method === "POST") {
      const fields = await body(req) ?? {};
      const ban = fields.ban_duration === undefined ? undefined : banSeconds(fields.ban_duration);
      const user = await createUser(fields, {
        anonymous: false,
        confirmed: fields.email_confirm === true,
        extra: (fields.app_metadata ?? {}) as Record<string, unknown>,
        metadata: fields.user_metadata,
        taken: () =>
          fail(422, "email_exists", "A user with this email address has already been registered"),
      });
      if (user instanceof Response) return user;
      const banning = ban === undefined
        ? user
        : await updateUser(user, { ban_duration: fields.ban_duration }, true);
      return banning instanceof Response ? banning : reply(200, userJson(banning));
    }
    if (!id) return fail(404, "not_found", "Not Found");
    const user = await findUser(id);
    if (!user) return fail(404, "user_not_found", "User not found");
    if (req.method === "GET") return reply(200, userJson(user));
    if (req.method === "DELETE") {
      await sql`delete from auth.users where id = ${id}`;
      endSessionsOf(id);
      return reply(200, {});
    }
    if (req.method === "PUT") {
      const updated = await updateUser(user, await body(req) ?? {}, true);
      return updated instanceof Response ? updated : reply(200, userJson(updated));
    }
    return fail(405, "method_not_allowed", "Method Not Allowed");
  }

  async function route(req: Request, path: string): Promise<Response> {
    const url = new URL(req.url);
    if (path === "/signup" && req.method === "POST") return await signup(req);
    if (path === "/token" && req.method === "POST") return await token(req, url);
    if (path === "/user" && (req.method === "GET" || req.method === "PUT")) {
      const user = await currentUser(req);
      if (user instanceof Response || req.method === "GET") {
        return user instanceof Response ? user : reply(200, userJson(user));
      }
      const updated = await updateUser(user, await body(req) ?? {}, false);
      return updated instanceof Response ? updated : reply(200, userJson(updated));
    }
    if (path === "/logout" && req.method === "POST") {
      const claims = await caller(req);
      if (claims instanceof Response) return claims;
      const scope = url.searchParams.get("scope") ?? "global";
      if (!["global", "local", "others"].includes(scope)) {
        return fail(400, "validation_failed", `Unsupported logout scope "${scope}"`);
      }
      for (const [sessionId, userId] of sessions) {
        const own = sessionId === claims.session_id;
        if (
          userId === claims.sub &&
          (scope === "global" || (scope === "local") === own)
        ) endSession(sessionId);
      }
      return reply(204, null);
    }
    if (path === "/health" && req.method === "GET") {
      return reply(200, {
        version: "local",
        name: "GoTrue",
        description: "GoTrue is a user registration and authentication API",
      });
    }
    if (path === "/settings" && req.method === "GET") {
      return reply(200, {
        external: { email: true, phone: false, anonymous_users: options.enableAnonymous },
        disable_signup: !options.enableSignup,
        mailer_autoconfirm: true,
        phone_autoconfirm: false,
        sms_provider: "",
        saml_enabled: false,
      });
    }
    if (path.startsWith("/admin/users")) return await admin(req, path);
    return fail(404, "not_found", "Not Found");
  }

  return {
    async handle(req, path) {
      try {
        return await route(req, path);
      } catch (e) {
        return fail(500, "unexpected_failure", (e as Error).message);
      }
    },
    async stop() {
      await sql.end({ timeout: 1 });
    },
  };
}
