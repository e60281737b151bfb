// Runs the local stack for the benchmark in its own process (so the load generator in
// bench/run.ts does not share an event loop with the gateway, the PostgREST stand-in and
// the function host). Serves the product's function `cart` plus the two benchmark
// fixtures `cart-ts` and `cart-seed-original` side by side on one gateway and one
// database (the stack's function host serves any `supabase/functions/<name>/index.ts`
// it is asked for; the fixtures are not in supabase/config.toml, so they are never
// deployed, and get the host's defaults: verify_jwt on). Writes the stack info file once
// ready; the stack stops everything on SIGTERM/SIGINT.
//
// Env: BENCH_STACK_INFO (required), BENCH_API_PORT (56421), BENCH_DB_PORT (56422),
// BENCH_STACK_FUNCTIONS (comma-separated, default "cart,cart-ts,cart-seed-original").
import { startStack } from "../stack/mod.ts";

const infoFile = Deno.env.get("BENCH_STACK_INFO");
if (!infoFile) throw new Error("BENCH_STACK_INFO is not set");

await startStack({
  apiPort: Number(Deno.env.get("BENCH_API_PORT") ?? 56421),
  dbPort: Number(Deno.env.get("BENCH_DB_PORT") ?? 56422),
  faults: false,
  functions: (Deno.env.get("BENCH_STACK_FUNCTIONS") ?? "cart,cart-ts,cart-seed-original")
    .split(","),
  functionLogs: "file",
  infoFile,
  handleSignals: true,
});
await new Promise(() => {});
