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

/**
 * Copies a stream to `out` in whole lines: each chunk's complete lines go out in one call, and
 * a partial last line waits for its end. The gateway serves requests in this same process, so
 * forwarding does one scan for the last newline and one write per chunk, not a decoding stream
 * and a write per line.
 */
export async function forwardLines(
  stream: ReadableStream<Uint8Array>,
  out: (lines: Uint8Array) => void,
): Promise<void> {
  let pending: Uint8Array | null = null;
  for await (const chunk of stream) {
    const end = chunk.lastIndexOf(10) + 1;
    if (end === 0) {
      pending = pending ? concat(pending, chunk) : chunk.slice();
      continue;
    }
    out(pending ? concat(pending, chunk.subarray(0, end)) : chunk.subarray(0, end));
    pending = end < chunk.length ? chunk.slice(end) : null;
  }
  if (pending) out(concat(pending, NEWLINE));
}

const NEWLINE = new Uint8Array([10]);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/** A sink for `forwardLines` that writes each line with `prefix` through `write`. */
export function prefixedLines(prefix: string, write: (text: string) => void) {
  const decoder = new TextDecoder();
  return (lines: Uint8Array) => {
    // Newline-terminated: dropping the last "\n" leaves exactly the lines.
    const text = decoder.decode(lines.subarray(0, lines.length - 1));
    write(prefix + text.replaceAll("\n", `\n${prefix}`));
  };
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
  const prefix = `[fn:${options.name}] `;
  const toFile = (lines: Uint8Array) => {
    // Whole lines in one append: lines of stdout and stderr never interleave mid-line.
    for (let n = 0; n < lines.length;) n += log!.writeSync(lines.subarray(n));
  };
  const forwarding = Promise.all([
    forwardLines(child.stdout, log ? toFile : prefixedLines(prefix, console.log)),
    forwardLines(child.stderr, log ? toFile : prefixedLines(prefix, console.error)),
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
