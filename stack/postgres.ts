// The local stack's throwaway PostgreSQL, built the way a Supabase project's database is:
// initdb into a temporary directory with `supabase_admin` as the cluster's superuser, start
// it on 127.0.0.1 (with pg_cron preloaded), apply the Supabase base
// (stack/sql/supabase_base.sql) as `supabase_admin`, then the project's migrations
// (supabase/migrations/, in name order) as `postgres`, which is not a superuser. Also creates
// extra databases for tests, and removes everything on stop. Does I/O (processes, files).
// Never part of the deployed bundle.
//
// Run as main (`deno run -A stack/postgres.ts`) it starts a cluster on POSCART_DB_PORT
// (default 54322), applies base + migrations, writes the db fields of the stack info file
// when POSCART_STACK_INFO is set, and serves until Ctrl-C.

const HERE = new URL(".", import.meta.url);
const ROOT = new URL("../", HERE);

/** Default location of the base SQL and of the migrations, relative to the repository. */
export const BASE_SQL = new URL("sql/supabase_base.sql", HERE).pathname;
export const MIGRATIONS_DIR = new URL("supabase/migrations", ROOT).pathname;

export interface PostgresOptions {
  /** TCP port on 127.0.0.1 (default: POSCART_DB_PORT or 54322). */
  port?: number;
  /** Directory of initdb/pg_ctl/postgres (default: PG_BIN or the newest /usr/lib/postgresql/N/bin). */
  pgBin?: string;
  /** Data directory to create (default: a fresh temporary directory). Removed on stop. */
  dataDir?: string;
  /** Extra `postgresql.conf` settings, appended after the defaults. */
  settings?: Record<string, string | number>;
}

export interface RunningPostgres {
  /** `postgresql://postgres:postgres@127.0.0.1:<port>/postgres` (not a superuser). */
  dbUrl: string;
  /** The same database as the cluster's superuser `supabase_admin`. */
  superUrl: string;
  pgData: string;
  pgBin: string;
  port: number;
  /** Restart the server (`fast` shuts down cleanly, `immediate` simulates a crash). */
  restart(mode?: "fast" | "immediate"): Promise<void>;
  /** Stop the server and remove its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** Settings of the throwaway cluster: logical decoding for Realtime, room for 64+ clients. */
const DEFAULT_SETTINGS: Record<string, string | number> = {
  listen_addresses: "'127.0.0.1'",
  wal_level: "logical",
  max_replication_slots: 10,
  max_wal_senders: 10,
  max_connections: 300,
  shared_buffers: "'128MB'",
  timezone: "'UTC'",
  log_timezone: "'UTC'",
  // fsync off: a throwaway cluster need not survive a machine crash. Commits stay
  // synchronous as on Supabase, so logical decoding sees a change once its call has answered.
  fsync: "off",
  synchronous_commit: "on",
  full_page_writes: "off",
  log_min_messages: "warning",
  log_min_error_statement: "panic",
  // pg_cron, as Supabase ships it: jobs of the `postgres` database run in-process.
  shared_preload_libraries: "'pg_cron'",
  "cron.database_name": "'postgres'",
  "cron.use_background_workers": "on",
  max_worker_processes: 32,
};

/** The cluster's superuser (as on Supabase); `postgres` is an ordinary role of the base. */
export const SUPERUSER = "supabase_admin";

/** `url` with the user and password of another role (same host, port and database). */
export function urlAs(url: string, user: string, password = "postgres"): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
}

/** Finds the PostgreSQL server binaries. */
export function findPgBin(explicit?: string): string {
  if (explicit) return explicit;
  const fromEnv = Deno.env.get("PG_BIN");
  if (fromEnv) return fromEnv;
  const versions: number[] = [];
  try {
    for (const entry of Deno.readDirSync("/usr/lib/postgresql")) {
      const n = Number(entry.name);
      if (Number.isInteger(n)) versions.push(n);
    }
  } catch {
    // no Debian layout; fall through
  }
  if (versions.length === 0) {
    throw new Error("PostgreSQL server binaries not found: set PG_BIN (directory of initdb)");
  }
  return `/usr/lib/postgresql/${Math.max(...versions)}/bin`;
}

/** initdb and postgres refuse to run as root: when we are root, run them as `postgres`. */
function serverUser(): { prefix: string[]; uid?: number; gid?: number } {
  if (Deno.uid() !== 0) return { prefix: [] };
  const out = new Deno.Command("id", { args: ["-u", "postgres"], stdout: "piped" }).outputSync();
  const uid = Number(new TextDecoder().decode(out.stdout).trim());
  const g = new Deno.Command("id", { args: ["-g", "postgres"], stdout: "piped" }).outputSync();
  const gid = Number(new TextDecoder().decode(g.stdout).trim());
  if (!out.success || !Number.isInteger(uid)) {
    throw new Error("running as root needs an OS user 'postgres' to own the cluster");
  }
  return { prefix: ["runuser", "-u", "postgres", "--"], uid, gid };
}

async function run(cmd: string[], what: string): Promise<string> {
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${what} failed (exit ${out.code}):\n${text}`);
  return text;
}

/** Starts a fresh PostgreSQL cluster; the caller must `stop()` it. */
export async function startPostgres(options: PostgresOptions = {}): Promise<RunningPostgres> {
  const pgBin = findPgBin(options.pgBin);
  const port = options.port ?? Number(Deno.env.get("POSCART_DB_PORT") ?? 54322);
  const user = serverUser();
  const root = options.dataDir ?? await Deno.makeTempDir({ prefix: "poscart-pg-" });
  await Deno.mkdir(root, { recursive: true });
  const pgData = `${root}/data`;
  const socketDir = `${root}/socket`;
  const pwFile = `${root}/pwfile`;
  await Deno.mkdir(socketDir, { recursive: true });
  await Deno.writeTextFile(pwFile, "postgres\n");
  if (user.uid !== undefined) {
    for (const p of [root, socketDir, pwFile]) await Deno.chown(p, user.uid, user.gid!);
  }

  const logFile = `${root}/postgres.log`;
  const pgCtl = (args: string[]) => [...user.prefix, `${pgBin}/pg_ctl`, "-D", pgData, ...args];
  let stopped = false;
  try {
    await run([
      ...user.prefix,
      `${pgBin}/initdb`,
      "-D",
      pgData,
      "-U",
      SUPERUSER,
      `--pwfile=${pwFile}`,
      "--auth-local=trust",
      "--auth-host=scram-sha-256",
      "--encoding=UTF8",
      "--locale=C",
      "--no-sync",
    ], "initdb");
    const settings = {
      ...DEFAULT_SETTINGS,
      port,
      unix_socket_directories: `'${socketDir}'`,
      ...options.settings,
    };
    const conf = Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join("\n");
    await Deno.writeTextFile(
      `${pgData}/postgresql.conf`,
      `\n# poscart throwaway cluster\n${conf}\n`,
      {
        append: true,
      },
    );
    await run(pgCtl(["-l", logFile, "-w", "-t", "60", "start"]), "pg_ctl start");
    await applyBase(`postgresql://${SUPERUSER}:postgres@127.0.0.1:${port}/postgres`);
  } catch (error) {
    await run(pgCtl(["-w", "-t", "60", "-m", "immediate", "stop"]), "pg_ctl stop").catch(() => {});
    const log = await Deno.readTextFile(logFile).catch(() => "");
    await Deno.remove(root, { recursive: true }).catch(() => {});
    throw new Error(`${(error as Error).message}\n${log}`);
  }

  const dbUrl = `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`;
  return {
    dbUrl,
    superUrl: urlAs(dbUrl, SUPERUSER),
    pgData,
    pgBin,
    port,
    async restart(mode = "fast") {
      await run(pgCtl(["-l", logFile, "-w", "-t", "60", "-m", mode, "restart"]), "pg_ctl restart");
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await run(pgCtl(["-w", "-t", "60", "-m", "fast", "stop"]), "pg_ctl stop").catch(() => {});
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}

/** How a migration runner sends a file: as one batch that runs as one implicit transaction
 * (the Supabase CLI; a file of one statement runs outside a transaction block), statement by
 * statement, each committing on its own (`psql -f`), or inside a transaction the runner opens
 * around the file (`psql --single-transaction`). */
export type FileMode = "transaction" | "statements" | "wrapped";

/** Runs one SQL file with psql the way `mode` says (by default in one transaction psql opens
 * around it); throws with psql's message. */
export async function runSqlFile(
  dbUrl: string,
  file: string,
  mode: FileMode = "wrapped",
): Promise<void> {
  // The CLI's batch: the whole file in one query message (psql -c), one implicit transaction.
  const source = mode === "transaction"
    ? ["-c", await Deno.readTextFile(file)]
    : [...(mode === "wrapped" ? ["--single-transaction"] : []), "-f", file];
  const out = await new Deno.Command("psql", {
    args: [dbUrl, "-X", "-q", "-v", "ON_ERROR_STOP=1", ...source],
    stdout: "piped",
    stderr: "piped",
    env: { PGCONNECT_TIMEOUT: "10", PGOPTIONS: "-c client_min_messages=warning" },
  }).output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim();
    throw new Error(`${file}: ${err}`);
  }
}

/** Applies what a Supabase database has before any project migration, as the superuser, to
 * the database `dbUrl` names (whatever its user). Idempotent. */
export async function applyBase(dbUrl: string, file = BASE_SQL): Promise<void> {
  await runSqlFile(urlAs(dbUrl, SUPERUSER), file);
}

/** Whether a migration file is a statement that cannot run inside a transaction block
 * (`create index concurrently` and its kin). The Supabase CLI runs such a statement on its
 * own, outside a transaction; the file holds that one statement alone. */
export function isNonTransactional(sql: string): boolean {
  const code = sql.replace(/--[^\n]*/g, "").trim();
  return /^(create\s+(unique\s+)?index|drop\s+index|reindex\s+\w+)\s+concurrently\b/i.test(code);
}

/** The migration files of `dir`, in name order. */
export function migrationFiles(dir = MIGRATIONS_DIR): string[] {
  return [...Deno.readDirSync(dir)]
    .filter((e) => e.isFile && e.name.endsWith(".sql"))
    .map((e) => e.name)
    .sort()
    .map((name) => `${dir}/${name}`);
}

/** Applies every migration of `dir` in name order as the URL's user (`postgres`): each file
 * as one batch as the Supabase CLI does (a file holding a concurrent index build runs on its
 * own), or as `mode` says: statement by statement (`psql -f`), or each file wrapped in a
 * transaction (`psql --single-transaction`).
 * Stops on the first error, naming the file. Returns the files applied. */
export async function applyMigrations(
  dbUrl: string,
  dir = MIGRATIONS_DIR,
  mode: FileMode = "transaction",
): Promise<string[]> {
  const files = migrationFiles(dir);
  for (const file of files) {
    const own = isNonTransactional(await Deno.readTextFile(file)) ? "statements" : mode;
    await runSqlFile(dbUrl, file, own);
  }
  return files;
}

/** Creates database `name` (dropping any previous one) with the Supabase base applied, and
 * returns its URL for the same user as `adminUrl`. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid database name: ${name}`);
  const superUrl = urlAs(adminUrl, SUPERUSER);
  for (const sql of [`drop database if exists ${name} with (force)`, `create database ${name}`]) {
    await run(["psql", superUrl, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], sql);
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await applyBase(url.toString());
  return url.toString();
}

if (import.meta.main) {
  const pg = await startPostgres();
  let exiting = false;
  const shutdown = async () => {
    if (exiting) return;
    exiting = true;
    await pg.stop();
    Deno.exit(0);
  };
  try {
    await applyBase(pg.dbUrl);
    const files = await applyMigrations(pg.dbUrl);
    console.log(`postgres ready: ${pg.dbUrl} (data ${pg.pgData}, ${files.length} migrations)`);
    const infoPath = Deno.env.get("POSCART_STACK_INFO");
    if (infoPath) {
      const info = { dbUrl: pg.dbUrl, pgData: pg.pgData, pgBin: pg.pgBin, dbPort: pg.port };
      await Deno.writeTextFile(infoPath, JSON.stringify(info, null, 2) + "\n");
    }
  } catch (error) {
    console.error((error as Error).message);
    await pg.stop();
    Deno.exit(1);
  }
  Deno.addSignalListener("SIGINT", shutdown);
  Deno.addSignalListener("SIGTERM", shutdown);
  await new Promise(() => {});
}
