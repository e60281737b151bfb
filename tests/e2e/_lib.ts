// End-to-end test helpers: reach the running local stack as a POS app does.
// - user JWTs signed with the stack's secret (tests/_support/jwt.ts),
// - supabase-js clients and a `call()` that turns any answer into {status, body, headers},
// - raw `fetch` through the gateway for requests supabase-js cannot make,
// - reads of what the database holds for a location.
// The test frame (`e2eTest`: the shared pool, a fresh store, the invariant census afterwards)
// is tests/_support/e2e_test.ts, re-exported here with the census and fixtures.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import nodeAssert from "node:assert/strict";
import { userToken } from "../_support/jwt.ts";
import { adminSql, type Sql, stackInfo } from "../_support/stack.ts";

export { adminSql, type Sql, stackInfo };
export { e2eTest } from "../_support/e2e_test.ts";
export { assertInvariants } from "../_support/census.ts";
export { addLocation, newStore } from "../_support/fixtures.ts";

// ---------------------------------------------------------------------------------------------
// JWTs

export interface UserJwtOptions {
  sub?: string;
  storeIds?: string[];
  expiresIn?: number; // seconds from now; negative for an expired token
  secret?: string;
}

/** A signed-in staff member's access token, as Supabase Auth would issue it. */
export async function userJwt(options: UserJwtOptions = {}): Promise<string> {
  const expiresIn = options.expiresIn ?? 3600;
  const { token } = await userToken({
    sub: options.sub,
    expiresIn,
    appMetadata: {
      providers: ["email"],
      ...(options.storeIds ? { store_ids: options.storeIds } : {}),
    },
    extra: {
      email: "staff@example.com",
      iat: Math.floor(Date.now() / 1000) - 10 + Math.min(0, expiresIn) * 2,
    },
    secret: options.secret ?? stackInfo().jwtSecret,
  });
  return token;
}

// ---------------------------------------------------------------------------------------------
// Clients and calls

/** A supabase-js client as a POS app builds it: anon key plus the user's access token. */
export function posClient(accessToken?: string): SupabaseClient {
  const info = stackInfo();
  return createClient(info.apiUrl, info.anonKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: accessToken ? { headers: { Authorization: `Bearer ${accessToken}` } } : {},
  });
}

export interface CallResult {
  /** HTTP status; 0 when no answer arrived (network error or client-side abort). */
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
  headers: Headers;
  ms: number;
  networkError?: string;
}

export interface CallOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  timeoutMs?: number;
  signal?: AbortSignal;
  query?: Record<string, string>;
  headers?: Record<string, string>;
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `functions.invoke('cart', ...)`, with every outcome folded into a CallResult. */
export async function call(
  client: SupabaseClient,
  body: unknown,
  options: CallOptions = {},
): Promise<CallResult> {
  const started = performance.now();
  const name = options.query ? `cart?${new URLSearchParams(options.query)}` : "cart";
  const { data, error, response } = await client.functions.invoke(name, {
    // deno-lint-ignore no-explicit-any
    body: body as any,
    method: options.method,
    timeout: options.timeoutMs,
    signal: options.signal,
    headers: options.headers,
  });
  const ms = performance.now() - started;
  if (!error) {
    return { status: response?.status ?? 200, body: data, headers: response!.headers, ms };
  }
  const res: Response | undefined = response ??
    // deno-lint-ignore no-explicit-any
    ((error as any).context instanceof Response ? (error as any).context : undefined);
  if (res) {
    return { status: res.status, body: await readBody(res), headers: res.headers, ms };
  }
  // deno-lint-ignore no-explicit-any
  const cause = (error as any).context ?? error;
  return {
    status: 0,
    body: null,
    headers: new Headers(),
    ms,
    networkError: String(cause?.name ?? "") + ": " + String(cause?.message ?? cause),
  };
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: BodyInit | null;
  query?: string;
  timeoutMs?: number;
}

/** A raw HTTP request to /functions/v1/cart through the gateway (no client library). */
export async function rawCall(req: RawRequest): Promise<CallResult> {
  const info = stackInfo();
  const started = performance.now();
  const url = `${info.apiUrl}/functions/v1/cart${req.query ? `?${req.query}` : ""}`;
  try {
    const res = await fetch(url, {
      method: req.method ?? "POST",
      headers: req.headers,
      body: req.body,
      signal: AbortSignal.timeout(req.timeoutMs ?? 15_000),
    });
    return {
      status: res.status,
      body: await readBody(res),
      headers: res.headers,
      ms: performance.now() - started,
    };
  } catch (e) {
    return {
      status: 0,
      body: null,
      headers: new Headers(),
      ms: performance.now() - started,
      networkError: String(e),
    };
  }
}

/** Headers a POS app sends for a JSON POST, signed in as `accessToken`. */
export function jsonHeaders(accessToken: string): Record<string, string> {
  return {
    "content-type": "application/json",
    apikey: stackInfo().anonKey,
    authorization: `Bearer ${accessToken}`,
  };
}

// ---------------------------------------------------------------------------------------------
// What the database holds

/** Everything stored for a location: carts and queue entries, with their versions. */
export async function locationRows(sql: Sql, locationId: string): Promise<string> {
  const carts = await sql`
    select id, status, updated_at, xmin::text as v from public.carts
    where location_id = ${locationId} order by id`;
  const queue = await sql`
    select id, status, updated_at, xmin::text as v from public.location_queue
    where location_id = ${locationId} order by id`;
  return JSON.stringify({ carts, queue });
}

export async function activeCarts(sql: Sql, locationId: string, customerId: string) {
  return await sql<{ id: string }[]>`
    select id from public.carts
    where location_id = ${locationId} and customer_id = ${customerId} and status = 'active'`;
}

// ---------------------------------------------------------------------------------------------
// Small utilities

/** Assertions (node:assert, strict mode) under the names Deno tests usually use. */
export function assert(condition: unknown, message?: string): asserts condition {
  nodeAssert.ok(condition, message);
}
export function assertEquals<T>(actual: unknown, expected: T, message?: string) {
  nodeAssert.deepStrictEqual(actual, expected, message);
}
export function assertMatch(actual: string, re: RegExp, message?: string) {
  nodeAssert.match(actual, re, message);
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Counts of each status in `results`, e.g. {"200": 48, "503": 2}. */
export function statusCounts(results: { status: number }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
}

/** Runs `worker` over `items` with at most `limit` in flight. */
export async function pool<T, R>(
  items: T[],
  limit: number,
  worker: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  async function lane() {
    while (next < items.length) {
      const i = next++;
      out[i] = await worker(items[i], i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

/** A deterministic PRNG (mulberry32) so generated corpora are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
