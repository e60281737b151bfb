// Test support: `e2eTest`, the frame of every test against the running stack. It hands the
// test the process's one database pool and a fresh store (one location, the customers asked
// for), runs it, and then checks the invariant census over the whole database: whatever a test
// does, it may not leave a duplicate cart or entry behind. Sanitizers are off: supabase-js and
// postgres.js keep pooled sockets open between tests.
import { assertInvariants } from "./census.ts";
import { newStore, type Store, type StoreOptions } from "./fixtures.ts";
import { sharedSql, type Sql } from "./stack.ts";

export interface E2eContext {
  /** The shared superuser pool (sharedSql()); not to be ended by the test. After
   * restartPostgres(), sharedSql() gives its replacement. */
  sql: Sql;
  /** A store of the test's own. */
  fx: Store;
}

type E2eFn = (t: E2eContext) => Promise<void>;

/** A test with its own store (no customers unless `fixture` asks for some), then the census. */
export function e2eTest(name: string, fn: E2eFn): void;
export function e2eTest(name: string, fixture: StoreOptions, fn: E2eFn): void;
export function e2eTest(name: string, a: StoreOptions | E2eFn, b?: E2eFn): void {
  const [fixture, fn] = typeof a === "function" ? [{}, a] : [a, b!];
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const sql = sharedSql();
      await fn({ sql, fx: await newStore(sql, fixture) });
      // Asked again: a test that restarts the database (restartPostgres) replaces the pool.
      await assertInvariants(sharedSql(), name);
    },
  });
}
