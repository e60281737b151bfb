// Test support: how a test reaches the running local stack.
// The test command starts one stack and names its info file in POSCART_STACK_INFO
// (see docs/architecture.md, "Stack info file"). Starts nothing; `setFault` drives the
// PostgREST stand-in's fault hook when the stack runs with faults on.
import postgres from "postgres";
import type { StackInfo } from "../../stack/mod.ts";
export type { StackInfo };

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

/** A fault for the PostgREST stand-in (docs/architecture.md, "PostgREST stand-in fault hook"). */
export type FaultSpec =
  | { mode: "off" }
  | { mode: "status"; status: number; code?: string; message?: string; count: number }
  | { mode: "status"; status: number; code?: string; message?: string; durationMs: number }
  | { mode: "drop" | "drop_after_commit"; count: number }
  | { mode: "drop" | "drop_after_commit"; durationMs: number };

/** Sets the stand-in's fault; throws when the stack runs without faults. Returns its state. */
export async function setFault(spec: FaultSpec): Promise<Record<string, unknown>> {
  const url = stackInfo().faultUrl;
  if (!url) throw new Error("the stack runs without faults: start it with POSCART_FAULTS=1");
  const res = await fetch(url, { method: "POST", body: JSON.stringify(spec) });
  const state = await res.json();
  if (!res.ok) throw new Error(`fault hook refused ${JSON.stringify(spec)}: ${state.message}`);
  return state;
}
