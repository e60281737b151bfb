// Starts "PostgREST" for the local stack: the real binary when one is available
// (POSTGREST_BIN or `postgrest` on PATH), else the stand-in. Both are configured the same
// way (authenticator connection, schema public, anon role, the JWT secret).
import { LOCAL_JWT_SECRET } from "../jwt.ts";
import { freePort } from "../wait.ts";
import { findPostgrestBinary, startRealPostgrest } from "./real.ts";
import { type RunningPostgrest, startStandIn } from "./server.ts";

export type { RunningPostgrest } from "./server.ts";

export interface PostgrestOptions {
  /** Database URL as `authenticator`. */
  dbUri: string;
  port?: number;
  jwtSecret?: string;
  /** Force the stand-in even when a real binary exists. */
  standIn?: boolean;
  logFile?: string;
  /** db-max-rows (default: no limit). */
  maxRows?: number;
}

/** `postgresql://authenticator:postgres@host:port/db` from a superuser URL. */
export function authenticatorUrl(dbUrl: string, password = "postgres"): string {
  const url = new URL(dbUrl);
  url.username = "authenticator";
  url.password = password;
  return url.toString();
}

export async function startPostgrest(options: PostgrestOptions): Promise<RunningPostgrest> {
  const jwtSecret = options.jwtSecret ?? LOCAL_JWT_SECRET;
  const bin = options.standIn ? null : findPostgrestBinary();
  if (bin) {
    return await startRealPostgrest({
      bin,
      dbUri: options.dbUri,
      port: options.port || freePort(),
      jwtSecret,
      logFile: options.logFile,
      maxRows: options.maxRows,
    });
  }
  return await startStandIn({
    dbUri: options.dbUri,
    port: options.port ?? 0,
    jwtSecret,
    maxRows: options.maxRows,
  });
}
