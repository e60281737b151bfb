// Probe of one function in a FRESH Deno process, run by bench/run.ts (through
// bench/lib/probe.ts). It loads a function module (the real
// supabase/functions/cart/index.ts, or the TypeScript comparison function) the way a new edge
// worker does, with Deno.serve and Deno.readFile wrapped before the import: the first to
// capture the handler without opening a port, the second to timestamp the read of the .wasm.
// Then, each request a real `get` of an existing cart against the running stack:
//
// - cold start: from the moment the shim starts reading the wasm bytes to the first handled
//   request, then a second (warm) request; and compiling + instantiating the wasm bytes
//   alone (imports stubbed), when PROBE_WASM is given;
// - CPU per request, when PROBE_CPU_REQUESTS > 0: after PROBE_CPU_WARMUP requests (JIT,
//   connection pool), the process's CPU time (user + system, `process.cpuUsage()`) over
//   PROBE_CPU_REQUESTS requests made one after another, minus the same loop with the handler
//   replaced by a canned answer (building the Request and reading the Response): what is
//   left is the function's own CPU per request, its fetch to PostgREST and its log line
//   included.
//
// Prints one JSON line. Arguments (env): PROBE_MODULE (path of the function module),
// PROBE_WASM (path of the .wasm, optional), PROBE_BODY (JSON request body), PROBE_AUTH
// (Authorization header), PROBE_APIKEY, PROBE_CPU_REQUESTS, PROBE_CPU_WARMUP.
import process from "node:process";

type Handler = (req: Request) => Response | Promise<Response>;

const modulePath = Deno.env.get("PROBE_MODULE")!;
const wasmPath = Deno.env.get("PROBE_WASM") ?? "";
const body = Deno.env.get("PROBE_BODY")!;
const cpuRequests = Number(Deno.env.get("PROBE_CPU_REQUESTS") ?? 0);
const cpuWarmup = Number(Deno.env.get("PROBE_CPU_WARMUP") ?? 500);
const headers = {
  "content-type": "application/json",
  authorization: Deno.env.get("PROBE_AUTH")!,
  apikey: Deno.env.get("PROBE_APIKEY")!,
};

let wasmReadAt = NaN;
const realReadFile = Deno.readFile;
// deno-lint-ignore no-explicit-any
(Deno as any).readFile = (path: string | URL, options?: Deno.ReadFileOptions) => {
  if (Number.isNaN(wasmReadAt) && String(path).endsWith(".wasm")) wasmReadAt = performance.now();
  return realReadFile(path, options);
};
let handler: Handler | undefined;
// deno-lint-ignore no-explicit-any
(Deno as any).serve = (...args: unknown[]) => {
  const fn = args.find((a) => typeof a === "function") as Handler | undefined;
  const opts = args.find((a) => a && typeof a === "object") as { handler?: Handler } | undefined;
  handler = fn ?? opts?.handler;
  return { finished: Promise.resolve(), shutdown: async () => {}, ref() {}, unref() {} };
};

const importAt = performance.now();
const mod = await import(new URL(modulePath, `file://${Deno.cwd()}/`).href);
const importedAt = performance.now();
if (!handler && typeof mod.default?.fetch === "function") {
  handler = (req) => mod.default.fetch(req);
}
if (!handler) throw new Error("the function module registered no handler");

/** One request through `serve`, read to the end; fails unless it answers 200. */
const call = async (serve: Handler) => {
  const res = await serve(
    new Request("http://localhost/functions/v1/cart", { method: "POST", headers, body }),
  );
  const text = await res.text();
  if (res.status !== 200) throw new Error(`request answered ${res.status}: ${text}`);
  return text;
};
const answer = await call(handler);
const firstAt = performance.now();
await call(handler);
const warmMs = performance.now() - firstAt;

/** CPU microseconds per request of `serve`, over `n` requests made one after another. */
const cpuPerRequest = async (serve: Handler, n: number) => {
  const wallStart = performance.now();
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) await call(serve);
  const used = process.cpuUsage(start);
  return { cpuUs: (used.user + used.system) / n, wallMs: (performance.now() - wallStart) / n };
};
let cpu = null;
if (cpuRequests > 0) {
  for (let i = 0; i < cpuWarmup; i++) await call(handler);
  const canned: Handler = () =>
    new Response(answer, { headers: { "content-type": "application/json" } });
  for (let i = 0; i < cpuWarmup; i++) await call(canned);
  const fn = await cpuPerRequest(handler, cpuRequests);
  const harness = await cpuPerRequest(canned, cpuRequests);
  cpu = {
    requests: cpuRequests,
    totalUs: fn.cpuUs,
    harnessUs: harness.cpuUs,
    functionUs: fn.cpuUs - harness.cpuUs,
    wallMs: fn.wallMs,
  };
}

// The wasm bytes alone: compile and instantiate with stubbed imports.
let compileMs = NaN, instantiateMs = NaN;
if (wasmPath) {
  const bytes = await realReadFile(wasmPath);
  const c0 = performance.now();
  const module = new WebAssembly.Module(bytes);
  const c1 = performance.now();
  compileMs = c1 - c0;
  const imports: Record<string, Record<string, unknown>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    imports[imp.module] ??= {};
    imports[imp.module][imp.name] = imp.kind === "function"
      ? () => {
        throw new Error("stub");
      }
      : imp.kind === "table"
      ? new WebAssembly.Table(
        { initial: 128, element: "externref" } as unknown as WebAssembly.TableDescriptor,
      )
      : imp.kind === "memory"
      ? new WebAssembly.Memory({ initial: 17 })
      : new WebAssembly.Global({ value: "i32", mutable: true }, 0);
  }
  try {
    new WebAssembly.Instance(module, imports as WebAssembly.Imports);
    instantiateMs = performance.now() - c1;
  } catch {
    // stubs did not satisfy the imports: leave instantiate unmeasured
  }
}

console.log(JSON.stringify({
  readToFirstResponseMs: firstAt - (Number.isNaN(wasmReadAt) ? importAt : wasmReadAt),
  wasmReadSeen: !Number.isNaN(wasmReadAt),
  importMs: importedAt - importAt,
  importToFirstResponseMs: firstAt - importAt,
  warmRequestMs: warmMs,
  compileMs,
  instantiateMs,
  cpu,
}));
Deno.exit(0);
