// The migrations applied to a big legacy database under live load, measured. Starts a
// throwaway cluster built like a Supabase project (stack/postgres.ts), loads the legacy
// fixture (tests/sql/fixtures/legacy_seed_schema.sql: the old tables and one row of every messy
// class) and the same classes at scale (bench/sql/legacy_load_setup.sql, set-based), then runs
// pgbench with the requests of the apps of the previous version (bench/sql/legacy_load_workload.sql:
// connected as authenticator, role authenticated with a legacy staff user's claims, errors
// caught and recorded with their SQLSTATE) and, in the middle of the run, applies every
// migration in order the way an operator deploys: each file as one batch as the Supabase CLI
// sends it (so the repair of 20260123000810 commits batch by batch), statement by statement
// (`--mode statements`, `psql -f`), or each file in a transaction psql opens around it
// (`--mode wrapped`, `psql --single-transaction`: the repair runs in one transaction). A file that fails on `lock_timeout` (55P03), or is chosen to end a deadlock
// (40P01), is applied again after a pause, as an operator would; the retries are reported.
//
// Reports legacy row counts, the migration time in all and per file, the retries, the workload's
// transaction times (longest, p99) and errors by SQLSTATE before, during and after the
// migrations, what the waiting workload sessions were blocked by, the invariant census and the
// repair report. Printed, and written to bench/results/legacy_load-<time>.json.
//
//   . scripts/env.sh
//   deno run -A bench/legacy_load.ts [--carts 1000000] [--entries 100000] [--clients 16]
//     [--threads 2] [--staff 200] [--before 30] [--after 30] [--mode transaction|statements|wrapped]
//     [--retry-pause 1] [--max-retries 20] (per file) [--port <free port>]
import postgres from "postgres";
import {
  type FileMode,
  isNonTransactional,
  migrationFiles,
  runSqlFile,
  startPostgres,
} from "../stack/postgres.ts";
import { freePort } from "../stack/wait.ts";
import { type LatencySummary, summarize } from "./lib/stats.ts";
import { invariantCensus } from "../tests/_support/census.ts";

const HERE = new URL(".", import.meta.url).pathname;
const FIXTURE = new URL("../tests/sql/fixtures/legacy_seed_schema.sql", import.meta.url).pathname;
const SETUP = `${HERE}sql/legacy_load_setup.sql`;
const WORKLOAD = `${HERE}sql/legacy_load_workload.sql`;
const RESULTS = `${HERE}results`;

export interface Options {
  carts: number;
  entries: number;
  clients: number;
  threads: number;
  staff: number;
  beforeSeconds: number;
  afterSeconds: number;
  mode: FileMode;
  retryPauseSeconds: number;
  maxRetries: number;
  port: number;
}

export function parseOptions(args: string[]): Options {
  const value = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const num = (name: string, fallback: number) => {
    const v = value(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} needs a number, got ${v}`);
    return n;
  };
  const mode = value("mode") ?? "transaction";
  if (mode !== "transaction" && mode !== "statements" && mode !== "wrapped") {
    throw new Error(`--mode is transaction, statements or wrapped, got ${mode}`);
  }
  return {
    carts: num("carts", 1_000_000),
    entries: num("entries", 100_000),
    clients: num("clients", 16),
    threads: num("threads", 2),
    staff: num("staff", 200),
    beforeSeconds: num("before", 30),
    afterSeconds: num("after", 30),
    mode,
    retryPauseSeconds: num("retry-pause", 1),
    maxRetries: num("max-retries", 20),
    port: num("port", 0) || freePort(),
  };
}

// ---------------------------------------------------------------------------------------
// Pure parts: the pgbench transaction log, phases, psql's lock timeout message

/** One workload transaction from pgbench's per-transaction log (`-l`). */
export interface Tx {
  /** Start and end, epoch milliseconds. */
  start: number;
  end: number;
  ms: number;
}

/** Parses pgbench's per-transaction log lines:
 * `client_id transaction_no time script_no time_epoch time_us [...]`, `time` in microseconds
 * (the transaction's duration), `time_epoch`.`time_us` when it ended. Failed lines are skipped. */
export function parseTxLog(text: string): Tx[] {
  const out: Tx[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !/^\d+$/.test(f[2])) continue;
    const us = Number(f[2]);
    const end = Number(f[4]) * 1000 + Number(f[5]) / 1000;
    out.push({ start: end - us / 1000, end, ms: us / 1000 });
  }
  return out;
}

export type Phase = "before" | "during" | "after";

/** Before, during or after the migration window [from, to] (epoch ms), by start time. */
export function phaseOf(at: number, window: { from: number; to: number }): Phase {
  return at < window.from ? "before" : at <= window.to ? "during" : "after";
}

/** The SQLSTATE of a psql error after which an operator applies the file again, from the
 * server's message (the throwaway cluster runs in the C locale): 55P03 (a lock wait passed
 * `lock_timeout`, a NOWAIT lock was refused, or private.lock_tables gave up) and 40P01 (deadlock: this session was chosen
 * to end it). Null for any other error. */
export function retryableState(message: string): "55P03" | "40P01" | null {
  if (
    /ERROR:\s+(canceling statement due to lock timeout|could not obtain lock on|could not lock \S)/
      .test(message)
  ) {
    return "55P03";
  }
  if (/ERROR:\s+deadlock detected/.test(message)) return "40P01";
  return null;
}

// ---------------------------------------------------------------------------------------
// The run

interface FileResult {
  file: string;
  mode: FileMode;
  seconds: number;
  attempts: number;
  /** Failed attempts applied again, by SQLSTATE, with their durations in seconds. */
  retries: { sqlstate: string; seconds: number }[];
  error?: string;
}

interface BlockedSample {
  waitEvent: string;
  waitedMs: number;
  blocker: string;
  file: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => Math.round(ms) / 1000;
const basename = (path: string) => path.slice(path.lastIndexOf("/") + 1);

async function applyWithRetries(
  dbUrl: string,
  opts: Options,
  onFile: (file: string | null) => void,
): Promise<FileResult[]> {
  const results: FileResult[] = [];
  for (const file of migrationFiles()) {
    const mode = isNonTransactional(await Deno.readTextFile(file)) ? "statements" : opts.mode;
    const r: FileResult = {
      file: basename(file),
      mode,
      seconds: 0,
      attempts: 0,
      retries: [],
    };
    results.push(r);
    onFile(r.file);
    const t0 = performance.now();
    for (;;) {
      r.attempts++;
      const attemptStart = performance.now();
      try {
        await runSqlFile(dbUrl, file, mode);
        break;
      } catch (error) {
        const message = (error as Error).message;
        const state = retryableState(message);
        if (state && r.retries.length < opts.maxRetries) {
          r.retries.push({ sqlstate: state, seconds: seconds(performance.now() - attemptStart) });
          console.log(`  ${r.file}: ${state} after ${r.retries.at(-1)!.seconds} s, applied again`);
          await sleep(opts.retryPauseSeconds * 1000);
          continue;
        }
        r.error = message;
        console.log(`  ${r.file}: FAILED\n${message}`);
        break;
      }
    }
    r.seconds = seconds(performance.now() - t0);
    console.log(
      `  ${r.file}: ${r.seconds.toFixed(2)} s${
        r.retries.length ? `, ${r.retries.length} retries` : ""
      }`,
    );
    if (r.error) break;
  }
  onFile(null);
  return results;
}

/** Samples, every `everyMs`, the workload sessions waiting on a heavyweight lock: how long
 * their transaction has run, what they wait for, and the query of the sessions blocking them. */
function startLockSampler(sql: postgres.Sql, currentFile: () => string | null, everyMs = 250) {
  const worst = new Map<string, BlockedSample>();
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const rows = await sql`
          select a.wait_event as wait_event,
            (extract(epoch from clock_timestamp() - a.xact_start) * 1000)::float8 as waited_ms,
            coalesce((select string_agg(
                coalesce(b.usename::text, '?') || ': ' || regexp_replace(left(b.query, 160), '[[:space:]]+', ' ', 'g'),
                ' | ')
              from pg_stat_activity b where b.pid = any (pg_blocking_pids(a.pid))), '') as blocker
          from pg_stat_activity a
          where a.usename = 'authenticator' and a.wait_event_type = 'Lock'`;
        const file = currentFile();
        for (const r of rows) {
          const key = `${r.wait_event} <- ${r.blocker}`;
          const prev = worst.get(key);
          if (!prev || prev.waitedMs < r.waited_ms) {
            worst.set(key, {
              waitEvent: r.wait_event,
              waitedMs: r.waited_ms,
              blocker: r.blocker,
              file,
            });
          }
        }
      } catch {
        // a sample lost to the migrations' own timeouts: the next one follows
      }
      await sleep(everyMs);
    }
  })();
  return {
    async stop(): Promise<BlockedSample[]> {
      running = false;
      await loop;
      return [...worst.values()].sort((a, b) => b.waitedMs - a.waitedMs);
    },
  };
}

async function main() {
  const opts = parseOptions(Deno.args);
  console.log(`legacy load: ${JSON.stringify(opts)}`);
  const started = new Date();
  const pg = await startPostgres({
    port: opts.port,
    settings: { max_wal_size: "'4GB'", checkpoint_timeout: "'15min'" },
  });
  const logDir = await Deno.makeTempDir({ prefix: "poscart-legacy-load-" });
  const sql = postgres(pg.dbUrl, { max: 2, onnotice: () => {} });
  try {
    // 1. The legacy database.
    const t0 = performance.now();
    await runSqlFile(pg.dbUrl, FIXTURE);
    await runSqlFile(pg.dbUrl, SETUP);
    const [{ counts }] =
      await sql`select legacy_load.generate(${opts.carts}::int, ${opts.entries}::int,
      ${opts.staff}::int) as counts`;
    await sql`create index carts_customer_location_legacy_idx on public.carts (customer_id, location_id)`;
    await sql`create index location_queue_location_status_legacy_idx
      on public.location_queue (location_id, status)`;
    await sql`vacuum analyze`;
    const sup = postgres(pg.superUrl, { max: 1, onnotice: () => {} });
    await sup`checkpoint`;
    await sup.end();
    const [shape] = await sql`select * from legacy_load.shape`;
    const [legacyDuplicates] = await sql`select
      (select count(*)::int from (select 1 from public.carts where status = 'active'
        and customer_id is not null group by customer_id, location_id having count(*) > 1) d)
        as customer_location_keys_with_several_active_carts,
      (select count(*)::int from public.carts
        where status is null or status not in ('active', 'completed', 'abandoned', 'merged'))
        as carts_with_other_statuses,
      (select count(*)::int from public.location_queue
        where status is null or status not in ('waiting', 'called', 'served', 'removed', 'no_show'))
        as entries_with_other_statuses`;
    const buildSeconds = seconds(performance.now() - t0);
    console.log(`legacy database built in ${buildSeconds} s: ${JSON.stringify(counts)}`);
    console.log(`  ${JSON.stringify(legacyDuplicates)}`);

    // 2. The old apps' workload, then the migrations in the middle of it.
    const url = new URL(pg.dbUrl);
    const bench = new Deno.Command("pgbench", {
      args: [
        "-n",
        "-M",
        "prepared",
        "-f",
        WORKLOAD,
        "-c",
        String(opts.clients),
        "-j",
        String(opts.threads),
        "-T",
        "86400",
        "-D",
        `keys=${shape.active_keys}`,
        "-D",
        `staff=${opts.staff}`,
        "-l",
        `--log-prefix=${logDir}/tx`,
        "-h",
        url.hostname,
        "-p",
        url.port,
        "-U",
        "authenticator",
        "postgres",
      ],
      env: { PGPASSWORD: "postgres" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const benchOutput = bench.output();
    let file: string | null = null;
    const sampler = startLockSampler(sql, () => file);
    let from = 0, to = 0;
    let files: FileResult[] = [];
    let out: Deno.CommandOutput;
    let blocked: BlockedSample[];
    try {
      console.log(`workload: ${opts.clients} clients; migrations in ${opts.beforeSeconds} s`);
      await sleep(opts.beforeSeconds * 1000);
      from = Date.now();
      console.log(`migrations (${opts.mode}):`);
      files = await applyWithRetries(pg.dbUrl, opts, (f) => (file = f));
      to = Date.now();
      await sleep(opts.afterSeconds * 1000);
      await sql`update legacy_load.control set stop = true`;
      out = await benchOutput;
    } finally {
      blocked = await sampler.stop();
      try {
        bench.kill("SIGTERM");
      } catch {
        // already ended
      }
    }
    const migrationSeconds = seconds(to - from);
    const failed = files.find((f) => f.error);
    console.log(`migrations ${failed ? "FAILED" : "applied"} in ${migrationSeconds} s`);
    const benchText = new TextDecoder().decode(out.stdout) +
      new TextDecoder().decode(out.stderr);
    const aborts = benchText.split("\n").filter((l) => /client \d+ .*aborted/.test(l));
    const unexpectedAborts = aborts.filter((l) => !/legacy workload stopped/.test(l));

    // 3. What the workload saw.
    const txs: Tx[] = [];
    for await (const entry of Deno.readDir(logDir)) {
      // One at a time: a log of a long run holds more transactions than a call's arguments.
      for (const tx of parseTxLog(await Deno.readTextFile(`${logDir}/${entry.name}`))) txs.push(tx);
    }
    const window = { from, to };
    const byPhase: Record<Phase, number[]> = { before: [], during: [], after: [] };
    for (const tx of txs) byPhase[phaseOf(tx.start, window)].push(tx.ms);
    const latency = Object.fromEntries(
      Object.entries(byPhase).map(([p, ms]) => [p, summarize(ms)]),
    ) as Record<Phase, LatencySummary>;
    const longest = [...txs].sort((a, b) => b.ms - a.ms).slice(0, 10).map((tx) => ({
      ms: Math.round(tx.ms),
      startedAfterMigrationStartS: seconds(tx.start - from),
      files: overlappingFiles(files, from, tx),
    }));

    const errorRows = await sql`select sqlstate, op,
        (extract(epoch from at) * 1000)::float8 as at, message
      from legacy_load.outcome order by at`;
    const errors: Record<Phase, Record<string, number>> = { before: {}, during: {}, after: {} };
    const errorSamples: Record<string, { op: string; message: string }> = {};
    const errorOps: Record<string, Record<string, number>> = {};
    for (const e of errorRows) {
      const phase = phaseOf(e.at, window);
      errors[phase][e.sqlstate] = (errors[phase][e.sqlstate] ?? 0) + 1;
      errorSamples[e.sqlstate] ??= { op: e.op, message: e.message };
      errorOps[e.sqlstate] ??= {};
      errorOps[e.sqlstate][e.op] = (errorOps[e.sqlstate][e.op] ?? 0) + 1;
    }

    // 4. The database afterwards.
    const census = failed ? [] : await invariantCensus(sql);
    const report = failed ? [] : await sql`select action, reason, count(*)::int as rows
      from private.repair_report group by 1, 2 order by 1, 2`;
    const [after] = await sql`select (select count(*)::int from public.carts) as carts,
      (select count(*)::int from public.cart_items) as cart_items,
      (select count(*)::int from public.location_queue) as location_queue`;
    const invalidIndexes = await sql`select c.relname::text as name from pg_index i
      join pg_class c on c.oid = i.indexrelid
      join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and not i.indisvalid`;

    const deadlocks = deadlockReports(
      await Deno.readTextFile(pg.pgData.replace(/\/data$/, "/postgres.log")).catch(() => ""),
    );

    const result = {
      startedAt: started.toISOString(),
      machine: machine(),
      command: `deno run -A bench/legacy_load.ts ${Deno.args.join(" ")}`.trim(),
      options: opts,
      legacy: { buildSeconds, counts, shape, ...legacyDuplicates },
      migration: {
        mode: opts.mode,
        seconds: migrationSeconds,
        retries: countBy(files.flatMap((f) => f.retries.map((x) => x.sqlstate))),
        failed: failed ? { file: failed.file, error: failed.error } : null,
        files,
      },
      workload: {
        transactions: txs.length,
        longestMs: Math.round(txs.reduce((m, t) => Math.max(m, t.ms), 0)),
        latencyMs: latency,
        longest,
        errors,
        errorOps,
        errorSamples,
        unexpectedAborts,
        blockedBy: blocked.slice(0, 15).map((b) => ({ ...b, waitedMs: Math.round(b.waitedMs) })),
        deadlocks,
      },
      after: {
        rows: after,
        census,
        violations: census.reduce((n, r) => n + r.violations, 0),
        invalidIndexes: invalidIndexes.map((r) => r.name),
        repairReport: report,
      },
    };
    print(result);
    await Deno.mkdir(RESULTS, { recursive: true });
    const path = `${RESULTS}/legacy_load-${started.toISOString().replace(/[:.]/g, "-")}.json`;
    await Deno.writeTextFile(path, JSON.stringify(result, null, 2) + "\n");
    console.log(`\nwritten: ${path}`);
    if (failed || result.after.violations > 0 || unexpectedAborts.length > 0) Deno.exitCode = 1;
  } finally {
    await sql.end().catch(() => {});
    await pg.stop();
    await Deno.remove(logDir, { recursive: true }).catch(() => {});
  }
}

/** The server log's deadlock reports (the ERROR line and its DETAIL, which names each
 * process's query), at most 10. */
export function deadlockReports(log: string): string[] {
  const lines = log.split("\n");
  const out: string[] = [];
  lines.forEach((line, i) => {
    if (out.length < 10 && /ERROR:\s+deadlock detected/.test(line)) {
      const block = [line];
      for (const next of lines.slice(i + 1, i + 40)) {
        if (/^\d{4}-\d\d-\d\d /.test(next) && !/\] (DETAIL|HINT|CONTEXT):/.test(next)) break;
        block.push(next);
      }
      out.push(block.join("\n"));
    }
  });
  return out;
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** The migration files that ran while `tx` did (file times laid end to end from `from`). */
function overlappingFiles(files: FileResult[], from: number, tx: Tx): string[] {
  const names: string[] = [];
  let t = from;
  for (const f of files) {
    const end = t + f.seconds * 1000;
    if (tx.start < end && tx.end > t) names.push(f.file);
    t = end;
  }
  return names;
}

function machine(): string {
  const cpu = Deno.readTextFileSync("/proc/cpuinfo").match(/model name\s*:\s*(.*)/)?.[1] ?? "?";
  const mem = Number(Deno.readTextFileSync("/proc/meminfo").match(/MemTotal:\s*(\d+)/)?.[1] ?? 0);
  const version = new TextDecoder().decode(
    new Deno.Command("pgbench", { args: ["--version"], stdout: "piped" }).outputSync().stdout,
  ).trim();
  return `${navigator.hardwareConcurrency} cores (${cpu}), ${
    Math.round(mem / 1024 / 1024)
  } GiB, ${version}`;
}

// deno-lint-ignore no-explicit-any
function print(r: any) {
  const ms = (v: number) => `${Math.round(v)} ms`;
  console.log(`\n== legacy load: ${r.machine}`);
  console.log(`command: ${r.command}`);
  console.log(
    `legacy rows: ${JSON.stringify(r.legacy.counts)} (built in ${r.legacy.buildSeconds} s)`,
  );
  console.log(
    `  ${r.legacy.customer_location_keys_with_several_active_carts} customer+location keys with several active carts, ${r.legacy.carts_with_other_statuses} carts and ${r.legacy.entries_with_other_statuses} entries with statuses outside the new set`,
  );
  console.log(
    `migrations (${r.migration.mode}): ${r.migration.seconds} s, retries ${
      JSON.stringify(r.migration.retries)
    }${r.migration.failed ? `, FAILED at ${r.migration.failed.file}` : ""}`,
  );
  for (const f of r.migration.files) {
    if (f.seconds >= 0.5 || f.retries.length || f.error) {
      console.log(
        `  ${f.file}: ${f.seconds} s${
          f.retries.length ? ` (retried: ${JSON.stringify(f.retries)})` : ""
        }${f.error ? `\n    ${f.error}` : ""}`,
      );
    }
  }
  console.log(
    `workload: ${r.workload.transactions} transactions, longest ${ms(r.workload.longestMs)}`,
  );
  for (const p of ["before", "during", "after"]) {
    const l = r.workload.latencyMs[p];
    console.log(
      `  ${p}: ${l.count} tx, p50 ${l.p50?.toFixed(1)} ms, p99 ${l.p99?.toFixed(1)} ms, max ${
        l.max?.toFixed(0)
      } ms; errors ${JSON.stringify(r.workload.errors[p])}`,
    );
  }
  for (const [state, s] of Object.entries(r.workload.errorSamples)) {
    // deno-lint-ignore no-explicit-any
    const x = s as any;
    console.log(`  ${state} (${JSON.stringify(r.workload.errorOps[state])}): ${x.message}`);
  }
  if (r.workload.unexpectedAborts.length) {
    console.log(`  pgbench clients aborted: ${r.workload.unexpectedAborts.join("\n")}`);
  }
  console.log(`longest transactions (ms, start after the migrations began, files running):`);
  for (const t of r.workload.longest.slice(0, 5)) {
    console.log(`  ${t.ms} ms at +${t.startedAfterMigrationStartS} s: ${t.files.join(", ")}`);
  }
  for (const d of r.workload.deadlocks) console.log(`deadlock:\n${d}`);
  console.log(`lock waits seen (longest first; transaction age when sampled):`);
  for (const b of r.workload.blockedBy.slice(0, 8)) {
    console.log(`  ${ms(b.waitedMs)} on ${b.waitEvent} during ${b.file ?? "-"}: ${b.blocker}`);
  }
  console.log(
    `after: ${JSON.stringify(r.after.rows)}; census ${
      r.after.census.length ? `${r.after.violations} violations` : "not taken"
    }${r.after.invalidIndexes.length ? `; INVALID indexes ${r.after.invalidIndexes}` : ""}`,
  );
  for (const c of r.after.census) console.log(`  ${c.violations}  ${c.invariant}`);
  console.log(`repair report:`);
  for (const x of r.after.repairReport) console.log(`  ${x.action} ${x.reason}: ${x.rows}`);
}

if (import.meta.main) {
  await main();
}
