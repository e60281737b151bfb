// Repair of a live deployment. A legacy database holds the duplicates the old
// select-then-insert function made and the messy rows real POS databases hold (statuses
// outside the new set, rows without a store, a store that is not the location's, a deleted
// location or customer, a party of 0, a discount line, device ids with stray spaces, open
// entries on the wrong cart). The migrations apply without error, each file as one batch (the
// Supabase CLI: the repair commits key batch by key batch), statement by statement (`psql -f`)
// and each file in a transaction psql opens around it (the repair in one transaction), with
// the same result;
// no row is lost, item quantities per customer + location are unchanged, the invariants hold,
// every row the repair changed or kept is in private.repair_report, and a second run writes
// nothing (no change record in logical decoding). What an older app may hold under the
// product's names (RPCs, status checks, an index, store tables) stops nothing either, nor do
// publications with column lists or line prices and quantities of other numeric types: the
// product then works on the database as on a new one.
import assert from "node:assert/strict";
import postgres from "postgres";
import { assertInvariants } from "../_support/census.ts";
import { stackInfo } from "../_support/stack.ts";
import { asRole } from "./_db.ts";
import {
  applyMigrations,
  createDatabase,
  type FileMode,
  runSqlFile,
} from "../../stack/postgres.ts";

const FIXTURE = new URL("./fixtures/legacy_seed_schema.sql", import.meta.url).pathname;
// The legacy classes at scale (bench/sql/legacy_load_setup.sql: deterministic, set-based).
const AT_SCALE = new URL("../../bench/sql/legacy_load_setup.sql", import.meta.url).pathname;
type Sql = postgres.Sql<Record<string, never>>;
// deno-lint-ignore no-explicit-any
type Row = Record<string, any>;

const id = (kind: number, n: number) =>
  `${kind}0000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const ENTRY = (n: number) => id(4, n);
const CART = (n: number) => id(5, n);
const LINE = (n: number) => id(6, n);
const STORE = (n: number) => id(1, n);
const CUSTOMER = (n: number) => id(3, n);
const LOCATION = (n: number) => id(2, n);

async function rows(sql: Sql, table: string): Promise<Map<string, Row>> {
  const list = await sql.unsafe(`select * from public.${table} order by id`);
  return new Map(list.map((r) => [r.id as string, r as Row]));
}

/** Quantities per owner of a cart (customer + location, or trimmed device + location). */
async function quantities(sql: Sql): Promise<Record<string, number>> {
  const list =
    await sql`select coalesce(c.customer_id::text, 'device:' || nullif(btrim(c.device_id::text), ''))
      || '@' || c.location_id as owner, sum(i.quantity)::int as q
    from public.cart_items i join public.carts c on c.id = i.cart_id group by 1 order by 1`;
  return Object.fromEntries(list.map((r) => [r.owner, r.q]));
}

/** The repaired state with the ids of carts the repair created replaced by their owner, so
 * that two databases repaired separately compare equal. */
async function normalized(sql: Sql): Promise<string> {
  const carts = await sql`select c.id, c.customer_id, c.location_id, c.store_id, c.device_id,
    c.status, c.merged_into, exists (select 1 from private.repair_report r
      where r.row_id = c.id and r.action = 'created') as made
    from public.carts c`;
  const name = new Map<string, string>(
    carts.map((c) => [c.id, c.made ? `new:${c.customer_id}@${c.location_id}` : c.id]),
  );
  const n = (v: string | null) => (v ? name.get(v) ?? v : v);
  const entries =
    await sql`select id, status, store_id, cart_id, device_id from public.location_queue order by id`;
  const items = await sql`select id, cart_id, quantity from public.cart_items order by id`;
  const report = await sql`select table_name, row_id, reason, action from private.repair_report
    order by 1, 2, 3`;
  return JSON.stringify({
    carts: carts.map((c) => [n(c.id), c.store_id, c.device_id, c.status, n(c.merged_into)]).sort(),
    entries: entries.map((e) => [e.id, e.status, e.store_id, n(e.cart_id), e.device_id]),
    items: items.map((i) => [i.id, n(i.cart_id), i.quantity]),
    report: report.map((r) => [r.table_name, n(r.row_id), r.reason, r.action]).sort(),
  });
}

/** Runs `fn` in a transaction as the legacy staff user (a member of stores 1 and 2 after the
 * migrations), the way PostgREST sets role and claims. */
/** Runs fn in a transaction as PostgREST would for a JWT of that user (null: the anon key). */
function asUser<T>(
  sql: Sql,
  sub: string | null,
  fn: (t: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  return asRole(sql, sub ? "authenticated" : "anon", sub ? { sub } : {}, fn);
}

function asLegacyStaff<T>(sql: Sql, fn: (t: postgres.TransactionSql) => Promise<T>): Promise<T> {
  return asUser(sql, id(7, 1), fn);
}

/** A new database of that name holding the legacy fixture, before any migration. */
async function legacyDatabase(name: string): Promise<{ dbUrl: string; sql: Sql }> {
  const dbUrl = await createDatabase(stackInfo().dbUrl, name);
  await runSqlFile(dbUrl, FIXTURE);
  return { dbUrl, sql: postgres(dbUrl, { max: 1, onnotice: () => {} }) as Sql };
}

async function repairedDatabase(mode: FileMode, carts = 0) {
  const { dbUrl, sql } = await legacyDatabase(`poscart_legacy_${mode}${carts ? `_${carts}` : ""}`);
  if (carts) {
    await runSqlFile(dbUrl, AT_SCALE);
    await sql`select legacy_load.generate(${carts}::int, ${carts / 10}::int, 50)`;
  }
  const before = {
    carts: await rows(sql, "carts"),
    items: await rows(sql, "cart_items"),
    entries: await rows(sql, "location_queue"),
    quantities: await quantities(sql),
  };
  await applyMigrations(dbUrl, undefined, mode);
  return { dbUrl, sql, before };
}

Deno.test("repair: a messy legacy database takes every migration, loses nothing, reports what it kept", async () => {
  const tx = await repairedDatabase("transaction");
  const stmts = await repairedDatabase("statements");
  const wrapped = await repairedDatabase("wrapped");
  try {
    const { sql, before } = tx;
    const after = {
      carts: await rows(sql, "carts"),
      items: await rows(sql, "cart_items"),
      entries: await rows(sql, "location_queue"),
      quantities: await quantities(sql),
    };
    const report = await sql`select table_name, row_id, reason, action, detail
      from private.repair_report order by 1, 2, 3`;
    const reported = (table: string, rowId: string) =>
      report.filter((r) => r.table_name === table && r.row_id === rowId)
        .map((r) => `${r.reason}:${r.action}`).sort();
    const created = report.filter((r) => r.action === "created").length;
    console.log(
      `legacy fixture: ${before.carts.size} carts, ${before.items.size} lines, ${before.entries.size} entries -> ` +
        `${after.carts.size} carts (${created} created for open entries), ${after.items.size} lines, ` +
        `${after.entries.size} entries; ${report.length} report rows`,
    );

    // Nothing is lost; quantities stay with their customer (or device) at the location.
    for (
      const [table, b] of Object.entries({
        carts: before.carts,
        items: before.items,
        entries: before.entries,
      })
    ) {
      const a = after[table as "carts" | "items" | "entries"];
      for (const key of b.keys()) assert.ok(a.has(key), `${table} row ${key} was lost`);
    }
    assert.equal(after.carts.size, before.carts.size + created);
    assert.equal(after.items.size, before.items.size);
    assert.equal(after.entries.size, before.entries.size);
    assert.deepEqual(after.quantities, before.quantities);

    // The invariants hold on the repaired rows.
    await assertInvariants(sql, "invariant census after the repair");

    // Every row the repair changed is reported with what it did.
    const changed = (b: Map<string, Row>, a: Map<string, Row>, cols: string[]) =>
      [...b.keys()].filter((k) => cols.some((c) => String(b.get(k)![c]) !== String(a.get(k)![c])));
    for (
      const k of changed(before.carts, after.carts, ["status", "store_id", "device_id"])
    ) {
      assert.ok(
        reported("carts", k).some((r) => !r.endsWith(":kept")),
        `cart ${k} changed unreported`,
      );
    }
    for (const k of changed(before.items, after.items, ["cart_id"])) {
      const cart = before.items.get(k)!.cart_id;
      assert.ok(
        reported("carts", cart).some((r) => r.endsWith(":merged")),
        `line ${k} moved unreported`,
      );
    }
    for (
      const k of changed(before.entries, after.entries, [
        "status",
        "store_id",
        "cart_id",
      ])
    ) {
      assert.ok(reported("location_queue", k).length > 0, `entry ${k} changed unreported`);
    }

    // Each class of messy row got its deliberate answer.
    const entry = (n: number) => after.entries.get(ENTRY(n))!;
    const cart = (n: number) => after.carts.get(CART(n))!;
    const activeCartOf = (customer: string, location: string) =>
      [...after.carts.values()].find((c) =>
        c.customer_id === customer && c.location_id === location && c.status === "active"
      );
    assert.equal(entry(1).status, "removed"); // 'cancelled'
    assert.equal(entry(2).status, "served"); // 'done'
    assert.equal(entry(3).status, "removed"); // null
    assert.deepEqual(reported("location_queue", ENTRY(3)), ["status_mapped:changed"]);
    assert.equal(entry(4).store_id, STORE(1)); // no store_id: the location's
    assert.equal(entry(4).cart_id, activeCartOf(CUSTOMER(44), LOCATION(2))?.id);
    assert.equal(entry(5).status, "waiting"); // 'Waiting ', on a cart at another location
    assert.equal(entry(5).cart_id, activeCartOf(CUSTOMER(45), LOCATION(2))?.id);
    assert.ok(reported("location_queue", ENTRY(5)).includes("cart_relinked:changed"));
    assert.equal(entry(6).party_size, 0); // party of 0: kept as it was, reported
    assert.ok(reported("location_queue", ENTRY(6)).includes("party_size_out_of_range:kept"));
    assert.equal(entry(6).status, "waiting");
    assert.equal(entry(6).cart_id, activeCartOf(CUSTOMER(46), LOCATION(3))?.id);
    assert.equal(entry(7).status, "removed"); // a deleted customer
    assert.ok(reported("location_queue", ENTRY(7)).includes("customer_missing:closed"));
    assert.equal(entry(8).status, "removed"); // no customer
    assert.ok(reported("location_queue", ENTRY(8)).includes("open_entry_without_customer:closed"));
    assert.equal(entry(9).status, "removed"); // a deleted location
    assert.ok(reported("location_queue", ENTRY(9)).includes("location_missing:closed"));
    assert.equal(entry(10).status, "removed"); // customer 46's second open entry
    assert.ok(reported("location_queue", ENTRY(10)).includes("duplicate_open_entry:closed"));

    // customer 46's 'open', 'ACTIVE' and 'active' carts: the one already 'active' survives
    assert.equal(cart(3).status, "active");
    assert.deepEqual([cart(1).status, cart(1).merged_into], ["merged", CART(3)]);
    assert.deepEqual([cart(2).status, cart(2).merged_into], ["merged", CART(3)]);
    for (const l of [1, 2, 3]) assert.equal(after.items.get(LINE(l))!.cart_id, CART(3));
    assert.ok(reported("cart_items", LINE(1)).includes("unit_price_out_of_range:kept"));
    assert.ok(reported("cart_items", LINE(2)).includes("quantity_out_of_range:kept"));
    assert.equal(after.items.get(LINE(1))!.unit_price, "-5.00");
    assert.equal(after.items.get(LINE(2))!.quantity, 0);
    assert.equal(cart(4).status, "abandoned"); // null status
    assert.equal(cart(5).store_id, STORE(2)); // filed under the wrong store
    assert.ok(reported("carts", CART(5)).includes("store_from_location:changed"));
    assert.equal(cart(6).status, "on_hold"); // unknown: kept, reported
    assert.ok(reported("carts", CART(6)).includes("status_unknown:kept"));
    // duplicates at the deleted location: merged, and kept there (reported)
    assert.deepEqual([cart(7).status, cart(7).merged_into], ["merged", CART(8)]);
    assert.ok(reported("carts", CART(8)).includes("location_missing:kept"));
    // device ids: ' ipad-1 ' and 'ipad-1' are one device; '' is none
    assert.equal(cart(9).device_id, "ipad-1");
    assert.deepEqual([cart(9).status, cart(9).merged_into], ["merged", CART(10)]);
    assert.equal(after.items.get(LINE(4))!.cart_id, CART(10));
    assert.equal(cart(11).device_id, null);
    assert.ok(reported("carts", CART(11)).includes("anonymous_without_device:kept"));

    // Every reported 'kept' row is unchanged in the columns it was reported for.
    for (const r of report.filter((r) => r.action === "kept")) {
      const b = { carts: before.carts, cart_items: before.items, location_queue: before.entries }[
        r.table_name as "carts"
      ].get(r.row_id);
      if (!b) continue; // a cart the repair created cannot be "kept as it was"
      for (const [col, value] of Object.entries(r.detail as Row)) {
        if (col in b && col !== "length") {
          const now =
            { carts: after.carts, cart_items: after.items, location_queue: after.entries }[
              r.table_name as "carts"
            ].get(r.row_id)![col];
          const same = String(now) === String(value) ||
            now !== null && value !== null && Number(now) === Number(value);
          assert.ok(same, `${r.table_name} ${r.row_id} ${col} kept as it was: ${now} vs ${value}`);
        }
      }
    }

    // Existing staff keep working; users limited by a claim, anonymous sign-ins, and users
    // created after the migration get nothing.
    const members =
      await sql`select user_id::text, array_agg(store_id::text order by store_id) as stores
      from public.store_members group by 1 order by 1`;
    assert.deepEqual(members.map((m) => [m.user_id, m.stores]), [[id(7, 1), [STORE(1), STORE(2)]]]);
    const oldStaff = <T>(fn: (t: postgres.TransactionSql) => Promise<T>) => asLegacyStaff(sql, fn);
    const asOldStaff = await oldStaff(async (t) =>
      (await t`select public.get_or_create_cart(p_location_id => ${LOCATION(1)}::uuid,
        p_customer_id => ${CUSTOMER(6)}::uuid) as r`)[0].r
    );
    assert.equal(asOldStaff.created, false, "existing staff still reach their customers' carts");

    // The legacy status columns stay nullable, but a NULL status is refused like any other
    // outside the lifecycle: it would pass every `status in (...)` rule and let a closed cart
    // or entry be opened again.
    const [open] = await sql`select id::text from public.location_queue
      where store_id = ${STORE(1)} and status in ('waiting', 'called') order by id limit 1`;
    const refused = (write: (t: postgres.TransactionSql) => Promise<unknown>) =>
      oldStaff(write).then(() => "written", (e) => e.code);
    assert.deepEqual(
      [
        await refused((t) =>
          t`update public.carts set status = null where id = ${asOldStaff.cart.id}`
        ),
        await refused((t) =>
          t`update public.location_queue set status = null where id = ${open.id}`
        ),
      ],
      ["23514", "23514"],
      "a NULL status is a check violation",
    );

    // A foreign key the legacy tables already had (locations.store_id, cart_items.cart_id)
    // is kept and not added a second time under the product's name: one check per write.
    const doubled = await sql`select array_agg(conname::text order by conname) as names
      from pg_constraint where contype = 'f' and connamespace = 'public'::regnamespace
      group by conrelid, conkey, confrelid, confkey having count(*) > 1`;
    assert.deepEqual(doubled.map((d) => d.names), [], "no foreign key twice");
    const orphan =
      await sql`insert into public.cart_items (cart_id, product_id, quantity, unit_price)
      values (gen_random_uuid(), 'sku', 1, 1)`.then(() => "written", (e) => e.constraint_name);
    assert.equal(
      orphan,
      "cart_items_cart_id_fkey",
      "the legacy key still refuses a line of no cart",
    );

    // The same result statement by statement (psql -f), and in one transaction per file
    // (psql --single-transaction), as in batches of keys (the Supabase CLI's way).
    const expected = await normalized(sql);
    assert.equal(await normalized(stmts.sql), expected, "psql -f");
    assert.equal(await normalized(wrapped.sql), expected, "psql --single-transaction");

    // A second run writes nothing, in batches or in one transaction: no change record at all.
    const slot = "poscart_repair_twice";
    await sql`select pg_create_logical_replication_slot(${slot}, 'test_decoding')`;
    try {
      await applyMigrations(tx.dbUrl);
      await applyMigrations(tx.dbUrl, undefined, "wrapped");
      const changes = await sql`select data from pg_logical_slot_get_changes(${slot}, null, null,
        'skip-empty-xacts', '1', 'include-xids', '0')`;
      const data = changes.map((c) => c.data as string).filter((d) => d.startsWith("table "));
      console.log(`second run of every migration: ${data.length} change records`);
      assert.deepEqual(data, []);
    } finally {
      await sql`select pg_drop_replication_slot(${slot})`;
    }
  } finally {
    await tx.sql.end();
    await stmts.sql.end();
    await wrapped.sql.end();
  }
});

Deno.test("repair: an older app's RPCs, status checks, index and tables of the product's names stop nothing", async () => {
  const { dbUrl, sql } = await legacyDatabase("poscart_legacy_names");
  try {
    // What an older app may hold under the product's names: its select-then-insert RPCs (one
    // with the product's arguments but another return type), CHECK constraints that know only
    // its statuses (NOT VALID: its rows are as they are), its own index on the columns of I1,
    // tables of its own for store members and settings, and a Realtime publication left
    // publishing inserts only.
    await sql.unsafe(`
      create function public.get_or_create_cart(p_location_id uuid, p_customer_id uuid)
      returns setof public.carts language sql as $$
        select * from public.carts c
        where c.location_id = p_location_id and c.customer_id = p_customer_id limit 1 $$;
      create function public.add_to_queue(p_location_id uuid, p_customer_id uuid, p_store_id uuid,
        p_device_id text, p_party_size integer, p_note text)
      returns setof public.location_queue language sql as $$
        select * from public.location_queue q where q.customer_id = p_customer_id limit 1 $$;
      alter table public.carts add constraint carts_status_check
        check (status in ('active', 'completed')) not valid;
      alter table public.location_queue add constraint location_queue_status_check
        check (status in ('waiting', 'served')) not valid;
      create index carts_one_active_per_customer_location on public.carts (customer_id, location_id);
      create table public.store_members (store_id uuid not null references public.stores (id),
        user_id uuid not null, primary key (store_id, user_id));
      create table public.store_settings (store_id uuid primary key references public.stores (id),
        currency text not null default 'USD');
      alter publication supabase_realtime set (publish = 'insert');
    `);
    await applyMigrations(dbUrl);
    await assertInvariants(sql, "legacy database with the product's names");

    const answers = await asLegacyStaff(sql, async (t) => [
      (await t`select public.get_or_create_cart(p_location_id => ${LOCATION(1)}::uuid,
        p_customer_id => ${CUSTOMER(6)}::uuid) as r`)[0].r,
      (await t`select public.add_to_queue(p_location_id => ${LOCATION(1)}::uuid,
        p_customer_id => ${CUSTOMER(6)}::uuid) as r`)[0].r,
    ]);
    assert.equal(answers[0].cart.customer_id, CUSTOMER(6), "get_or_create_cart is the product's");
    assert.equal(
      answers[1].queue_entry.cart_id,
      answers[0].cart.id,
      "add_to_queue is the product's",
    );
    const [state] = await sql`select
      (select count(*)::int from pg_proc where proname in ('get_or_create_cart', 'add_to_queue')
         and pronamespace = 'public'::regnamespace) as rpcs,
      (select array_agg(conname::text order by conname) from pg_constraint
         where conname like '%status%' and conrelid in ('public.carts'::regclass,
           'public.location_queue'::regclass)) as status_checks,
      (select indisunique from pg_index
         where indexrelid = 'public.carts_one_active_per_customer_location'::regclass) as unique_i1,
      to_regclass('public.carts_one_active_per_customer_location_legacy') is not null as kept_index,
      (select pubupdate and pubdelete from pg_publication where pubname = 'supabase_realtime')
        as publishes_changes,
      (select private.expire_carts() ->> 'carts_abandoned') as expired`;
    const { expired, ...kept } = state;
    assert.deepEqual(kept, {
      rpcs: 2,
      status_checks: ["carts_status_valid", "location_queue_status_valid"],
      unique_i1: true,
      kept_index: true,
      publishes_changes: true,
    });
    // the expiry job reads the settings table's added column
    assert.match(expired, /^\d+$/);
  } finally {
    await sql.end();
  }
});

Deno.test("repair: an older app's views, NOT NULL columns, policies and member rows open nothing and stop nothing", async () => {
  const { dbUrl, sql } = await legacyDatabase("poscart_legacy_app_objects");
  const SCOPED = id(7, 4); // limited to store 1 by the older app's member rows
  const NOBODY = id(7, 9); // signed in, no store at all
  try {
    // Columns the older app always wrote and the product never writes (the repair creates
    // carts for open entries without one); views over the carts, one over another, and a
    // materialized view, granted as Supabase's default privileges grant them; the older app's
    // own store_members rows and an "enable all" policy on them.
    await sql.unsafe(`
      alter table public.carts add column staff_id uuid;
      update public.carts set staff_id = gen_random_uuid();
      alter table public.carts alter column staff_id set not null;
      alter table public.location_queue add column created_by uuid;
      update public.location_queue set created_by = gen_random_uuid();
      alter table public.location_queue alter column created_by set not null;
      create view public.active_carts as select * from public.carts where status = 'active';
      create view public.active_carts_per_location as
        select location_id, count(*) as carts from public.active_carts group by location_id;
      create materialized view public.carts_per_store as
        select store_id, count(*) as carts from public.carts group by store_id;
      grant all on public.active_carts, public.active_carts_per_location, public.carts_per_store
        to anon, authenticated;
      insert into auth.users (id, aud, role, email, raw_app_meta_data, is_anonymous)
        values ('${SCOPED}', 'authenticated', 'authenticated', 'one-store@example.com', '{}', false);
      create table public.store_members (store_id uuid not null references public.stores (id),
        user_id uuid not null, primary key (store_id, user_id));
      insert into public.store_members values ('${STORE(1)}', '${SCOPED}');
      alter table public.store_members enable row level security;
      create policy "Enable all for authenticated" on public.store_members for all
        to authenticated using (true) with check (true);
    `);
    await applyMigrations(dbUrl);
    await assertInvariants(sql, "legacy database with the older app's objects");

    // The product creates carts and entries: the columns it does not write are nullable now.
    const created = await asLegacyStaff(sql, async (t) => [
      (await t`select public.get_or_create_cart(p_location_id => ${LOCATION(1)}::uuid,
        p_device_id => 'till-9') as r`)[0].r.created,
      (await t`select public.add_to_queue(p_location_id => ${LOCATION(1)}::uuid,
        p_customer_id => ${CUSTOMER(7)}::uuid) as r`)[0].r.queue_entry.status,
    ]);
    assert.deepEqual(created, [true, "waiting"]);

    // Through the views, a user of no store reads and changes nothing, anon is refused, the
    // member of one store sees that store only; the database owner still sees every row.
    const code = (p: Promise<unknown>) => p.then(() => "read", (e) => e.code);
    const [all] = await sql`select
      (select count(*)::int from public.active_carts) as active,
      (select count(distinct store_id)::int from public.active_carts) as stores`;
    assert.ok(all.active > 0 && all.stores === 2, `the owner reads ${JSON.stringify(all)}`);
    const nobody = await asUser(sql, NOBODY, async (t) => ({
      active: (await t`select count(*)::int as n from public.active_carts`)[0].n,
      perLocation: (await t`select count(*)::int as n from public.active_carts_per_location`)[0].n,
      abandoned: (await t`update public.active_carts set status = 'abandoned'`).count,
      members: (await t`select count(*)::int as n from public.store_members`)[0].n,
    }));
    assert.deepEqual(nobody, { active: 0, perLocation: 0, abandoned: 0, members: 0 });
    assert.equal(
      await code(asUser(sql, NOBODY, (t) => t`select * from public.carts_per_store`)),
      "42501",
      "the materialized view is closed to signed-in users",
    );
    assert.equal(
      await code(asUser(sql, null, (t) => t`select * from public.active_carts`)),
      "42501",
      "anon reads no view",
    );
    const scoped = await asUser(sql, SCOPED, async (t) => ({
      stores: (await t`select array_agg(distinct store_id::text) as s from public.active_carts`)[0]
        .s,
      members: (await t`select array_agg(store_id::text) as s from public.store_members`)[0].s,
    }));
    assert.deepEqual(
      scoped,
      { stores: [STORE(1)], members: [STORE(1)] },
      "the older app's member rows keep their scope: not widened to every store",
    );
    const [after] = await sql`select
      (select count(*)::int from public.store_members where user_id = ${SCOPED}) as scoped_rows,
      (select attnotnull from pg_attribute where attrelid = 'public.carts'::regclass
         and attname = 'staff_id') as staff_id_required`;
    assert.deepEqual(after, { scoped_rows: 1, staff_id_required: false });
  } finally {
    await sql.end();
  }
});

Deno.test("repair: an older app's unique index that a merge would break stops the repair at once, with its name", async () => {
  const { dbUrl, sql } = await legacyDatabase("poscart_legacy_line_index");
  try {
    // One line per product in a cart, and a customer's two active carts holding the same
    // product: merging them would put two such lines in the survivor.
    const [dup] = await sql`select c.customer_id, c.location_id from public.carts c
      where c.status = 'active' and c.customer_id is not null
      group by 1, 2 having count(*) > 1 order by 1, 2 limit 1`;
    await sql`insert into public.cart_items (cart_id, product_id, quantity, unit_price)
      select c.id, 'sku-one-per-cart', 1, 1 from public.carts c
      where c.customer_id = ${dup.customer_id} and c.location_id = ${dup.location_id}
        and c.status = 'active'`;
    await sql`create unique index cart_items_one_line_per_product
      on public.cart_items (cart_id, product_id)`;
    const started = performance.now();
    const error = await applyMigrations(dbUrl).then(() => null, (e) => e as Error);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `migrations stopped after ${seconds.toFixed(1)} s: ${error?.message.split("\n")[0]}`,
    );
    assert.ok(error, "the repair stops");
    assert.match(error.message, /cart_items_one_line_per_product/);
    assert.ok(seconds < 30, `at once, not after a thousand retries (${seconds} s)`);
  } finally {
    await sql.end();
  }
});

Deno.test("repair: a legacy database of 20,000 carts repaired in batches of keys ends as repaired in one transaction", async () => {
  const batched = await repairedDatabase("transaction", 20_000);
  const oneShot = await repairedDatabase("wrapped", 20_000);
  try {
    const { sql, before } = batched;
    const [{ changed }] = await sql`select count(distinct r.row_id)::int as changed
      from private.repair_report r where r.action <> 'kept'`;
    assert.ok(changed > 1000, `the repair changed ${changed} rows`);
    assert.deepEqual(await quantities(sql), before.quantities, "quantities per owner");
    assert.equal((await rows(sql, "cart_items")).size, before.items.size);
    assert.equal((await rows(sql, "location_queue")).size, before.entries.size);
    const census = await sql`select invariant, violations::int from private.invariant_census()
      where violations > 0`;
    assert.deepEqual([...census], [], "invariants after the batched repair");
    const expected = await normalized(oneShot.sql);
    assert.equal(await normalized(sql), expected, "batches of keys vs one transaction");
    console.log(
      `${before.carts.size} legacy carts, ${changed} rows changed: the same in batches and in one transaction`,
    );
  } finally {
    await batched.sql.end();
    await oneShot.sql.end();
  }
});

/** For each way of sending a file that the migrations must give the same result under (each
 * file as one batch, as the Supabase CLI does; statement by statement, as `psql -f` does): a
 * new legacy database (legacyDatabase) changed by `shape`, every migration applied, then
 * `check`. */
async function eachMigratedShape(
  name: string,
  shape: string,
  check: (sql: Sql, dbUrl: string, mode: FileMode) => Promise<void>,
) {
  for (const mode of ["transaction", "statements"] as const) {
    const { dbUrl, sql } = await legacyDatabase(`${name}_${mode}`);
    try {
      await sql.unsafe(shape);
      await applyMigrations(dbUrl, undefined, mode);
      await check(sql, dbUrl, mode);
    } finally {
      await sql.end();
    }
  }
}

/** The notices a migration file raises when applied again (each file is idempotent). */
async function noticesOf(dbUrl: string, file: string): Promise<string> {
  const path = new URL(`../../supabase/migrations/${file}`, import.meta.url).pathname;
  const out = await new Deno.Command("psql", {
    args: [dbUrl, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", await Deno.readTextFile(path)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `${file} applied again: ${stderr}`);
  return stderr;
}

/** The product at work on a migrated legacy database, each call a request of the legacy staff
 * user: customer 41 is queued at location 2 (a cart is made), a product is added twice (the
 * quantities add up), a second one is added and removed, the first line's quantity is set,
 * the entry is called and served, the cart completed; then the invariant census is all zero.
 * Returns the cart as the last line action answered it. */
async function productWorks(sql: Sql, label: string): Promise<Row> {
  const call = async (query: (t: postgres.TransactionSql) => Promise<Row[]>) =>
    (await asLegacyStaff(sql, query))[0].r;
  const queued = await call((t) =>
    t`select public.add_to_queue(p_location_id => ${LOCATION(2)}::uuid,
      p_customer_id => ${CUSTOMER(41)}::uuid) as r`
  );
  const cartId = queued.cart.id;
  const add = (product: string, quantity: number, price: number | null) =>
    call((t) =>
      t`select public.add_item(p_cart_id => ${cartId}::uuid, p_product_id => ${product},
        p_quantity => ${quantity}::int, p_unit_price => ${price}::numeric) as r`
    );
  const first = await add("sku-a", 2, 4.25);
  await add("sku-a", 1, null);
  const second = await add("sku-b", 1, 0.1);
  await call((t) =>
    t`select public.set_item_quantity(p_cart_id => ${cartId}::uuid,
      p_item_id => ${first.item_id}::uuid, p_quantity => 5) as r`
  );
  const { cart } = await call((t) =>
    t`select public.remove_item(p_cart_id => ${cartId}::uuid,
      p_item_id => ${second.item_id}::uuid) as r`
  );
  const entryId = queued.queue_entry.id;
  for (const rpc of ["call_queue_entry", "serve_queue_entry"]) {
    const { queue_entry } = await call((t) =>
      t.unsafe(`select public.${rpc}(p_queue_entry_id => $1::uuid) as r`, [entryId])
    );
    assert.equal(queue_entry.status, rpc === "call_queue_entry" ? "called" : "served");
  }
  const done = await call((t) => t`select public.complete_cart(p_cart_id => ${cartId}::uuid) as r`);
  assert.equal(done.cart.status, "completed", label);
  await assertInvariants(sql, label);
  return cart;
}

Deno.test("repair: publications with a column list on carts or location_queue keep their replica identity, and every update still works", async () => {
  // supabase_realtime publishing carts with a column list, another publication the queue with
  // one: PostgreSQL refuses every UPDATE and DELETE of a table whose replica identity a column
  // list of a publication (of updates or deletes) does not cover, and FULL is covered by none.
  await eachMigratedShape(
    "poscart_legacy_column_lists",
    `alter publication supabase_realtime add table
       public.carts (id, customer_id, location_id, store_id, status, updated_at);
     create publication analytics_sync for table
       public.location_queue (id, location_id, customer_id, store_id, status, created_at);`,
    async (sql, dbUrl, mode) => {
      const cart = await productWorks(sql, `column lists (${mode})`);
      assert.equal(cart.total_quantity, 5);
      const [state] = await sql`select
        (select array_agg(c.relname || ':' || c.relreplident::text order by c.relname) from pg_class c
          where c.oid in ('public.carts'::regclass, 'public.cart_items'::regclass,
            'public.location_queue'::regclass)) as identities,
        (select array_agg(tablename::text order by tablename) from pg_publication_tables
          where pubname = 'supabase_realtime' and schemaname = 'public') as published,
        (select pubupdate and pubdelete from pg_publication where pubname = 'supabase_realtime')
          as publishes_changes`;
      assert.deepEqual(state, {
        identities: ["cart_items:d", "carts:d", "location_queue:d"],
        published: ["cart_items", "carts", "location_queue"],
        publishes_changes: true,
      });
      const notices = await noticesOf(dbUrl, "20260123001300_enable_realtime.sql");
      assert.match(notices, /public\.carts keeps its replica identity.*supabase_realtime/);
      assert.match(notices, /public\.location_queue keeps its replica identity.*analytics_sync/);
    },
  );
});

Deno.test("repair: a supabase_realtime publishing inserts only, with a column list without the key, is not made to refuse updates", async () => {
  // Publishing updates and deletes as well would make every UPDATE of carts fail: the column
  // list covers no replica identity of carts at all.
  await eachMigratedShape(
    "poscart_legacy_keyless_list",
    `alter publication supabase_realtime set (publish = 'insert');
     alter publication supabase_realtime add table public.carts (customer_id, location_id, status);`,
    async (sql, dbUrl, mode) => {
      await productWorks(sql, `a key-less column list (${mode})`);
      const [state] = await sql`select pubinsert, pubupdate, pubdelete,
        (select relreplident from pg_class where oid = 'public.carts'::regclass) as ident
        from pg_publication where pubname = 'supabase_realtime'`;
      assert.deepEqual(state, { pubinsert: true, pubupdate: false, pubdelete: false, ident: "d" });
      const notices = await noticesOf(dbUrl, "20260123001300_enable_realtime.sql");
      assert.match(
        notices,
        /supabase_realtime publication still publishes insert only.*public\.carts/,
      );
    },
  );
});

Deno.test("repair: cart lines priced in double precision, with bigint quantities, take every line action", async () => {
  await eachMigratedShape(
    "poscart_legacy_float_prices",
    `alter table public.cart_items alter column unit_price type double precision;
     alter table public.cart_items alter column quantity type bigint;`,
    async (sql, _dbUrl, mode) => {
      const cart = await productWorks(sql, `double precision prices, bigint quantities (${mode})`);
      assert.deepEqual(
        [
          cart.total_quantity,
          cart.total_amount,
          cart.lines.map((l: Row) => [l.quantity, l.unit_price]),
        ],
        [5, 21.25, [[5, 4.25]]],
      );
      // A quantity past the line limit, even past integer's range, is refused as one.
      const [{ id: cartId }] = await sql`select c.id::text from public.carts c
        where c.status = 'active' and c.store_id = ${STORE(1)}
          and exists (select 1 from public.cart_items i where i.cart_id = c.id)
        order by c.id limit 1`;
      for (
        const write of [
          (t: postgres.TransactionSql) =>
            t`insert into public.cart_items (cart_id, product_id, quantity, unit_price)
              values (${cartId}, 'sku-many', 3000000000, 1)`,
          (t: postgres.TransactionSql) =>
            t`update public.cart_items set quantity = 3000000000 where cart_id = ${cartId}`,
        ]
      ) {
        await assert.rejects(asLegacyStaff(sql, write), (e: { code?: string; hint?: string }) => {
          assert.deepEqual([e.code, e.hint], ["P0001", "invalid_argument"], `${e}`);
          return true;
        });
      }
    },
  );
});

Deno.test("repair: cart lines priced in money are repaired, reported and take every line action", async () => {
  await eachMigratedShape(
    "poscart_legacy_money_prices",
    `alter table public.cart_items alter column unit_price type money
       using unit_price::numeric::money;`,
    async (sql, _dbUrl, mode) => {
      const cart = await productWorks(sql, `money prices (${mode})`);
      assert.deepEqual(
        [
          cart.total_quantity,
          cart.total_amount,
          cart.lines.map((l: Row) => [l.quantity, l.unit_price]),
        ],
        [5, 21.25, [[5, 4.25]]],
      );
      // the discount line (-5.00) is kept and reported, its price as a number
      const [kept] = await sql`select detail from private.repair_report
        where table_name = 'cart_items' and row_id = ${
        LINE(1)
      } and reason = 'unit_price_out_of_range'`;
      assert.deepEqual(kept?.detail, { unit_price: -5 });
    },
  );
});

Deno.test("repair: a single-merchant database without stores gets one store holding every location, and its staff act at once", async () => {
  await eachMigratedShape(
    "poscart_legacy_single_merchant",
    `alter table public.locations drop column store_id;
     alter table public.carts drop column store_id;
     alter table public.location_queue drop column store_id;
     drop table public.stores;`,
    async (sql, dbUrl, mode) => {
      const [state] = await sql`select
        (select count(*)::int from public.stores) as stores,
        (select count(*)::int from public.locations where store_id is null) as locations_without,
        -- rows at a location that does not exist (kept and reported by the repair) have none
        (select count(*)::int from public.carts c where store_id is null
           and exists (select 1 from public.locations l where l.id = c.location_id)) as carts_without,
        (select count(*)::int from public.location_queue q where store_id is null
           and exists (select 1 from public.locations l where l.id = q.location_id))
          as entries_without`;
      assert.deepEqual(state, {
        stores: 1,
        locations_without: 0,
        carts_without: 0,
        entries_without: 0,
      }, `single merchant (${mode})`);
      await productWorks(sql, `single merchant (${mode})`);
      // Applied again, the file finds the store and adds none.
      assert.doesNotMatch(
        await noticesOf(dbUrl, "20260123000200_create_reference_tables.sql"),
        /no store existed/,
      );
      const [{ n }] = await sql`select count(*)::int as n from public.stores`;
      assert.equal(n, 1);
    },
  );
});
