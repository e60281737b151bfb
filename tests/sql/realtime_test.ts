// Realtime: the product's tables are in the supabase_realtime publication (replica identity
// full; the key only for cart_items, whose deleted lines must not carry their values), and
// logical decoding (what Realtime would broadcast) shows one INSERT for a new cart and no
// change at all for 1,000 repeat gets of it.
import assert from "node:assert/strict";
import { adminSql } from "../_support/stack.ts";
import { asStaff, newPlace } from "./_db.ts";

// Commits flush their WAL at once (the throwaway cluster runs synchronous_commit = off),
// so the decoder sees every committed change when it is read.
const sql = adminSql({ max: 2, connection: { synchronous_commit: "on" } });

Deno.test("carts, cart_items and location_queue are published; cart_items with its key only", async () => {
  const rows = await sql`select t.tablename, c.relreplident as ident
    from pg_publication_tables t
    join pg_class c on c.relname = t.tablename and c.relnamespace = 'public'::regnamespace
    where t.pubname = 'supabase_realtime' and t.schemaname = 'public' order by 1`;
  assert.deepEqual(rows.map((r) => [r.tablename, r.ident]), [
    ["cart_items", "d"],
    ["carts", "f"],
    ["location_queue", "f"],
  ]);
});

Deno.test("logical decoding: one INSERT for a new cart, zero changes for 1,000 repeat gets", async () => {
  const p = await newPlace(sql);
  const slot = `poscart_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await sql`select pg_create_logical_replication_slot(${slot}, 'test_decoding')`;
  try {
    const changes = async () => {
      const rows = await sql`select data from pg_logical_slot_get_changes(${slot}, null, null,
        'skip-empty-xacts', '1', 'include-xids', '0')`;
      return rows.map((r) => r.data as string).filter((d) => d.startsWith("table public.carts:"));
    };
    const getCart = () =>
      asStaff(
        sql,
        (tx) =>
          tx`select public.get_or_create_cart(p_location_id => ${p.locationId}::uuid,
        p_customer_id => ${p.customerId}::uuid) as r`,
        p.staff,
      ).then((rows) => rows[0].r);

    const first = await getCart();
    const created = (await changes()).filter((d) => d.includes(first.cart.id));
    assert.equal(created.length, 1);
    assert.match(created[0], /^table public\.carts: INSERT:/);

    for (let i = 0; i < 1000; i++) {
      const again = await getCart();
      assert.equal(again.cart.id, first.cart.id);
    }
    const repeat = (await changes()).filter((d) => d.includes(first.cart.id));
    console.log(
      `changes for the cart: ${created.length} on create, ${repeat.length} for 1,000 repeat gets`,
    );
    assert.deepEqual(repeat, []);
  } finally {
    await sql`select pg_drop_replication_slot(${slot})`;
  }
});

Deno.test({
  name: "close the connection pool",
  fn: () => sql.end(),
  sanitizeOps: false,
  sanitizeResources: false,
});
