// The `cart` edge function: a thin shim around the Rust handler compiled to wasm.
// Loads the wasm bytes once per worker (Deno.readFile works on every edge-runtime version),
// builds the handler from the environment and the CORS headers once (the handler adds them
// to every response it makes), and answers CORS preflights. Does I/O (file read, HTTP
// serving).
import { corsHeaders } from "../_shared/cors.ts";
import { CartFunction, initSync, misconfiguredResponse } from "./pkg/poscart.js";

initSync({ module: await Deno.readFile(new URL("./pkg/poscart_bg.wasm", import.meta.url)) });

let cart: CartFunction | undefined;
try {
  cart = new CartFunction(Deno.env.toObject(), corsHeaders);
} catch (error) {
  // Every request then answers 500 `server_misconfigured`; the reason is logged once here.
  console.error(
    JSON.stringify({ level: "error", msg: "server_misconfigured", detail: `${error}` }),
  );
}

// Only a trap inside the wasm can reject; answer it as JSON like every other error.
const internalError = () =>
  Response.json({ error: { code: "internal_error", message: "An internal error occurred." } }, {
    status: 500,
    headers: corsHeaders,
  });

Deno.serve((request: Request): Response | Promise<Response> => {
  if (request.method === "OPTIONS") return new Response("ok", { headers: corsHeaders });
  if (!cart) return misconfiguredResponse(corsHeaders);
  return cart.handle(request).catch(internalError);
});
