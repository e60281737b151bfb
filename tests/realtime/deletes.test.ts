// Realtime and removed lines, on the running local stack. Supabase Realtime applies no row
// level security to a DELETE and matches subscribers' filters against the old row the WAL
// carries; `cart_items` publishes its key only (replica identity default), so a signed-in user
// of no store, subscribed with filters on a line's cart, product, price and quantity, hears
// nothing of another store's removed line, and unfiltered learns only its id. The store's own
// device hears the removal unfiltered, by the line's id, which is how a device drops a line.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { e2eTest, stackInfo, userJwt } from "../e2e/_lib.ts";
import { realtimeClient, Recorder } from "../_support/realtime.ts";
import { ok } from "./_devices.ts";

e2eTest("a removed line: a user of no store hears its id only, whatever its filters", {
  customers: 1,
}, async ({ fx }) => {
  const info = stackInfo();
  const staff = await realtimeClient(
    info.apiUrl,
    info.anonKey,
    await userJwt({ storeIds: [fx.storeId] }),
  );
  const outsider = await realtimeClient(info.apiUrl, info.anonKey, await userJwt({ storeIds: [] }));
  try {
    const got = await ok(staff, {
      action: "get",
      customer_id: fx.customerIds[0],
      location_id: fx.locationId,
    });
    const cartId = got.body.cart.id as string;
    const added = await ok(staff, {
      action: "add_item",
      cart_id: cartId,
      product_id: "sku-secret",
      quantity: 2,
      unit_price: 5,
    });
    const itemId = added.body.item_id as string;

    const deletes = (filters: (string | null)[]) =>
      filters.map((filter) => ({
        event: "DELETE" as const,
        schema: "public",
        table: "cart_items",
        ...(filter ? { filter } : {}),
      }));
    const outsiderHears = new Recorder(
      outsider,
      "outsider",
      deletes([
        null,
        `cart_id=eq.${cartId}`,
        "product_id=eq.sku-secret",
        "unit_price=gte.5",
        "quantity=eq.2",
        `id=eq.${itemId}`,
      ]),
    );
    const deviceHears = new Recorder(staff, "device", deletes([null]));
    await Promise.all([outsiderHears.live(), deviceHears.live()]);

    await ok(staff, { action: "remove_item", cart_id: cartId, item_id: itemId });
    // Every binding a change matches is called from the one message that carries it.
    await outsiderHears.until(() => outsiderHears.changes.length > 0, 10_000, "the DELETE");
    await deviceHears.until(() => deviceHears.changes.length > 0, 10_000, "the DELETE");

    const heard = (r: Recorder) => r.changes.map((c) => [c.binding, c.eventType, c.old]);
    console.log(`a user of no store heard: ${JSON.stringify(heard(outsiderHears))}`);
    // The unfiltered binding and the one naming the line's own id; no filter on a value.
    assertEquals(heard(outsiderHears), [
      [0, "DELETE", { id: itemId }],
      [5, "DELETE", { id: itemId }],
    ]);
    assertEquals(heard(deviceHears), [[0, "DELETE", { id: itemId }]]);
  } finally {
    await staff.removeAllChannels();
    await outsider.removeAllChannels();
  }
});
