-- The `private` schema: helpers that the RPCs, triggers and row level security policies
-- share, kept out of the schemas PostgREST exposes. Owns:
--   * who the caller is: the JWT's user id and store claims, whether the caller is the
--     database itself (the owner of these objects, i.e. migrations and scheduled jobs) or an
--     API role (anon, authenticated, service_role), and whether it bypasses row level security;
--   * input rules shared by the RPCs and the table triggers (one definition each), raising
--     P0001 with HINT `invalid_argument` and the field in DETAIL;
--   * RFC 3339 timestamp text.
-- Every function here is SECURITY INVOKER: it runs with the caller's rights, so nothing in
-- this schema widens what a caller may do. `anon` may execute none of them.

set lock_timeout = '3s';
set statement_timeout = '30s';

create schema if not exists private;
comment on schema private is
  'Helpers of the cart/queue backend; not exposed through the API.';
grant usage on schema private to authenticated, service_role;

-- The caller's user id: the JWT's `sub` when it is a UUID, else null.
create or replace function private.caller_user_id() returns uuid
language plpgsql stable
set search_path = ''
as $$
declare
  v_sub text := auth.jwt() ->> 'sub';
begin
  if v_sub ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' then
    return v_sub::uuid;
  end if;
  return null;
end
$$;
comment on function private.caller_user_id() is
  'The JWT''s sub as a uuid (null when absent or not a uuid).';

-- Store ids granted by the JWT: app_metadata.store_ids (array) and app_metadata.store_id.
-- app_metadata is set by the server (service role, auth hooks), never by the user.
create or replace function private.claim_store_ids() returns uuid[]
language plpgsql stable
set search_path = ''
as $$
declare
  v_meta jsonb := auth.jwt() -> 'app_metadata';
  v_ids uuid[];
begin
  if v_meta is null or jsonb_typeof(v_meta) <> 'object' then
    return '{}'::uuid[];
  end if;
  select coalesce(array_agg(distinct s.id::uuid), '{}'::uuid[]) into v_ids
  from (
    select jsonb_array_elements_text(
      case when jsonb_typeof(v_meta -> 'store_ids') = 'array' then v_meta -> 'store_ids' else '[]' end
    ) as id
    union all
    select v_meta ->> 'store_id' where jsonb_typeof(v_meta -> 'store_id') = 'string'
  ) s
  where s.id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
  return v_ids;
end
$$;
comment on function private.claim_store_ids() is
  'Store ids the JWT''s app_metadata grants (store_ids and store_id); empty when none.';

-- Whether the current role is the database itself: a superuser, or the role that owns the
-- product's objects (the role migrations and scheduled jobs run as). Such writes are trusted
-- with business rules (lifecycle, frozen carts, database-managed columns); the structural
-- invariants (unique indexes, constraints, queue/cart links) still hold for them.
create or replace function private.is_database_itself() returns boolean
language plpgsql stable
set search_path = ''
as $$
begin
  return exists (
    select 1 from pg_catalog.pg_roles r
    where r.rolname = current_user
      and (r.rolsuper or r.oid = (select n.nspowner from pg_catalog.pg_namespace n
                                  where n.nspname = 'private'))
  );
end
$$;
comment on function private.is_database_itself() is
  'True for a superuser or the owner of the product''s objects (migrations, scheduled jobs); false for API roles.';

-- Whether the current role bypasses row level security (service_role, the owner): it then
-- sees every store.
create or replace function private.bypasses_rls() returns boolean
language plpgsql stable
set search_path = ''
as $$
begin
  return exists (
    select 1 from pg_catalog.pg_roles r
    where r.rolname = current_user and (r.rolsuper or r.rolbypassrls)
  );
end
$$;
comment on function private.bypasses_rls() is 'True when the current role bypasses row level security.';

-- Raises the one error for bad input: P0001, HINT invalid_argument, the field in DETAIL.
create or replace function private.invalid_argument(p_field text, p_message text) returns void
language plpgsql volatile
set search_path = ''
as $$
begin
  raise exception '%', p_message
    using errcode = 'P0001', hint = 'invalid_argument', detail = p_field;
end
$$;
comment on function private.invalid_argument(text, text) is
  'Raises P0001 invalid_argument naming the field in DETAIL.';

-- A device id as stored: trimmed, empty -> null; 1-200 characters, no control characters.
create or replace function private.clean_device_id(p_device_id text) returns text
language plpgsql immutable
set search_path = ''
as $$
declare
  v text := nullif(btrim(p_device_id), '');
begin
  if v is not null and (char_length(v) > 200 or v ~ '[[:cntrl:]]') then
    perform private.invalid_argument('device_id',
      'device_id must be 1-200 characters without control characters');
  end if;
  return v;
end
$$;
comment on function private.clean_device_id(text) is
  'Normalises a device id (trimmed, empty = null) and rejects one over 200 characters or with control characters.';

-- The queue entry's optional fields: party size 1-100, note at most 500 characters.
create or replace function private.check_entry_fields(p_party_size integer, p_note text) returns void
language plpgsql immutable
set search_path = ''
as $$
begin
  if p_party_size is not null and (p_party_size < 1 or p_party_size > 100) then
    perform private.invalid_argument('party_size', 'party_size must be between 1 and 100');
  end if;
  if p_note is not null and char_length(p_note) > 500 then
    perform private.invalid_argument('note', 'note must be at most 500 characters');
  end if;
end
$$;
comment on function private.check_entry_fields(integer, text) is
  'Rejects a party size outside 1-100 and a note over 500 characters.';

-- The most items one cart line holds.
create or replace function private.max_item_quantity() returns integer
language sql immutable
set search_path = ''
as $$
  select 100000
$$;
comment on function private.max_item_quantity() is 'The most items one cart line holds (100000).';

-- A cart line's fields: product 1-200 characters without control characters, quantity
-- 1-private.max_item_quantity(), unit price 0-9999999999.99.
create or replace function private.check_item_fields(
  p_product_id text, p_quantity integer, p_unit_price numeric
) returns void
language plpgsql immutable
set search_path = ''
as $$
begin
  if p_product_id is null or char_length(p_product_id) not between 1 and 200
    or p_product_id ~ '[[:cntrl:]]' then
    perform private.invalid_argument('product_id',
      'product_id must be 1-200 characters without control characters');
  end if;
  if p_quantity is null or p_quantity not between 1 and private.max_item_quantity() then
    perform private.invalid_argument('quantity', 'quantity must be between 1 and 100000');
  end if;
  -- as stored (numeric(12,2)): a price that rounds out of range is refused here, not by the
  -- column's overflow error
  if p_unit_price is null or round(p_unit_price, 2) not between 0 and 9999999999.99 then
    perform private.invalid_argument('unit_price',
      'unit_price must be between 0 and 9999999999.99');
  end if;
end
$$;
comment on function private.check_item_fields(text, integer, numeric) is
  'Rejects a cart line with a bad product id, quantity or unit price.';

-- Raises the refusal of a direct table write that the data model does not allow: PT409
-- with HINT `use_<rpc>`, naming the RPC that does what the caller meant.
create or replace function private.refuse_direct_write(p_message text, p_rpc text) returns void
language plpgsql volatile
set search_path = ''
as $$
begin
  raise exception '%', p_message
    using errcode = 'PT409', hint = 'use_' || p_rpc;
end
$$;
comment on function private.refuse_direct_write(text, text) is
  'Raises PT409 with HINT use_<rpc>, naming the RPC to call instead of this direct write.';

-- RFC 3339 in UTC, whatever the session time zone.
create or replace function private.ts_json(p_ts timestamptz) returns text
language sql immutable
set search_path = ''
as $$
  select to_char(p_ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;
comment on function private.ts_json(timestamptz) is
  'A timestamp as RFC 3339 text in UTC (null stays null).';

-- For migration files that change several tables the apps write to: takes every lock the
-- file needs in one go, before it changes anything, so the file never holds one table while
-- it waits for the next (which is how a migration deadlocks with an app's transaction or
-- keeps the apps waiting behind it). Most tries wait at most 100 ms per table, less than
-- deadlock_timeout (1 s), so where a try and an app's transaction wait for each other the try
-- gives up before the app can be chosen to end the deadlock; a try that did not get every
-- lock releases what it got (its subtransaction ends), pauses and tries again. Every fifth
-- try waits up to deadlock_timeout + 500 ms: PostgreSQL cancels an autovacuum that blocks a
-- lock request for deadlock_timeout (on a big table it would otherwise hold the table past
-- any number of short tries), and in a deadlock this session, which waited first, is the one
-- its check ends. The apps wait behind one try for at most 100 ms per table (1.5 s on a long
-- try), then the file holds the locks until its transaction ends. After p_max_wait it gives
-- up with 55P03, and the file can be applied again. Tables that do not exist yet (a new
-- database) are skipped. Where a runner sends a file statement by statement (`psql -f`), this
-- statement commits on its own and its locks end with it; each later statement then waits
-- for its own lock with the file's lock_timeout.
create or replace function private.lock_tables(
  p_tables text[], p_mode text, p_max_wait interval default '20 seconds'
) returns void
language plpgsql volatile
set search_path = ''
as $$
declare
  v_lock_timeout text := pg_catalog.current_setting('lock_timeout');
  v_long_try text := (extract(epoch from pg_catalog.current_setting('deadlock_timeout')::interval)
    * 1000 + 500)::bigint::text || 'ms';
  v_started timestamptz := pg_catalog.clock_timestamp();
  v_try integer := 0;
  v_list text;
begin
  if p_mode not in ('share row exclusive', 'exclusive', 'access exclusive') then
    raise exception 'lock mode % is not one a migration takes', p_mode using errcode = '22023';
  end if;
  select pg_catalog.string_agg(pg_catalog.to_regclass(t)::text, ', ' order by o)
    into v_list
  from unnest(p_tables) with ordinality as u(t, o)
  where pg_catalog.to_regclass(t) is not null;
  if v_list is null then
    return;
  end if;
  loop
    v_try := v_try + 1;
    begin
      perform pg_catalog.set_config('lock_timeout',
        case when v_try % 5 = 0 then v_long_try else '100ms' end, true);
      execute pg_catalog.format('lock table %s in %s mode', v_list, p_mode);
      perform pg_catalog.set_config('lock_timeout', v_lock_timeout, true);
      return;
    exception when lock_not_available or deadlock_detected then
      exit when pg_catalog.clock_timestamp() - v_started > p_max_wait;
      perform pg_catalog.pg_sleep(least(0.02 * v_try, 0.2));
    end;
  end loop;
  raise exception 'could not lock % in % mode in % tries (%)', v_list, p_mode, v_try, p_max_wait
    using errcode = '55P03', detail = 'a long transaction holds one of these tables; apply the file again';
end
$$;
comment on function private.lock_tables(text[], text, interval) is
  'Migrations: locks the tables all at once, most tries waiting at most 100 ms per table, tries again after a pause (raises 55P03 after p_max_wait).';

-- Migrations: drops every function public.<p_name> but the product's own (argument types
-- p_arg_types, as pg_catalog.oidvectortypes prints them, returning jsonb). An older app's
-- function of the same name would make a call with named arguments ambiguous (42725), or, with
-- the same arguments and another return type, stop `create or replace`; the product's RPC of
-- that name takes its calls. Each one dropped is named in a notice with its definition.
create or replace function private.drop_other_functions(p_name text, p_arg_types text)
returns void
language plpgsql volatile
set search_path = ''
as $$
declare
  v_fn regprocedure;
begin
  for v_fn in
    select p.oid::regprocedure from pg_catalog.pg_proc p
    where p.pronamespace = 'public'::regnamespace and p.proname = p_name
      and (pg_catalog.oidvectortypes(p.proargtypes) <> p_arg_types
        or p.prorettype <> 'jsonb'::regtype)
  loop
    raise notice 'dropping %, replaced by the product''s %(%): %', v_fn, p_name, p_arg_types,
      pg_catalog.pg_get_functiondef(v_fn);
    execute pg_catalog.format('drop function %s', v_fn);
  end loop;
end
$$;
comment on function private.drop_other_functions(text, text) is
  'Migrations: drops the functions public.<name> other than the product''s signature (an older app''s overloads).';

-- The names of the unique indexes of I1-I3 (built by 20260123000910-930, required by 001000).
create or replace function private.invariant_index_names() returns text[]
language sql immutable
set search_path = ''
as $$
  select array['carts_one_active_per_customer_location', 'carts_one_active_per_device_location',
    'location_queue_one_open_per_customer_location']
$$;
comment on function private.invariant_index_names() is
  'Migrations: the names of the unique indexes that keep I1-I3.';

-- Migrations: an older app's NOT NULL column without a default on one of the apps' tables, which
-- the product never writes, would refuse every row the repair and the product create (23502).
-- Each such column (not one of p_product_columns) becomes nullable, named in a notice; the
-- older app goes on writing it.
create or replace function private.relax_not_null(p_table regclass, p_product_columns text[])
returns void
language plpgsql volatile
set search_path = ''
as $$
declare
  v_column name;
begin
  for v_column in
    select a.attname from pg_catalog.pg_attribute a
    where a.attrelid = p_table and a.attnum > 0 and not a.attisdropped and a.attnotnull
      and not a.atthasdef and a.attidentity = '' and a.attgenerated = ''
      and a.attname <> all (p_product_columns)
      and not exists (select 1 from pg_catalog.pg_index i
                      where i.indrelid = p_table and i.indisprimary and a.attnum = any (i.indkey))
    order by a.attnum
  loop
    raise notice 'column %.% is NOT NULL without a default, and the product does not write it: now nullable',
      p_table, v_column;
    execute pg_catalog.format('alter table %s alter column %I drop not null', p_table, v_column);
  end loop;
end
$$;
comment on function private.relax_not_null(regclass, text[]) is
  'Migrations: makes an older app''s NOT NULL columns without a default, which the product does not write, nullable.';

-- Migrations: adds the foreign key p_name (NOT VALID) unless the table already has a validated
-- one of the same columns and referenced columns, under another name (an app's own, or one
-- declared when its table was created), which already enforces it. Two keys of the same
-- columns would check every write twice. Dropped first when present, so a file can be
-- applied again. Returns whether the key was added.
create or replace function private.add_foreign_key(p_table regclass, p_name text, p_columns text[],
  p_references regclass, p_referenced_columns text[])
returns boolean
language plpgsql volatile
set search_path = ''
as $$
declare
  v_keys smallint[] := array(
    select a.attnum from unnest(p_columns) with ordinality c (name, n)
    join pg_catalog.pg_attribute a on a.attrelid = p_table and a.attname = c.name order by c.n);
  v_referenced smallint[] := array(
    select a.attnum from unnest(p_referenced_columns) with ordinality c (name, n)
    join pg_catalog.pg_attribute a on a.attrelid = p_references and a.attname = c.name order by c.n);
  v_present text;
begin
  execute pg_catalog.format('alter table %s drop constraint if exists %I', p_table, p_name);
  select c.conname into v_present from pg_catalog.pg_constraint c
  where c.conrelid = p_table and c.contype = 'f' and c.convalidated
    and c.confrelid = p_references and c.conkey = v_keys and c.confkey = v_referenced
  order by c.conname limit 1;
  if v_present is not null then
    raise notice 'foreign key % of % already enforced by %', p_name, p_table, v_present;
    return false;
  end if;
  execute pg_catalog.format('alter table %s add constraint %I foreign key (%s) references %s (%s) not valid',
    p_table, p_name,
    (select string_agg(pg_catalog.quote_ident(c), ', ') from unnest(p_columns) c),
    p_references,
    (select string_agg(pg_catalog.quote_ident(c), ', ') from unnest(p_referenced_columns) c));
  return true;
end
$$;
comment on function private.add_foreign_key(regclass, text, text[], regclass, text[]) is
  'Migrations: adds a foreign key NOT VALID unless a validated one of the same columns is already there.';

revoke all on function private.drop_other_functions(text, text) from public, anon, authenticated, service_role;
revoke all on function private.invariant_index_names() from public, anon;
grant execute on function private.invariant_index_names() to authenticated, service_role;
revoke all on function private.relax_not_null(regclass, text[]) from public, anon, authenticated, service_role;
revoke all on function private.add_foreign_key(regclass, text, text[], regclass, text[]) from public, anon, authenticated, service_role;
revoke all on function private.caller_user_id() from public, anon;
revoke all on function private.claim_store_ids() from public, anon;
revoke all on function private.is_database_itself() from public, anon;
revoke all on function private.bypasses_rls() from public, anon;
revoke all on function private.invalid_argument(text, text) from public, anon;
revoke all on function private.clean_device_id(text) from public, anon;
revoke all on function private.check_entry_fields(integer, text) from public, anon;
revoke all on function private.check_item_fields(text, integer, numeric) from public, anon;
revoke all on function private.max_item_quantity() from public, anon;
revoke all on function private.refuse_direct_write(text, text) from public, anon;
revoke all on function private.ts_json(timestamptz) from public, anon;
revoke all on function private.lock_tables(text[], text, interval) from public, anon, authenticated, service_role;
grant execute on function private.caller_user_id() to authenticated, service_role;
grant execute on function private.claim_store_ids() to authenticated, service_role;
grant execute on function private.is_database_itself() to authenticated, service_role;
grant execute on function private.bypasses_rls() to authenticated, service_role;
grant execute on function private.invalid_argument(text, text) to authenticated, service_role;
grant execute on function private.clean_device_id(text) to authenticated, service_role;
grant execute on function private.check_entry_fields(integer, text) to authenticated, service_role;
grant execute on function private.check_item_fields(text, integer, numeric) to authenticated, service_role;
grant execute on function private.max_item_quantity() to authenticated, service_role;
grant execute on function private.refuse_direct_write(text, text) to authenticated, service_role;
grant execute on function private.ts_json(timestamptz) to authenticated, service_role;

reset lock_timeout;
reset statement_timeout;
