// Test support: how a test reaches the running local stack.
// The test command starts one stack and names its info file in POSCART_STACK_INFO
// (see docs/architecture.md, "Stack info file"). Reads only; starts nothing.
import postgres from "postgres";

export interface StackInfo {
  apiUrl: string;
  dbUrl: string;
  postgrestUrl: string;
  faultUrl: string;
  anonKey: string;
  serviceRoleKey: string;
  jwtSecret: string;
  pgData: string;
  pgBin: string;
  dbPort: number;
}

let cached: StackInfo | undefined;

/** The running stack's info; throws with a clear message when no stack is running. */
export function stackInfo(): StackInfo {
  if (cached) return cached;
  const path = Deno.env.get("POSCART_STACK_INFO");
  if (!path) {
    throw new Error(
      "POSCART_STACK_INFO is not set: run the tests through scripts/test, which starts the local stack",
    );
  }
  cached = JSON.parse(Deno.readTextFileSync(path)) as StackInfo;
  return cached;
}

/** A superuser connection to the stack's database (for fixtures and invariant checks). */
export function adminSql(options: postgres.Options<Record<string, never>> = {}) {
  return postgres(stackInfo().dbUrl, { max: 4, onnotice: () => {}, ...options });
}
