// CORS headers of the project's functions (Supabase's `_shared/cors.ts` convention): the
// answer to a preflight, and added to every response. The request headers are those
// supabase-js sends (`x-region` with `functions.invoke(..., { region })`) and the function reads. The methods are the ones the function
// serves (anything else answers 405). No I/O.
export const corsHeaders: Record<string, string> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Headers":
    "authorization, x-client-info, apikey, content-type, x-retry-count, x-request-id, idempotency-key, x-region",
  "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
  "Access-Control-Expose-Headers": "x-request-id, retry-after",
};
