// The long soak (not part of the test command): 64 supabase-js clients hammer the function
// through the gateway for a configurable duration on a tiny key space (2 locations, 4
// customers, 2 anonymous devices), mixing get, add_to_queue, remove_from_queue, call, serve
// and complete_cart, while the database's invariants are checked every few seconds. Reports
// operations done, statuses by action, latency, and duplicates found (must be 0).
//
//   deno run -A bench/soak.ts [--duration 60] [--clients 64]
//
// It starts its own local stack (stack/launch.ts) on ports 56321/56322 unless
// POSCART_STACK_INFO names the info file of a running one. Exits 1 when a duplicate, a
// 5xx other than 503, or a call without an answer was seen.
import { launchStack } from "../stack/launch.ts";
import { type InvariantReport, invariantReport } from "../tests/_support/census.ts";
import { addLocation, newStore } from "../tests/_support/fixtures.ts";
import {
  adminSql,
  call,
  type CallResult,
  posClient,
  seededRandom,
  sleep,
  userJwt,
} from "../tests/e2e/_lib.ts";

function flag(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  const raw = i >= 0 ? Deno.args[i + 1] : Deno.env.get(`POSCART_SOAK_${name.toUpperCase()}`);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}

const DURATION_S = flag("duration", 60);
const CLIENTS = flag("clients", 64);
const CALL_BUDGET_MS = 30_000;

let stopStack: (() => Promise<void>) | undefined;
if (!Deno.env.get("POSCART_STACK_INFO")) {
  console.log("starting the local stack ...");
  const stack = await launchStack({
    apiPort: 56321,
    dbPort: 56322,
    functionLogsToFile: true,
  });
  Deno.env.set("POSCART_STACK_INFO", stack.infoFile);
  stopStack = stack.stop;
}

const sql = adminSql();
let exitCode = 0;
try {
  const a = await newStore(sql, { customers: 4 });
  const locations = [a.locationId, await addLocation(sql, a.storeId)];
  const customers = a.customerIds;
  const devices = ["till-1", "till-2"];
  const clients = await Promise.all(
    Array.from(
      { length: CLIENTS },
      async () => posClient(await userJwt({ storeIds: [a.storeId] })),
    ),
  );

  const byAction = new Map<string, Record<string, number>>();
  const latencies: number[] = [];
  let operations = 0;
  const record = (action: string, res: CallResult) => {
    operations++;
    latencies.push(res.ms);
    const counts = byAction.get(action) ?? {};
    counts[res.status] = (counts[res.status] ?? 0) + 1;
    byAction.set(action, counts);
  };
  const samples: InvariantReport[] = [];
  let running = true;

  const lane = async (client: ReturnType<typeof posClient>, index: number) => {
    const random = seededRandom(1000 + index);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
    while (running) {
      const location_id = pick(locations);
      const customer_id = pick(customers);
      const r = random();
      let action: string;
      let body: Record<string, unknown>;
      if (r < 0.35) [action, body] = ["get", { action: "get", location_id, customer_id }];
      else if (r < 0.45) {
        [action, body] = ["get(device)", {
          action: "get",
          location_id,
          device_id: pick(devices),
        }];
      } else if (r < 0.7) {
        [action, body] = ["add_to_queue", { action: "add_to_queue", location_id, customer_id }];
      } else if (r < 0.8) {
        [action, body] = ["remove_from_queue", {
          action: "remove_from_queue",
          location_id,
          customer_id,
        }];
      } else if (r < 0.9) {
        const step = pick(["call", "serve"]);
        [action, body] = [step, { action: step, location_id, customer_id }];
      } else {
        // Checkout of the customer's current cart (fetched first, as a till would).
        const got = await call(client, { action: "get", location_id, customer_id }, {
          timeoutMs: CALL_BUDGET_MS,
        });
        record("get", got);
        if (got.status !== 200) continue;
        [action, body] = ["complete_cart", { action: "complete_cart", cart_id: got.body.cart.id }];
      }
      record(action, await call(client, body, { timeoutMs: CALL_BUDGET_MS }));
    }
  };

  console.log(
    `soak: ${CLIENTS} clients for ${DURATION_S} s on 2 locations x 4 customers + 2 devices`,
  );
  const started = performance.now();
  const lanes = clients.map(lane);
  const deadline = started + DURATION_S * 1000;
  while (performance.now() < deadline) {
    await sleep(Math.min(5000, Math.max(0, deadline - performance.now())));
    const report = await invariantReport(sql);
    samples.push(report);
    console.log(
      `  ${((performance.now() - started) / 1000).toFixed(0)} s: ${operations} operations, ` +
        `violations ${JSON.stringify(report)}`,
    );
  }
  running = false;
  await Promise.all(lanes);
  const seconds = (performance.now() - started) / 1000;
  const final = await invariantReport(sql);
  samples.push(final);

  latencies.sort((x, y) => x - y);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  const all: Record<string, number> = {};
  for (const counts of byAction.values()) {
    for (const [s, n] of Object.entries(counts)) all[s] = (all[s] ?? 0) + n;
  }
  const duplicates = Math.max(
    ...samples.map((s) =>
      s.duplicateCustomerCarts + s.duplicateDeviceCarts + s.duplicateOpenEntries
    ),
  );
  const orphans = Math.max(...samples.map((s) => s.openEntriesWithoutActiveCart));
  const [rows] = await sql`
    select (select count(*) from public.carts where location_id = any(${locations}::uuid[]))::int
             as carts,
           (select count(*) from public.location_queue
             where location_id = any(${locations}::uuid[]))::int as entries`;

  console.log(`\nsoak result (${new Date().toISOString()})`);
  console.log(`  clients            ${CLIENTS}`);
  console.log(`  duration           ${seconds.toFixed(1)} s`);
  console.log(`  operations         ${operations} (${(operations / seconds).toFixed(0)}/s)`);
  console.log(`  statuses           ${JSON.stringify(all)}`);
  for (const [action, counts] of [...byAction.entries()].sort()) {
    console.log(`    ${action.padEnd(18)} ${JSON.stringify(counts)}`);
  }
  console.log(
    `  latency ms         p50 ${q(0.5).toFixed(1)}  p95 ${q(0.95).toFixed(1)}  p99 ${
      q(0.99).toFixed(1)
    }  max ${latencies[latencies.length - 1].toFixed(1)}`,
  );
  console.log(`  rows               ${rows.carts} carts, ${rows.entries} queue entries`);
  console.log(`  invariant checks   ${samples.length}`);
  console.log(`  duplicates found   ${duplicates}`);
  console.log(`  open entries without an active cart  ${orphans}`);

  const serverErrors = Object.entries(all)
    .filter(([s]) => s === "0" || (Number(s) >= 500 && s !== "503"))
    .reduce((n, [, c]) => n + c, 0);
  console.log(`  5xx (not 503) or no answer           ${serverErrors}`);
  if (duplicates > 0 || orphans > 0 || serverErrors > 0) exitCode = 1;
} finally {
  await sql.end();
  if (stopStack) await stopStack();
}
Deno.exit(exitCode);
