// Decoded WAL as wal2json (format-version 2, with include-transaction, include-timestamp,
// include-lsn, include-pk, include-type-oids) writes it: one JSON object per message, a
// transaction being B (begin, with its `xid`), then I/U/D changes, then C (commit, whose
// `nextlsn` is the end of the commit record). `Assembler` turns that stream into whole committed
// transactions, in commit order; LSN and timestamp helpers. Pure: no I/O.
import type { Action } from "./bindings.ts";

/** One column as wal2json writes it: the value is JSON (numbers, booleans, text for the rest). */
export interface WalColumn {
  name: string;
  type: string;
  typeoid?: number;
  value?: unknown;
}

export interface Change {
  action: Action;
  schema: string;
  table: string;
  /** New row (INSERT, UPDATE); absent columns are unchanged TOAST values. */
  columns: WalColumn[] | null;
  /** Old row as its replica identity gives it (UPDATE, DELETE). */
  identity: WalColumn[] | null;
  /** Primary key columns (name and type); empty when the table has none. */
  pk: { name: string; type: string }[];
}

export interface Transaction {
  /** The transaction id (32 bits, as the WAL records it). */
  xid: number;
  /** End of the commit record: the position to confirm once delivered. */
  endLsn: bigint;
  /** Commit time as wal2json prints it (`2026-11-28 20:38:14.585193+00`). */
  timestamp: string;
  changes: Change[];
}

/** `16/B374D848` -> bigint. */
export function parseLsn(text: string): bigint {
  const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!m) throw new Error(`not an LSN: ${text}`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${
    (lsn & 0xffffffffn).toString(16).toUpperCase()
  }`;
}

/**
 * The platform's `commit_timestamp`: UTC, millisecond precision (truncated), `Z` suffix, e.g.
 * `2026-11-28T20:38:14.585Z`, from wal2json's `2026-11-28 20:38:14.585193+00`.
 */
export function commitTimestamp(walTimestamp: string): string {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(\.\d+)?([+-]\d\d)(?::?(\d\d))?$/.exec(
    walTimestamp,
  );
  if (!m) throw new Error(`unexpected commit timestamp: ${walTimestamp}`);
  const ms = (m[3] ?? ".000").slice(1).padEnd(3, "0").slice(0, 3);
  const iso = `${m[1]}T${m[2]}.${ms}${m[4]}:${m[5] ?? "00"}`;
  return new Date(iso).toISOString();
}

const ACTIONS: Record<string, Action> = { I: "INSERT", U: "UPDATE", D: "DELETE" };

/** Reassembles wal2json messages into committed transactions. */
export class Assembler {
  #open: { xid: number; timestamp: string; changes: Change[] } | null = null;

  /**
   * Feeds one message (the parsed JSON object). Returns the transaction when `message` is its
   * commit, else null. Messages other than B/I/U/D/C (truncate, logical messages) are ignored.
   */
  push(message: Record<string, unknown>): Transaction | null {
    const action = message.action;
    if (action === "B") {
      this.#open = this.#begin(message);
      return null;
    }
    if (action === "C") {
      const open = this.#open ?? this.#begin(message);
      this.#open = null;
      if (typeof message.nextlsn !== "string") throw new Error("commit without nextlsn");
      return {
        xid: open.xid,
        endLsn: parseLsn(message.nextlsn),
        timestamp: String(message.timestamp ?? open.timestamp),
        changes: open.changes,
      };
    }
    const kind = typeof action === "string" ? ACTIONS[action] : undefined;
    if (!kind) return null;
    this.#open ??= this.#begin(message);
    this.#open.changes.push({
      action: kind,
      schema: String(message.schema),
      table: String(message.table),
      columns: (message.columns as WalColumn[] | undefined) ?? null,
      identity: (message.identity as WalColumn[] | undefined) ?? null,
      pk: ((message.pk as { name: string; type: string }[] | undefined) ?? []).map((k) => ({
        name: k.name,
        type: k.type,
      })),
    });
    return null;
  }

  #begin(message: Record<string, unknown>) {
    const changes: Change[] = [];
    return { xid: Number(message.xid ?? 0), timestamp: String(message.timestamp ?? ""), changes };
  }

  /** Whether a transaction has begun and not yet committed. */
  get open(): boolean {
    return this.#open !== null;
  }

  /** Forgets a half-received transaction (the stream broke; it will be sent again). */
  reset(): void {
    this.#open = null;
  }
}

const JSON_OIDS = new Set([114, 3802]); // json, jsonb

/**
 * A row as a JSON object for `jsonb_populate_record`: wal2json writes json/jsonb values as
 * text, which is parsed here so they populate as JSON rather than as strings. Columns of
 * `fallback` fill the ones missing from `columns` (unchanged TOAST values in an UPDATE).
 */
export function rowObject(
  columns: WalColumn[] | null,
  fallback: WalColumn[] | null = null,
): Record<string, unknown> | null {
  if (!columns) return null;
  const out: Record<string, unknown> = {};
  const put = (c: WalColumn) => {
    let v = c.value ?? null;
    if (typeof v === "string" && c.typeoid !== undefined && JSON_OIDS.has(c.typeoid)) {
      v = JSON.parse(v);
    }
    out[c.name] = v;
  };
  for (const c of fallback ?? []) put(c);
  for (const c of columns) if ("value" in c) put(c);
  return out;
}
