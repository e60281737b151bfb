// private.lock_tables, the way the migrations that change several of the apps' tables take
// their locks: all at once, each try waiting at most 100 ms per table, a try that does not
// get every lock letting go of what it got. Run against tables of a schema of its own, with
// an "app" session that holds one table and then asks for the other (the order in which a
// migration taking its locks one by one deadlocks with it).
import assert from "node:assert/strict";
import { adminSql } from "../_support/stack.ts";

const sql = adminSql({ max: 4 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A schema with tables `a` and `b`, dropped after `fn`. */
async function withTables(fn: (schema: string) => Promise<void>) {
  const schema = `lock_test_${crypto.randomUUID().slice(0, 8)}`;
  await sql.unsafe(`create schema ${schema}; create table ${schema}.a (id int);
    create table ${schema}.b (id int)`);
  try {
    await fn(schema);
  } finally {
    await sql.unsafe(`drop schema ${schema} cascade`);
  }
}

/** An app's transaction that writes to `b`, then (after `gapMs`) to `a`, and commits
 * `holdMs` later. Resolves to the SQLSTATE it failed with, or null. */
async function appTransaction(schema: string, gapMs: number, holdMs: number) {
  const app = await sql.reserve();
  try {
    await app`begin`;
    await app.unsafe(`insert into ${schema}.b values (1)`);
    await sleep(gapMs);
    await app.unsafe(`insert into ${schema}.a values (1)`);
    await sleep(holdMs);
    await app`commit`;
    return null;
  } catch (e) {
    await app`rollback`.catch(() => {});
    return (e as { code?: string }).code ?? String(e);
  } finally {
    app.release();
  }
}

Deno.test("lock_tables: a migration and an app that wait for each other: the migration's try gives up, the app goes on", async () => {
  await withTables(async (schema) => {
    // Taken one by one, the same locks deadlock with the app: one of the two is chosen to end it.
    const plain = await sql.reserve();
    const app = appTransaction(schema, 200, 1500);
    await sleep(100);
    let plainError: string | null = null;
    try {
      await plain`begin`;
      await plain.unsafe(`set local lock_timeout = '3s';
        lock table ${schema}.a, ${schema}.b in access exclusive mode`);
      await plain`commit`;
    } catch (e) {
      plainError = (e as { code: string }).code;
      await plain`rollback`;
    } finally {
      plain.release();
    }
    const plainApp = await app;
    assert.ok(
      plainError === "40P01" || plainApp === "40P01",
      `one side ends the deadlock (migration: ${plainError}, app: ${plainApp})`,
    );

    // With lock_tables the app never fails, and the migration gets both locks once it commits.
    const migration = await sql.reserve();
    const appDone = appTransaction(schema, 200, 1500);
    await sleep(100);
    const started = performance.now();
    await migration`begin`;
    await migration.unsafe(`set local lock_timeout = '3s';
      select private.lock_tables(array['${schema}.a', '${schema}.b'], 'access exclusive')`);
    const waited = performance.now() - started;
    const held = await migration.unsafe(`select c.relname::text, l.mode from pg_catalog.pg_locks l
      join pg_catalog.pg_class c on c.oid = l.relation
      where l.pid = pg_backend_pid() and c.relnamespace = '${schema}'::regnamespace
      order by 1`);
    const [{ lock_timeout }] =
      await migration`select current_setting('lock_timeout') as lock_timeout`;
    await migration`commit`;
    migration.release();
    assert.equal(await appDone, null, "the app's transaction commits");
    assert.ok(waited >= 1000, `the migration got its locks after the app committed (${waited} ms)`);
    assert.deepEqual(held.map((r) => `${r.relname} ${r.mode}`), [
      "a AccessExclusiveLock",
      "b AccessExclusiveLock",
    ]);
    assert.equal(lock_timeout, "3s", "the file's lock_timeout is kept for its later statements");
    console.log(
      `  one by one: migration ${plainError}, app ${plainApp}; ` +
        `lock_tables: app committed, migration waited ${Math.round(waited)} ms`,
    );
  });
});

Deno.test("lock_tables: a table held throughout: 55P03 after p_max_wait, nothing left locked", async () => {
  await withTables(async (schema) => {
    const app = await sql.reserve();
    await app`begin`;
    await app.unsafe(`insert into ${schema}.b values (1)`);
    const migration = await sql.reserve();
    try {
      await migration`begin`;
      await assert.rejects(
        migration.unsafe(`select private.lock_tables(array['${schema}.a', '${schema}.b'],
          'access exclusive', '1 second')`),
        (e: { code: string; message: string }) =>
          e.code === "55P03" && e.message.includes(`${schema}.a, ${schema}.b`),
      );
      await migration`rollback`;
      // the app still writes to both tables: nothing of the tries is held
      await app.unsafe(`set local lock_timeout = '200ms'; insert into ${schema}.a values (1)`);
      await app`commit`;
    } finally {
      migration.release();
      app.release();
    }
  });
});

Deno.test("lock_tables: tables that do not exist are skipped; only a migration's lock modes", async () => {
  await withTables(async (schema) => {
    const locked = await sql.begin(async (tx) => {
      await tx.unsafe(`select private.lock_tables(array['${schema}.missing', '${schema}.a'],
        'share row exclusive')`);
      return await tx.unsafe(`select c.relname::text from pg_catalog.pg_locks l
        join pg_catalog.pg_class c on c.oid = l.relation
        where l.pid = pg_backend_pid() and l.mode = 'ShareRowExclusiveLock'
          and c.relnamespace = '${schema}'::regnamespace`);
    });
    assert.deepEqual(locked.map((r) => r.relname), ["a"]);
    await assert.rejects(
      sql.unsafe(`select private.lock_tables(array['${schema}.a'], 'row share')`),
      (e: { code: string }) => e.code === "22023",
    );
  });
});
