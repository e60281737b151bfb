// The benchmark's results shape and its Markdown rendering: figures, ratios ours/TS,
// duplicates, the database floor, cold start and size, each with its target and whether
// it is met. Pure; returns text.
import type { FloorResult } from "./floor.ts";
import type { ColdStart, CpuResult, WasmSize } from "./probe.ts";
import { fmt, mean, ratio } from "./stats.ts";

export interface CellResult {
  fn: string;
  workload: string;
  concurrency: number;
  requests: number;
  throughput: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  errors: number;
  errorKinds: Record<string, number>;
  /** answers that said `created: true` (warm-up included) */
  created: number;
  /** extra active carts per customer+location found in the database afterwards */
  duplicateCarts: number;
  /** extra open queue entries per customer+location found afterwards */
  duplicateEntries: number;
  /** keys whose requests were answered with more than one cart id */
  splitAnswers: number;
}

export interface Results {
  date: string;
  machine: { cores: number; memoryGiB: number | null; deno: string; postgres: string };
  config: Record<string, unknown>;
  functions: { name: string; slug: string; label: string }[];
  cells: CellResult[];
  wrappedPools: string[];
  floor: FloorResult | null;
  cold: ColdStart | null;
  size: WasmSize | null;
  cpu: CpuResult | null;
}

/** The latency target: p50 ours/TS at most this, in every cell. */
export const P50_RATIO_TARGET = 0.95;

const mark = (ok: boolean) => (ok ? "met" : "**missed**");

export function renderMarkdown(r: Results): string {
  const label = (fn: string) => r.functions.find((f) => f.name === fn)?.label ?? fn;
  const lines: string[] = [];
  const c = r.config as Record<string, unknown>;
  lines.push(`## Benchmark results, ${r.date.slice(0, 16).replace("T", " ")} UTC`);
  lines.push("");
  lines.push(
    `Machine: ${r.machine.cores} cores, ${
      r.machine.memoryGiB ?? "?"
    } GiB; Deno ${r.machine.deno}, ` +
      `PostgreSQL ${r.machine.postgres}; load generator, gateway, stand-in, function host and ` +
      `database all on this machine. ${c.quick ? "**Quick run** (--quick): " : ""}` +
      `${c.seconds} s measured per cell in ${c.rounds} interleaved round(s), ` +
      `${c.warmupMs} ms warm-up per slice excluded.`,
  );
  lines.push("");
  lines.push("### Latency and throughput through the gateway");
  lines.push("");
  lines.push(
    "| function | workload | clients | req/s | p50 ms | p95 ms | p99 ms | errors | duplicate carts | duplicate queue entries |",
  );
  lines.push("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const x of r.cells) {
    lines.push(
      `| ${label(x.fn)} | ${x.workload} | ${x.concurrency} | ${fmt(x.throughput, 0)} | ${
        fmt(x.p50)
      } | ` +
        `${fmt(x.p95)} | ${
          fmt(x.p99)
        } | ${x.errors} | ${x.duplicateCarts} | ${x.duplicateEntries} |`,
    );
  }
  lines.push("");
  lines.push("### Ours vs the idiomatic TypeScript function (same run, interleaved)");
  lines.push("");
  lines.push(
    `| workload | clients | p50 ours/TS | target <= ${P50_RATIO_TARGET} | throughput ours/TS | ` +
      "p50 added over direct RPC: ours | TS |",
  );
  lines.push("|---|---:|---:|---|---:|---:|---:|");
  const cell = (fn: string, w: string, n: number) =>
    r.cells.find((x) => x.fn === fn && x.workload === w && x.concurrency === n);
  const workloads = [...new Set(r.cells.map((x) => x.workload))];
  const concs = [...new Set(r.cells.map((x) => x.concurrency))];
  for (const w of workloads) {
    for (const n of concs) {
      const a = cell("ours", w, n), b = cell("ts", w, n), d = cell("rpc", w, n);
      if (!a || !b) continue;
      const p = ratio(a.p50, b.p50);
      const over = (x: CellResult) => (d ? `${fmt(x.p50 - d.p50)} ms` : "n/a");
      lines.push(
        `| ${w} | ${n} | ${fmt(p)} | ${mark(p <= P50_RATIO_TARGET)} | ` +
          `${fmt(ratio(a.throughput, b.throughput))} | ${over(a)} | ${over(b)} |`,
      );
    }
  }
  lines.push("");
  lines.push("### Duplicates created (database census after the load)");
  lines.push("");
  lines.push(
    "| function | duplicate active carts | duplicate open queue entries | keys answered with 2+ cart ids | target |",
  );
  lines.push("|---|---:|---:|---:|---|");
  for (const f of r.functions) {
    const xs = r.cells.filter((x) => x.fn === f.name);
    const carts = xs.reduce((s, x) => s + x.duplicateCarts, 0);
    const entries = xs.reduce((s, x) => s + x.duplicateEntries, 0);
    const split = xs.reduce((s, x) => s + x.splitAnswers, 0);
    const target = f.name === "seed"
      ? "baseline (expected > 0)"
      : `0: ${mark(carts + entries === 0)}`;
    lines.push(`| ${f.label} | ${carts} | ${entries} | ${split} | ${target} |`);
  }
  if (r.wrappedPools.length) {
    lines.push("");
    lines.push(
      `Fresh-key pools wrapped (some "creates" re-used keys): ${r.wrappedPools.join(", ")}.`,
    );
  }
  lines.push("");
  if (r.floor) floorTables(r.floor, lines);
  if (r.cpu) cpuTable(r.cpu, lines);
  if (!r.cold || !r.size) return lines.join("\n") + "\n";
  lines.push("### Cold start and size of the wasm function");
  lines.push("");
  const kb = (b: number) => (b / 1024).toFixed(1);
  const inst = r.cold.compileMs + r.cold.instantiateMs;
  lines.push("| figure | value | target |");
  lines.push("|---|---:|---|");
  lines.push(`| wasm size raw | ${kb(r.size.rawBytes)} KiB | |`);
  lines.push(
    `| wasm size gzipped | ${kb(r.size.gzipBytes)} KiB | <= 100 KB: ${
      mark(r.size.gzipBytes <= 100_000)
    } |`,
  );
  lines.push(
    `| compile + instantiate the wasm bytes (median of ${r.cold.samples}) | ${
      fmt(inst)
    } ms | <= 5 ms: ${mark(inst <= 5)} |`,
  );
  lines.push(`| of which instantiate alone | ${fmt(r.cold.instantiateMs)} ms | |`);
  lines.push(
    `| wasm bytes read -> first handled request, fresh process${
      r.cold.wasmReadSeen ? "" : " (read not seen: from import)"
    } | ` +
      `${fmt(r.cold.readToFirstResponseMs)} ms | |`,
  );
  lines.push(
    `| module import -> first handled request | ${fmt(r.cold.importToFirstResponseMs)} ms | |`,
  );
  lines.push(`| second (warm) request in the same process | ${fmt(r.cold.warmRequestMs)} ms | |`);
  lines.push(
    `| process spawn -> probe exit (Deno start included) | ${fmt(r.cold.processWallMs, 0)} ms | |`,
  );
  lines.push("");
  return lines.join("\n") + "\n";
}

function floorTables(floor: FloorResult, lines: string[]) {
  lines.push("### Database floor (pgbench, alternating rounds, same clients)");
  lines.push("");
  lines.push(
    "| clients | get_or_create_cart (existing) tps | bare indexed select tps | ratio (median of rounds) | target >= 0.9 |",
  );
  lines.push("|---:|---:|---:|---:|---|");
  for (const f of floor.pgbench) {
    lines.push(
      `| ${f.clients} | ${fmt(mean(f.tps.get), 0)} | ${fmt(mean(f.tps.select), 0)} | ` +
        `${fmt(f.ratio)} | ${mark(f.ratio >= 0.9)} |`,
    );
  }
  lines.push("");
  lines.push(
    "As PostgREST runs them (as `authenticator`, the request's settings and claims applied, RLS on):",
  );
  lines.push("");
  lines.push(
    "| clients | POST /rpc/get_or_create_cart (existing) tps | GET /carts?customer_id=eq..&location_id=eq..&status=eq.active tps | ratio (median of rounds) | target >= 1.0 |",
  );
  lines.push("|---:|---:|---:|---:|---|");
  for (const f of floor.pgbench) {
    lines.push(
      `| ${f.clients} | ${fmt(mean(f.tps.api_get), 0)} | ${fmt(mean(f.tps.api_read), 0)} | ` +
        `${fmt(f.apiRatio)} | ${mark(f.apiRatio >= 1)} |`,
    );
  }
  lines.push("");
  lines.push(
    "Where the difference is, same run: the GET's read made through an RPC (`read_cart`), then " +
      "that RPC answering `{cart, created}` as `get_or_create_cart` does (`read_cart_answer`; " +
      "both in `bench/lib/floor.ts`), each called as PostgREST calls `get_or_create_cart`. " +
      "Ratios of the mean tps over the rounds: the three multiply to get_or_create_cart / GET " +
      `(${
        floor.pgbench.map((f) => fmt(mean(f.tps.api_get) / mean(f.tps.api_read))).join(" and ")
      }).`,
  );
  lines.push("");
  lines.push(
    "| clients | read_cart tps | read_cart_answer tps | PostgREST's RPC call shape: read_cart / GET | the answer's JSON: read_cart_answer / read_cart | get_or_create_cart's own logic: get_or_create_cart / read_cart_answer |",
  );
  lines.push("|---:|---:|---:|---:|---:|---:|");
  for (const f of floor.pgbench) {
    lines.push(
      `| ${f.clients} | ${fmt(mean(f.tps.api_rpc_read), 0)} | ` +
        `${fmt(mean(f.tps.api_rpc_answer), 0)} | ${fmt(f.rpcShapeRatio)} | ` +
        `${fmt(f.answerRatio)} | ${fmt(f.logicRatio)} |`,
    );
  }
  lines.push("");
  lines.push(
    "`add_item` (one more of a product on the cart) as PostgREST runs it, without and with an " +
      "`Idempotency-Key` (a new key per request, stored with the answer):",
  );
  lines.push("");
  lines.push(
    "| clients | POST /rpc/add_item tps | p50 ms | with Idempotency-Key tps | p50 ms | ratio with/without (median of rounds) |",
  );
  lines.push("|---:|---:|---:|---:|---:|---:|");
  for (const f of floor.pgbench) {
    lines.push(
      `| ${f.clients} | ${fmt(mean(f.tps.api_add_item), 0)} | ${fmt(f.latencyMs.api_add_item)} | ` +
        `${fmt(mean(f.tps.api_add_item_key), 0)} | ${fmt(f.latencyMs.api_add_item_key)} | ` +
        `${fmt(f.keyRatio)} |`,
    );
  }
  lines.push("");
  lines.push("| repeat gets of one existing cart | calls | rows written | WAL bytes | target |");
  lines.push("|---|---:|---:|---:|---|");
  for (const w of floor.rowsWritten) {
    const target = w.variant.startsWith("ours") ? `0: ${mark(w.rowsWritten === 0)}` : "reference";
    lines.push(`| ${w.variant} | ${w.calls} | ${w.rowsWritten} | ${w.walBytes} | ${target} |`);
  }
  lines.push("");
}

function cpuTable(cpu: CpuResult, lines: string[]) {
  const { ours, ts } = cpu.median;
  lines.push("### CPU per request (fresh process per sample, interleaved)");
  lines.push("");
  lines.push(
    `Each sample: one function module loaded as an edge worker loads it, ${cpu.warmup} warm-up ` +
      `gets, then ${cpu.requestsPerSample} gets of an existing cart one after another against ` +
      `the stack; process CPU (user + system) minus the same loop with a canned answer. ` +
      `Median of ${cpu.samples.ours.length} samples.`,
  );
  lines.push("");
  lines.push(
    "| function | CPU per request | of which harness | function's own | wall per request |",
  );
  lines.push("|---|---:|---:|---:|---:|");
  for (const [name, x] of [["ours (Rust/wasm)", ours], ["TypeScript + supabase-js", ts]] as const) {
    lines.push(
      `| ${name} | ${fmt(x.totalUs, 0)} us | ${fmt(x.harnessUs, 0)} us | ${
        fmt(x.functionUs, 0)
      } us | ${fmt(x.wallMs)} ms |`,
    );
  }
  lines.push("");
  lines.push(
    `Function's own CPU ours/TS: ${fmt(ratio(ours.functionUs, ts.functionUs))} ` +
      `(target < 1: ${mark(ours.functionUs < ts.functionUs)}).`,
  );
  lines.push("");
}
