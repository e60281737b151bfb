// Writers that interleave in ways the RPCs alone never do, as SQL run as an API role can:
// a cart completed inside a REPEATABLE READ transaction (its snapshot would miss an entry
// committed since), and a customer's store changed while staff let a cart and entry in for
// that customer. Each is refused, or waits and then sees the other; the invariants hold.
import assert from "node:assert/strict";
import type postgres from "postgres";
import { assertInvariants } from "../_support/census.ts";
import { newStore } from "../_support/fixtures.ts";
import { adminSql } from "../_support/stack.ts";
import { actAs, type Queryable, staffClaims } from "./_db.ts";

const sql = adminSql({ max: 6 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** PostgREST's settings for a staff member of `storeId`, or for the service role (null). */
const actFor = (t: Queryable, storeId: string | null) =>
  storeId ? actAs(t, "authenticated", staffClaims(storeId)) : actAs(t, "service_role", {});

const failure = (p: Promise<unknown>) =>
  p.then(() => "ok", (e) => `${e.code}${e.hint ? ` ${e.hint}` : ""}`);

Deno.test("isolation: a cart is not completed under REPEATABLE READ; under READ COMMITTED it takes its entry along", async () => {
  const fx = await newStore(sql, { customers: 1 });
  const [customer] = fx.customerIds;
  const cart = await sql.begin(async (t) => {
    await actFor(t, fx.storeId);
    return (await t`select public.get_or_create_cart(p_location_id => ${fx.locationId}::uuid,
      p_customer_id => ${customer}::uuid) -> 'cart' ->> 'id' as id`)[0].id as string;
  });
  const old = await sql.reserve();
  try {
    await old`begin isolation level repeatable read`;
    await actFor(old, fx.storeId);
    await old`select count(*) from public.carts`; // the snapshot
    // meanwhile another device queues the customer: the entry joins the cart
    await sql.begin(async (t) => {
      await actFor(t, fx.storeId);
      await t`select public.add_to_queue(p_location_id => ${fx.locationId}::uuid,
        p_customer_id => ${customer}::uuid)`;
    });
    const refused = await failure(
      old`update public.carts set status = 'completed' where id = ${cart}`,
    );
    await old`rollback`;
    assert.equal(refused, "0A000", "completing under REPEATABLE READ is refused");
  } finally {
    old.release();
  }
  const completed = await sql.begin(async (t) => {
    await actFor(t, fx.storeId);
    return (await t`update public.carts set status = 'completed' where id = ${cart}
      returning status`)[0].status;
  });
  assert.equal(completed, "completed");
  const [entry] = await sql`select status from public.location_queue where cart_id = ${cart}`;
  assert.equal(entry.status, "served", "the entry went with its cart");
  await assertInvariants(sql, "repeatable read");
});

Deno.test("isolation: a customer's store change and a cart let in for that customer wait for each other", async () => {
  const a = await newStore(sql, { customers: 2, sharedCustomers: true });
  const b = await newStore(sql);
  const [first, second] = a.customerIds;
  const queue = (customer: string, t: postgres.TransactionSql | postgres.ReservedSql) =>
    t`select public.add_to_queue(p_location_id => ${a.locationId}::uuid,
      p_customer_id => ${customer}::uuid)`;

  // The move first: the staff's add_to_queue waits for it, then finds the customer gone.
  const mover = await sql.reserve();
  try {
    await mover`begin`;
    await actFor(mover, null);
    await mover`update public.customers set store_id = ${b.storeId} where id = ${first}`;
    const staff = sql.begin(async (t) => {
      await actFor(t, a.storeId);
      await queue(first, t);
    });
    const result = failure(staff);
    await sleep(300);
    const [{ waiting }] = await sql`select count(*)::int as waiting from pg_locks
      where locktype = 'advisory' and not granted`;
    assert.ok(waiting >= 1, "the staff's request waits for the move");
    await mover`commit`;
    assert.equal(await result, "PT404 customer_not_found");
  } finally {
    mover.release();
  }

  // The queueing first: the move waits for it, then sees the entry and is refused.
  const staff = await sql.reserve();
  try {
    await staff`begin`;
    await actFor(staff, a.storeId);
    await queue(second, staff);
    const move = sql.begin(async (t) => {
      await actFor(t, null);
      await t`update public.customers set store_id = ${b.storeId} where id = ${second}`;
    });
    const result = failure(move);
    await sleep(300);
    await staff`commit`;
    assert.equal(await result, "PT409 customer_has_carts");
  } finally {
    staff.release();
  }
  const rows = await sql`select c.store_id::text as customer_store,
      (select count(*)::int from public.carts k where k.customer_id = c.id) as carts
    from public.customers c where c.id in (${first}, ${second}) order by c.id = ${first} desc`;
  assert.deepEqual(rows.map((r) => [r.customer_store, r.carts]), [[b.storeId, 0], [null, 1]]);
  await assertInvariants(sql, "customer moves");
});
