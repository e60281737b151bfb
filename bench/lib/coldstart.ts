// Cold start of the wasm function and its size. Each sample is a fresh Deno process
// running bench/cold_start_probe.ts (see there for what is timed); the figures reported
// are medians over the samples. The size is the .wasm raw and gzipped (level of the
// platform's CompressionStream, i.e. default gzip). Does I/O: processes, files.

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

export interface WasmSize {
  rawBytes: number;
  gzipBytes: number;
}

const median = (values: number[]) => {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function coldStart(o: {
  root: string;
  samples: number;
  wasmPath: string;
  env: Record<string, string>;
  body: string;
  authorization: string;
  apikey: string;
}): Promise<ColdStart> {
  const raw: Record<string, number>[] = [];
  let seen = true;
  for (let i = 0; i < o.samples; i++) {
    const t0 = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "bench/cold_start_probe.ts"],
      cwd: o.root,
      env: {
        ...o.env,
        PROBE_MODULE: "supabase/functions/cart/index.ts",
        PROBE_WASM: o.wasmPath,
        PROBE_BODY: o.body,
        PROBE_AUTH: o.authorization,
        PROBE_APIKEY: o.apikey,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const wall = performance.now() - t0;
    const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
    if (!out.success) {
      throw new Error(`cold start probe failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    const r = JSON.parse(text);
    seen &&= r.wasmReadSeen;
    raw.push({ ...r, processWallMs: wall });
  }
  const m = (k: string) => median(raw.map((r) => Number(r[k])));
  return {
    samples: o.samples,
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

export async function wasmSize(path: string): Promise<WasmSize> {
  const bytes = await Deno.readFile(path);
  const gz = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  const gzBytes = new Uint8Array(await new Response(gz).arrayBuffer());
  return { rawBytes: bytes.length, gzipBytes: gzBytes.length };
}
