// The local function host: runs one edge function (`supabase/functions/<name>/index.ts`) in
// its own Deno process on a private port, with the environment the Supabase edge runtime
// injects (SUPABASE_URL, SUPABASE_ANON_KEY, SUPABASE_SERVICE_ROLE_KEY, SUPABASE_DB_URL,
// plus supabase/functions/.env), forwards its output line by line with a prefix or into a
// log file, and stops it. Does I/O (process, files).
import { parseDotenv } from "./config.ts";
import { freePort } from "./wait.ts";

export interface FunctionHostOptions {
  name: string;
  /** Absolute path of the entry point. */
  entrypoint: string;
  /** deno.json / import map for the function, if any. */
  importMap?: string | null;
  /** Env injected into the function (the SUPABASE_* variables). */
  env: Record<string, string>;
  /** A dotenv file added to the env when it exists (supabase/functions/.env). */
  dotenvFile?: string;
  /** Port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** Write output to this file instead of this process's stdout/stderr. */
  logFile?: string;
  /** How long to wait for the function to listen. */
  startTimeoutMs?: number;
}

export interface RunningFunction {
  name: string;
  url: string;
  stop(): Promise<void>;
}

/** Copies a stream to `out`, line by line, each line prefixed. */
async function forwardLines(
  stream: ReadableStream<Uint8Array>,
  prefix: string,
  out: (line: string) => void,
): Promise<void> {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines) out(`${prefix}${line}`);
  }
  if (pending) out(`${prefix}${pending}`);
}

/** Waits until something listens on 127.0.0.1:port. */
async function waitForPort(port: number, timeoutMs: number, exited: Promise<Deno.CommandStatus>) {
  let gone: Deno.CommandStatus | null = null;
  exited.then((s) => (gone = s));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`exited with code ${(gone as Deno.CommandStatus).code} during start`);
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`did not listen on port ${port} within ${timeoutMs} ms`);
}

/** The Deno command line for a function: `deno serve` for `export default { fetch }`. */
function commandArgs(entrypoint: string, importMap: string | null | undefined, port: number) {
  const source = Deno.readTextFileSync(entrypoint);
  const usesDefaultExport = !source.includes("Deno.serve") && /export\s+default/.test(source);
  const config = importMap ? ["--config", importMap] : [];
  const perms = ["--allow-net", "--allow-env", "--allow-read"];
  return usesDefaultExport
    ? ["serve", ...perms, ...config, "--host", "127.0.0.1", "--port", String(port), entrypoint]
    : ["run", ...perms, ...config, entrypoint];
}

/** Starts the function and waits until it listens. */
export async function startFunction(options: FunctionHostOptions): Promise<RunningFunction> {
  const port = options.port ?? freePort();
  let dotenv: Record<string, string> = {};
  if (options.dotenvFile) {
    try {
      dotenv = parseDotenv(await Deno.readTextFile(options.dotenvFile));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: commandArgs(options.entrypoint, options.importMap, port),
    env: {
      ...dotenv,
      ...options.env,
      DENO_SERVE_ADDRESS: `tcp:127.0.0.1:${port}`,
      DENO_NO_UPDATE_CHECK: "1",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();

  const log = options.logFile
    ? await Deno.open(options.logFile, { create: true, append: true })
    : null;
  const encoder = new TextEncoder();
  const prefix = log ? "" : `[fn:${options.name}] `;
  const toOut = (line: string) =>
    log ? log.writeSync(encoder.encode(line + "\n")) : console.log(line);
  const toErr = (line: string) =>
    log ? log.writeSync(encoder.encode(line + "\n")) : console.error(line);
  const forwarding = Promise.all([
    forwardLines(child.stdout, prefix, toOut),
    forwardLines(child.stderr, prefix, toErr),
  ]).catch(() => {});

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      child.kill("SIGTERM");
    } catch {
      // already exited
    }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
    }, 3000);
    await child.status;
    clearTimeout(timer);
    await forwarding;
    log?.close();
  };
  try {
    await waitForPort(port, options.startTimeoutMs ?? 60_000, child.status);
  } catch (e) {
    await stop();
    throw new Error(`function ${options.name}: ${(e as Error).message}`);
  }
  return { name: options.name, url: `http://127.0.0.1:${port}`, stop };
}
