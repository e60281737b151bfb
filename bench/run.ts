// The benchmark command (`deno task bench`, or `deno run -A bench/run.ts [--quick]`).
// Starts the local stack once on its own ports, serving three functions side by side on
// one gateway and one database: ours (Rust/wasm `cart`), the previous version's function
// (`cart-seed-original`, SELECT-then-INSERT on its own unindexed copy of the table, which makes
// a second cart when two devices ask at once) and an
// idiomatic TypeScript function (`cart-ts`, supabase-js `.rpc()`). It then measures, per
// function, workload (get existing, get that creates, add_to_queue) and concurrency,
// throughput, p50/p95/p99 latency, errors and duplicates created, interleaving the
// functions in rounds so machine noise hits all of them alike; then the database floor
// (pgbench), rows written by repeat gets, and the cold start and size of the wasm.
// Writes bench/results/latest.{json,md,svg} (git-ignored) and prints the Markdown.
// Targets are printed next to the figures; missing one does not fail the run.
//
// Configuration: see bench/README.md (flags `--quick`, env BENCH_*).
import postgres from "postgres";
import { demoKey, signJwt } from "../stack/jwt.ts";
import { launchStack } from "../stack/launch.ts";
import { runSlice, type SliceResult, type Target } from "./lib/load.ts";
import { createFixture, type Key, type Workload, WORKLOADS } from "./lib/fixtures.ts";
import { duplicatesByCustomer } from "../tests/_support/census.ts";
import {
  dropFloor,
  type FloorResult,
  pgbenchFloor,
  prepareFloor,
  rowsWritten,
} from "./lib/floor.ts";
import { summarize } from "./lib/stats.ts";
import {
  type ColdStart,
  coldStart,
  cpuPerRequest,
  type CpuResult,
  type ProbeTarget,
  type WasmSize,
  wasmSize,
} from "./lib/probe.ts";
import { type CellResult, renderMarkdown, type Results } from "./lib/report.ts";
import { latencyChart } from "./lib/svg.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const RESULTS = `${ROOT}bench/results`;

// ---------------------------------------------------------------- configuration

const quick = Deno.args.includes("--quick") || Deno.env.get("BENCH_QUICK") === "1";
const envNum = (name: string, fallback: number) => {
  const v = Deno.env.get(name);
  return v === undefined || v === "" ? fallback : Number(v);
};
const envList = (name: string, fallback: number[]) => {
  const v = Deno.env.get(name);
  return v ? v.split(",").map(Number) : fallback;
};
const config = {
  quick,
  apiPort: envNum("BENCH_API_PORT", 56421),
  dbPort: envNum("BENCH_DB_PORT", 56422),
  concurrency: envList("BENCH_CONCURRENCY", [1, 16, 64]),
  /** measured seconds per function, workload and concurrency, split over the rounds */
  seconds: envNum("BENCH_SECONDS", quick ? 0.8 : 9),
  rounds: envNum("BENCH_ROUNDS", quick ? 1 : 3),
  /** warm-up before each measured slice (not recorded) */
  warmupMs: envNum("BENCH_WARMUP_MS", quick ? 150 : 500),
  /** warm-up of every function at the highest concurrency before measuring (connection
   * pools, JIT), not recorded */
  initialWarmupMs: envNum("BENCH_INITIAL_WARMUP_MS", quick ? 1000 : 4000),
  locations: 4,
  existingKeys: envNum("BENCH_EXISTING_KEYS", 500),
  freshKeys: envNum("BENCH_FRESH_KEYS", quick ? 4000 : 25000),
  floorClients: envList("BENCH_FLOOR_CLIENTS", [1, 16]),
  floorSeconds: envNum("BENCH_FLOOR_SECONDS", quick ? 1 : 5),
  floorRounds: envNum("BENCH_FLOOR_ROUNDS", quick ? 1 : 3),
  floorCarts: 1000,
  repeatGets: 1000,
  coldSamples: envNum("BENCH_COLD_SAMPLES", quick ? 2 : 10),
  cpuRounds: envNum("BENCH_CPU_ROUNDS", quick ? 1 : 5),
  cpuRequests: envNum("BENCH_CPU_REQUESTS", quick ? 300 : 2000),
  cpuWarmup: envNum("BENCH_CPU_WARMUP", quick ? 200 : 1000),
  /** which parts run: load (latency cells), floor (pgbench), cold (cold start), cpu */
  phases: (Deno.env.get("BENCH_PHASES") ?? "load,floor,cold,cpu").split(","),
};
const phase = (name: string) => config.phases.includes(name);

const ALL_FUNCTIONS = [
  { name: "ours", slug: "cart", seedSchema: false, label: "ours (Rust/wasm)" },
  { name: "ts", slug: "cart-ts", seedSchema: false, label: "TypeScript + supabase-js" },
  { name: "seed", slug: "cart-seed-original", seedSchema: true, label: "seed original" },
  // Not a function: the same RPC called straight through the gateway, the floor of any
  // function that calls PostgREST. "function p50 - rpc p50" is what the function adds.
  { name: "rpc", slug: "", seedSchema: false, label: "RPC direct (no function)" },
];
/** BENCH_FUNCTIONS=ours,ts,seed (default all) narrows the run, e.g. while developing. */
const selected = (Deno.env.get("BENCH_FUNCTIONS") ?? "ours,ts,seed,rpc").split(",");
const FUNCTIONS = ALL_FUNCTIONS.filter((f) => selected.includes(f.name));
const withOurs = FUNCTIONS.some((f) => f.name === "ours");

const log = (msg: string) => console.error(`[bench] ${msg}`);

// ---------------------------------------------------------------- build and stack

async function ensureBuilt(): Promise<string> {
  const wasm = `${ROOT}supabase/functions/cart/pkg/poscart_bg.wasm`;
  const exists = await Deno.stat(wasm).then(() => true, () => false);
  if (!exists || Deno.env.get("BENCH_BUILD") === "1") {
    log("building the wasm function (scripts/build.ts)");
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "scripts/build.ts"],
      cwd: ROOT,
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error("build failed");
  }
  return wasm;
}

// ---------------------------------------------------------------- load phase

/** Per function and workload: how each request picks its customer. "creates" and
 * "add_to_queue" hand every fresh customer to TWO consecutive requests, as two devices
 * asking at the same moment (the race in which the previous function made two carts): under
 * concurrency they overlap. */
function keySource(pool: Key[], paired: boolean, firstUse: Map<string, number>) {
  let i = 0;
  let wrapped = false;
  return {
    next(concurrency: number): Key {
      if (!paired) return pool[Math.floor(Math.random() * pool.length)];
      const n = Math.floor(i++ / 2);
      if (n >= pool.length) wrapped = true;
      const key = pool[n % pool.length];
      if (!firstUse.has(key.customerId)) firstUse.set(key.customerId, concurrency);
      return key;
    },
    get wrapped() {
      return wrapped;
    },
  };
}

const rpcName = (workload: Workload) =>
  workload === "add_to_queue" ? "add_to_queue" : "get_or_create_cart";

function bodyFor(workload: Workload, key: Key, storeId: string, fn = "ours") {
  if (fn === "rpc") {
    return { p_location_id: key.locationId, p_customer_id: key.customerId, p_store_id: storeId };
  }
  return {
    action: workload === "add_to_queue" ? "add_to_queue" : "get",
    customer_id: key.customerId,
    location_id: key.locationId,
    store_id: storeId,
  };
}

function mergeSlice(into: SliceResult | undefined, s: SliceResult): SliceResult {
  if (!into) return s;
  into.latencies.push(...s.latencies);
  into.ok += s.ok;
  into.errors += s.errors;
  for (const [k, v] of Object.entries(s.errorKinds)) {
    into.errorKinds[k] = (into.errorKinds[k] ?? 0) + v;
  }
  into.windowMs += s.windowMs;
  into.created += s.created;
  for (const [k, ids] of s.answers) {
    const set = into.answers.get(k);
    if (set) ids.forEach((id) => set.add(id));
    else into.answers.set(k, ids);
  }
  return into;
}

// ---------------------------------------------------------------- main

async function main() {
  const startedAt = new Date();
  log(`config: ${JSON.stringify(config)}`);
  const wasmPath = withOurs ? await ensureBuilt() : "";
  log(`starting the local stack on :${config.apiPort} (db :${config.dbPort})`);
  // In a process of its own, so that the load generator does not share an event loop with the
  // gateway, the PostgREST stand-in and the function host. The comparison functions are not in
  // supabase/config.toml (never deployed): the function host serves any
  // supabase/functions/<name>/index.ts it is asked for, with verify_jwt on.
  const stack = await launchStack({
    apiPort: config.apiPort,
    dbPort: config.dbPort,
    functions: FUNCTIONS.map((f) => f.slug).filter(Boolean),
    functionLogsToFile: true,
  });
  const { info } = stack;
  const sql = postgres(info.dbUrl, { max: 4, onnotice: () => {} });
  try {
    const [{ version }] = await sql`select current_setting('server_version') as version`;
    log("creating fixtures");
    const fixture = await createFixture(sql, FUNCTIONS, {
      locations: config.locations,
      existing: config.existingKeys,
      fresh: config.freshKeys,
    });
    // Fresh tables have no statistics yet: give the planner what autovacuum would.
    await sql`analyze`;
    const anonKey = info.anonKey ?? await demoKey("anon");
    const userId = crypto.randomUUID();
    const userJwt = await signJwt({
      sub: userId,
      role: "authenticated",
      aud: "authenticated",
      exp: Math.floor(Date.now() / 1000) + 24 * 3600,
      app_metadata: { store_ids: [fixture.storeId] },
    }, info.jwtSecret);
    const target = (fn: (typeof FUNCTIONS)[number], workload: Workload): Target => ({
      name: fn.name,
      url: fn.slug
        ? `${info.apiUrl}/functions/v1/${fn.slug}`
        : `${info.apiUrl}/rest/v1/rpc/${rpcName(workload)}`,
      headers: { apikey: anonKey, authorization: `Bearer ${userJwt}` },
    });

    // Smoke: each function answers a get of an existing cart.
    for (const fn of FUNCTIONS) {
      const key = fixture.pools[fn.name].existing[0];
      const t = target(fn, "get_existing");
      const res = await fetch(t.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...t.headers },
        body: JSON.stringify(bodyFor("get_existing", key, fixture.storeId, fn.name)),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${t.url} smoke request: ${res.status} ${text}`);
    }

    // Warm every function and the stack's pools at the highest concurrency (not recorded).
    const maxConcurrency = Math.max(...config.concurrency);
    for (const fn of FUNCTIONS) {
      const pool = fixture.pools[fn.name].existing;
      await runSlice(
        target(fn, "get_existing"),
        () => {
          const key = pool[Math.floor(Math.random() * pool.length)];
          return { key: "warm-up", body: bodyFor("get_existing", key, fixture.storeId, fn.name) };
        },
        maxConcurrency,
        config.initialWarmupMs,
        0,
      );
    }

    // Load: workload x concurrency x rounds, functions interleaved (order rotates).
    const cells = new Map<string, SliceResult>();
    const workloads = phase("load") ? WORKLOADS : [];
    const firstUse = new Map<string, Map<string, number>>(); // fn -> customer -> concurrency
    const sources = new Map<string, ReturnType<typeof keySource>>();
    for (const fn of FUNCTIONS) {
      const uses = new Map<string, number>();
      firstUse.set(fn.name, uses);
      const pools = fixture.pools[fn.name];
      sources.set(`${fn.name}/get_existing`, keySource(pools.existing, false, uses));
      sources.set(`${fn.name}/get_creates`, keySource(pools.creates, true, uses));
      sources.set(`${fn.name}/add_to_queue`, keySource(pools.queue, true, uses));
    }
    const sliceMs = (config.seconds * 1000) / config.rounds;
    for (const workload of workloads) {
      for (const c of config.concurrency) {
        for (let round = 0; round < config.rounds; round++) {
          const order = FUNCTIONS.map((_, i) => FUNCTIONS[(i + round) % FUNCTIONS.length]);
          for (const fn of order) {
            const source = sources.get(`${fn.name}/${workload}`)!;
            const slice = await runSlice(
              target(fn, workload),
              () => {
                const key = source.next(c);
                return {
                  key: `${key.customerId}/${key.locationId}`,
                  body: bodyFor(workload, key, fixture.storeId, fn.name),
                };
              },
              c,
              config.warmupMs,
              sliceMs,
            );
            const id = `${fn.name}/${workload}/${c}`;
            cells.set(id, mergeSlice(cells.get(id), slice));
          }
        }
        const line = FUNCTIONS.map((fn) => {
          const s = cells.get(`${fn.name}/${workload}/${c}`)!;
          return `${fn.name} p50 ${summarize(s.latencies).p50.toFixed(2)} ms, ` +
            `${(s.ok / (s.windowMs / 1000)).toFixed(0)} req/s, ${s.errors} err`;
        }).join("; ");
        log(`${workload} c=${c}: ${line}`);
      }
    }

    // Duplicates, from the database, attributed to the concurrency that first used the key.
    const results: CellResult[] = [];
    const wrappedPools: string[] = [];
    for (const fn of FUNCTIONS) {
      const uses = firstUse.get(fn.name)!;
      const census = await duplicatesByCustomer(
        sql,
        fn.seedSchema ? "seed_original" : "public",
        [...uses.keys()],
      );
      for (const workload of workloads) {
        if (sources.get(`${fn.name}/${workload}`)!.wrapped) {
          wrappedPools.push(`${fn.name}/${workload}`);
        }
        const pool = workload === "get_creates"
          ? fixture.pools[fn.name].creates
          : workload === "add_to_queue"
          ? fixture.pools[fn.name].queue
          : [];
        const inPool = new Set(pool.map((k) => k.customerId));
        for (const c of config.concurrency) {
          const s = cells.get(`${fn.name}/${workload}/${c}`)!;
          let dupCarts = 0, dupEntries = 0;
          for (const [customer, census1] of census) {
            if (inPool.has(customer) && uses.get(customer) === c) {
              dupCarts += census1.duplicateCarts;
              dupEntries += census1.duplicateEntries;
            }
          }
          let split = 0;
          for (const ids of s.answers.values()) if (ids.size > 1) split++;
          const lat = summarize(s.latencies);
          results.push({
            fn: fn.name,
            workload,
            concurrency: c,
            requests: s.ok + s.errors,
            throughput: s.ok / (s.windowMs / 1000),
            p50: lat.p50,
            p95: lat.p95,
            p99: lat.p99,
            mean: lat.mean,
            errors: s.errors,
            errorKinds: s.errorKinds,
            created: s.created,
            duplicateCarts: dupCarts,
            duplicateEntries: dupEntries,
            splitAnswers: split,
          });
        }
      }
    }
    if (wrappedPools.length) {
      log(`fresh-key pools wrapped (raise BENCH_FRESH_KEYS): ${wrappedPools.join(", ")}`);
    }

    // Database floor.
    let floor: FloorResult | null = null;
    if (phase("floor")) {
      log("database floor: pgbench and rows written");
      const floorOptions = {
        dbUrl: info.dbUrl,
        storeId: fixture.storeId,
        userId,
        locationId: fixture.locationIds[0],
        carts: config.floorCarts,
        clients: config.floorClients,
        seconds: config.floorSeconds,
        rounds: config.floorRounds,
        repeatGets: config.repeatGets,
      };
      await prepareFloor(sql, floorOptions);
      await sql`analyze`;
      floor = {
        pgbench: await pgbenchFloor(sql, floorOptions),
        rowsWritten: await rowsWritten(sql, floorOptions),
      };
      await dropFloor(sql);
    }

    // Cold start and size; CPU per request of ours and the TypeScript function.
    const probeTarget = (fn: string, module: string, wasm: string): ProbeTarget => {
      const key = fixture.pools[fn].existing[1];
      return {
        root: ROOT,
        module,
        wasmPath: wasm,
        env: {
          SUPABASE_URL: info.apiUrl,
          SUPABASE_ANON_KEY: anonKey,
          SUPABASE_DB_URL: info.dbUrl,
        },
        body: JSON.stringify(bodyFor("get_existing", key, fixture.storeId)),
        authorization: `Bearer ${userJwt}`,
        apikey: anonKey,
      };
    };
    let cold: ColdStart | null = null;
    let size: WasmSize | null = null;
    if (withOurs && phase("cold")) {
      log(`cold start: ${config.coldSamples} fresh processes`);
      cold = await coldStart(
        probeTarget("ours", "supabase/functions/cart/index.ts", wasmPath),
        config.coldSamples,
      );
      size = await wasmSize(wasmPath);
    }
    let cpu: CpuResult | null = null;
    const withTs = FUNCTIONS.some((f) => f.name === "ts");
    if (withOurs && withTs && phase("cpu")) {
      log(
        `CPU per request: ${config.cpuRounds} round(s) of ${config.cpuRequests} gets per function`,
      );
      cpu = await cpuPerRequest({
        ours: probeTarget("ours", "supabase/functions/cart/index.ts", ""),
        ts: probeTarget("ts", "supabase/functions/cart-ts/index.ts", ""),
      }, { rounds: config.cpuRounds, requests: config.cpuRequests, warmup: config.cpuWarmup });
      const m = cpu.median;
      log(
        `CPU per request (function's own): ours ${m.ours.functionUs.toFixed(0)} us, ` +
          `ts ${m.ts.functionUs.toFixed(0)} us`,
      );
    }

    const mem = (await Deno.readTextFile("/proc/meminfo").catch(() => "")).match(
      /MemTotal:\s+(\d+)/,
    );
    const all: Results = {
      date: startedAt.toISOString(),
      machine: {
        cores: navigator.hardwareConcurrency,
        memoryGiB: mem ? Math.round(Number(mem[1]) / 1024 / 1024) : null,
        deno: Deno.version.deno,
        postgres: String(version),
      },
      config,
      functions: FUNCTIONS.map(({ name, slug, label }) => ({ name, slug, label })),
      cells: results,
      wrappedPools,
      floor,
      cold,
      size,
      cpu,
    };
    await Deno.mkdir(RESULTS, { recursive: true });
    const markdown = renderMarkdown(all);
    const subtitle = `${all.date.slice(0, 16).replace("T", " ")} UTC, ${all.machine.cores} cores` +
      `${quick ? ", --quick" : ""}; same local stack, functions interleaved`;
    const svg = latencyChart(
      WORKLOADS.map((w) => ({
        title: w.replaceAll("_", " "),
        series: FUNCTIONS.map((fn) => ({
          fn: fn.label,
          points: results.filter((r) => r.fn === fn.name && r.workload === w)
            .map((r) => ({ concurrency: r.concurrency, p50: r.p50, p95: r.p95 })),
        })),
      })),
      subtitle,
    );
    await Deno.writeTextFile(`${RESULTS}/latest.json`, JSON.stringify(all, null, 2) + "\n");
    await Deno.writeTextFile(`${RESULTS}/latest.md`, markdown);
    await Deno.writeTextFile(`${RESULTS}/latency.svg`, svg);
    console.log(markdown);
    log(`wrote ${RESULTS}/latest.json, latest.md, latency.svg`);
  } finally {
    await sql.end({ timeout: 5 }).catch(() => {});
    await stack.stop();
  }
}

await main();
