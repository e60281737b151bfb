// Shared helpers of the database tests: a place to work in (two stores, built with
// tests/_support/fixtures.ts), running SQL as PostgREST does for a signed-in user (role + request.jwt.claims set
// locally in one transaction), and asserting on the errcode + HINT of a raised error.
import type postgres from "postgres";
import assert from "node:assert/strict";
import { newCustomers, newStore } from "../_support/fixtures.ts";

// deno-lint-ignore no-explicit-any
export type Sql = postgres.Sql<any>;
// deno-lint-ignore no-explicit-any
export type Tx = postgres.TransactionSql<any>;
// deno-lint-ignore no-explicit-any
export type Json = any;

export interface Place {
  storeId: string;
  locationId: string;
  customerId: string;
  otherStoreId: string;
  otherLocationId: string;
  /** JWT claims of a staff member of `storeId` (app_metadata.store_ids). */
  staff: Record<string, unknown>;
}

/** Two stores, one location each, one customer of no store: ids unique to the calling test. */
export async function newPlace(sql: Sql): Promise<Place> {
  const mine = await newStore(sql);
  const other = await newStore(sql, { name: "other" });
  const [customerId] = await newCustomers(sql, 1);
  return {
    storeId: mine.storeId,
    locationId: mine.locationId,
    customerId,
    otherStoreId: other.storeId,
    otherLocationId: other.locationId,
    staff: staffClaims(mine.storeId),
  };
}

/** The claims of a signed-in staff member granted `storeIds` (default deny: no store, no access). */
export function staffClaims(...storeIds: string[]): Record<string, unknown> {
  return { sub: crypto.randomUUID(), app_metadata: { store_ids: storeIds } };
}

export type Role = "authenticated" | "anon" | "service_role";
/** What runs a tagged-template query: a transaction, or a reserved connection inside one. */
// deno-lint-ignore no-explicit-any
export type Queryable = (strings: TemplateStringsArray, ...values: any[]) => PromiseLike<unknown>;

/** Sets, for the rest of the transaction `tx` is in, what PostgREST sets for a request: role,
 * claims and the request's headers (lowercase names, as PostgREST passes them). */
export function actAs(
  tx: Queryable,
  role: Role,
  claims: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return tx`select set_config('role', ${role}, true),
    set_config('request.jwt.claims', ${JSON.stringify({ ...claims, role })}, true),
    set_config('request.headers', ${JSON.stringify(headers)}, true)`;
}

/** Runs `fn` in one transaction as PostgREST runs a request (`actAs`). */
export function asRole(
  sql: Sql,
  role: Role,
  claims: Record<string, unknown>,
  fn: (tx: Tx) => Promise<Json>,
  headers: Record<string, string> = {},
): Promise<Json> {
  return sql.begin(async (tx) => {
    await actAs(tx, role, claims, headers);
    return await fn(tx);
  });
}

/** Runs `fn` as a signed-in staff member (role authenticated) with these claims. */
export function asStaff(
  sql: Sql,
  fn: (tx: Tx) => Promise<Json>,
  claims: Record<string, unknown>,
): Promise<Json> {
  return asRole(sql, "authenticated", claims, fn);
}

/** Asserts that `promise` fails with this SQLSTATE and (when given) this HINT code. */
export async function assertPgError(promise: Promise<unknown>, code: string, hint?: string) {
  await assert.rejects(promise, (error: { code?: string; hint?: string }) => {
    assert.equal(error.code, code, `expected SQLSTATE ${code}, got ${error.code}: ${error}`);
    if (hint !== undefined) assert.equal(error.hint, hint);
    return true;
  });
}
