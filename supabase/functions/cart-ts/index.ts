// Benchmark fixture, never deployed: the idiomatic TypeScript version of the product's
// function, the comparison point for the Rust/wasm `cart`. It validates the body, calls
// the same RPCs (`get_or_create_cart`, `add_to_queue`) through supabase-js with the
// caller's Authorization forwarded (so RLS and store scoping apply as that user), and
// answers the RPC's JSON. No retries and a lean error mapping: the plain-TypeScript
// function a team would write by hand.
import { createClient } from "@supabase/supabase-js";

const url = Deno.env.get("SUPABASE_URL");
const anonKey = Deno.env.get("SUPABASE_ANON_KEY");
if (!url || !anonKey) throw new Error("SUPABASE_URL and SUPABASE_ANON_KEY must be set");

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });

const error = (status: number, code: string, message: string) =>
  json(status, { error: { code, message } });

Deno.serve(async (req) => {
  if (req.method !== "POST") return error(405, "method_not_allowed", "use POST");
  const authorization = req.headers.get("Authorization");
  if (!authorization) return error(401, "unauthorized", "missing Authorization header");
  let body: Record<string, unknown>;
  try {
    body = await req.json();
  } catch {
    return error(400, "invalid_json", "the body is not JSON");
  }
  const args: Record<string, unknown> = {};
  for (const field of ["customer_id", "location_id", "store_id"]) {
    const value = body[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== "string" || !UUID.test(value)) {
      return error(400, "invalid_argument", `${field} must be a UUID`);
    }
    args[`p_${field}`] = value;
  }
  if (typeof body.device_id === "string") args.p_device_id = body.device_id;
  if (!args.p_location_id) return error(400, "invalid_argument", "location_id is required");

  const rpc = body.action === "get"
    ? "get_or_create_cart"
    : body.action === "add_to_queue"
    ? "add_to_queue"
    : null;
  if (!rpc) return error(400, "unknown_action", "action must be get or add_to_queue");

  // One client per request: it carries this caller's Authorization.
  const supabase = createClient(url, anonKey, {
    global: { headers: { Authorization: authorization } },
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  });
  const { data, error: rpcError, status } = await supabase.rpc(rpc, args);
  if (rpcError) {
    const code = rpcError.hint || rpcError.code || "internal";
    return error(status >= 400 ? status : 500, code, rpcError.message);
  }
  return json(200, data);
});
