// Cold-start probe, run by bench/run.ts in a FRESH Deno process per sample. It loads the
// real function module (supabase/functions/cart/index.ts) the way a new edge worker does
// and times, from the moment the shim starts reading the wasm bytes, to the first handled
// request (a real `get` of an existing cart against the running stack). Deno.serve and
// Deno.readFile are wrapped before the import: the first to capture the handler without
// opening a port, the second to timestamp the read of the .wasm. A second request gives
// the warm latency of the same worker for comparison. Also times compiling and
// instantiating the wasm bytes alone (imports stubbed). Prints one JSON line.
//
// Arguments (env): PROBE_MODULE (path of the shim), PROBE_WASM (path of the .wasm),
// PROBE_BODY (JSON request body), PROBE_AUTH (Authorization header), PROBE_APIKEY.

type Handler = (req: Request) => Response | Promise<Response>;

const modulePath = Deno.env.get("PROBE_MODULE")!;
const wasmPath = Deno.env.get("PROBE_WASM")!;
const body = Deno.env.get("PROBE_BODY")!;
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

const call = async () => {
  const res = await handler!(
    new Request("http://localhost/functions/v1/cart", { method: "POST", headers, body }),
  );
  const text = await res.text();
  if (res.status !== 200) throw new Error(`first request answered ${res.status}: ${text}`);
};
await call();
const firstAt = performance.now();
await call();
const warmMs = performance.now() - firstAt;

// The wasm bytes alone: compile and instantiate with stubbed imports.
const bytes = await realReadFile(wasmPath);
const c0 = performance.now();
const module = new WebAssembly.Module(bytes);
const c1 = performance.now();
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
let instantiateMs = NaN;
try {
  new WebAssembly.Instance(module, imports as WebAssembly.Imports);
  instantiateMs = performance.now() - c1;
} catch {
  // stubs did not satisfy the imports: leave instantiate unmeasured
}

console.log(JSON.stringify({
  readToFirstResponseMs: firstAt - (Number.isNaN(wasmReadAt) ? importAt : wasmReadAt),
  wasmReadSeen: !Number.isNaN(wasmReadAt),
  importMs: importedAt - importAt,
  importToFirstResponseMs: firstAt - importAt,
  warmRequestMs: warmMs,
  compileMs: c1 - c0,
  instantiateMs,
}));
Deno.exit(0);
