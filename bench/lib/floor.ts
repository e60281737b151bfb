// The database floor: what `get_or_create_cart` costs over the physical minimum, measured
// with pgbench custom scripts in the same run and with the same clients, and how many rows
// repeat gets write (ours must write none; a `do update set updated_at = now()` version
// writes one row version per call). Two comparisons, each pair in alternating rounds:
//
// - as the database owner: the RPC on an existing cart vs a bare indexed select of the row;
// - as PostgREST runs them (connected as `authenticator`, one transaction per request, the
//   role's settings, `role`, the JWT claims and the request settings applied with
//   `set_config(..., true)` first, RLS on): `POST /rest/v1/rpc/get_or_create_cart` vs
//   `GET /rest/v1/carts?customer_id=eq..&location_id=eq..&status=eq.active`, the read a
//   Supabase app would otherwise make for the same row. The statements are the ones the
//   PostgREST stand-in (stack/postgrest/) sends, which follow PostgREST's. Two more scripts
//   split the difference: that same read through an RPC (`bench_floor.read_cart`, one PL/pgSQL
//   statement, called as PostgREST calls `get_or_create_cart`), which shows what PostgREST's RPC
//   call shape costs any RPC; and the same RPC answering the product's `{cart, created}`
//   document (`bench_floor.read_cart_answer`), which shows what building that answer costs.
//   What `get_or_create_cart` costs over the last is its own logic;
// - as PostgREST runs them: `POST /rest/v1/rpc/add_item` (one more of a product already on
//   the cart) without and with an `Idempotency-Key` header (a new key each request: the key
//   and the answer are stored in the same transaction), the cost of the key.
//
// The `do update` variant and the two read RPCs live in the benchmark's own schema
// `bench_floor`, created here and dropped at the end, never in the migrations.
// Does I/O: database, pgbench processes, a temporary directory.
import type postgres from "postgres";
import { authenticatorUrl } from "../../stack/postgrest/mod.ts";
import { mean, summarize } from "./stats.ts";
import { runPgbench } from "./pgbench.ts";

/** Deterministic customer ids for the floor's carts: b0000000-0000-4000-8000-<12 digits>. */
const FLOOR_ID_PREFIX = "b0000000-0000-4000-8000-";
const floorId = (i: number) => FLOOR_ID_PREFIX + String(i).padStart(12, "0");

export interface FloorOptions {
  dbUrl: string;
  storeId: string;
  /** the user whose JWT claims the API scripts carry (granted the store by app_metadata) */
  userId: string;
  locationId: string;
  /** number of existing carts the scripts pick from at random */
  carts: number;
  clients: number[];
  seconds: number;
  rounds: number;
  repeatGets: number;
}

/** The pgbench scripts, in pairs compared with each other. */
export const FLOOR_SCRIPTS = [
  "get",
  "select",
  "api_get",
  "api_read",
  "api_rpc_read",
  "api_rpc_answer",
  "api_add_item",
  "api_add_item_key",
] as const;
export type FloorScript = (typeof FLOOR_SCRIPTS)[number];

export interface FloorClientResult {
  clients: number;
  /** tps per round, in run order, per script */
  tps: Record<FloorScript, number[]>;
  /** median latency per script */
  latencyMs: Record<FloorScript, number>;
  /** median over rounds of (get tps / select tps) of the same round */
  ratio: number;
  /** median over rounds of (api_get tps / api_read tps) of the same round */
  apiRatio: number;
  // The split of apiRatio, each a ratio of mean tps over the rounds, so the three multiply to
  // mean(api_get) / mean(api_read):
  /** api_rpc_read / api_read: PostgREST's RPC call shape */
  rpcShapeRatio: number;
  /** api_rpc_answer / api_rpc_read: building the `{cart, created}` answer */
  answerRatio: number;
  /** api_get / api_rpc_answer: `get_or_create_cart`'s own logic */
  logicRatio: number;
  /** median over rounds of (add_item with a key tps / add_item without one tps) */
  keyRatio: number;
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
    -- The usual get-or-create (insert ... on conflict do update): always writes a new row
    -- version, even when the cart exists. Same conflict target as the product's partial unique index.
    create function bench_floor.get_or_create_cart_touch(
      p_location_id uuid, p_customer_id uuid, p_store_id uuid
    ) returns jsonb language sql volatile set search_path = '' as $$
      insert into public.carts (customer_id, location_id, store_id, status)
      values (p_customer_id, p_location_id, p_store_id, 'active')
      on conflict (customer_id, location_id) where status = 'active' and customer_id is not null
      do update set updated_at = now()
      returning jsonb_build_object('cart', to_jsonb(carts.*));
    $$;
    -- The API read of the same row, made through an RPC: the function does nothing but the read
    -- (as the caller, RLS on), so what it costs over the GET is PostgREST's RPC call shape.
    -- VOLATILE, as get_or_create_cart is, so it runs in the same read-write transaction;
    -- PL/pgSQL, as it is, so its plan is cached for the session (a SQL function with a SET
    -- clause is not inlined and plans its statement on every call). read_cart_answer makes the
    -- same read and answers what get_or_create_cart answers for an existing cart.
    create function bench_floor.read_cart(
      p_location_id uuid, p_customer_id uuid, p_store_id uuid
    ) returns jsonb language plpgsql volatile set search_path = '' as $$
    begin
      return (select to_jsonb(c) from public.carts c
        where c.customer_id = p_customer_id and c.location_id = p_location_id
          and c.status = 'active');
    end
    $$;
    create function bench_floor.read_cart_answer(
      p_location_id uuid, p_customer_id uuid, p_store_id uuid
    ) returns jsonb language plpgsql volatile set search_path = '' as $$
    begin
      return (select jsonb_build_object('cart', private.cart_json(c), 'created', false)
        from public.carts c
        where c.customer_id = p_customer_id and c.location_id = p_location_id
          and c.status = 'active');
    end
    $$;
    grant usage on schema bench_floor to authenticated;
    grant execute on function bench_floor.read_cart(uuid, uuid, uuid),
      bench_floor.read_cart_answer(uuid, uuid, uuid) to authenticated;
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
  const text = await runPgbench(dbUrl, [
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
  ]);
  const tps = Number(/tps = ([\d.]+)/.exec(text)?.[1]);
  const latency = Number(/latency average = ([\d.]+) ms/.exec(text)?.[1]);
  const failed = Number(/number of failed transactions: (\d+)/.exec(text)?.[1] ?? 0);
  if (!Number.isFinite(tps)) throw new Error(`pgbench output not understood:\n${text}`);
  if (failed > 0) throw new Error(`pgbench: ${failed} failed transactions:\n${text}`);
  return { tps, latency };
}

/** The settings PostgREST applies before a request's statement, as one `select set_config`. */
async function apiSettings(
  sql: postgres.Sql,
  o: FloorOptions,
  method: string,
  path: string,
  idempotencyKey?: string,
) {
  const claims = {
    sub: o.userId,
    role: "authenticated",
    aud: "authenticated",
    app_metadata: { store_ids: [o.storeId] },
  };
  const headers = {
    "accept": "application/json",
    "content-type": "application/json",
    "authorization": "Bearer <token>",
  };
  // The role's own settings (e.g. statement_timeout), as PostgREST applies them per request.
  const roleSettings = await sql<{ name: string; value: string }[]>`
    select split_part(c, '=', 1) as name, substr(c, strpos(c, '=') + 1) as value
    from pg_db_role_setting s, unnest(s.setconfig) c
    where s.setrole = 'authenticated'::regrole and s.setdatabase in (0,
      (select oid from pg_database where datname = current_database()))`;
  const settings: [string, string][] = [
    ["search_path", '"public", "extensions"'],
    ...roleSettings.map((r) => [r.name, r.value] as [string, string]),
    ["role", "authenticated"],
    ["request.jwt.claims", JSON.stringify(claims)],
    ["request.method", method],
    ["request.path", path],
    ["request.headers", JSON.stringify(headers)],
  ];
  const literal = (v: string) => `'${v.replaceAll("'", "''")}'`;
  const config = (k: string, v: string) => `set_config(${literal(k)}, ${literal(v)}, true)`;
  // A header whose value is SQL (a key made per request from pgbench variables).
  const headersSql = idempotencyKey === undefined
    ? literal(JSON.stringify(headers))
    : `${
      literal(JSON.stringify(headers).slice(0, -1) + ',"idempotency-key":"')
    } || ${idempotencyKey} || '"}'`;
  return "select " +
    settings.filter(([k]) => k !== "request.headers").map(([k, v]) => config(k, v))
      .concat(`set_config('request.headers', ${headersSql}, true)`).join(", ") +
    ";\n";
}

const RESPONSE_GUCS =
  "nullif(current_setting('response.headers', true), '') AS response_headers, " +
  "nullif(current_setting('response.status', true), '') AS response_status";

/** Writes the floor's pgbench scripts; returns their paths. */
async function floorScripts(sql: postgres.Sql, o: FloorOptions, dir: string) {
  const key = `('${FLOOR_ID_PREFIX}' || lpad(:i::text, 12, '0'))::uuid`;
  const header = `\\set i random(1, ${o.carts})\n`;
  /** `POST /rest/v1/rpc/add_item` (one more of a product) as PostgREST runs it, after `settings`. */
  const addItemScript = (what: string, settings: string) =>
    `-- POST /rest/v1/rpc/add_item${what} as PostgREST runs it\n${header}` +
    "begin isolation level read committed read write;\n" + settings +
    `WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT json_build_object(` +
    `'p_cart_id', (SELECT id FROM public.carts WHERE customer_id = ${key} AND location_id = ` +
    `'${o.locationId}' AND status = 'active'), 'p_product_id', 'floor-sku', 'p_quantity', 1) ` +
    `AS json_data) pgrst_payload, LATERAL (SELECT "p_cart_id", "p_product_id", "p_quantity" ` +
    `FROM json_to_record(pgrst_payload.json_data) AS _("p_cart_id" uuid, "p_product_id" text, ` +
    `"p_quantity" integer) LIMIT 1) pgrst_body, LATERAL (SELECT "public"."add_item"(` +
    `"p_cart_id" := pgrst_body."p_cart_id", "p_product_id" := pgrst_body."p_product_id", ` +
    `"p_quantity" := pgrst_body."p_quantity") pgrst_scalar) pgrst_call) ` +
    `SELECT null::bigint AS total_result_set, 1 AS page_total, ` +
    `coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null')::text AS body, ${RESPONSE_GUCS} ` +
    `FROM (SELECT "pgrst_source".* FROM "pgrst_source") _postgrest_t;\n` +
    "commit;\n";
  /**
   * `POST /rest/v1/rpc/<fn>` with the floor cart's key as PostgREST runs it: the body's
   * arguments through `json_to_record`, the call in a LATERAL, the answer aggregated.
   */
  const rpcScript = async (schema: string, fn: string) =>
    `-- POST /rest/v1/rpc/${fn} as PostgREST runs it\n${header}` +
    "begin isolation level read committed read write;\n" +
    await apiSettings(sql, o, "POST", `/rpc/${fn}`) +
    `WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT json_build_object(` +
    `'p_customer_id', ${key}, 'p_location_id', '${o.locationId}', 'p_store_id', ` +
    `'${o.storeId}') AS json_data) pgrst_payload, LATERAL (SELECT "p_customer_id", ` +
    `"p_location_id", "p_store_id" FROM json_to_record(pgrst_payload.json_data) AS ` +
    `_("p_customer_id" uuid, "p_location_id" uuid, "p_store_id" uuid) LIMIT 1) pgrst_body, ` +
    `LATERAL (SELECT "${schema}"."${fn}"("p_customer_id" := ` +
    `pgrst_body."p_customer_id", "p_location_id" := pgrst_body."p_location_id", ` +
    `"p_store_id" := pgrst_body."p_store_id") pgrst_scalar) pgrst_call) ` +
    `SELECT null::bigint AS total_result_set, 1 AS page_total, ` +
    `coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null')::text AS body, ${RESPONSE_GUCS} ` +
    `FROM (SELECT "pgrst_source".* FROM "pgrst_source") _postgrest_t;\n` +
    "commit;\n";
  const texts: Record<FloorScript, string> = {
    get: `-- the product's RPC on an existing cart, as the database owner\n${header}` +
      `select public.get_or_create_cart(p_location_id := '${o.locationId}'::uuid, ` +
      `p_customer_id := ${key}, p_store_id := '${o.storeId}'::uuid);\n`,
    select: `-- the physical minimum: one indexed select of the same row\n${header}` +
      `select * from public.carts where customer_id = ${key} ` +
      `and location_id = '${o.locationId}'::uuid and status = 'active';\n`,
    api_get: await rpcScript("public", "get_or_create_cart"),
    api_read: `-- GET /rest/v1/carts?customer_id=eq..&location_id=eq..&status=eq.active as ` +
      `PostgREST runs it\n${header}` +
      "begin isolation level read committed read only;\n" +
      await apiSettings(sql, o, "GET", "/carts") +
      `WITH pgrst_source AS ( SELECT "public"."carts".* FROM "public"."carts" WHERE ` +
      `"public"."carts"."customer_id" = ${key} AND "public"."carts"."location_id" = ` +
      `'${o.locationId}' AND "public"."carts"."status" = 'active' ) ` +
      `SELECT null::bigint AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, ` +
      `coalesce(json_agg(_postgrest_t), '[]')::text AS body, ${RESPONSE_GUCS}, ` +
      `'' AS response_inserted FROM ( SELECT * FROM pgrst_source ) _postgrest_t;\n` +
      "commit;\n",
    api_rpc_read: await rpcScript("bench_floor", "read_cart"),
    api_rpc_answer: await rpcScript("bench_floor", "read_cart_answer"),
    api_add_item: addItemScript("", await apiSettings(sql, o, "POST", "/rpc/add_item")),
    api_add_item_key: addItemScript(
      " with a new Idempotency-Key",
      "\\set k random(1, 1000000000000)\n" + await apiSettings(
        sql,
        o,
        "POST",
        "/rpc/add_item",
        "'floor-' || (:client_id)::text || '-' || (:k)::text",
      ),
    ),
  };
  await checkApiRead(o, texts.api_read);
  await checkApiRead(o, texts.api_rpc_read);
  await checkApiRead(o, texts.api_rpc_answer);
  const paths = {} as Record<FloorScript, string>;
  for (const name of FLOOR_SCRIPTS) {
    paths[name] = `${dir}/${name}.sql`;
    await Deno.writeTextFile(paths[name], texts[name]);
  }
  return paths;
}

/**
 * Runs an API read's statements (the GET, or the same read as an RPC) once, for the first
 * floor cart, as `authenticator`: the comparison means something only if the user's read sees
 * the row through RLS.
 */
async function checkApiRead(o: FloorOptions, script: string) {
  const statements = script.split("\n").filter((l) =>
    l && !l.startsWith("--") && !l.startsWith("\\")
  )
    .map((l) => l.replaceAll(":i::text", "1::text"));
  const out = await new Deno.Command("psql", {
    args: [authenticatorUrl(o.dbUrl), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = out.stdin.getWriter();
  await writer.write(new TextEncoder().encode(statements.join("\n") + "\n"));
  await writer.close();
  const { success, stdout, stderr } = await out.output();
  const text = new TextDecoder().decode(stdout);
  // The answer's row: total_result_set|page_total|body|...; page_total must be 1.
  const row = text.split("\n").find((l) => l.startsWith("|1|"));
  if (!success || !row || !row.includes(floorId(1))) {
    throw new Error(
      `the API read does not see the floor's cart as the user:\n${text}\n` +
        new TextDecoder().decode(stderr),
    );
  }
}

/**
 * pgbench, each group (get vs select as the owner; the RPC, the read and the read as two RPCs
 * as PostgREST runs them; add_item without and with a key) in rotating order, round by round,
 * so noise hits them alike. The API scripts connect as `authenticator`.
 */
export async function pgbenchFloor(
  sql: postgres.Sql,
  o: FloorOptions,
): Promise<FloorClientResult[]> {
  const dir = await Deno.makeTempDir({ prefix: "poscart-bench-floor-" });
  const results: FloorClientResult[] = [];
  try {
    const scripts = await floorScripts(sql, o, dir);
    const urlOf = (s: FloorScript) => s.startsWith("api_") ? authenticatorUrl(o.dbUrl) : o.dbUrl;
    for (const clients of o.clients) {
      const tps = Object.fromEntries(FLOOR_SCRIPTS.map((s) => [s, []])) as unknown as Record<
        FloorScript,
        number[]
      >;
      const lat = Object.fromEntries(FLOOR_SCRIPTS.map((s) => [s, []])) as unknown as Record<
        FloorScript,
        number[]
      >;
      for (let round = 0; round < o.rounds; round++) {
        const groups: FloorScript[][] = [
          ["get", "select"],
          ["api_get", "api_read", "api_rpc_read", "api_rpc_answer"],
          ["api_add_item", "api_add_item_key"],
        ];
        for (const group of groups) {
          // each round starts the group at the next script: noise hits all of them alike
          const order = group.map((_, i) => group[(i + round) % group.length]);
          for (const which of order) {
            const res = await pgbench(urlOf(which), scripts[which], clients, o.seconds);
            tps[which].push(res.tps);
            lat[which].push(res.latency);
          }
        }
      }
      const ratioOf = (a: FloorScript, b: FloorScript) =>
        median(tps[a].map((t, i) => t / tps[b][i]));
      const meanRatioOf = (a: FloorScript, b: FloorScript) => mean(tps[a]) / mean(tps[b]);
      results.push({
        clients,
        tps,
        latencyMs: Object.fromEntries(
          FLOOR_SCRIPTS.map((s) => [s, summarize(lat[s]).p50]),
        ) as Record<FloorScript, number>,
        ratio: ratioOf("get", "select"),
        apiRatio: ratioOf("api_get", "api_read"),
        rpcShapeRatio: meanRatioOf("api_rpc_read", "api_read"),
        answerRatio: meanRatioOf("api_rpc_answer", "api_rpc_read"),
        logicRatio: meanRatioOf("api_get", "api_rpc_answer"),
        keyRatio: ratioOf("api_add_item_key", "api_add_item"),
      });
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
