// The dev command (`deno task dev`, `scripts/dev`), and the one way the stack is started: the
// test command (scripts/test) and the benchmark (through stack/launch.ts) run it too. Settings:
// POSCART_API_PORT / POSCART_DB_PORT (defaults 54321 / 54322), the fault proxy when
// POSCART_FAULTS=1, the functions served from POSCART_FUNCTIONS (comma-separated, default
// `cart`; the benchmark adds its comparison functions), their output into log files of the stack
// when POSCART_FUNCTION_LOGS=file, supabase/seed.sql applied unless POSCART_SEED=0, the stack
// info file written to POSCART_STACK_INFO when set. Prints the URLs and keys and a
// ready-to-paste request, and serves until Ctrl-C or SIGTERM, then stops everything it started.
import { DEMO_KEY_EXP, signJwt } from "./jwt.ts";
import { startStack } from "./mod.ts";
import { runSqlFile } from "./postgres.ts";

function envPort(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  if (!raw) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a TCP port, got ${raw}`);
  }
  return port;
}

let stack;
try {
  stack = await startStack({
    apiPort: envPort("POSCART_API_PORT", 54321),
    dbPort: envPort("POSCART_DB_PORT", 54322),
    faults: Deno.env.get("POSCART_FAULTS") === "1",
    infoFile: Deno.env.get("POSCART_STACK_INFO") || undefined,
    functions: (Deno.env.get("POSCART_FUNCTIONS") || "cart").split(","),
    functionLogs: Deno.env.get("POSCART_FUNCTION_LOGS") === "file" ? "file" : "stdout",
  });
} catch (e) {
  console.error(`the local stack did not start: ${(e as Error).message}`);
  Deno.exit(1);
}
const { info } = stack;
// Demo data, as `supabase db reset` applies it: the example request below uses its ids.
// The test command turns it off (POSCART_SEED=0): tests make their own fixtures.
const seeded = Deno.env.get("POSCART_SEED") !== "0";
if (seeded) await runSqlFile(info.dbUrl, new URL("../supabase/seed.sql", import.meta.url).pathname);
const demo = {
  store: "5a1e5000-0000-4000-8000-000000000001",
  location: "10ca7100-0000-4000-8000-000000000001",
  customer: "c0570000-0000-4000-8000-000000000001",
};
// A user token for trying the function by hand (a real app sends its session's token). Access
// is default-deny: the token is granted the demo store by its app_metadata.store_ids claim.
const devUserId = "00000000-0000-4000-8000-000000000001";
const userToken = await signJwt({
  iss: "supabase-demo",
  sub: devUserId,
  aud: "authenticated",
  role: "authenticated",
  exp: DEMO_KEY_EXP,
  app_metadata: { store_ids: [demo.store] },
}, info.jwtSecret);

console.log(`
Local Supabase-compatible stack is running.

         API URL: ${info.apiUrl}
  Functions URL: ${info.apiUrl}/functions/v1
        REST URL: ${info.apiUrl}/rest/v1  (${info.postgrestKind} at ${info.postgrestUrl})
          DB URL: ${info.dbUrl}
      JWT secret: ${info.jwtSecret}
        anon key: ${info.anonKey}
service_role key: ${info.serviceRoleKey}
 publishable key: ${info.publishableKey}  (the CLI's; stands for the anon key)
      secret key: ${info.secretKey}  (stands for the service_role key)${
  info.faultUrl ? `\n       fault URL: ${info.faultUrl}` : ""
}
      migrations: ${info.migrations.length} applied${
  seeded ? ", demo data from supabase/seed.sql" : ""
}
 dev user token: ${userToken}
                  (role authenticated, sub ${devUserId})

Try it:

curl -sS -X POST '${info.apiUrl}/functions/v1/cart' \\
  -H 'apikey: ${info.anonKey}' \\
  -H 'Authorization: Bearer ${userToken}' \\
  -H 'Content-Type: application/json' \\
  -d '{"action":"get","store_id":"${demo.store}","location_id":"${demo.location}","customer_id":"${demo.customer}"}'

Live queue board of the demo location (signed in as the dev user), open in a browser:

${info.boardUrl}#location=${demo.location}&key=${info.anonKey}&token=${userToken}

Press Ctrl-C to stop.`);

// Serve until a signal: startStack stops everything on SIGINT/SIGTERM and exits.
await new Promise(() => {});
