// Test support: how a test reaches the running local stack.
// The test command starts one stack and names its info file in POSCART_STACK_INFO
// (see docs/architecture.md, "Stack info file"). Starts nothing; `setFault` drives the
// fault proxy in front of PostgREST when the stack runs with faults on.
import postgres from "postgres";
import type { FaultSnapshot } from "../../stack/faults.ts";
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

/** A fault for the fault proxy (docs/architecture.md, "Fault injection"). */
export type FaultSpec =
  | { mode: "off" }
  | { mode: "status"; status: number; code?: string; message?: string; count: number }
  | { mode: "status"; status: number; code?: string; message?: string; durationMs: number }
  | { mode: "drop" | "drop_after_commit"; count: number }
  | { mode: "drop" | "drop_after_commit"; durationMs: number };

function faultUrl(): string {
  const url = stackInfo().faultUrl;
  if (!url) throw new Error("the stack runs without faults: start it with POSCART_FAULTS=1");
  return url;
}

/** Sets the proxy's fault; throws when the stack runs without faults. Returns its state. */
export async function setFault(spec: FaultSpec): Promise<FaultSnapshot> {
  const res = await fetch(faultUrl(), { method: "POST", body: JSON.stringify(spec) });
  const state = await res.json();
  if (!res.ok) throw new Error(`fault proxy refused ${JSON.stringify(spec)}: ${state.message}`);
  return state;
}

/** The proxy's current fault state (the fault in force, uses left, uses of the last one set). */
export async function faultState(): Promise<FaultSnapshot> {
  const res = await fetch(faultUrl());
  if (!res.ok) throw new Error(`fault proxy answered ${res.status}`);
  return await res.json();
}
