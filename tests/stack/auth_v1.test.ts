// The local Auth at /auth/v1 (stack/auth.ts) as supabase-js uses it: sign-up, sign-in,
// refresh (with GoTrue's reuse interval), the user and its updates, sign-out by scope, health
// and settings, anonymous sign-ins as `[auth]` allows them, and the service role's admin API
// (list, create, update, ban, delete); answers and errors in GoTrue's shapes, tokens with
// GoTrue's claims that PostgREST accepts.
import { createClient } from "@supabase/supabase-js";
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { result, STACK_TEST, withHarness } from "./_harness.ts";

const payload = (token: string) =>
  JSON.parse(atob(token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/")));

Deno.test("auth: sign-up, sign-in, refresh, user, sign-out, admin", STACK_TEST, async (t) => {
  await withHarness(async (h) => {
    const client = () =>
      createClient(h.apiUrl, h.anonKey, {
        auth: { persistSession: false, autoRefreshToken: false },
      });
    const email = `staff-${crypto.randomUUID().slice(0, 8)}@example.com`;

    await t.step("sign-up answers a session whose token PostgREST accepts", async () => {
      const app = client();
      const { data, error } = await app.auth.signUp({ email, password: "correct horse" });
      assertEquals(error, null);
      const claims = payload(data.session!.access_token);
      assertEquals(
        [claims.sub, claims.aud, claims.role, claims.email, claims.is_anonymous],
        [data.user!.id, "authenticated", "authenticated", email, false],
      );
      assertEquals(claims.app_metadata, { provider: "email", providers: ["email"] });
      // its email identity (apps read `identities.length === 0` as "already registered")
      assertEquals(
        data.user!.identities!.map((i) => [i.provider, i.user_id, i.identity_data?.email]),
        [["email", data.user!.id, email]],
      );
      assertEquals(claims.iss, `${h.apiUrl}/auth/v1`);
      assertEquals(claims.exp - claims.iat, 3600);
      const [row] = await h.sql`select email, encrypted_password like '$2%' as bcrypt,
        email_confirmed_at is not null as confirmed from auth.users where id = ${data.user!.id}`;
      assertEquals(row, { email, bcrypt: true, confirmed: true });
      // the token signs PostgREST requests in as that user
      const me = await fetch(`${h.restUrl}/rpc/t_whoami`, {
        method: "POST",
        headers: { Authorization: `Bearer ${data.session!.access_token}` },
      });
      const seen = (await result(me)).body;
      assertEquals([seen.current_user, seen.uid], ["authenticated", data.user!.id]);
    });

    await t.step("a sign-up cannot give itself app_metadata (a store)", async () => {
      const res = await fetch(`${h.apiUrl}/auth/v1/signup`, {
        method: "POST",
        headers: { apikey: h.anonKey, "Content-Type": "application/json" },
        body: JSON.stringify({
          email: `self-${email}`,
          password: "self granted",
          data: { name: "Mallory" },
          app_metadata: { store_ids: ["s1"] },
        }),
      });
      const session = (await result(res)).body;
      const claims = payload(session.access_token);
      assertEquals([claims.app_metadata, claims.user_metadata], [
        { provider: "email", providers: ["email"] },
        { name: "Mallory" },
      ]);
    });

    await t.step("errors: taken email, weak password, wrong password, no apikey", async () => {
      const app = client();
      const taken = await app.auth.signUp({ email, password: "another one" });
      assertEquals([taken.error?.status, taken.error?.code], [422, "user_already_exists"]);
      const weak = await app.auth.signUp({ email: `x${email}`, password: "123" });
      assertEquals([weak.error?.status, weak.error?.code], [422, "weak_password"]);
      const wrong = await app.auth.signInWithPassword({ email, password: "wrong" });
      assertEquals([wrong.error?.status, wrong.error?.code, wrong.error?.message], [
        400,
        "invalid_credentials",
        "Invalid login credentials",
      ]);
      const anonymous = await app.auth.signInAnonymously();
      assertEquals(
        [anonymous.error?.status, anonymous.error?.code],
        [422, "anonymous_provider_disabled"],
      );
      const noKey = await fetch(`${h.apiUrl}/auth/v1/token?grant_type=password`, {
        method: "POST",
        body: JSON.stringify({ email, password: "correct horse" }),
      });
      assertEquals([noKey.status, (await noKey.json()).message], [
        401,
        "No API key found in request",
      ]);
    });

    await t.step("sign-in, the user, refresh (rotated), sign-out", async () => {
      const app = client();
      const signedIn = await app.auth.signInWithPassword({ email, password: "correct horse" });
      assertEquals(signedIn.error, null);
      const { data: user } = await app.auth.getUser();
      assertEquals(user.user?.email, email);
      const first = signedIn.data.session!.refresh_token;
      const refreshed = await app.auth.refreshSession();
      assertEquals(refreshed.error, null);
      assert(refreshed.data.session!.refresh_token !== first, "a new refresh token");
      assertEquals(
        payload(refreshed.data.session!.access_token).session_id,
        payload(signedIn.data.session!.access_token).session_id,
      );
      // a client that lost the answer and sends the old token again (within GoTrue's 10 s
      // reuse interval) gets the active token back
      const reused = await client().auth.refreshSession({ refresh_token: first });
      assertEquals(reused.data.session?.refresh_token, refreshed.data.session!.refresh_token);
      const last = refreshed.data.session!.refresh_token;
      assertEquals((await app.auth.signOut()).error, null);
      const afterSignOut = await client().auth.refreshSession({ refresh_token: last });
      assertEquals(afterSignOut.error?.code, "refresh_token_not_found");
    });

    await t.step("sign-out by scope; a token of an ended session is refused", async () => {
      const tablet = client();
      const till = client();
      const password = "correct horse";
      await tablet.auth.signInWithPassword({ email, password });
      await till.auth.signInWithPassword({ email, password });
      // others: every session but the caller's ends
      assertEquals((await till.auth.signOut({ scope: "others" })).error, null);
      assertEquals((await tablet.auth.refreshSession()).error?.code, "refresh_token_not_found");
      assertEquals((await till.auth.refreshSession()).error, null);
      // global (the default): every session of the user ends, the caller's too
      await tablet.auth.signInWithPassword({ email, password });
      const { data: { session } } = await till.auth.getSession();
      assertEquals((await tablet.auth.signOut()).error, null);
      assertEquals(
        (await client().auth.refreshSession({ refresh_token: session!.refresh_token })).error
          ?.code,
        "refresh_token_not_found",
      );
      const ended = await fetch(`${h.apiUrl}/auth/v1/user`, {
        headers: { apikey: h.anonKey, Authorization: `Bearer ${session!.access_token}` },
      });
      assertEquals([ended.status, (await ended.json()).error_code], [403, "session_not_found"]);
      const bogus = await fetch(`${h.apiUrl}/auth/v1/logout?scope=bogus`, {
        method: "POST",
        headers: { apikey: h.anonKey, Authorization: `Bearer ${session!.access_token}` },
      });
      assertEquals([bogus.status, (await bogus.json()).error_code], [400, "validation_failed"]);
      // a key is not a user
      const keyOnly = await client().auth.getUser(h.anonKey);
      assertEquals([keyOnly.error?.status, keyOnly.error?.code], [403, "bad_jwt"]);
    });

    await t.step("the signed-in user updates their metadata and password", async () => {
      const app = client();
      await app.auth.signInWithPassword({ email, password: "correct horse" });
      const updated = await app.auth.updateUser({ data: { till: 3 }, password: "new horse" });
      assertEquals([updated.error, updated.data.user?.user_metadata], [null, { till: 3 }]);
      assertEquals(
        (await client().auth.signInWithPassword({ email, password: "new horse" })).error,
        null,
      );
      const old = await client().auth.signInWithPassword({ email, password: "correct horse" });
      assertEquals(old.error?.code, "invalid_credentials");
    });

    await t.step("health and settings", async () => {
      const get = async (path: string) =>
        await (await fetch(`${h.apiUrl}/auth/v1${path}`, { headers: { apikey: h.anonKey } }))
          .json();
      assertEquals((await get("/health")).name, "GoTrue");
      const settings = await get("/settings");
      assertEquals([settings.disable_signup, settings.external.anonymous_users], [false, false]);
    });

    await t.step("the service role's admin API: create, grant app_metadata, delete", async () => {
      const admin = createClient(h.apiUrl, h.serviceRoleKey, {
        auth: { persistSession: false, autoRefreshToken: false },
      }).auth.admin;
      const created = await admin.createUser({
        email: `new-${email}`,
        password: "another horse",
        email_confirm: true,
      });
      assertEquals(created.error, null);
      const id = created.data.user!.id;
      const granted = await admin.updateUserById(id, { app_metadata: { store_ids: ["s1"] } });
      assertEquals(granted.data.user?.app_metadata, {
        provider: "email",
        providers: ["email"],
        store_ids: ["s1"],
      });
      const app = client();
      const { data } = await app.auth.signInWithPassword({
        email: `new-${email}`,
        password: "another horse",
      });
      assertEquals(payload(data.session!.access_token).app_metadata.store_ids, ["s1"]);
      // a user's token is not an admin's
      const notAdmin = await fetch(`${h.apiUrl}/auth/v1/admin/users/${id}`, {
        headers: { apikey: h.anonKey, Authorization: `Bearer ${data.session!.access_token}` },
      });
      assertEquals([notAdmin.status, (await notAdmin.json()).error_code], [403, "not_admin"]);
      // a key set to null is removed; a new password, a ban and its end take effect
      const removed = await admin.updateUserById(id, { app_metadata: { store_ids: null } });
      assertEquals(removed.data.user?.app_metadata, { provider: "email", providers: ["email"] });
      await admin.updateUserById(id, { password: "third horse", ban_duration: "24h" });
      const signIn = () =>
        client().auth.signInWithPassword({ email: `new-${email}`, password: "third horse" });
      assertEquals((await signIn()).error?.code, "user_banned");
      await admin.updateUserById(id, { ban_duration: "none" });
      assertEquals((await signIn()).error, null);
      const listed = await admin.listUsers({ page: 1, perPage: 100 });
      assertEquals(listed.data.users.some((u) => u.id === id), true);
      // pages: auth-js reads the total and the page numbers from GoTrue's Link header
      const [{ n }] = await h.sql`select count(*)::int as n from auth.users`;
      const page = async (number: number) => {
        const { data, error } = await admin.listUsers({ page: number, perPage: 1 });
        if (error || !("total" in data)) throw error ?? new Error("no pagination");
        return [data.users.length, data.total, data.nextPage, data.lastPage];
      };
      assertEquals(await page(1), [1, n, n > 1 ? 2 : null, n]);
      assertEquals(await page(n), [1, n, null, n]);
      assertEquals((await admin.deleteUser(id)).error, null);
      assertEquals((await admin.getUserById(id)).error?.status, 404);
      // a chosen id; without email_confirm the email must be confirmed before signing in
      const chosen = crypto.randomUUID();
      const unconfirmed = await admin.createUser({
        id: chosen,
        email: `unconfirmed-${email}`,
        password: "fourth horse",
      });
      assertEquals(unconfirmed.data.user?.id, chosen);
      const early = await client().auth.signInWithPassword({
        email: `unconfirmed-${email}`,
        password: "fourth horse",
      });
      assertEquals([early.error?.status, early.error?.code], [400, "email_not_confirmed"]);
    });
  });
});

Deno.test("auth: anonymous sign-ins when [auth] enables them", STACK_TEST, async () => {
  await withHarness(async (h) => {
    const app = createClient(h.apiUrl, h.anonKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    });
    const { data, error } = await app.auth.signInAnonymously();
    assertEquals(error, null);
    const claims = payload(data.session!.access_token);
    assertEquals([claims.role, claims.is_anonymous, claims.email], ["authenticated", true, ""]);
    const [row] = await h.sql`select is_anonymous, email from auth.users where id = ${claims.sub}`;
    assertEquals(row, { is_anonymous: true, email: null });
  }, { auth: { enableAnonymous: true } });
});
