// The database floor: what `get_or_create_cart` costs over the physical minimum, measured
// with pgbench custom scripts in the same run and with the same clients, and how many rows
// repeat gets write (ours must write none; a `do update set updated_at = now()` version
// writes one row version per call). The `do update` variant lives in the benchmark's own
// schema `bench_floor`, created here and dropped at the end, never in the migrations.
// Does I/O: database, pgbench processes, a temporary directory.
import type postgres from "postgres";
import { summarize } from "./stats.ts";

/** Deterministic customer ids for the floor's carts: b0000000-0000-4000-8000-<12 digits>. */
const FLOOR_ID_PREFIX = "b0000000-0000-4000-8000-";
const floorId = (i: number) => FLOOR_ID_PREFIX + String(i).padStart(12, "0");

export interface FloorOptions {
  dbUrl: string;
  storeId: string;
  locationId: string;
  /** number of existing carts the scripts pick from at random */
  carts: number;
  clients: number[];
  seconds: number;
  rounds: number;
  repeatGets: number;
}

export interface FloorClientResult {
  clients: number;
  /** tps per round, in run order */
  getTps: number[];
  selectTps: number[];
  getLatencyMs: number;
  selectLatencyMs: number;
  /** median over rounds of (get tps / select tps) of the same round */
  ratio: number;
}

export interface RowsWritten {
  variant: string;
  calls: number;
  rowsWritten: number;
  walBytes: number;
}

export interface FloorResult {
  pgbench: FloorClientResult[];
  rowsWritten: RowsWritten[];
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Creates the floor's customers and their carts (through the product's own RPC). */
export async function prepareFloor(sql: postgres.Sql, o: FloorOptions): Promise<void> {
  await sql.unsafe(`
    drop schema if exists bench_floor cascade;
    create schema bench_floor;
    comment on schema bench_floor is 'benchmark only: the do-update get-or-create variant';
    -- The review's suggested RPC body: always writes a new row version, even when the
    -- cart exists. Same conflict target as the product's partial unique index.
    create function bench_floor.get_or_create_cart_touch(
      p_location_id uuid, p_customer_id uuid, p_store_id uuid
    ) returns jsonb language sql volatile set search_path = '' as $$
      insert into public.carts (customer_id, location_id, store_id, status)
      values (p_customer_id, p_location_id, p_store_id, 'active')
      on conflict (customer_id, location_id) where status = 'active' and customer_id is not null
      do update set updated_at = now()
      returning jsonb_build_object('cart', to_jsonb(carts.*));
    $$;
  `);
  await sql`insert into public.customers (id, name)
    select (${FLOOR_ID_PREFIX} || lpad(i::text, 12, '0'))::uuid, 'bench floor'
    from generate_series(1, ${o.carts}) i on conflict do nothing`;
  await sql`select public.get_or_create_cart(
      p_location_id := ${o.locationId}::uuid,
      p_customer_id := (${FLOOR_ID_PREFIX} || lpad(i::text, 12, '0'))::uuid,
      p_store_id := ${o.storeId}::uuid)
    from generate_series(1, ${o.carts}) i`;
}

async function pgbench(dbUrl: string, script: string, clients: number, seconds: number) {
  const url = new URL(dbUrl);
  const out = await new Deno.Command("pgbench", {
    args: [
      "-n",
      "-M",
      "prepared",
      "-c",
      String(clients),
      "-j",
      String(Math.min(clients, 2)),
      "-T",
      String(seconds),
      "-f",
      script,
      "-h",
      url.hostname,
      "-p",
      url.port,
      "-U",
      decodeURIComponent(url.username),
      url.pathname.slice(1) || "postgres",
    ],
    env: { PGPASSWORD: decodeURIComponent(url.password) },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`pgbench failed: ${new TextDecoder().decode(out.stderr)}\n${text}`);
  }
  const tps = Number(/tps = ([\d.]+)/.exec(text)?.[1]);
  const latency = Number(/latency average = ([\d.]+) ms/.exec(text)?.[1]);
  const failed = Number(/number of failed transactions: (\d+)/.exec(text)?.[1] ?? 0);
  if (!Number.isFinite(tps)) throw new Error(`pgbench output not understood:\n${text}`);
  if (failed > 0) throw new Error(`pgbench: ${failed} failed transactions:\n${text}`);
  return { tps, latency };
}

/** pgbench get-existing vs bare select, alternating rounds so noise hits both alike. */
export async function pgbenchFloor(o: FloorOptions): Promise<FloorClientResult[]> {
  const dir = await Deno.makeTempDir({ prefix: "poscart-bench-floor-" });
  const key = `('${FLOOR_ID_PREFIX}' || lpad(:i::text, 12, '0'))::uuid`;
  const header = `\\set i random(1, ${o.carts})\n`;
  const getScript = `${dir}/get_existing.sql`;
  const selectScript = `${dir}/bare_select.sql`;
  await Deno.writeTextFile(
    getScript,
    `-- the product's RPC on an existing cart\n${header}` +
      `select public.get_or_create_cart(p_location_id := '${o.locationId}'::uuid, ` +
      `p_customer_id := ${key}, p_store_id := '${o.storeId}'::uuid);\n`,
  );
  await Deno.writeTextFile(
    selectScript,
    `-- the physical minimum: one indexed select of the same row\n${header}` +
      `select * from public.carts where customer_id = ${key} ` +
      `and location_id = '${o.locationId}'::uuid and status = 'active';\n`,
  );
  const results: FloorClientResult[] = [];
  try {
    for (const clients of o.clients) {
      const r: FloorClientResult = {
        clients,
        getTps: [],
        selectTps: [],
        getLatencyMs: NaN,
        selectLatencyMs: NaN,
        ratio: NaN,
      };
      const getLat: number[] = [], selLat: number[] = [];
      for (let round = 0; round < o.rounds; round++) {
        const order = round % 2 === 0 ? ["get", "select"] : ["select", "get"];
        for (const which of order) {
          const res = await pgbench(
            o.dbUrl,
            which === "get" ? getScript : selectScript,
            clients,
            o.seconds,
          );
          if (which === "get") {
            r.getTps.push(res.tps);
            getLat.push(res.latency);
          } else {
            r.selectTps.push(res.tps);
            selLat.push(res.latency);
          }
        }
      }
      r.getLatencyMs = summarize(getLat).p50;
      r.selectLatencyMs = summarize(selLat).p50;
      r.ratio = median(r.getTps.map((t, i) => t / r.selectTps[i]));
      results.push(r);
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  return results;
}

/** Rows written (inserted + updated + deleted, every user table) and WAL bytes over
 * `calls` repeat gets of one existing cart, each call its own transaction. */
export async function rowsWritten(sql: postgres.Sql, o: FloorOptions): Promise<RowsWritten[]> {
  const variants = [
    { variant: "ours: public.get_or_create_cart", fn: "public.get_or_create_cart" },
    { variant: "do update set updated_at = now()", fn: "bench_floor.get_or_create_cart_touch" },
  ];
  const out: RowsWritten[] = [];
  const customer = floorId(1);
  await sql.reserve().then(async (conn) => {
    try {
      const counters = async () => {
        await conn`select pg_stat_force_next_flush()`;
        await conn`select pg_stat_clear_snapshot()`;
        const [row] = await conn`select
            coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint as rows,
            pg_current_wal_lsn()::text as lsn
          from pg_stat_user_tables`;
        return { rows: Number(row.rows), lsn: row.lsn as string };
      };
      for (const v of variants) {
        // the cart exists already (created by prepareFloor); one call to warm up
        await conn.unsafe(
          `select ${v.fn}(p_location_id := $1, p_customer_id := $2, p_store_id := $3)`,
          [o.locationId, customer, o.storeId],
        );
        const before = await counters();
        for (let i = 0; i < o.repeatGets; i++) {
          await conn.unsafe(
            `select ${v.fn}(p_location_id := $1, p_customer_id := $2, p_store_id := $3)`,
            [o.locationId, customer, o.storeId],
          );
        }
        const after = await counters();
        const [wal] =
          await conn`select pg_wal_lsn_diff(${after.lsn}::pg_lsn, ${before.lsn}::pg_lsn)::bigint as b`;
        out.push({
          variant: v.variant,
          calls: o.repeatGets,
          rowsWritten: after.rows - before.rows,
          walBytes: Number(wal.b),
        });
      }
    } finally {
      conn.release();
    }
  });
  return out;
}

/** Drops the benchmark's floor schema (the carts it created stay, in their own keys). */
export async function dropFloor(sql: postgres.Sql): Promise<void> {
  await sql`drop schema if exists bench_floor cascade`;
}
