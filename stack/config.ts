// What the local stack reads from `supabase/config.toml`: each function's `verify_jwt`
// (default true), `entrypoint` and `import_map`, as the Supabase CLI interprets them
// (paths relative to the `supabase/` directory), `[api] max_rows` and what the local Auth
// reads of `[auth]`. Reads one file.
import { parse } from "smol-toml";

export interface FunctionConfig {
  name: string;
  enabled: boolean;
  verifyJwt: boolean;
  /** Absolute path of the entry point. */
  entrypoint: string;
  /** Absolute path of the import map / deno.json, when configured or present. */
  importMap: string | null;
}

/** The `supabase/` directory of this repository. */
export const SUPABASE_DIR = new URL("../supabase", import.meta.url).pathname;

function resolve(base: string, path: string): string {
  return path.startsWith("/") ? path : `${base}/${path.replace(/^\.\//, "")}`;
}

/** `config.toml` of `supabaseDir`, parsed; empty when there is no such file. */
function readConfig(supabaseDir: string): Record<string, unknown> {
  try {
    return parse(Deno.readTextFileSync(`${supabaseDir}/config.toml`));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return {};
    throw e;
  }
}

/** The configuration of function `name` (defaults when the section is absent). */
export function functionConfig(name: string, supabaseDir = SUPABASE_DIR): FunctionConfig {
  const functions = (readConfig(supabaseDir).functions ?? {}) as Record<
    string,
    Record<string, unknown>
  >;
  const section = functions[name] ?? {};
  const entrypoint = resolve(
    supabaseDir,
    typeof section.entrypoint === "string" ? section.entrypoint : `functions/${name}/index.ts`,
  );
  let importMap: string | null = typeof section.import_map === "string"
    ? resolve(supabaseDir, section.import_map)
    : `${supabaseDir}/functions/${name}/deno.json`;
  try {
    Deno.statSync(importMap);
  } catch {
    importMap = null;
  }
  return {
    name,
    enabled: section.enabled !== false,
    verifyJwt: section.verify_jwt !== false,
    entrypoint,
    importMap,
  };
}

/** `[api] max_rows` of `config.toml`: the most rows a read or an RPC answers (PostgREST's
 * db-max-rows; the Supabase CLI's default, 1000, when the setting or the file is absent). */
export function apiMaxRows(supabaseDir = SUPABASE_DIR): number {
  const maxRows = (readConfig(supabaseDir).api as Record<string, unknown> | undefined)?.max_rows;
  return typeof maxRows === "number" && Number.isInteger(maxRows) && maxRows > 0 ? maxRows : 1000;
}

export interface AuthConfig {
  jwtExpiry: number;
  enableSignup: boolean;
  enableAnonymous: boolean;
}

/** `[auth]` of `config.toml`, with the Supabase CLI's defaults (3600 s, sign-ups open,
 * anonymous sign-ins off). */
export function authConfig(supabaseDir = SUPABASE_DIR): AuthConfig {
  const auth = (readConfig(supabaseDir).auth ?? {}) as Record<string, unknown>;
  const expiry = auth.jwt_expiry;
  return {
    jwtExpiry: typeof expiry === "number" && Number.isInteger(expiry) && expiry > 0 ? expiry : 3600,
    enableSignup: auth.enable_signup !== false,
    enableAnonymous: auth.enable_anonymous_sign_ins === true,
  };
}

/** Parses a dotenv file (`KEY=value`, `#` comments, optional quotes). */
export function parseDotenv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2];
    const quoted = /^(['"])(.*)\1$/.exec(value);
    value = quoted ? quoted[2] : value.replace(/\s+#.*$/, "");
    env[m[1]] = value;
  }
  return env;
}
