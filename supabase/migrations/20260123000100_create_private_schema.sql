-- The `private` schema: helpers the RPCs and policies share, kept out of the schemas that
-- PostgREST exposes. Owns store scoping (which stores the caller's JWT may act for),
-- RFC 3339 timestamp formatting, and adding constraints idempotently to legacy tables.

create schema if not exists private;
comment on schema private is
  'Helpers of the cart/queue backend; not exposed through the API.';
grant usage on schema private to authenticated, service_role;

-- The store ids the caller's JWT restricts it to: app_metadata.store_ids (array) and/or
-- app_metadata.store_id. Null when the JWT carries no such claim (any store passes).
create or replace function private.jwt_store_ids() returns uuid[]
language sql stable
set search_path = ''
as $$
  with meta as (
    select coalesce(auth.jwt() -> 'app_metadata', '{}'::jsonb) as m
  ), ids as (
    select jsonb_array_elements_text(
      case when jsonb_typeof(m -> 'store_ids') = 'array' then m -> 'store_ids' else '[]' end
    ) as id
    from meta
    union
    select m ->> 'store_id' from meta where jsonb_typeof(m -> 'store_id') = 'string'
  )
  select case
    when (select m ? 'store_ids' or m ? 'store_id' from meta)
      then coalesce((select array_agg(id::uuid) from ids), '{}'::uuid[])
  end
$$;
comment on function private.jwt_store_ids() is
  'Store ids from the JWT''s app_metadata.store_ids / store_id; null when the JWT has neither (no restriction). To tighten scoping for every user, give each one app_metadata.store_ids.';

-- Whether the caller may act for a store (the RPCs' and policies' store rule).
create or replace function private.can_act_for_store(p_store_id uuid) returns boolean
language sql stable
set search_path = ''
as $$
  select private.jwt_store_ids() is null or p_store_id = any(private.jwt_store_ids())
$$;
comment on function private.can_act_for_store(uuid) is
  'True when the JWT carries no store restriction or lists this store.';

-- RFC 3339 in UTC, whatever the session time zone.
create or replace function private.ts_json(p_ts timestamptz) returns text
language sql immutable
set search_path = ''
as $$
  select to_char(p_ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;
comment on function private.ts_json(timestamptz) is
  'A timestamp as RFC 3339 text in UTC (null stays null).';

-- Adds a constraint when missing, NOT VALID first so legacy rows that break it do not
-- block the migration (new rows are checked); then validates it when the rows allow.
create or replace function private.ensure_constraint(
  p_table regclass, p_name text, p_definition text
) returns void
language plpgsql
set search_path = ''
as $$
begin
  if not exists (
    select 1 from pg_catalog.pg_constraint where conrelid = p_table and conname = p_name
  ) then
    execute format('alter table %s add constraint %I %s not valid', p_table, p_name, p_definition);
  end if;
  begin
    execute format('alter table %s validate constraint %I', p_table, p_name);
  exception when others then
    raise notice 'constraint % on % stays NOT VALID: %', p_name, p_table, sqlerrm;
  end;
end
$$;
comment on function private.ensure_constraint(regclass, text, text) is
  'Migration helper: add a constraint NOT VALID when missing, then validate it if legacy rows allow.';

revoke all on function private.jwt_store_ids() from public, anon;
revoke all on function private.can_act_for_store(uuid) from public, anon;
revoke all on function private.ts_json(timestamptz) from public, anon;
revoke all on function private.ensure_constraint(regclass, text, text) from public, anon, authenticated;
grant execute on function private.jwt_store_ids() to authenticated, service_role;
grant execute on function private.can_act_for_store(uuid) to authenticated, service_role;
grant execute on function private.ts_json(timestamptz) to authenticated, service_role;
