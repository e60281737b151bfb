// The CLI's local opaque keys (`sb_publishable_...`, `sb_secret_...`) through the gateway, as
// supabase-js sends them: each stands for its role's JWT in `apikey` and, when the request
// carries no token of its own, in `Authorization`; a user's session token is kept.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { LOCAL_PUBLISHABLE_KEY, LOCAL_SECRET_KEY } from "../../stack/jwt.ts";
import { STACK_TEST, withHarness } from "./_harness.ts";

Deno.test(
  "keys: the publishable and secret keys stand for anon and service_role",
  STACK_TEST,
  async () => {
    await withHarness(async (h) => {
      const options = { auth: { persistSession: false, autoRefreshToken: false } };
      const whoami = async (client: SupabaseClient) => {
        const { data, error } = await client.rpc("t_whoami");
        assertEquals(error, null);
        return (data as { current_user: string }).current_user;
      };
      const publishable = createClient(h.apiUrl, LOCAL_PUBLISHABLE_KEY, options);
      const secret = createClient(h.apiUrl, LOCAL_SECRET_KEY, options);
      assertEquals(await whoami(publishable), "anon");
      assertEquals(await whoami(secret), "service_role");

      // the apikey alone, as curl sends it
      const bare = await fetch(`${h.apiUrl}/rest/v1/rpc/t_whoami`, {
        method: "POST",
        headers: { apikey: LOCAL_PUBLISHABLE_KEY },
      });
      assertEquals((await bare.json()).current_user, "anon");

      // a signed-in user's token is kept; the secret key's client manages users
      const email = `keys-${crypto.randomUUID().slice(0, 8)}@example.com`;
      const signedUp = await publishable.auth.signUp({ email, password: "opaque keys" });
      assertEquals(signedUp.error, null);
      assertEquals(await whoami(publishable), "authenticated");
      const found = await secret.auth.admin.getUserById(signedUp.data.user!.id);
      assertEquals(found.data.user?.email, email);

      // another opaque key is no key
      const unknown = await fetch(`${h.apiUrl}/rest/v1/t_project`, {
        headers: { apikey: "sb_publishable_notthelocalone" },
      });
      assertEquals([unknown.status, (await unknown.json()).message], [401, "Invalid API key"]);
    });
  },
);
