// Benchmark fixture, never deployed: the previous version's cart function, reproduced
// as the baseline the product is compared against. It looks a cart up, and when the
// lookup does not give exactly one row (supabase-js `.single()` answers PGRST116 for both
// "none" and "several") it inserts a new one: two separate statements with a gap in
// between, on its own copy of the table (`seed_original.carts`, no unique index), so
// concurrent gets for one customer create duplicates: two devices asking at once each insert a
// cart.
//
// The local PostgREST stand-in serves RPCs only, not table routes, so the two statements
// go straight to the database through `SUPABASE_DB_URL` (npm:postgres), each in its own
// autocommit transaction, as two PostgREST table requests would be. This spares the
// baseline one HTTP hop per statement, which flatters it slightly, never the product.
//
// `add_to_queue` follows the previous version's flow: a queue entry and a
// cart created as two unrelated steps, each look-up-then-insert.
import postgres from "postgres";

const dbUrl = Deno.env.get("SUPABASE_DB_URL");
if (!dbUrl) throw new Error("SUPABASE_DB_URL is not set");
const sql = postgres(dbUrl, {
  max: Number(Deno.env.get("SEED_ORIGINAL_POOL") ?? 16),
  onnotice: () => {},
});

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });

type Row = Record<string, unknown>;

/** The seed's `get`: SELECT, and INSERT when `.single()` would fail (0 or >1 rows). */
async function getCart(customerId: string | null, locationId: string, storeId: string | null) {
  // Step 1: try to find the cart (like `query.single()`; fetch 2 rows to tell "several").
  const found: Row[] = customerId
    ? await sql`select * from seed_original.carts
        where customer_id = ${customerId} and location_id = ${locationId}
          and status = 'active' limit 2`
    : [];
  if (found.length === 1) return { cart: found[0], created: false };
  // Step 2: not found (PGRST116): create a new one. Another request can slip in here.
  const [cart] = await sql`insert into seed_original.carts
      (customer_id, location_id, store_id, status)
    values (${customerId}, ${locationId}, ${storeId}, 'active') returning *`;
  return { cart, created: true };
}

/** The old queue flow: an entry and a cart, created as two independent steps. */
async function addToQueue(customerId: string, locationId: string, storeId: string | null) {
  const existing: Row[] = await sql`select * from seed_original.location_queue
      where customer_id = ${customerId} and location_id = ${locationId}
        and status = 'waiting' limit 2`;
  let entry: Row;
  let created = false;
  if (existing.length === 1) entry = existing[0];
  else {
    [entry] = await sql`insert into seed_original.location_queue
        (customer_id, location_id, store_id, status)
      values (${customerId}, ${locationId}, ${storeId}, 'waiting') returning *`;
    created = true;
  }
  const { cart } = await getCart(customerId, locationId, storeId);
  return { queue_entry: entry, cart, created };
}

Deno.serve(async (req) => {
  if (req.method !== "POST") return json(405, { error: "method not allowed" });
  let body: Record<string, string | null>;
  try {
    body = await req.json();
  } catch {
    return json(400, { error: "invalid json" });
  }
  const { action, customer_id = null, location_id = null, store_id = null } = body;
  if (!location_id) return json(400, { error: "location_id is required" });
  try {
    if (action === "get") return json(200, await getCart(customer_id, location_id, store_id));
    if (action === "add_to_queue" && customer_id) {
      return json(200, await addToQueue(customer_id, location_id, store_id));
    }
    return json(400, { error: "unknown action" });
  } catch (error) {
    console.error(error);
    return json(500, { error: (error as Error).message });
  }
});
