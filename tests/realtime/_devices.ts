// POS devices on the running local stack: each a supabase-js client with its own staff token
// (app_metadata.store_ids naming its store), listening to a location's carts and queue
// through the gateway's Realtime, and calling the `cart` function. Helpers to mark a point in
// the stream and to summarise what a device heard.
import type { SupabaseClient } from "@supabase/supabase-js";
import {
  type Change,
  type ChangesBinding,
  realtimeClient,
  Recorder,
} from "../_support/realtime.ts";
import { call, type CallResult, stackInfo, userJwt } from "../e2e/_lib.ts";

export interface Device {
  name: string;
  client: SupabaseClient;
  heard: Recorder;
}

/** What a device at `locationId` listens to: the location's carts and queue entries (every
 * row of both tables when `locationId` is null). */
export function locationBindings(locationId: string | null): ChangesBinding[] {
  return ["carts", "location_queue"].map((table) => ({
    event: "*" as const,
    schema: "public",
    table,
    ...(locationId ? { filter: `location_id=eq.${locationId}` } : {}),
  }));
}

/** A device signed in as a new staff member of `storeIds` (anon when null). */
export async function device(
  name: string,
  storeIds: string[] | null,
  locationId: string | null,
): Promise<Device> {
  const info = stackInfo();
  const token = storeIds ? await userJwt({ storeIds }) : undefined;
  const client = await realtimeClient(info.apiUrl, info.anonKey, token);
  return { name, client, heard: new Recorder(client, name, locationBindings(locationId)) };
}

/** `table TYPE id status` of a change, e.g. `location_queue UPDATE 3f2c… called`. */
export function summary(c: Change): string {
  const row = c.eventType === "DELETE" ? c.old : c.new;
  if (c.errors?.length) return `${c.table} ${c.eventType} ${c.errors.join(";")}`;
  return `${c.table} ${c.eventType} ${row.id} ${row.status}`;
}

/** Calls the function and insists on a 200. */
export async function ok(
  client: SupabaseClient,
  body: Record<string, unknown>,
): Promise<CallResult> {
  const r = await call(client, body);
  if (r.status !== 200) throw new Error(`${body.action}: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

/**
 * Creates a marker cart (a `get` for `customerId`) and waits until every device in `devices`
 * has its INSERT: changes are delivered in commit order, so everything committed before the
 * marker has reached them. Returns the marker cart's id.
 */
export async function mark(
  client: SupabaseClient,
  devices: Device[],
  locationId: string,
  customerId: string,
): Promise<string> {
  const r = await ok(client, { action: "get", customer_id: customerId, location_id: locationId });
  const cartId = r.body.cart.id as string;
  await Promise.all(devices.map((d) =>
    d.heard.until(
      () => d.heard.changes.some((c) => c.table === "carts" && c.new.id === cartId),
      10_000,
      `${d.name} hears marker ${cartId}`,
    )
  ));
  return cartId;
}

/** The changes a device heard after its `from`th, without the marker carts in `markers`. */
export function heardSince(d: Device, from: number, markers: string[]): Change[] {
  return d.heard.changes.slice(from).filter((c) =>
    !(c.table === "carts" && markers.includes(c.new.id ?? ""))
  );
}

/** The `p`th percentile (0-100) of `values`, nearest rank. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
