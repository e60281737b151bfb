// The `data` of a `postgres_changes` message, shaped per subscriber role as the Realtime
// service shapes it: only the columns the role may SELECT (column privileges), `columns`
// listing them with their type names, `record` for INSERT/UPDATE, `old_record` for
// UPDATE/DELETE (a DELETE on a table with row level security carries the primary key only:
// a deleted row cannot be checked against policies), `errors` null. When the role cannot
// read the primary key (or the table has none) the subscriber gets a record-less notice
// with an error instead. Pure: no I/O.
import type { Action } from "./bindings.ts";

export interface ColumnType {
  name: string;
  type: string;
}

export interface ChangeData {
  schema: string;
  table: string;
  commit_timestamp: string | null;
  type: Action;
  columns: ColumnType[];
  record?: Record<string, unknown>;
  old_record?: Record<string, unknown>;
  errors: string[] | null;
}

export const ERROR_NO_PK = "Error 400: Bad Request, no primary key";
export const ERROR_UNAUTHORIZED = "Error 401: Unauthorized";
export const ERROR_RLS_FAILED = "Error 500: Internal Server Error, RLS policy evaluation failed";

export interface ShapeInput {
  schema: string;
  table: string;
  action: Action;
  commitTimestamp: string;
  /** The new row, typed (INSERT, UPDATE). */
  record: Record<string, unknown> | null;
  /** The old row as the replica identity gives it, typed (UPDATE, DELETE). */
  oldRecord: Record<string, unknown> | null;
  rlsEnabled: boolean;
  pk: string[];
}

function pick(
  row: Record<string, unknown> | null,
  keep: (name: string) => boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row ?? {})) if (keep(k)) out[k] = v;
  return out;
}

/** What a role with SELECT on `selectable` (in table order) receives. */
export function shapeFor(input: ShapeInput, selectable: ColumnType[]): ChangeData {
  const can = new Set(selectable.map((c) => c.name));
  const data: ChangeData = {
    schema: input.schema,
    table: input.table,
    commit_timestamp: input.commitTimestamp,
    type: input.action,
    columns: selectable,
    errors: null,
  };
  if (input.action !== "DELETE") data.record = pick(input.record, (k) => can.has(k));
  if (input.action === "UPDATE") data.old_record = pick(input.oldRecord, (k) => can.has(k));
  if (input.action === "DELETE") {
    const pk = new Set(input.pk);
    data.old_record = pick(input.oldRecord, (k) => can.has(k) && (!input.rlsEnabled || pk.has(k)));
  }
  return data;
}

/** The record-less notice sent instead of a change (`errors` says why). */
export function notice(
  schema: string,
  table: string,
  action: Action,
  error: string,
): ChangeData {
  const data: ChangeData = {
    schema,
    table,
    commit_timestamp: null,
    type: action,
    columns: [],
    errors: [error],
  };
  if (action !== "DELETE") data.record = {};
  if (action !== "INSERT") data.old_record = {};
  return data;
}

/**
 * Why a role gets a notice instead of the change, or null when it may get the change: a
 * non-DELETE change needs a primary key the role can SELECT.
 */
export function noticeReason(
  action: Action,
  pk: string[],
  selectable: ColumnType[],
): string | null {
  if (action === "DELETE") return null;
  if (pk.length === 0) return ERROR_NO_PK;
  const can = new Set(selectable.map((c) => c.name));
  return pk.every((k) => can.has(k)) ? null : ERROR_UNAUTHORIZED;
}
