// A stand-in for Supabase Auth (GoTrue) at /auth/v1, enough for supabase-js to sign users up
// and in against the local stack (docs/architecture.md, "Local stack"): email + password
// sign-up (confirmed at once, as the CLI's local Auth does without email confirmations),
// anonymous sign-in when `[auth] enable_anonymous_sign_ins` allows it, password and
// refresh-token grants, the signed-in user, sign-out, and the service role's admin API for
// users (create, read, update `app_metadata` / `user_metadata`, delete). Users are rows of
// `auth.users` (passwords hashed with pgcrypto's bcrypt); sessions and refresh tokens live in
// memory, so they end with the stack. Access tokens carry GoTrue's claims, signed with the
// project's JWT secret. Errors have GoTrue's shape: `{code, error_code, msg}`. Database and
// network I/O.
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
  raw_app_meta_data: Record<string, unknown> | null;
  raw_user_meta_data: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
  is_anonymous: boolean;
}

interface Session {
  userId: string;
  sessionId: string;
  method: string;
}

const USER_COLUMNS = "id, email, email_confirmed_at, last_sign_in_at, raw_app_meta_data, " +
  "raw_user_meta_data, created_at, updated_at, is_anonymous";

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
    app_metadata: u.raw_app_meta_data ?? {},
    user_metadata: u.raw_user_meta_data ?? {},
    identities: [],
    created_at: iso(u.created_at),
    updated_at: iso(u.updated_at),
    is_anonymous: u.is_anonymous,
  };
}

async function body(req: Request): Promise<Record<string, unknown> | null> {
  try {
    const value = await req.json();
    return value && typeof value === "object" && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

const bearer = (req: Request) =>
  /^Bearer\s+(\S+)$/i.exec(req.headers.get("authorization") ?? "")?.[1] ?? null;

export function startAuth(options: AuthOptions): RunningAuth {
  const sql = postgres(options.dbUrl, { max: 4, onnotice: () => {} });
  const refreshTokens = new Map<string, Session>();

  /** Rows of auth.users from a statement that returns USER_COLUMNS. */
  const users = async (text: string, params: postgres.ParameterOrJSON<never>[]) =>
    await sql.unsafe(text, params) as unknown as UserRow[];
  const findUser = async (id: string): Promise<UserRow | null> =>
    (await users(`select ${USER_COLUMNS} from auth.users where id = $1`, [id]))[0] ?? null;

  /** A new session for the user: an access token with GoTrue's claims and a refresh token. */
  async function session(user: UserRow, sessionId: string, method: string) {
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
    const refresh = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
    refreshTokens.set(refresh, { userId: user.id, sessionId, method });
    return {
      access_token: await signJwt(claims, options.jwtSecret),
      token_type: "bearer",
      expires_in: options.jwtExpiry,
      expires_at: now + options.jwtExpiry,
      refresh_token: refresh,
      user: userJson(user),
    };
  }

  async function signIn(user: UserRow, method: string): Promise<Response> {
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
        crypto.randomUUID(),
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
      const user = old ? await findUser(old.userId) : null;
      if (!old || !user) {
        return fail(
          400,
          "refresh_token_not_found",
          "Invalid Refresh Token: Refresh Token Not Found",
        );
      }
      refreshTokens.delete(fields.refresh_token as string);
      return reply(200, await session(user, old.sessionId, old.method));
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
    if (path === "/admin/users" && req.method === "POST") {
      const fields = await body(req) ?? {};
      const user = await createUser(fields, {
        anonymous: false,
        confirmed: fields.email_confirm === true,
        extra: (fields.app_metadata ?? {}) as Record<string, unknown>,
        metadata: fields.user_metadata,
        taken: () =>
          fail(422, "email_exists", "A user with this email address has already been registered"),
      });
      return user instanceof Response ? user : reply(200, userJson(user));
    }
    if (!id) return fail(404, "not_found", "Not Found");
    const user = await findUser(id);
    if (!user) return fail(404, "user_not_found", "User not found");
    if (req.method === "GET") return reply(200, userJson(user));
    if (req.method === "DELETE") {
      await sql`delete from auth.users where id = ${id}`;
      for (const [k, s] of refreshTokens) if (s.userId === id) refreshTokens.delete(k);
      return reply(200, {});
    }
    if (req.method === "PUT") {
      const fields = await body(req) ?? {};
      const [updated] = await users(
        `update auth.users
            set raw_app_meta_data = coalesce(raw_app_meta_data, '{}') || $2,
                raw_user_meta_data = coalesce(raw_user_meta_data, '{}') || $3,
                updated_at = now()
          where id = $1 returning ${USER_COLUMNS}`,
        [
          id,
          sql.json((fields.app_metadata ?? {}) as postgres.JSONValue),
          sql.json((fields.user_metadata ?? {}) as postgres.JSONValue),
        ],
      );
      return reply(200, userJson(updated));
    }
    return fail(405, "method_not_allowed", "Method Not Allowed");
  }

  async function route(req: Request, path: string): Promise<Response> {
    const url = new URL(req.url);
    if (path === "/signup" && req.method === "POST") return await signup(req);
    if (path === "/token" && req.method === "POST") return await token(req, url);
    if (path === "/user" && req.method === "GET") {
      const claims = await caller(req);
      if (claims instanceof Response) return claims;
      const user = await findUser(String(claims.sub));
      return user
        ? reply(200, userJson(user))
        : fail(403, "user_not_found", "User from sub claim in JWT does not exist");
    }
    if (path === "/logout" && req.method === "POST") {
      const claims = await caller(req);
      if (claims instanceof Response) return claims;
      for (const [k, s] of refreshTokens) {
        if (s.sessionId === claims.session_id) refreshTokens.delete(k);
      }
      return reply(204, null);
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
