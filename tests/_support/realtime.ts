// Test support: supabase-js clients for Realtime, as a POS device builds one, and a recorder
// of everything a channel hears (changes with their arrival time, subscribe statuses,
// `system` messages). Starts nothing.
import {
  createClient,
  type RealtimeChannel,
  type RealtimePostgresChangesPayload,
  type SupabaseClient,
} from "@supabase/supabase-js";

/**
 * A client signed in with `token` through the `accessToken` option (anon without a token),
 * so functions.invoke and Realtime both send it. The Realtime client is given the token
 * before any channel exists: supabase-js sets it asynchronously after construction, and a
 * channel subscribed before that joins with the anon key (its join payload is built at
 * subscribe time), which the service then treats as the anon role.
 */
export async function realtimeClient(
  url: string,
  anonKey: string,
  token?: string,
): Promise<SupabaseClient> {
  const client = createClient(url, anonKey, {
    ...(token ? { accessToken: () => Promise.resolve(token) } : {}),
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
  await client.realtime.setAuth(token ?? null);
  return client;
}

export interface ChangesBinding {
  event: "*" | "INSERT" | "UPDATE" | "DELETE";
  schema: string;
  table: string;
  filter?: string;
}

// deno-lint-ignore no-explicit-any
export type Row = Record<string, any>;

/** A change as supabase-js hands it to the callback, with its arrival time. */
export interface Change {
  schema: string;
  table: string;
  commit_timestamp: string;
  eventType: "INSERT" | "UPDATE" | "DELETE";
  new: Row;
  old: Row;
  errors: string[] | null;
  /** performance.timeOrigin + performance.now() when the callback ran. */
  receivedAt: number;
  /** Which of the recorder's bindings heard it (its index): one change matching several
   * bindings is heard once by each. */
  binding: number;
}

export interface SystemMessage {
  extension: string;
  status: string;
  message: string;
  channel: string;
}

/** Everything one channel hears. */
export class Recorder {
  readonly changes: Change[] = [];
  readonly statuses: string[] = [];
  readonly system: SystemMessage[] = [];
  readonly channel: RealtimeChannel;
  #waiters: (() => void)[] = [];

  constructor(client: SupabaseClient, name: string, bindings: ChangesBinding[]) {
    let channel = client.channel(name);
    for (const [binding, b] of bindings.entries()) {
      channel = channel.on(
        "postgres_changes",
        b,
        (payload: RealtimePostgresChangesPayload<Row>) => {
          const receivedAt = performance.timeOrigin + performance.now();
          this.changes.push({ ...payload, receivedAt, binding } as Change);
          this.#wake();
        },
      );
    }
    this.channel = channel.on("system", {}, (payload: SystemMessage) => {
      this.system.push(payload);
      this.#wake();
    }).subscribe((status, err) => {
      this.statuses.push(err ? `${status}: ${err.message}` : status);
      this.#wake();
    });
  }

  #wake() {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** How many times the service said the subscription is live. */
  get liveCount(): number {
    return this.system.filter((s) => s.extension === "postgres_changes" && s.status === "ok")
      .length;
  }

  /** Waits until `condition` holds; throws with what was heard after `timeoutMs`. */
  async until(condition: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `${what} not met within ${timeoutMs} ms; statuses ${JSON.stringify(this.statuses)}, ` +
            `system ${JSON.stringify(this.system)}, ${this.changes.length} changes`,
        );
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 250));
        this.#waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Waits for the `n`th "Subscribed to PostgreSQL". */
  live(n = 1, timeoutMs = 10_000): Promise<void> {
    return this.until(() => this.liveCount >= n, timeoutMs, `subscription live (${n})`);
  }
}
