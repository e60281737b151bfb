// Starts the local stack in a process of its own - the dev command, stack/dev.ts, with its
// settings as environment variables - and waits until its stack info file is written. For a
// program that needs a stack beside it without sharing its event loop (the benchmark's load
// generator, the soak). The dev command, the test command (scripts/test) and this all start the
// stack the same way. `stop()` ends the process group and removes the log and info file.
// Does I/O (a process, files).
import type { StackInfo } from "./mod.ts";

export interface LaunchOptions {
  apiPort: number;
  dbPort: number;
  /** Functions to serve (POSCART_FUNCTIONS; default just `cart`). */
  functions?: string[];
  /** The fault proxy in front of PostgREST (POSCART_FAULTS=1). */
  faults?: boolean;
  /** Apply supabase/seed.sql (default false: callers make their own fixtures). */
  seed?: boolean;
  /** Function output into the stack's log files instead of the stack's output. */
  functionLogsToFile?: boolean;
  /** How long start-up may take (default 180 s). */
  timeoutMs?: number;
}

export interface LaunchedStack {
  info: StackInfo;
  /** The stack info file, for other processes (POSCART_STACK_INFO; removed by stop()). */
  infoFile: string;
  /** The file the stack's output goes to (removed by stop()). */
  logFile: string;
  stop(): Promise<void>;
}

const ROOT = new URL("../", import.meta.url).pathname;

/** Fails early, with a clear message, when a port the stack needs is taken. */
function assertPortFree(port: number, what: string) {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
  } catch {
    throw new Error(`port ${port} (${what}) is in use: stop what uses it or choose another`);
  }
}

export async function launchStack(options: LaunchOptions): Promise<LaunchedStack> {
  assertPortFree(options.apiPort, "gateway");
  assertPortFree(options.dbPort, "database");
  const dir = await Deno.makeTempDir({ prefix: "poscart-launch-" });
  const infoFile = `${dir}/stack.json`;
  const logFile = `${dir}/stack.log`;
  const log = await Deno.open(logFile, { write: true, create: true });
  // setsid: the stack and everything it starts form a group of their own, ended together.
  const child = new Deno.Command("setsid", {
    args: [Deno.execPath(), "run", "-A", "stack/dev.ts"],
    cwd: ROOT,
    env: {
      POSCART_API_PORT: String(options.apiPort),
      POSCART_DB_PORT: String(options.dbPort),
      POSCART_STACK_INFO: infoFile,
      POSCART_FUNCTIONS: (options.functions ?? ["cart"]).join(","),
      POSCART_FAULTS: options.faults ? "1" : "0",
      POSCART_SEED: options.seed ? "1" : "0",
      POSCART_FUNCTION_LOGS: options.functionLogsToFile ? "file" : "stdout",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const pump = Promise.all([
    child.stdout.pipeTo(log.writable, { preventClose: true }),
    child.stderr.pipeTo(log.writable, { preventClose: true }),
  ]).catch(() => {});
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const signal = (name: Deno.Signal) => {
    try {
      Deno.kill(-child.pid, name);
    } catch { /* already gone */ }
  };
  let stopping: Promise<void> | undefined;
  const stop = () =>
    stopping ??= (async () => {
      if (!exited) {
        // The stack stops what it started on SIGTERM; whatever is left after 15 s is killed.
        signal("SIGTERM");
        const timer = setTimeout(() => signal("SIGKILL"), 15_000);
        await status;
        clearTimeout(timer);
      }
      signal("SIGKILL");
      await pump;
      try {
        log.close();
      } catch { /* closed */ }
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    })();

  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  while (Date.now() < deadline && !exited) {
    // The dev command writes the file under another name and renames it: it is whole once here.
    const text = await Deno.readTextFile(infoFile).catch(() => "");
    if (text) return { info: JSON.parse(text) as StackInfo, infoFile, logFile, stop };
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, 200));
  const tail = (await Deno.readTextFile(logFile).catch(() => "")).split("\n").slice(-40).join("\n");
  await stop();
  throw new Error(
    `the local stack did not start${exited ? "" : " in time"}:\n${tail}`,
  );
}
