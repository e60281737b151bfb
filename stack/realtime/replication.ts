// Logical replication of the `supabase_realtime` publication: a replication connection that
// streams wal2json (format-version 2) from a persistent slot, limited to the publication's
// tables and actions, reassembled into committed transactions and handed to `deliver` one
// at a time, in commit order. Received transactions wait in memory until delivered, across
// reconnections; the server is told (standby status update) what has been received, so a
// shutdown of the database never waits on delivery (which itself needs the database), and
// the stream resumes after the last received commit. A transaction the server sends again
// (its confirmation was not yet persisted when the database crashed) is recognised by its
// commit position and dropped: nothing is handed over twice. Reconnects by itself with
// back-off. Does I/O (one replication connection, one ordinary connection).
import postgres from "postgres";
import { Db } from "./db.ts";
import { Assembler, formatLsn, parseLsn, type Transaction } from "./wal.ts";

export interface ReplicationOptions {
  dbUrl: string;
  publication: string;
  slot: string;
  /** Delivers one committed transaction; a rejection is retried (same transaction). */
  deliver(tx: Transaction): Promise<void>;
  /** Called when streaming starts again after a loss, and when it is lost. */
  onStatus?(live: boolean, reason?: string): void;
  log?(message: string): void;
}

interface Stream {
  on(event: string, fn: (x: never) => void): void;
  write(chunk: Uint8Array): void;
  destroy(): void;
}

interface Table {
  schema: string;
  table: string;
}

/** A delivery failing this many times in a row is given up (logged), so one bad
 * transaction cannot stall every later one. About a minute of retries. */
const MAX_DELIVERY_ATTEMPTS = 40;
/** Longest a (re)connection of the replication stream may take. */
const CONNECT_DEADLINE_MS = 10_000;

/** Microseconds since 2000-01-01, the replication protocol's clock. */
function pgNow(): bigint {
  return BigInt(Date.now() - Date.UTC(2000, 0, 1)) * 1000n;
}

/** A name for wal2json's add-tables (space, quote, comma, period, asterisk escaped), inside
 * a SQL string literal. */
function w2jName(name: string): string {
  return name.replace(/[ ',.*\\]/g, (c) => `\\${c}`).replaceAll("'", "''");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ends a replication stream; postgres.js throws when its connection is already gone. */
function destroy(stream: Stream): void {
  try {
    stream.destroy();
  } catch {
    // the connection closed first
  }
}

export class Replication {
  #o: ReplicationOptions;
  #db: Db;
  #rep: postgres.Sql | null = null;
  /** Counts connection attempts, so a late one that lost its race is discarded. */
  #attempt = 0;
  #stream: Stream | null = null;
  #assembler = new Assembler();
  #queue: Transaction[] = [];
  #draining = false;
  /** End of the last commit received whole (or WAL end while between transactions). */
  #received = 0n;
  #tables: Table[] = [];
  #live = false;
  #stopped = false;
  #started: Promise<void> | null = null;
  #liveWaiters: (() => void)[] = [];
  #statusTimer: ReturnType<typeof setInterval> | undefined;
  #reconnecting = false;
  #refreshing: Promise<void> = Promise.resolve();

  constructor(options: ReplicationOptions) {
    this.#o = options;
    this.#db = new Db(options.dbUrl, 1);
  }

  get live(): boolean {
    return this.#live;
  }

  /** Whether `schema.table` is in the publication as last read. */
  publishes(schema: string, table: string): boolean {
    return this.#tables.some((t) => t.schema === schema && t.table === table);
  }

  /** The published tables matching a binding's schema and table (either may be "*"). */
  matching(schema: string, table: string): Table[] {
    return this.#tables.filter((t) =>
      (schema === "*" || t.schema === schema) && (table === "*" || t.table === table)
    );
  }

  /**
   * Starts streaming on first use: drops a slot left by an earlier run, creates it again and
   * resolves once streaming. Rejects when that fails (for example without wal2json).
   */
  start(): Promise<void> {
    this.#started ??= (async () => {
      await this.#db.run((sql) =>
        sql`select pg_drop_replication_slot(slot_name) from pg_replication_slots
          where slot_name = ${this.#o.slot} and not active`
      );
      this.#tables = await this.#publicationTables();
      await this.#connectWithin(true);
    })().catch(async (e) => {
      this.#started = null;
      await this.#closeReplicationConnection();
      throw e;
    });
    return this.#started;
  }

  /** Resolves when streaming (at once if it is). */
  whenLive(): Promise<void> {
    return this.#live ? Promise.resolve() : new Promise((r) => this.#liveWaiters.push(r));
  }

  /** Re-reads the publication; when its tables changed, restarts the stream with the new list
   * (the slot keeps every change meanwhile, so nothing is missed). */
  refreshTables(): Promise<void> {
    this.#refreshing = this.#refreshing.then(async () => {
      const tables = await this.#publicationTables();
      const key = (ts: Table[]) => ts.map((t) => `${t.schema}.${t.table}`).join("\n");
      if (key(tables) === key(this.#tables)) return;
      this.#tables = tables;
      this.#o.log?.(`publication ${this.#o.publication}: ${tables.length} tables`);
      if (!this.#stream) return; // not streaming: the reconnect reads the new list
      destroy(this.#stream);
      this.#stream = null; // its close is intended: no reconnect by the close handler
      await this.#closeReplicationConnection();
      for (let attempt = 1;; attempt++) {
        try {
          return await this.#connectWithin(false);
        } catch (e) {
          await this.#closeReplicationConnection();
          if (attempt >= 5 || this.#stopped) return this.#down((e as Error).message);
          await sleep(100 * attempt);
        }
      }
    });
    return this.#refreshing;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#statusTimer);
    if (this.#stream) destroy(this.#stream);
    this.#stream = null;
    await this.#closeReplicationConnection();
    await this.#db.end();
  }

  async #closeReplicationConnection(): Promise<void> {
    const rep = this.#rep;
    this.#rep = null;
    await rep?.end({ timeout: 0 }).catch(() => {});
  }

  async #publicationTables(): Promise<Table[]> {
    return await this.#db.run((sql) =>
      sql<Table[]>`
        select schemaname as schema, tablename as table from pg_publication_tables
        where pubname = ${this.#o.publication} order by 1, 2`
    );
  }

  async #actions(): Promise<string> {
    const [p] = await this.#db.run((sql) =>
      sql<{ ins: boolean; upd: boolean; del: boolean }[]>`
        select pubinsert as ins, pubupdate as upd, pubdelete as del from pg_publication
        where pubname = ${this.#o.publication}`
    );
    if (!p) throw new Error(`publication ${this.#o.publication} does not exist`);
    return [p.ins && "insert", p.upd && "update", p.del && "delete"].filter(Boolean).join(",");
  }

  /** `#connect` with a deadline: a connection stranded by a restart is given up. */
  async #connectWithin(fresh: boolean): Promise<void> {
    const attempt = ++this.#attempt;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        this.#connect(fresh, attempt),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no replication within ${CONNECT_DEADLINE_MS} ms`)),
            CONNECT_DEADLINE_MS,
          );
        }),
      ]);
    } catch (e) {
      this.#attempt++; // a late success of this attempt is discarded
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  async #connect(fresh: boolean, attempt: number): Promise<void> {
    const rep = postgres(this.#o.dbUrl, {
      max: 1,
      fetch_types: false,
      idle_timeout: 0,
      max_lifetime: 0,
      onnotice: () => {},
      connection: { replication: "database" } as Record<string, string>,
    });
    this.#rep = rep;
    // Resume after the last commit received: PostgreSQL 15 persists a slot's confirmed
    // position only now and then, and would otherwise send much of the WAL again.
    let start = formatLsn(this.#received);
    const slot = this.#o.slot;
    const exists = await this.#db.run((sql) =>
      sql`select 1 from pg_replication_slots where slot_name = ${slot}`
    );
    if (fresh || exists.length === 0) {
      if (!fresh) this.#o.log?.(`replication slot ${slot} was gone: created again`);
      const [created] = await rep.unsafe(
        `CREATE_REPLICATION_SLOT ${slot} LOGICAL wal2json NOEXPORT_SNAPSHOT`,
      );
      start = created.consistent_point;
      if (fresh) this.#received = parseLsn(start);
    } else {
      // A walsender of the broken connection may still hold the slot.
      await this.#db.run((sql) =>
        sql`select pg_terminate_backend(active_pid) from pg_replication_slots
          where slot_name = ${slot} and active_pid is not null`
      );
    }
    const filter = this.#tables.length
      ? `"add-tables" '${
        this.#tables.map((t) => `${w2jName(t.schema)}.${w2jName(t.table)}`).join(",")
      }'`
      : `"filter-tables" '*.*'`;
    const options = [
      `"format-version" '2'`,
      `"include-transaction" '1'`,
      `"include-xids" '1'`,
      `"include-timestamp" '1'`,
      `"include-lsn" '1'`,
      `"include-pk" '1'`,
      `"include-type-oids" '1'`,
      `"actions" '${await this.#actions()}'`,
      filter,
    ].join(", ");
    const stream = await rep.unsafe(`START_REPLICATION SLOT ${slot} LOGICAL ${start} (${options})`)
      .writable() as unknown as Stream;
    if (attempt !== this.#attempt) { // this attempt ran out of time meanwhile
      destroy(stream);
      rep.end({ timeout: 0 }).catch(() => {});
      throw new Error("replication connected too late");
    }
    this.#stream = stream;
    this.#assembler.reset();
    stream.on("data", (x: Uint8Array) => this.#onData(x));
    const broken = (e?: unknown) => {
      if (this.#stream !== stream) return;
      this.#stream = null;
      this.#down(e instanceof Error ? e.message : "the replication stream closed");
    };
    stream.on("error", broken);
    stream.on("close", broken);
    clearInterval(this.#statusTimer);
    this.#statusTimer = setInterval(() => this.#confirm(), 10_000);
    if (!this.#live) {
      this.#live = true;
      if (!fresh) this.#o.onStatus?.(true);
      for (const w of this.#liveWaiters.splice(0)) w();
    }
  }

  #down(reason: string): void {
    clearInterval(this.#statusTimer);
    if (this.#live) {
      this.#live = false;
      this.#o.log?.(`replication stopped: ${reason}`);
      this.#o.onStatus?.(false, reason);
    }
    this.#closeReplicationConnection();
    if (!this.#stopped) this.#reconnect();
  }

  async #reconnect(): Promise<void> {
    if (this.#reconnecting) return;
    this.#reconnecting = true;
    let backoff = 100;
    try {
      while (!this.#stopped && !this.#live) {
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 2000);
        try {
          this.#tables = await this.#publicationTables();
          await this.#connectWithin(false);
        } catch (e) {
          await this.#closeReplicationConnection();
          this.#o.log?.(`replication reconnect failed: ${(e as Error).message}`);
        }
      }
    } finally {
      this.#reconnecting = false;
    }
  }

  #onData(x: Uint8Array): void {
    if (x[0] === 0x77) { // 'w': XLogData, 25 bytes of header then one wal2json message
      const tx = this.#assembler.push(JSON.parse(new TextDecoder().decode(x.subarray(25))));
      if (tx && tx.endLsn > this.#received) { // else: sent again after a crash, already had
        this.#received = tx.endLsn;
        this.#queue.push(tx);
        this.#confirm();
        this.#drain();
      }
    } else if (x[0] === 0x6b) { // 'k': keepalive (WAL end, clock, reply requested)
      const walEnd = new DataView(x.buffer, x.byteOffset, x.byteLength).getBigUint64(1);
      if (!this.#assembler.open && walEnd > this.#received) this.#received = walEnd;
      if (x[17]) this.#confirm();
    }
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#queue.length && !this.#stopped) {
        await this.#deliverWithRetry(this.#queue[0]);
        this.#queue.shift();
      }
    } finally {
      this.#draining = false;
    }
  }

  async #deliverWithRetry(tx: Transaction): Promise<void> {
    for (let attempt = 1; !this.#stopped; attempt++) {
      try {
        return await this.#o.deliver(tx);
      } catch (e) {
        const at = formatLsn(tx.endLsn);
        if (attempt >= MAX_DELIVERY_ATTEMPTS) {
          this.#o.log?.(`gave up delivering the transaction ending at ${at}: ${e}`);
          return;
        }
        this.#o.log?.(`delivering the transaction ending at ${at} failed, retrying: ${e}`);
        await sleep(Math.min(100 * 2 ** attempt, 2000));
      }
    }
  }

  /** Standby status update: everything up to the last received commit is held here. */
  #confirm(): void {
    const stream = this.#stream;
    if (!stream) return;
    const msg = new Uint8Array(34);
    const view = new DataView(msg.buffer);
    msg[0] = 0x72; // 'r'
    view.setBigUint64(1, this.#received); // written
    view.setBigUint64(9, this.#received); // flushed
    view.setBigUint64(17, this.#received); // applied
    view.setBigInt64(25, pgNow());
    try {
      stream.write(msg);
    } catch {
      // the stream broke; its close handler reconnects
    }
  }
}
