// The local Realtime's ordinary database connections: a postgres.js pool whose every use has
// a deadline. postgres.js can strand a connection when PostgreSQL restarts (a query on it
// never settles); a use that passes its deadline or loses its connection gets a fresh pool,
// so a restart never stalls delivery. Does I/O.
import postgres from "postgres";

export class DeadlineError extends Error {}

/** Whether `e` says the connection, not the statement, failed. */
export function isConnectionError(e: unknown): boolean {
  if (e instanceof DeadlineError) return true;
  const code = String((e as { code?: unknown })?.code ?? "");
  return /^(08|57P0|53)/.test(code) || /^(CONNECT|CONNECTION_|ECONN|EPIPE|ETIMEDOUT)/.test(code);
}

export class Db {
  #sql: postgres.Sql;

  constructor(private readonly url: string, private readonly max: number) {
    this.#sql = this.#pool();
  }

  #pool(): postgres.Sql {
    return postgres(this.url, { max: this.max, onnotice: () => {}, idle_timeout: 30 });
  }

  /** Runs `use` on the pool, rejecting after `ms`; then, or on a lost connection, the pool is
   * replaced for the next use. */
  async run<T>(use: (sql: postgres.Sql) => Promise<T>, ms = 5000): Promise<T> {
    const sql = this.#sql;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeadlineError(`no answer within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([use(sql), deadline]);
    } catch (e) {
      if (isConnectionError(e) && this.#sql === sql) {
        this.#sql = this.#pool();
        sql.end({ timeout: 0 }).catch(() => {});
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  end(): Promise<void> {
    return this.#sql.end({ timeout: 1 }).catch(() => {});
  }
}
