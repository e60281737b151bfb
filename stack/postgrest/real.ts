// Runs the real PostgREST binary in place of the stand-in, when one is available
// (`POSTGREST_BIN`, or `postgrest` on PATH), with the stand-in's configuration: db-uri as
// `authenticator`, db-schemas public, db-anon-role anon, the JWT secret. Does I/O
// (process).
import type { RunningPostgrest } from "./server.ts";
import { waitForHttp } from "../wait.ts";

/** Path of a real PostgREST binary, or null. */
export function findPostgrestBinary(): string | null {
  const explicit = Deno.env.get("POSTGREST_BIN");
  if (explicit) return explicit;
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      const path = `${dir}/postgrest`;
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not in this directory
    }
  }
  return null;
}

export interface RealPostgrestOptions {
  bin: string;
  dbUri: string;
  port: number;
  jwtSecret: string;
  /** db-tx-end (default "commit"). */
  txEnd?: string;
  /** db-max-rows (default: no limit). */
  maxRows?: number;
  /** Where its output goes (default: inherited). */
  logFile?: string;
}

/** Starts the real PostgREST and waits until it answers HTTP. */
export async function startRealPostgrest(options: RealPostgrestOptions): Promise<RunningPostgrest> {
  const log = options.logFile
    ? await Deno.open(options.logFile, { create: true, append: true })
    : null;
  const child = new Deno.Command(options.bin, {
    env: {
      PGRST_DB_URI: options.dbUri,
      PGRST_DB_SCHEMAS: "public",
      PGRST_DB_EXTRA_SEARCH_PATH: "public,extensions",
      PGRST_DB_ANON_ROLE: "anon",
      PGRST_JWT_SECRET: options.jwtSecret,
      PGRST_SERVER_HOST: "127.0.0.1",
      PGRST_SERVER_PORT: String(options.port),
      PGRST_DB_POOL: "10",
      PGRST_DB_TX_END: options.txEnd ?? "commit",
      ...(options.maxRows ? { PGRST_DB_MAX_ROWS: String(options.maxRows) } : {}),
    },
    stdin: "null",
    stdout: log ? "piped" : "inherit",
    stderr: log ? "piped" : "inherit",
  }).spawn();
  if (log) {
    child.stdout.pipeTo(log.writable, { preventClose: true }).catch(() => {});
    child.stderr.pipeTo(log.writable, { preventClose: true }).catch(() => {});
  }
  const url = `http://127.0.0.1:${options.port}`;
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    await child.status;
    log?.close();
  };
  try {
    await waitForHttp(`${url}/`, 30_000, child.status);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, kind: "postgrest", stop };
}
