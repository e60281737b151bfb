// Abandoned carts on the running stack: pg_cron itself runs the expiry job (scheduled every
// minute by the migrations; pg_cron's shortest interval is one minute), and the job races
// devices that are still using a cart: gets never fail or wait, a cart touched by a device
// is never abandoned after that touch, and one active cart per customer remains.
import assert from "node:assert/strict";
import { assertInvariants } from "../_support/census.ts";
import { adminSql } from "../_support/stack.ts";
import { asStaff, type Json, newPlace, type Sql } from "./_db.ts";

const sql = adminSql({ max: 12 });

/** A customer's active cart made 13 hours ago (with an open queue entry). */
async function staleCart(
  sql: Sql,
  staff: Record<string, unknown>,
  locationId: string,
  customerId: string,
) {
  const made = await asStaff(
    sql,
    (tx) => tx`select public.add_to_queue(${locationId}::uuid, ${customerId}::uuid) as r`,
    staff,
  );
  const cartId = made[0].r.cart.id as string;
  await sql`update public.carts set updated_at = now() - interval '13 hours' where id = ${cartId}`;
  await sql`update public.location_queue set updated_at = now() - interval '13 hours'
    where cart_id = ${cartId}`;
  return cartId;
}

Deno.test("pg_cron runs the expiry job: a cart idle for 13 hours is abandoned, its entry closed", async () => {
  const [job] =
    await sql`select jobname, schedule, command from cron.job where jobname = 'poscart_expire_carts'`;
  assert.deepEqual({ ...job }, {
    jobname: "poscart_expire_carts",
    schedule: "* * * * *",
    command: "select private.expire_carts()",
  });
  const p = await newPlace(sql);
  const cartId = await staleCart(sql, p.staff, p.locationId, p.customerId);
  const started = Date.now();
  let status = "active";
  while (status === "active" && Date.now() - started < 75_000) {
    await new Promise((r) => setTimeout(r, 2000));
    [{ status }] = await sql`select status from public.carts where id = ${cartId}`;
  }
  // pg_cron records the run's end in a transaction of its own, after the job's: wait for it
  const lastRun = async () =>
    (await sql`select status, return_message from cron.job_run_details
      where jobid = (select jobid from cron.job where jobname = 'poscart_expire_carts')
      order by runid desc limit 1`)[0];
  let run = await lastRun();
  for (let i = 0; i < 50 && run?.status === "running"; i++) {
    await new Promise((r) => setTimeout(r, 200));
    run = await lastRun();
  }
  console.log(
    `pg_cron abandoned the cart after ${((Date.now() - started) / 1000).toFixed(0)} s ` +
      `(last run: ${run?.status} ${run?.return_message})`,
  );
  assert.equal(status, "abandoned");
  assert.equal(run.status, "succeeded");
  const [entry] = await sql`select status from public.location_queue where cart_id = ${cartId}`;
  assert.equal(entry.status, "removed");
  const events =
    await sql`select event, actor_role from public.cart_events where cart_id = ${cartId}
    order by id`;
  // (cart_changed and entry_changed: the test's own backdating of the rows, a real change)
  assert.deepEqual(events.map((e) => e.event), [
    "cart_created",
    "queued",
    "cart_changed",
    "entry_changed",
    "cart_abandoned",
    "removed",
  ]);
  const again = await asStaff(
    sql,
    (tx) => tx`select public.get_or_create_cart(${p.locationId}::uuid, ${p.customerId}::uuid) as r`,
    p.staff,
  );
  assert.equal(again[0].r.created, true, "the customer coming back gets a fresh cart");
});

Deno.test("the expiry job against devices still using the cart: gets never fail, a touched cart stays", async () => {
  const rounds = 12;
  let abandoned = 0, kept = 0;
  for (let round = 0; round < rounds; round++) {
    const p = await newPlace(sql);
    const cartId = await staleCart(sql, p.staff, p.locationId, p.customerId);
    const gets: Json[] = [];
    const adds: { ok: boolean; code?: string }[] = [];
    const device = async (i: number) => {
      const r = await asStaff(
        sql,
        (tx) =>
          tx`select public.get_or_create_cart(${p.locationId}::uuid, ${p.customerId}::uuid) as r`,
        p.staff,
      );
      gets.push(r[0].r);
      if (i % 2 === round % 2) {
        try {
          await asStaff(
            sql,
            (tx) => tx`select public.add_item(${cartId}::uuid, 'sku-' || ${i}::text) as r`,
            p.staff,
          );
          adds.push({ ok: true });
        } catch (e) {
          adds.push({ ok: false, code: (e as { hint?: string }).hint });
        }
      }
    };
    const job = sql`select private.expire_carts() as r`;
    await Promise.all([job, ...Array.from({ length: 8 }, (_, i) => device(i))]);

    const [cart] = await sql`select status from public.carts where id = ${cartId}`;
    const events =
      await sql`select id, event from public.cart_events where cart_id = ${cartId} order by id`;
    const abandonedAt = events.find((e) => e.event === "cart_abandoned")?.id;
    const touched = adds.filter((a) => a.ok).length;
    // gets never fail, and answer either the old cart or the fresh one
    assert.equal(gets.length, 8);
    for (const g of gets) assert.ok(g.cart.status === "active");
    if (cart.status === "abandoned") {
      abandoned++;
      // every line added before the abandonment; later adds refused as cart_not_active
      const lastItem = Math.max(
        0,
        ...events.filter((e) => e.event === "item_added").map((e) => Number(e.id)),
      );
      assert.ok(
        lastItem < Number(abandonedAt),
        "no line was added after the job abandoned the cart",
      );
      for (const a of adds.filter((a) => !a.ok)) assert.equal(a.code, "cart_not_active");
    } else {
      kept++;
      assert.equal(cart.status, "active");
      assert.ok(touched > 0, "a cart left active was touched by a device");
    }
    const [{ n }] = await sql`select count(*)::int as n from public.carts
      where customer_id = ${p.customerId} and location_id = ${p.locationId} and status = 'active'`;
    assert.ok(n <= 1, `${n} active carts for the customer`);
  }
  await assertInvariants(sql, "expiry races");
  console.log(
    `expiry races: ${rounds} rounds, ${abandoned} carts abandoned, ${kept} kept active by a device's touch`,
  );
  assert.ok(abandoned + kept === rounds);
});

Deno.test({
  name: "close the connection pool",
  fn: () => sql.end(),
  sanitizeOps: false,
  sanitizeResources: false,
});
