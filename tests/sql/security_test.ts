// Security of the SQL core: what anon, authenticated (with and without store claims) and
// service_role may do, as PostgREST runs them, and the Supabase linter rules that apply,
// checked by querying the catalog.
import assert from "node:assert/strict";
import { adminSql } from "../_support/stack.ts";
import { asRole, assertPgError, asStaff, newPlace } from "./_db.ts";

const sql = adminSql({ max: 2 });
const RPCS = [
  "get_or_create_cart",
  "add_to_queue",
  "remove_from_queue",
  "call_queue_entry",
  "serve_queue_entry",
  "mark_no_show",
  "complete_cart",
  "list_queue",
];
const TABLES = ["stores", "locations", "customers", "carts", "cart_items", "location_queue"];

Deno.test("anon can neither call the RPCs nor read the tables", async () => {
  const p = await newPlace(sql);
  await assertPgError(
    asRole(
      sql,
      "anon",
      {},
      (tx) =>
        tx`select public.get_or_create_cart(p_location_id => ${p.locationId}::uuid, p_customer_id => ${p.customerId}::uuid)`,
    ),
    "42501",
  );
  await assertPgError(
    asRole(sql, "anon", {}, (tx) => tx`select count(*) from public.carts`),
    "42501",
  );
  const rows = await sql`select p.proname,
      has_function_privilege('anon', p.oid, 'execute') as anon_exec,
      has_function_privilege('authenticated', p.oid, 'execute') as auth_exec,
      has_function_privilege('service_role', p.oid, 'execute') as service_exec
    from pg_proc p where p.pronamespace = 'public'::regnamespace and p.proname = any(${RPCS})`;
  assert.equal(rows.length, RPCS.length);
  for (const r of rows) {
    assert.deepEqual([r.proname, r.anon_exec, r.auth_exec, r.service_exec], [
      r.proname,
      false,
      true,
      true,
    ]);
  }
  for (const t of TABLES) {
    const [r] = await sql`select has_table_privilege('anon', ${
      "public." + t
    }, 'select,insert,update,delete') as any`;
    assert.equal(r.any, false, `anon has a privilege on ${t}`);
  }
});

Deno.test("store scoping: JWT store_ids outside the location's store get PT403, RLS hides rows", async () => {
  const p = await newPlace(sql);
  const made = await asStaff(
    sql,
    (tx) =>
      tx`select public.add_to_queue(p_location_id => ${p.locationId}::uuid, p_customer_id => ${p.customerId}::uuid) as r`,
  );
  const cartId = made[0].r.cart.id;
  const outsider = { sub: crypto.randomUUID(), app_metadata: { store_ids: [p.otherStoreId] } };
  const insider = { sub: crypto.randomUUID(), app_metadata: { store_id: p.storeId } };
  await assertPgError(
    asStaff(
      sql,
      (tx) =>
        tx`select public.get_or_create_cart(p_location_id => ${p.locationId}::uuid, p_customer_id => ${p.customerId}::uuid)`,
      outsider,
    ),
    "PT403",
    "store_forbidden",
  );
  await assertPgError(
    asStaff(
      sql,
      (tx) => tx`select public.list_queue(p_location_id => ${p.locationId}::uuid)`,
      outsider,
    ),
    "PT403",
    "store_forbidden",
  );
  await assertPgError(
    asStaff(sql, (tx) => tx`select public.complete_cart(p_cart_id => ${cartId}::uuid)`, outsider),
    "PT404",
    "cart_not_found",
  );
  const hidden = await asStaff(
    sql,
    (tx) =>
      tx`select
      (select count(*)::int from public.carts where id = ${cartId}) as carts,
      (select count(*)::int from public.location_queue where cart_id = ${cartId}) as entries`,
    outsider,
  );
  assert.deepEqual([hidden[0].carts, hidden[0].entries], [0, 0]);
  // a direct item insert into a cart of another store is refused by RLS
  await assertPgError(
    asStaff(
      sql,
      (tx) => tx`insert into public.cart_items (cart_id, product_id) values (${cartId}, 'sku')`,
      outsider,
    ),
    "42501",
  );
  // the store's own staff (store_id claim) and unrestricted staff see and use it
  const seen = await asStaff(
    sql,
    (tx) => tx`select count(*)::int as n from public.carts where id = ${cartId}`,
    insider,
  );
  assert.equal(seen[0].n, 1);
  const got = await asStaff(
    sql,
    (tx) =>
      tx`select public.get_or_create_cart(p_location_id => ${p.locationId}::uuid, p_customer_id => ${p.customerId}::uuid) as r`,
    insider,
  );
  assert.equal(got[0].r.cart.id, cartId);
  await asStaff(
    sql,
    (tx) => tx`insert into public.cart_items (cart_id, product_id) values (${cartId}, 'sku')`,
    insider,
  );
  // service_role bypasses RLS
  const svc = await asRole(
    sql,
    "service_role",
    {},
    (tx) => tx`select count(*)::int as n from public.cart_items where cart_id = ${cartId}`,
  );
  assert.equal(svc[0].n, 1);
  // staff cannot rewrite a completed cart directly
  await asStaff(sql, (tx) => tx`select public.complete_cart(p_cart_id => ${cartId}::uuid)`);
  await assertPgError(
    asStaff(sql, (tx) => tx`update public.carts set status = 'active' where id = ${cartId}`),
    "PT409",
    "cart_not_active",
  );
});

Deno.test("linter: RLS everywhere, primary keys, immutable search_path, no definer for anon", async () => {
  const noRls = await sql`select c.relname from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relrowsecurity`;
  assert.deepEqual([...noRls], []);
  const noPk = await sql`select c.relname from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
      and not exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary)`;
  assert.deepEqual([...noPk], []);
  const mutable = await sql`select p.oid::regprocedure::text as f from pg_proc p
    where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
      and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) s where s like 'search_path=%')`;
  assert.deepEqual([...mutable], []);
  const definerForAnon = await sql`select p.oid::regprocedure::text as f from pg_proc p
    where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
      and p.prosecdef and has_function_privilege('anon', p.oid, 'execute')`;
  assert.deepEqual([...definerForAnon], []);
  const definerInPublic = await sql`select p.oid::regprocedure::text as f from pg_proc p
    where p.pronamespace = 'public'::regnamespace and p.prosecdef`;
  assert.deepEqual([...definerInPublic], []);
  const volatileRpcs = await sql`select proname from pg_proc
    where pronamespace = 'public'::regnamespace and proname = any(${
    RPCS.filter((r) => r !== "list_queue")
  })
      and provolatile <> 'v'`;
  assert.deepEqual([...volatileRpcs], []);
});

Deno.test("linter: foreign keys indexed, no duplicate index, policies use initplans, one permissive policy per role/action", async () => {
  const unindexed = await sql`select c.conrelid::regclass::text as t, c.conname from pg_constraint c
    where c.contype = 'f' and c.connamespace = 'public'::regnamespace
      and not exists (
        select 1 from pg_index i
        where i.indrelid = c.conrelid and i.indpred is null
          and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] = c.conkey)`;
  assert.deepEqual([...unindexed], []);
  const dup =
    await sql`select indrelid::regclass::text as t, array_agg(indexrelid::regclass::text) as idx
    from pg_index where indrelid in (select oid from pg_class where relnamespace = 'public'::regnamespace)
    group by indrelid, indkey::text, indclass::text, coalesce(pg_get_expr(indexprs, indrelid), ''),
      coalesce(pg_get_expr(indpred, indrelid), '')
    having count(*) > 1`;
  assert.deepEqual([...dup], []);
  const policies =
    await sql`select tablename, policyname, coalesce(qual, '') || ' ' || coalesce(with_check, '') as expr,
      roles::text[] as roles, cmd, permissive from pg_policies where schemaname = 'public'`;
  assert.ok(policies.length >= 12, `expected the product's policies, found ${policies.length}`);
  for (const p of policies) {
    const calls = (p.expr.match(/(auth\.\w+|private\.jwt_store_ids)\(\)/g) ?? []).length;
    const wrapped =
      (p.expr.match(/SELECT (auth\.\w+|private\.jwt_store_ids)\(\) AS/g) ?? []).length;
    assert.equal(
      wrapped,
      calls,
      `${p.tablename}.${p.policyname} calls auth helpers per row: ${p.expr}`,
    );
    assert.notDeepEqual(p.roles, ["public"], `${p.policyname} applies to every role`);
    assert.notEqual(p.expr.trim(), "true", `${p.policyname} is always true`);
  }
  const multiple = await sql`select tablename, r as role, cmd, count(*)::int as n
    from pg_policies, unnest(roles) r where schemaname = 'public' and permissive = 'PERMISSIVE'
    group by 1, 2, 3 having count(*) > 1`;
  assert.deepEqual([...multiple], []);
});

Deno.test({
  name: "close the connection pool",
  fn: () => sql.end(),
  sanitizeOps: false,
  sanitizeResources: false,
});
