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

/** A new superuser connection pool to the stack's database; the caller ends it. */
export function adminSql(options: postgres.Options<Record<string, never>> = {}) {
  return postgres(stackInfo().dbUrl, { max: 4, onnotice: () => {}, ...options });
}
export type Sql = ReturnType<typeof adminSql>;

let shared: Sql | undefined;

/** The one superuser pool of this test process (for fixtures and invariant checks), made on
 * first use and never ended: the test runner exits with it open, and a pool cut off by a
 * database restart reconnects on its next query. */
export function sharedSql(): Sql {
  return shared ??= adminSql();
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

/**
 * `pg_ctl restart -m fast` of the stack's cluster, as the OS user that owns it; returns how long
 * it took (ms). The shared pool's connections die with the server: it is ended, and the next
 * `sharedSql()` opens a new one.
 */
export async function restartPostgres(): Promise<number> {
  const { pgBin, pgData } = stackInfo();
  const prefix = Deno.uid() === 0 ? ["runuser", "-u", "postgres", "--"] : [];
  const logFile = `${pgData.replace(/\/data\/?$/, "")}/postgres.log`;
  const cmd = [...prefix, `${pgBin}/pg_ctl`, "-D", pgData, "-l", logFile, "-w", "-t", "60"];
  const started = performance.now();
  const out = await new Deno.Command(cmd[0], {
    args: [...cmd.slice(1), "-m", "fast", "restart"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`pg_ctl restart failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  const ms = performance.now() - started;
  const old = shared;
  shared = undefined;
  await old?.end({ timeout: 1 }).catch(() => {});
  return ms;
}
