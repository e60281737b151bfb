// Concurrency stress of the SQL core: pgbench drives many concurrent sessions (role
// authenticated with JWT claims, as PostgREST runs them) at a tiny key space of customers
// and locations, mixing get, add_to_queue, remove, add item and complete
// (bench/sql/stress.sql), in a database of its own; then the invariants are checked:
// no customer+location with two active carts, no customer with two open entries at a
// location, every open entry's cart active. Exported for the test suite's short form;
// run as main for the long form:
//   deno run -A bench/stress.ts [--seconds 30] [--clients 64] [--customers 8] [--locations 2]
// It uses POSCART_STACK_INFO's database when set, else starts a throwaway cluster.
import postgres from "postgres";
import { runPgbench } from "./lib/pgbench.ts";
import { invariantCensus, totalViolations, violationsOf } from "../tests/_support/census.ts";
import {
  applyBase,
  applyMigrations,
  createDatabase,
  runSqlFile,
  startPostgres,
} from "../stack/postgres.ts";

const SQL_DIR = new URL("./sql/", import.meta.url).pathname;

export interface StressOptions {
  /** Superuser URL of the cluster; the run uses its own database `poscart_stress`. */
  adminUrl: string;
  seconds?: number;
  clients?: number;
  threads?: number;
  customers?: number;
  locations?: number;
}

export interface StressResult {
  transactions: number;
  failedTransactions: number;
  seconds: number;
  clients: number;
  outcomes: Record<string, number>;
  carts: number;
  queueEntries: number;
  duplicateActiveCarts: number;
  duplicateOpenEntries: number;
  openEntriesWithInactiveCart: number;
  /** Rows breaking any invariant (private.invariant_census()). */
  invariantViolations: number;
}

/** Creates the stress database, runs pgbench, checks the invariants. */
export async function runStress(options: StressOptions): Promise<StressResult> {
  const seconds = options.seconds ?? 30;
  const clients = options.clients ?? 64;
  const threads = options.threads ?? 2;
  const customers = options.customers ?? 8;
  const locations = options.locations ?? 2;
  const dbUrl = await createDatabase(options.adminUrl, "poscart_stress");
  await applyBase(dbUrl);
  await applyMigrations(dbUrl);
  await runSqlFile(dbUrl, `${SQL_DIR}stress_setup.sql`);

  const text = await runPgbench(dbUrl, [
    "-n",
    "-f",
    `${SQL_DIR}stress.sql`,
    "-c",
    String(clients),
    "-j",
    String(threads),
    "-T",
    String(seconds),
    "-D",
    `customers=${customers}`,
    "-D",
    `locations=${locations}`,
  ]);
  const num = (re: RegExp) => Number(text.match(re)?.[1] ?? NaN);
  const transactions = num(/number of transactions actually processed: (\d+)/);
  const failed = text.includes("number of failed transactions")
    ? num(/number of failed transactions: (\d+)/)
    : 0;
  if (!Number.isFinite(transactions)) throw new Error(`unexpected pgbench output:\n${text}`);

  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    const census = await invariantCensus(sql);
    const [inv] = await sql`select (select count(*)::int from public.carts) as carts,
      (select count(*)::int from public.location_queue) as entries`;
    const outcomes: Record<string, number> = {
      carts_completed:
        (await sql`select count(*)::int as n from public.carts where status = 'completed'`)[0].n,
      entries_removed:
        (await sql`select count(*)::int as n from public.location_queue where status = 'removed'`)[
          0
        ].n,
      entries_served:
        (await sql`select count(*)::int as n from public.location_queue where status = 'served'`)[0]
          .n,
      items: (await sql`select count(*)::int as n from public.cart_items`)[0].n,
    };
    return {
      transactions,
      failedTransactions: failed,
      seconds,
      clients,
      outcomes,
      carts: inv.carts,
      queueEntries: inv.entries,
      duplicateActiveCarts: violationsOf(census, "I1"),
      duplicateOpenEntries: violationsOf(census, "I3"),
      openEntriesWithInactiveCart: violationsOf(census, "I4"),
      invariantViolations: totalViolations(census),
    };
  } finally {
    await sql.end();
  }
}

/** One line per figure, for the benchmark's output. */
export function formatStress(r: StressResult): string {
  return [
    `stress: ${r.clients} clients, ${r.seconds} s, ${r.transactions} operations (${
      (r.transactions / r.seconds).toFixed(0)
    }/s), ${r.failedTransactions} failed`,
    `  rows: ${r.carts} carts, ${r.queueEntries} queue entries, ${JSON.stringify(r.outcomes)}`,
    `  duplicates found: ${r.duplicateActiveCarts} customer+location pairs with >1 active cart, ` +
    `${r.duplicateOpenEntries} customers with >1 open entry at a location, ` +
    `${r.openEntriesWithInactiveCart} open entries without their active cart, ` +
    `${r.invariantViolations} invariant violations in all`,
  ].join("\n");
}

if (import.meta.main) {
  const arg = (name: string, fallback: number) => {
    const i = Deno.args.indexOf(`--${name}`);
    return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
  };
  const infoPath = Deno.env.get("POSCART_STACK_INFO");
  const pg = infoPath
    ? undefined
    : await startPostgres({ port: Number(Deno.env.get("POSCART_DB_PORT") ?? 54329) });
  try {
    const adminUrl = infoPath ? JSON.parse(await Deno.readTextFile(infoPath)).dbUrl : pg!.dbUrl;
    if (pg) await applyBase(adminUrl);
    const r = await runStress({
      adminUrl,
      seconds: arg("seconds", 30),
      clients: arg("clients", 64),
      customers: arg("customers", 8),
      locations: arg("locations", 2),
    });
    console.log(formatStress(r));
    const bad = r.invariantViolations + r.failedTransactions;
    if (bad > 0) Deno.exitCode = 1;
  } finally {
    await pg?.stop();
  }
}
