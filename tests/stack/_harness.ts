// Test harness for the stand-in's conformance tests: a small stack of its own (throwaway
// PostgreSQL on a free port with the Supabase base and tests/stack/fixtures.sql, the
// PostgREST stand-in, the fault proxy in front of it, the local Auth, the gateway in front),
// independent of any running stack. With POSTGREST_BIN set, the same tests run against the
// real PostgREST instead, fault tests included.
import postgres from "postgres";
import { type RunningAuth, startAuth } from "../../stack/auth.ts";
import { apiMaxRows, type AuthConfig, authConfig } from "../../stack/config.ts";
import { startFaultProxy } from "../../stack/faults.ts";
import { type GatewayFunction, startGateway } from "../../stack/gateway.ts";
import { demoKey, LOCAL_JWT_SECRET, opaqueKeys } from "../../stack/jwt.ts";
import { applyBase, runSqlFile, startPostgres } from "../../stack/postgres.ts";
import { authenticatorUrl } from "../../stack/postgrest/mod.ts";
import { findPostgrestBinary, startRealPostgrest } from "../../stack/postgrest/real.ts";
import type { TxEnd } from "../../stack/postgrest/handler.ts";
import { type RunningPostgrest, startStandIn } from "../../stack/postgrest/server.ts";
import { freePort } from "../../stack/wait.ts";

/** The real PostgREST binary the tests run against, when POSTGREST_BIN names one. */
export const REAL_POSTGREST: string | null = Deno.env.get("POSTGREST_BIN")
  ? findPostgrestBinary()
  : null;

export interface Harness {
  dbUrl: string;
  /** PostgREST itself (stand-in or real). */
  restUrl: string;
  /** The fault proxy in front of PostgREST (the gateway forwards `/rest/v1` there). */
  proxyUrl: string;
  /** The proxy's hook: GET the state, POST a fault. */
  faultUrl: string;
  apiUrl: string;
  anonKey: string;
  serviceRoleKey: string;
  /** Superuser connection for fixtures and checks. */
  sql: postgres.Sql;
  restartDb(): Promise<void>;
  /** Another PostgREST (stand-in or real) on the same database with another db-tx-end. */
  startRest(txEnd: TxEnd): Promise<RunningPostgrest>;
  /** POST /rpc/<fn> on the stand-in (JSON body; `token` as Bearer when given). */
  rpc(fn: string, body?: unknown, init?: RpcInit): Promise<Response>;
}

export interface RpcInit {
  token?: string;
  method?: string;
  headers?: Record<string, string>;
  /** Raw body text instead of JSON.stringify(body). */
  raw?: string;
}

const FIXTURES = new URL("./fixtures.sql", import.meta.url).pathname;

/** The harness's db-max-rows: `[api] max_rows` of supabase/config.toml, as the local stack runs. */
export const MAX_ROWS = apiMaxRows();

/** Runs `fn` against a fresh harness and stops everything afterwards. */
export async function withHarness(
  fn: (h: Harness) => Promise<void>,
  options: { functions?: Record<string, GatewayFunction>; auth?: Partial<AuthConfig> } = {},
): Promise<void> {
  const pg = await startPostgres({ port: freePort() });
  const stops: (() => Promise<void>)[] = [() => pg.stop()];
  try {
    await applyBase(pg.dbUrl);
    await runSqlFile(pg.dbUrl, FIXTURES);
    const startRest = (txEnd: TxEnd = "commit") =>
      REAL_POSTGREST
        ? startRealPostgrest({
          bin: REAL_POSTGREST,
          dbUri: authenticatorUrl(pg.dbUrl),
          port: freePort(),
          jwtSecret: LOCAL_JWT_SECRET,
          txEnd,
          maxRows: MAX_ROWS,
        })
        : startStandIn({ dbUri: authenticatorUrl(pg.dbUrl), txEnd, maxRows: MAX_ROWS });
    const rest = await startRest();
    stops.push(() => rest.stop());
    const proxy = await startFaultProxy(rest.url);
    stops.push(() => proxy.stop());
    const anonKey = await demoKey("anon");
    const serviceRoleKey = await demoKey("service_role");
    // the local Auth names the gateway's URL in its tokens: started once the gateway listens
    const auth: { running?: RunningAuth } = {};
    const gateway = await startGateway({
      postgrestUrl: proxy.url,
      functions: options.functions ?? {},
      jwtSecret: LOCAL_JWT_SECRET,
      apiKeys: [anonKey, serviceRoleKey],
      opaqueKeys: await opaqueKeys(),
      auth: (req, path) => auth.running!.handle(req, path),
    }, 0);
    stops.push(() => gateway.stop());
    auth.running = startAuth({
      dbUrl: pg.dbUrl,
      jwtSecret: LOCAL_JWT_SECRET,
      apiUrl: gateway.url,
      ...authConfig(),
      ...options.auth,
    });
    stops.push(() => auth.running!.stop());
    const sql = postgres(pg.dbUrl, { max: 2, onnotice: () => {} });
    stops.push(() => sql.end({ timeout: 2 }));
    await fn({
      dbUrl: pg.dbUrl,
      restUrl: rest.url,
      proxyUrl: proxy.url,
      faultUrl: proxy.faultUrl,
      apiUrl: gateway.url,
      anonKey,
      serviceRoleKey,
      sql,
      restartDb: () => pg.restart("fast"),
      async startRest(txEnd) {
        const extra = await startRest(txEnd);
        stops.push(() => extra.stop());
        return extra;
      },
      rpc(name, body = {}, init = {}) {
        const headers: Record<string, string> = {
          "Content-Type": "application/json",
          ...init.headers,
        };
        if (init.token) headers.Authorization = `Bearer ${init.token}`;
        const method = init.method ?? "POST";
        return fetch(`${rest.url}/rpc/${name}`, {
          method,
          headers,
          body: method === "GET" || method === "HEAD"
            ? undefined
            : init.raw ?? JSON.stringify(body),
        });
      },
    });
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  }
}

/** Deno.test options for tests that own processes and servers across steps. */
export const STACK_TEST = { sanitizeOps: false, sanitizeResources: false } as const;

/** Status and parsed JSON body (null when empty) of an answer. */
// deno-lint-ignore no-explicit-any
export async function result(res: Response): Promise<{ status: number; body: any }> {
  const text = await res.text();
  return { status: res.status, body: text === "" ? null : JSON.parse(text) };
}
