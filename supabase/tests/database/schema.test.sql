-- The schema as Supabase's database linter and a reviewer read it: row level security on every
-- exposed table, no privilege for anon, no SECURITY DEFINER function any API role may execute,
-- fixed search_path everywhere, every foreign key covered by an index of exactly its columns
-- and none twice, no duplicate or invalid index, a primary key on every table, policies that
-- evaluate their helpers once per statement (initplans) with one permissive policy per role and
-- command, the invariants' unique indexes valid, the constraints validated, the deploy window
-- closed, the tables in the Realtime publication (a deleted line with its key only), no API
-- role reading or setting a sequence or truncating, triggering or referencing a table, and
-- every object documented.
begin;
\ir _helpers.psql
select plan(27);

select is(array(
  select c.relname::text from pg_class c
  where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relrowsecurity
  order by 1), '{}'::text[], 'RLS is on for every table in public');
select is(array(
  select c.oid::regclass::text from pg_class c
  where c.relnamespace in ('public'::regnamespace, 'private'::regnamespace) and c.relkind = 'r'
    and c.relrowsecurity and not exists (select 1 from pg_policy p where p.polrelid = c.oid)
  order by 1), '{}'::text[], 'every table with RLS has a policy (lint 0008)');
select is(array(
  select c.oid::regclass::text from pg_class c
  where c.relnamespace in ('public'::regnamespace, 'private'::regnamespace) and c.relkind = 'r'
    and not c.relrowsecurity and exists (select 1 from pg_policy p where p.polrelid = c.oid)
  order by 1), '{}'::text[], 'no table has policies with RLS off (lint 0007)');
select is(array(
  select c.oid::regclass::text from pg_class c
  where c.relnamespace in ('public'::regnamespace, 'private'::regnamespace) and c.relkind = 'r'
    and not exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary)
  order by 1), '{}'::text[], 'every table has a primary key (lint 0004)');
select is(array(
  select c.relname::text from pg_class c
  where c.relnamespace in ('public'::regnamespace, 'private'::regnamespace) and c.relkind in ('r', 'v', 'm', 'S')
    and (has_table_privilege('anon', c.oid, 'select,insert,update,delete,truncate,references,trigger')
      or c.relkind = 'S' and has_sequence_privilege('anon', c.oid, 'usage,select,update'))
  order by 1), '{}'::text[], 'anon has no privilege on any table or sequence');
select is(array(
  select format('%s %s', r.rolname, c.oid::regclass) from pg_class c
  cross join (values ('authenticated'), ('service_role')) r (rolname)
  where c.relnamespace in ('public'::regnamespace, 'private'::regnamespace) and c.relkind in ('r', 'p')
    and has_table_privilege(r.rolname, c.oid, 'truncate,trigger,references')
  order by 1), '{}'::text[], 'no API role may truncate a table, or add a trigger or a reference to it');
select is(array(
  select c.oid::regclass::text from pg_class c
  where c.relnamespace in ('public'::regnamespace, 'private'::regnamespace) and c.relkind = 'S'
    and (has_sequence_privilege('authenticated', c.oid, 'select')
      or has_sequence_privilege('authenticated', c.oid, 'update'))
  order by 1), '{}'::text[], 'authenticated may draw from a sequence, never read or set it');
select is(array(
  select p.oid::regprocedure::text from pg_proc p
  where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
    and has_function_privilege('anon', p.oid, 'execute')
  order by 1), '{}'::text[], 'anon may execute no function');
select is(array(
  select p.oid::regprocedure::text from pg_proc p
  where p.prosecdef and p.pronamespace not in ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
    and p.pronamespace::regnamespace::text not in ('auth', 'extensions', 'cron', 'storage', 'realtime', 'graphql', 'vault')
    and (has_function_privilege('anon', p.oid, 'execute')
      or has_function_privilege('authenticated', p.oid, 'execute')
      or has_function_privilege('service_role', p.oid, 'execute'))
  order by 1), '{}'::text[], 'no SECURITY DEFINER function is executable by an API role (lints 0028, 0029)');
select is(array(
  select p.oid::regprocedure::text from pg_proc p
  where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
    and not coalesce(p.proconfig, '{}') && array['search_path=""']
  order by 1), '{}'::text[], 'every function has search_path = '''' (lint 0011)');
select is(array(
  select p.proname::text from pg_proc p
  where p.pronamespace = 'public'::regnamespace and p.proname <> 'list_queue' and p.provolatile <> 'v'
  order by 1), '{}'::text[], 'the writing RPCs are VOLATILE (a stable one would miss a competing insert)');
select is(array(
  select format('%s.%s', c.conrelid::regclass, c.conname) from pg_constraint c
  join pg_class t on t.oid = c.conrelid
  where c.contype = 'f' and t.relnamespace in ('public'::regnamespace, 'private'::regnamespace)
    and not exists (select 1 from pg_index i where i.indrelid = c.conrelid and i.indisvalid
                    and string_to_array(i.indkey::text, ' ')::smallint[] = c.conkey)
  order by 1), '{}'::text[], 'every foreign key has an index of exactly its columns (lint 0001)');
select is(array(
  select array_agg(format('%s.%s', conrelid::regclass, conname) order by conname)::text
  from pg_constraint
  where contype = 'f' and connamespace in ('public'::regnamespace, 'private'::regnamespace)
  group by conrelid, conkey, confrelid, confkey
  having count(*) > 1), '{}'::text[], 'no two foreign keys of the same columns and reference');
select is(array(
  select array_agg(indexrelid::regclass::text order by indexrelid::regclass::text)::text from pg_index
  where indrelid in (select oid from pg_class
    where relnamespace in ('public'::regnamespace, 'private'::regnamespace))
  group by indrelid, indkey::text, indclass::text, coalesce(pg_get_expr(indexprs, indrelid), ''),
    coalesce(pg_get_expr(indpred, indrelid), '')
  having count(*) > 1), '{}'::text[], 'no duplicate index (lint 0009)');
select is(array(
  select i.indexrelid::regclass::text from pg_index i join pg_class c on c.oid = i.indrelid
  where c.relnamespace in ('public'::regnamespace, 'private'::regnamespace) and not i.indisvalid
  order by 1), '{}'::text[], 'every index is valid (lint 0030)');
select is(array(
  select format('%s.%s.%s', schemaname, tablename, policyname) from pg_policies
  where schemaname in ('public', 'private')
    and (regexp_count(coalesce(qual, '') || coalesce(with_check, ''),
        '(auth\.\w+|private\.\w+)\(\)|current_setting\(')
      <> regexp_count(coalesce(qual, '') || coalesce(with_check, ''),
        'SELECT (auth\.\w+|private\.\w+)\(\) AS|SELECT current_setting\('))
  order by 1), '{}'::text[], 'policies call their helpers once per statement (lint 0003)');
-- As the linter reads policies: FOR ALL is each of the four commands, TO public is every role
-- that does not bypass row level security.
select is(array(
  select format('%s %s %s', p.polrelid::regclass, r.rolname, cmd) from pg_policy p
  join pg_class c on c.oid = p.polrelid
  join pg_roles r on p.polroles @> array[r.oid] or p.polroles = array[0::oid]
  cross join lateral unnest(case p.polcmd when 'r' then array['SELECT'] when 'a' then array['INSERT']
    when 'w' then array['UPDATE'] when 'd' then array['DELETE']
    else array['SELECT', 'INSERT', 'UPDATE', 'DELETE'] end) cmd
  where c.relnamespace in ('public'::regnamespace, 'private'::regnamespace) and p.polpermissive
    and r.rolname not like 'pg\_%' and r.rolname not like 'supabase%admin' and not r.rolbypassrls
  group by p.polrelid, r.rolname, cmd having count(*) > 1
  order by 1), '{}'::text[], 'one permissive policy per table, role and command (lint 0006)');
select is(array(
  select format('%s.%s.%s', schemaname, tablename, policyname) from pg_policies
  where schemaname in ('public', 'private') and permissive = 'PERMISSIVE'
    and (cmd in ('UPDATE', 'DELETE', 'ALL')
        and (regexp_replace(lower(coalesce(qual, '')), '\s', '', 'g') in ('true', '(true)', '1=1', '(1=1)')
          or qual is null)
      or regexp_replace(lower(coalesce(with_check, '')), '\s', '', 'g') in ('true', '(true)', '1=1', '(1=1)')
      or with_check is null and cmd in ('INSERT', 'UPDATE', 'ALL'))
  order by 1), '{}'::text[], 'no permissive policy is always true (lint 0024)');
select is(array(
  select policyname::text from pg_policies
  where schemaname = 'public' and permissive = 'RESTRICTIVE' and cmd = 'ALL'
  order by 1),
  array['cart_events_store_scope', 'cart_items_store_scope', 'carts_store_scope',
    'customers_store_scope', 'location_queue_store_scope', 'locations_store_scope',
    'store_members_own_scope', 'store_settings_store_scope', 'stores_store_scope'],
  'every store-owned table has a restrictive store scope for every role, store_members the user''s own');
select is(array(
  select i.indexrelid::regclass::text from pg_index i
  where i.indexrelid in ('public.carts_one_active_per_customer_location'::regclass,
    'public.carts_one_active_per_device_location'::regclass,
    'public.location_queue_one_open_per_customer_location'::regclass)
    and i.indisunique and i.indisvalid
  order by 1),
  array['carts_one_active_per_customer_location', 'carts_one_active_per_device_location',
    'location_queue_one_open_per_customer_location'], 'I1-I3: the unique indexes exist and are valid');
select is(array(
  select format('%s.%s', conrelid::regclass, conname) from pg_constraint
  where connamespace = 'public'::regnamespace and not convalidated
  order by 1), '{}'::text[], 'every constraint is validated (on a database without legacy rows)');
select is(array(
  select tgname::text from pg_trigger where tgname like '%duplicates%' order by 1),
  '{}'::text[], 'the deploy window''s duplicate guard is gone');
select is(array(
  select format('%s %s', t.tgrelid::regclass, t.tgname) from pg_trigger t
  where not t.tgisinternal and t.tgrelid in ('public.carts'::regclass, 'public.cart_items'::regclass,
    'public.location_queue'::regclass) and t.tgenabled = 'O'
  order by 1),
  array['cart_items cart_items_guard', 'cart_items cart_items_record_event', 'carts carts_guard',
    'carts carts_record_event', 'carts carts_settle', 'location_queue location_queue_check_taken_id',
    'location_queue location_queue_guard', 'location_queue location_queue_record_event'],
  'the rule and history triggers are installed and enabled');
select is(array(
  select format('%s %s', t.tablename, c.relreplident) from pg_publication_tables t
  join pg_class c on c.relname = t.tablename and c.relnamespace = 'public'::regnamespace
  where t.pubname = 'supabase_realtime' and t.schemaname = 'public'
  order by 1), array['cart_items d', 'carts f', 'location_queue f'],
  'Realtime publishes the cart tables; a deleted line carries its key only (replica identity default)');
select is(array(
  select c.relname::text from pg_class c
  where c.relnamespace in ('public'::regnamespace, 'private'::regnamespace) and c.relkind = 'r'
    and obj_description(c.oid, 'pg_class') is null
  order by 1), '{}'::text[], 'every table has a comment');
select is(array(
  select format('%s.%s', c.relname, a.attname) from pg_attribute a join pg_class c on c.oid = a.attrelid
  where c.relnamespace = 'public'::regnamespace and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
    and col_description(c.oid, a.attnum) is null
  order by 1), '{}'::text[], 'every column has a comment');
select is(array(
  select p.oid::regprocedure::text from pg_proc p
  where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
    and obj_description(p.oid, 'pg_proc') is null
  order by 1), '{}'::text[], 'every function has a comment');

select * from finish();
rollback;
