// Runs the local stack for the benchmark in its own process (so the load generator in
// bench/run.ts does not share an event loop with the gateway, the PostgREST stand-in and
// the function host). Serves the product's function `cart` plus the two benchmark
// fixtures `cart-ts` and `cart-seed-original` side by side on one gateway and one
// database, writes the stack info file once ready, and stops everything on SIGTERM/SIGINT.
//
// Env: BENCH_API_PORT (56321), BENCH_DB_PORT (56322), BENCH_STACK_INFO (required).
import { startStack } from "../stack/mod.ts";

const infoFile = Deno.env.get("BENCH_STACK_INFO");
if (!infoFile) throw new Error("BENCH_STACK_INFO is not set");

const stack = await startStack({
  apiPort: Number(Deno.env.get("BENCH_API_PORT") ?? 56321),
  dbPort: Number(Deno.env.get("BENCH_DB_PORT") ?? 56322),
  faults: false,
  functions: ["cart", "cart-ts", "cart-seed-original"],
  infoFile,
});

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await stack.stop();
  Deno.exit(0);
};
Deno.addSignalListener("SIGTERM", stop);
Deno.addSignalListener("SIGINT", stop);
await new Promise(() => {});
