// Read-mostly quiet: 1,000 repeated gets of an existing cart through the function
// produce zero change records in logical decoding (what Realtime would broadcast to every
// device) and leave n_tup_ins / n_tup_upd of `carts` unchanged. A write at the end (checkout)
// shows that both measurements do see changes when there are some.
import {
  assert,
  assertEquals,
  call,
  e2eTest,
  pool,
  posClient,
  sleep,
  type Sql,
  statusCounts,
  userJwt,
} from "./_lib.ts";

const GETS = 1000;

async function cartStats(sql: Sql) {
  await sql`select pg_stat_clear_snapshot()`;
  const [row] = await sql`
    select n_tup_ins::int as ins, n_tup_upd::int as upd, n_tup_hot_upd::int as hot
    from pg_stat_user_tables where schemaname = 'public' and relname = 'carts'`;
  return row as { ins: number; upd: number; hot: number };
}

/** A PostgreSQL backend sends the table statistics it counted at most 10 s after it went idle. */
const IDLE_FLUSH_S = 10;

/**
 * The statistics of `carts` once the PostgREST pool (the `authenticator` connections, the only
 * way the function writes) has sent everything it counted: each of its backends flushes its
 * counts when a transaction ends a second or more after its last flush, and otherwise at most
 * 10 s after going idle. So the figures are read once every one of them has been idle for longer
 * than that, which is waited for directly (and said, since it can take those 10 s).
 */
async function settledStats(sql: Sql, moment: string) {
  for (let round = 0; round < 30; round++) {
    const [{ wait }] = await sql<{ wait: number }[]>`
      select coalesce(max(case when state = 'idle'
        then ${IDLE_FLUSH_S + 0.5} - extract(epoch from clock_timestamp() - state_change)
        else 1 end), 0)::float8 as wait
      from pg_stat_activity where usename = 'authenticator'`;
    if (wait <= 0) break;
    console.log(
      `quiet gets: ${moment}: waiting ${wait.toFixed(1)} s for the API's connections to send ` +
        `their table statistics (PostgreSQL does so within ${IDLE_FLUSH_S} s of going idle)`,
    );
    await sleep(wait * 1000);
  }
  return cartStats(sql);
}

/**
 * The slot's pending change records of the product's tables (schema public: what Realtime
 * would broadcast; the scheduler's own bookkeeping in schema cron is not the product's).
 * The throwaway cluster commits asynchronously and the
 * decoder reads only flushed WAL, so first wait until the WAL written so far is flushed (the
 * WAL writer does so within a few hundred milliseconds).
 */
async function changes(sql: Sql, slot: string) {
  const [{ target }] = await sql`select pg_current_wal_insert_lsn()::text as target`;
  for (let i = 0; i < 100; i++) {
    const [{ flushed }] = await sql`
      select pg_current_wal_flush_lsn() >= ${target}::pg_lsn as flushed`;
    if (flushed) break;
    await sleep(50);
  }
  const rows = await sql<{ data: string }[]>`
    select data from pg_logical_slot_get_changes(${slot}, null, null,
      'skip-empty-xacts', '1', 'include-xids', '0')`;
  return rows.map((r) => r.data).filter((d) => d.startsWith("table public."));
}

e2eTest(
  "1,000 repeated gets write nothing and broadcast nothing",
  { customers: 1 },
  async ({ sql, fx }) => {
    const slot = `e2e_quiet_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
    let slotCreated = false;
    try {
      const app = posClient(await userJwt({ storeIds: [fx.storeId] }));
      const body = { action: "get", customer_id: fx.customerIds[0], location_id: fx.locationId };
      const created = await call(app, body);
      assertEquals(created.status, 200, JSON.stringify(created.body));
      assertEquals(created.body.created, true);
      const cartId = created.body.cart.id;

      await sql`select pg_create_logical_replication_slot(${slot}, 'test_decoding')`;
      slotCreated = true;
      const statsBefore = await settledStats(sql, "before the gets");
      const [{ xmin: xminBefore }] =
        await sql`select xmin::text from public.carts where id = ${cartId}`;

      const started = performance.now();
      const results = await pool(Array.from({ length: GETS }), 8, () => call(app, body));
      const seconds = (performance.now() - started) / 1000;
      const sameCart = results.filter((r) => r.body?.cart?.id === cartId).length;

      const records = await changes(sql, slot);
      const statsAfter = await settledStats(sql, "after the gets");
      const [{ xmin: xminAfter }] =
        await sql`select xmin::text from public.carts where id = ${cartId}`;
      console.log(
        `quiet gets: ${GETS} gets in ${seconds.toFixed(1)} s, statuses ${
          JSON.stringify(statusCounts(results))
        }, same cart ${sameCart}, change records ${records.length}, carts n_tup_ins ` +
          `${statsBefore.ins}->${statsAfter.ins}, n_tup_upd ${statsBefore.upd}->${statsAfter.upd}`,
      );
      if (records.length) console.log(records.slice(0, 10).join("\n"));
      assertEquals(statusCounts(results), { "200": GETS });
      assertEquals(sameCart, GETS);
      assertEquals(records, [], "no change record for repeated gets");
      assertEquals([statsAfter.ins, statsAfter.upd], [statsBefore.ins, statsBefore.upd]);
      assertEquals(xminAfter, xminBefore, "the cart row has the same version");

      // Control: a real write is seen by both measurements.
      const done = await call(app, { action: "complete_cart", cart_id: cartId });
      assertEquals(done.status, 200, JSON.stringify(done.body));
      const controlRecords = await changes(sql, slot);
      const statsControl = await settledStats(sql, "after the checkout");
      console.log(
        `quiet gets control: complete_cart gave ${
          controlRecords.filter((r) => r.startsWith("table public.carts")).length
        } change record(s) on carts, n_tup_upd ${statsAfter.upd}->${statsControl.upd}`,
      );
      assert(
        controlRecords.some((r) =>
          r.startsWith("table public.carts: UPDATE") && r.includes(cartId)
        ),
        "logical decoding shows the checkout",
      );
      assert(statsControl.upd > statsAfter.upd, "the statistics show the checkout");
    } finally {
      if (slotCreated) await sql`select pg_drop_replication_slot(${slot})`;
    }
  },
);
