// Measurements made by bench/function_probe.ts, each sample a fresh Deno process: the cold
// start of the wasm function, and the CPU time per request of each function (ours and the
// TypeScript one, interleaved). Figures reported are medians over the samples. Also the size
// of the .wasm, raw and gzipped (level of the platform's CompressionStream, i.e. default
// gzip). Does I/O: processes, files.

export interface ColdStart {
  samples: number;
  /** median ms from the shim reading the .wasm bytes to the first handled request */
  readToFirstResponseMs: number;
  /** median ms from importing the function module to the first handled request */
  importToFirstResponseMs: number;
  /** median ms of the second request in the same fresh worker */
  warmRequestMs: number;
  /** median ms to compile the wasm bytes alone */
  compileMs: number;
  /** median ms to instantiate the compiled module alone (imports stubbed) */
  instantiateMs: number;
  /** median wall ms from spawning `deno` to the probe's exit (process start included) */
  processWallMs: number;
  wasmReadSeen: boolean;
  raw: Record<string, number>[];
}

export interface CpuSample {
  requests: number;
  /** CPU µs per request of the whole probe process (harness included) */
  totalUs: number;
  /** CPU µs per request of the harness alone (Request built, canned Response read) */
  harnessUs: number;
  /** totalUs - harnessUs: the function's own CPU per request, fetch and log line included */
  functionUs: number;
  /** wall ms per request */
  wallMs: number;
}

export interface CpuResult {
  /** function name (as in bench/run.ts) -> median over the samples */
  median: Record<string, CpuSample>;
  samples: Record<string, CpuSample[]>;
  requestsPerSample: number;
  warmup: number;
}

export interface WasmSize {
  rawBytes: number;
  gzipBytes: number;
}

export interface ProbeTarget {
  root: string;
  /** the function module, relative to root */
  module: string;
  /** the .wasm to compile alone ("" for none) */
  wasmPath: string;
  env: Record<string, string>;
  body: string;
  authorization: string;
  apikey: string;
}

const median = (values: number[]) => {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs the probe once in a fresh process; returns its JSON line and the wall time. */
async function runProbe(t: ProbeTarget, extra: Record<string, string> = {}) {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "bench/function_probe.ts"],
    cwd: t.root,
    env: {
      ...t.env,
      PROBE_MODULE: t.module,
      PROBE_WASM: t.wasmPath,
      PROBE_BODY: t.body,
      PROBE_AUTH: t.authorization,
      PROBE_APIKEY: t.apikey,
      ...extra,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const wall = performance.now() - t0;
  if (!out.success) {
    throw new Error(`function probe failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
  return { result: JSON.parse(text), wall };
}

export async function coldStart(t: ProbeTarget, samples: number): Promise<ColdStart> {
  const raw: Record<string, number>[] = [];
  let seen = true;
  for (let i = 0; i < samples; i++) {
    const { result, wall } = await runProbe(t);
    seen &&= result.wasmReadSeen;
    delete result.cpu;
    raw.push({ ...result, processWallMs: wall });
  }
  const m = (k: string) => median(raw.map((r) => Number(r[k])));
  return {
    samples,
    readToFirstResponseMs: m("readToFirstResponseMs"),
    importToFirstResponseMs: m("importToFirstResponseMs"),
    warmRequestMs: m("warmRequestMs"),
    compileMs: m("compileMs"),
    instantiateMs: m("instantiateMs"),
    processWallMs: m("processWallMs"),
    wasmReadSeen: seen,
    raw,
  };
}

/**
 * CPU per request of each target: `rounds` rounds, each running every target once in a fresh
 * process (order rotating per round, so drift on the machine falls on all alike).
 */
export async function cpuPerRequest(
  targets: Record<string, ProbeTarget>,
  o: { rounds: number; requests: number; warmup: number },
): Promise<CpuResult> {
  const names = Object.keys(targets);
  const samples: Record<string, CpuSample[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < o.rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length];
      const { result } = await runProbe({ ...targets[name], wasmPath: "" }, {
        PROBE_CPU_REQUESTS: String(o.requests),
        PROBE_CPU_WARMUP: String(o.warmup),
      });
      samples[name].push(result.cpu as CpuSample);
    }
  }
  const med = (xs: CpuSample[]): CpuSample => ({
    requests: xs[0].requests,
    totalUs: median(xs.map((x) => x.totalUs)),
    harnessUs: median(xs.map((x) => x.harnessUs)),
    functionUs: median(xs.map((x) => x.functionUs)),
    wallMs: median(xs.map((x) => x.wallMs)),
  });
  return {
    median: Object.fromEntries(names.map((n) => [n, med(samples[n])])),
    samples,
    requestsPerSample: o.requests,
    warmup: o.warmup,
  };
}

export async function wasmSize(path: string): Promise<WasmSize> {
  const bytes = await Deno.readFile(path);
  const gz = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  const gzBytes = new Uint8Array(await new Response(gz).arrayBuffer());
  return { rawBytes: bytes.length, gzipBytes: gzBytes.length };
}
