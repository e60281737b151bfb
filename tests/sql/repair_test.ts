// Repair of a live deployment: a legacy database shaped like the review's (duplicate
// active carts, queue entries without cart_id, double queue entries) gets every migration;
// then no duplicate remains, nothing was deleted, items and entries point at survivors,
// and the migrations can run a second time.
import assert from "node:assert/strict";
import postgres from "postgres";
import { stackInfo } from "../_support/stack.ts";
import { applyBase, applyMigrations, createDatabase, runSqlFile } from "../../stack/postgres.ts";

const FIXTURE = new URL("./fixtures/legacy_seed_schema.sql", import.meta.url).pathname;

Deno.test("legacy duplicates are merged, nothing is lost, migrations apply twice", async () => {
  const dbUrl = await createDatabase(stackInfo().dbUrl, "poscart_legacy");
  await applyBase(dbUrl);
  await runSqlFile(dbUrl, FIXTURE);
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    const count = async () => {
      const [r] = await sql`select
        (select count(*)::int from carts) as carts,
        (select count(*)::int from cart_items) as items,
        (select count(*)::int from location_queue) as entries,
        (select coalesce(sum(quantity * unit_price), 0)::numeric::text from cart_items) as value,
        (select count(*)::int from (select 1 from carts where status = 'active' and customer_id is not null
          group by customer_id, location_id having count(*) > 1) d) as dup_keys,
        (select count(*)::int from (select 1 from location_queue where status in ('waiting', 'called')
          group by location_id, customer_id having count(*) > 1) d) as dup_entries`;
      return r;
    };
    const before = await count();
    assert.ok(before.dup_keys > 40, `fixture has ${before.dup_keys} duplicated keys`);
    assert.ok(before.dup_entries > 0);
    const [{ excess }] = await sql`select coalesce(sum(n - 1), 0)::int as excess from (
      select count(*) as n from carts where status = 'active' and customer_id is not null
      group by customer_id, location_id) d`;
    // legacy entries carry no cart, so each key's survivor is its most recently updated cart
    const expectedSurvivors = (await sql`select distinct on (customer_id, location_id) id from carts
      where status = 'active' and customer_id is not null
      order by customer_id, location_id, updated_at desc, created_at, id`).map((r) => r.id).sort();

    const files = await applyMigrations(dbUrl);
    const after = await count();
    console.log(
      `legacy fixture: ${before.carts} carts (${excess} duplicate active carts over ${before.dup_keys} keys), ` +
        `${before.items} items, ${before.entries} queue entries (${before.dup_entries} double-queued) -> ` +
        `${after.carts} carts, ${after.items} items, ${after.entries} entries, ${after.dup_keys} duplicates left`,
    );
    assert.equal(after.carts, before.carts);
    assert.equal(after.items, before.items);
    assert.equal(after.entries, before.entries);
    assert.equal(after.value, before.value);
    assert.equal(after.dup_keys, 0);
    assert.equal(after.dup_entries, 0);

    const [m] = await sql`select
      (select count(*)::int from carts where status = 'merged') as merged,
      (select count(*)::int from carts m join carts s on s.id = m.merged_into
        where m.status = 'merged' and s.status = 'active' and s.customer_id = m.customer_id
          and s.location_id = m.location_id) as merged_to_survivor,
      (select count(*)::int from cart_items i join carts c on c.id = i.cart_id where c.status = 'merged') as items_on_merged,
      (select count(*)::int from location_queue q left join carts c on c.id = q.cart_id
        where c.id is null or c.status not in ('active', 'completed')) as entries_off_survivor,
      (select count(*)::int from location_queue q join carts c on c.id = q.cart_id
        where q.status in ('waiting', 'called') and c.status <> 'active') as open_on_inactive,
      (select count(*)::int from carts where status = 'active' and customer_id is not null) as survivors`;
    console.log(`repair: ${m.merged} carts merged into ${m.survivors} survivors`);
    assert.equal(m.merged, excess);
    assert.equal(m.merged_to_survivor, excess);
    assert.equal(m.survivors, expectedSurvivors.length);
    const survivors =
      (await sql`select id from carts where status = 'active' and customer_id is not null`)
        .map((r) => r.id).sort();
    assert.deepEqual(survivors, expectedSurvivors);
    assert.equal(m.items_on_merged, 0);
    assert.equal(m.entries_off_survivor, 0);
    assert.equal(m.open_on_inactive, 0);

    // a second run changes nothing; the RPCs work on the repaired data
    const snapshot =
      await sql`select id, status, merged_into, updated_at::text from carts order by id`;
    await applyMigrations(dbUrl);
    const again =
      await sql`select id, status, merged_into, updated_at::text from carts order by id`;
    assert.deepEqual([...again], [...snapshot]);
    assert.ok(files.length >= 8);
    const [g] = await sql`select public.get_or_create_cart(
      p_location_id => '20000000-0000-4000-8000-000000000001', p_customer_id => '30000000-0000-4000-8000-000000000006') as r`;
    assert.equal(g.r.created, false);
    const [q] = await sql`select public.add_to_queue(
      p_location_id => '20000000-0000-4000-8000-000000000001', p_customer_id => '30000000-0000-4000-8000-000000000006') as r`;
    assert.equal(q.r.created, false);
    assert.equal(q.r.cart.id, g.r.cart.id);
  } finally {
    await sql.end();
  }
});
