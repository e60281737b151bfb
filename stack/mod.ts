// The local stack, assembled: throwaway PostgreSQL with the Supabase base and the project's
// migrations, PostgREST (stand-in, or the real binary when available), with faults on the
// fault proxy in front of it, the function host for each requested function, the local
// Realtime (stack/realtime/), the queue board's pages, and the gateway on the API port;
// writes the stack info file
// (docs/architecture.md, "Stack info file"). `stop()` stops everything it started, in
// reverse order, and removes its temporary directory. Does I/O (processes, files).
import { startAuth } from "./auth.ts";
import { apiMaxRows, authConfig, functionConfig, SUPABASE_DIR } from "./config.ts";
import { type RunningFaultProxy, startFaultProxy } from "./faults.ts";
import { type RunningFunction, startFunction } from "./functions.ts";
import { type GatewayFunction, type RunningGateway, startGateway } from "./gateway.ts";
import {
  demoKey,
  LOCAL_JWT_SECRET,
  LOCAL_PUBLISHABLE_KEY,
  LOCAL_SECRET_KEY,
  opaqueKeys,
} from "./jwt.ts";
import { applyBase, applyMigrations, startPostgres } from "./postgres.ts";
import { authenticatorUrl, type RunningPostgrest, startPostgrest } from "./postgrest/mod.ts";
import { type RunningRealtime, startRealtime } from "./realtime/mod.ts";
import { serveBoard } from "./board.ts";

export interface StackOptions {
  /** Gateway port (default 54321). */
  apiPort?: number;
  /** PostgreSQL port (default 54322). */
  dbPort?: number;
  /** Put the fault proxy (stack/faults.ts) between the gateway and PostgREST. */
  faults?: boolean;
  /** Functions to serve (default ["cart"]). */
  functions?: string[];
  /** Write the stack info JSON here once ready. */
  infoFile?: string;
  /** Apply supabase/migrations (default true). */
  migrations?: boolean;
  /** Function output into a log file in the stack's directory instead of stdout. */
  functionLogs?: "stdout" | "file";
  /** Stop everything on SIGINT/SIGTERM, then exit (default true). */
  handleSignals?: boolean;
  /** The Supabase project directory (config.toml, functions/, migrations/); default ./supabase. */
  supabaseDir?: string;
  /** Serve the local Realtime at /realtime/v1/websocket (default true). */
  realtime?: boolean;
}

/** The stack info file's content. */
export interface StackInfo {
  apiUrl: string;
  dbUrl: string;
  postgrestUrl: string;
  faultUrl: string | null;
  anonKey: string;
  serviceRoleKey: string;
  /** The CLI's local opaque keys, accepted wherever the anon and service_role keys are. */
  publishableKey: string;
  secretKey: string;
  jwtSecret: string;
  pgData: string;
  pgBin: string;
  dbPort: number;
  /** "stand-in" or "postgrest". */
  postgrestKind: string;
  functions: Record<string, string>;
  migrations: string[];
  /** `ws://.../realtime/v1/websocket`, or null without Realtime. */
  realtimeUrl: string | null;
  /** The live queue board's page (board/). */
  boardUrl: string;
}

export interface RunningStack {
  info: StackInfo;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const apiPort = options.apiPort ?? 54321;
  const names = options.functions ?? ["cart"];
  const supabaseDir = options.supabaseDir ?? SUPABASE_DIR;
  const migrationsDir = `${supabaseDir}/migrations`;
  const stops: (() => Promise<void>)[] = [];
  const workDir = await Deno.makeTempDir({ prefix: "poscart-stack-" });
  stops.push(() => Deno.remove(workDir, { recursive: true }).catch(() => {}));
  let stopping: Promise<void> | null = null;
  // A signal during start-up lets the step under way finish (a process or directory it
  // creates is only known to `stops` once it returns), makes the next checkpoint throw, and
  // stops everything once start-up has given up: nothing is left behind, not even the
  // cluster directory of an initdb that was interrupted.
  let signalled = false;
  let starting: Promise<unknown> = Promise.resolve();
  const checkpoint = () => {
    if (signalled) throw new Error("stopped by a signal during start-up");
  };
  const onSignal = () => {
    // Once stopping, a further signal (a task runner passing its own Ctrl-C on, a second
    // Ctrl-C) is ignored: the listeners stay until everything has stopped, so it cannot end
    // the process half way and leave the database running.
    if (signalled) return;
    console.log("\nstopping the local stack ...");
    signalled = true;
    starting.catch(() => {}).then(stop).finally(() => Deno.exit(0));
  };
  const stop = () => {
    if (!stopping) {
      stopping = (async () => {
        for (const s of stops.reverse()) await s().catch((e) => console.error(e));
        if (options.handleSignals !== false) {
          Deno.removeSignalListener("SIGINT", onSignal);
          Deno.removeSignalListener("SIGTERM", onSignal);
        }
      })();
    }
    return stopping;
  };
  if (options.handleSignals !== false) {
    Deno.addSignalListener("SIGINT", onSignal);
    Deno.addSignalListener("SIGTERM", onSignal);
  }

  const start = async (): Promise<RunningStack> => {
    // The cluster's directory is made here and its removal registered first, so that it goes
    // even when start-up is stopped inside initdb.
    const pgDir = await Deno.makeTempDir({ prefix: "poscart-pg-" });
    stops.push(() => Deno.remove(pgDir, { recursive: true }).catch(() => {}));
    const pg = await startPostgres({ port: options.dbPort ?? 54322, dataDir: pgDir });
    stops.push(() => pg.stop());
    checkpoint();
    await applyBase(pg.dbUrl);
    let migrations: string[] = [];
    if (options.migrations !== false) {
      try {
        Deno.statSync(migrationsDir);
        migrations = await applyMigrations(pg.dbUrl, migrationsDir);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
    }
    checkpoint();

    const rest: RunningPostgrest = await startPostgrest({
      dbUri: authenticatorUrl(pg.dbUrl),
      logFile: `${workDir}/postgrest.log`,
      maxRows: apiMaxRows(supabaseDir),
    });
    stops.push(() => rest.stop());
    checkpoint();
    let faults: RunningFaultProxy | null = null;
    if (options.faults) {
      faults = await startFaultProxy(rest.url);
      stops.push(() => faults!.stop());
    }

    const anonKey = await demoKey("anon");
    const serviceRoleKey = await demoKey("service_role");
    const opaque = await opaqueKeys();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const gatewayFunctions: Record<string, GatewayFunction> = {};
    const running: RunningFunction[] = [];
    for (const name of names) {
      const cfg = functionConfig(name, supabaseDir);
      if (!cfg.enabled) continue;
      try {
        Deno.statSync(cfg.entrypoint);
      } catch {
        throw new Error(`function ${name}: ${cfg.entrypoint} not found`);
      }
      const fn = await startFunction({
        name,
        entrypoint: cfg.entrypoint,
        importMap: cfg.importMap,
        dotenvFile: `${supabaseDir}/functions/.env`,
        logFile: options.functionLogs === "file" ? `${workDir}/${name}.log` : undefined,
        env: {
          SUPABASE_URL: apiUrl,
          SUPABASE_ANON_KEY: anonKey,
          SUPABASE_SERVICE_ROLE_KEY: serviceRoleKey,
          SUPABASE_DB_URL: pg.dbUrl,
        },
      });
      stops.push(() => fn.stop());
      checkpoint();
      running.push(fn);
      gatewayFunctions[name] = { url: fn.url, verifyJwt: cfg.verifyJwt };
    }

    const realtime: RunningRealtime | null = options.realtime === false
      ? null
      : startRealtime({ dbUrl: pg.dbUrl, jwtSecret: LOCAL_JWT_SECRET, opaqueKeys: opaque });
    if (realtime) stops.push(() => realtime.stop());

    const auth = startAuth({
      dbUrl: pg.dbUrl,
      jwtSecret: LOCAL_JWT_SECRET,
      apiUrl,
      ...authConfig(supabaseDir),
    });
    stops.push(() => auth.stop());

    const gateway: RunningGateway = await startGateway({
      postgrestUrl: faults?.url ?? rest.url,
      functions: gatewayFunctions,
      jwtSecret: LOCAL_JWT_SECRET,
      apiKeys: [anonKey, serviceRoleKey],
      opaqueKeys: opaque,
      realtime: realtime ? (req) => realtime.handle(req) : undefined,
      auth: (req, path) => auth.handle(req, path),
      board: serveBoard,
    }, apiPort);
    stops.push(() => gateway.stop());

    const info: StackInfo = {
      apiUrl: gateway.url,
      dbUrl: pg.dbUrl,
      postgrestUrl: rest.url,
      faultUrl: faults?.faultUrl ?? null,
      anonKey,
      serviceRoleKey,
      publishableKey: LOCAL_PUBLISHABLE_KEY,
      secretKey: LOCAL_SECRET_KEY,
      jwtSecret: LOCAL_JWT_SECRET,
      pgData: pg.pgData,
      pgBin: pg.pgBin,
      dbPort: pg.port,
      postgrestKind: rest.kind,
      functions: Object.fromEntries(running.map((f) => [f.name, f.url])),
      migrations,
      realtimeUrl: realtime ? `${gateway.url.replace(/^http/, "ws")}/realtime/v1/websocket` : null,
      boardUrl: `${gateway.url}/board/`,
    };
    if (options.infoFile) {
      // Write then rename, so a reader never sees a half-written file.
      const tmp = `${options.infoFile}.tmp`;
      await Deno.writeTextFile(tmp, JSON.stringify(info, null, 2) + "\n");
      await Deno.rename(tmp, options.infoFile);
    }
    checkpoint();
    return { info, stop };
  };
  const started = start();
  starting = started;
  try {
    return await started;
  } catch (e) {
    await stop();
    throw e;
  }
}
