-- Stores, locations, customers and store memberships: what carts and the queue refer to,
-- and who may act for which store. A live POS project usually has the first three already;
-- then only missing columns are added (no table rewrite: new columns are nullable or have a
-- constant default). Indexes on these tables are built concurrently in files of their own.

set lock_timeout = '3s';
set statement_timeout = '30s';

-- Every lock this file takes, at once (private.lock_tables).
select private.lock_tables(array['public.stores', 'public.locations', 'public.customers'],
  'access exclusive');

create table if not exists public.stores (
  id uuid primary key default gen_random_uuid(),
  name text not null default '',
  created_at timestamptz not null default now()
);
alter table public.stores add column if not exists name text not null default '';
alter table public.stores add column if not exists created_at timestamptz not null default now();
comment on table public.stores is 'A merchant''s store; owns locations. Staff act for the stores granted to them.';
comment on column public.stores.id is 'Store id.';
comment on column public.stores.name is 'Display name.';
comment on column public.stores.created_at is 'When the store was created.';

create table if not exists public.locations (
  id uuid primary key default gen_random_uuid(),
  store_id uuid not null references public.stores (id),
  name text not null default '',
  created_at timestamptz not null default now()
);
alter table public.locations add column if not exists store_id uuid;
alter table public.locations add column if not exists name text not null default '';
alter table public.locations add column if not exists created_at timestamptz not null default now();
comment on table public.locations is 'A point of sale site of a store; carts and queues live here.';
comment on column public.locations.id is 'Location id.';
comment on column public.locations.store_id is 'The store this location belongs to.';
comment on column public.locations.name is 'Display name.';
comment on column public.locations.created_at is 'When the location was created.';

-- A single-merchant project (its database had no stores, so no location has one) gets one
-- store that holds every location: the repair then files its carts and queue entries under
-- it, and its staff, granted every store by 20260123001100, act for it at once. Where any store
-- exists nothing happens here (a location without a store stays so; the repair keeps and
-- reports its rows). Applied again, it finds a store and does nothing.
do $$
declare
  v_store uuid;
begin
  if not exists (select 1 from public.stores)
     and exists (select 1 from public.locations l where l.store_id is null) then
    insert into public.stores (name) values ('Store') returning id into v_store;
    update public.locations l set store_id = v_store where l.store_id is null;
    raise notice 'no store existed: the new store % (named "Store") holds every location', v_store;
  end if;
end
$$;

create table if not exists public.customers (
  id uuid primary key default gen_random_uuid(),
  store_id uuid,
  name text not null default '',
  created_at timestamptz not null default now()
);
alter table public.customers add column if not exists store_id uuid;
alter table public.customers add column if not exists name text not null default '';
alter table public.customers add column if not exists created_at timestamptz not null default now();
comment on table public.customers is
  'A customer known to the POS. With store_id, only that store''s staff see it; without, staff of every store of the project do (single-merchant projects).';
comment on column public.customers.id is 'Customer id.';
comment on column public.customers.store_id is 'The store that owns this customer record; null = shared by the project''s stores.';
comment on column public.customers.name is 'Display name.';
comment on column public.customers.created_at is 'When the customer was created.';

-- Who may act for which store, besides the JWT's app_metadata.store_ids claim. Written by
-- the service role or SQL only (docs/api.md, "Access"); a user reads their own rows.
create table if not exists public.store_members (
  store_id uuid not null references public.stores (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (store_id, user_id)
);
-- An older table of this name may lack the column.
alter table public.store_members add column if not exists created_at timestamptz not null default now();
comment on table public.store_members is
  'Store access granted to a user (in addition to the JWT''s app_metadata.store_ids). Managed by the service role or SQL.';
comment on column public.store_members.store_id is 'The store the user may act for.';
comment on column public.store_members.user_id is 'The user (auth.users.id, the JWT''s sub).';
comment on column public.store_members.created_at is 'When the access was granted.';
-- A table of this product, created above: its indexes need no concurrent build.
-- squawk-ignore require-concurrent-index-creation
create index if not exists store_members_user_id_idx on public.store_members (user_id);
-- squawk-ignore require-concurrent-index-creation
create index if not exists store_members_store_id_idx on public.store_members (store_id);
comment on index public.store_members_user_id_idx is 'The caller''s stores (row level security); covers the user foreign key.';
comment on index public.store_members_store_id_idx is 'Covers the store foreign key.';

-- Runs that must happen once per database (the grant to the users of an existing
-- deployment), so that applying the migrations again does not repeat them.
create table if not exists private.applied_once (
  name text primary key,
  applied_at timestamptz not null default now()
);
comment on table private.applied_once is 'One-time data steps of the migrations that have run in this database.';

-- The stores the caller may act for: the JWT's claim plus the caller's memberships.
-- SECURITY INVOKER: the membership rows are read under the caller's own row level security
-- (a user reads only their own rows).
create or replace function private.caller_store_ids() returns uuid[]
language plpgsql stable
set search_path = ''
as $$
declare
  v_user uuid := private.caller_user_id();
  v_ids uuid[] := private.claim_store_ids();
begin
  if v_user is not null then
    select coalesce(array_agg(distinct s), '{}'::uuid[]) into v_ids
    from (
      select unnest(v_ids) as s
      union
      select m.store_id from public.store_members m where m.user_id = v_user
    ) x;
  end if;
  return v_ids;
end
$$;
comment on function private.caller_store_ids() is
  'Store ids the caller may act for: the JWT''s app_metadata.store_ids / store_id and the caller''s store_members rows.';

-- Whether the caller may see anything at all: a role that bypasses RLS, or a user with at
-- least one granted store. Decides between "no access" (403) and "not found" (404).
create or replace function private.caller_has_store_access() returns boolean
language plpgsql stable
set search_path = ''
as $$
begin
  return private.bypasses_rls() or cardinality(private.caller_store_ids()) > 0;
end
$$;
comment on function private.caller_has_store_access() is
  'True when the caller bypasses RLS or has at least one store granted.';

-- Raises the answer to a caller without any store: PT403 store_forbidden. It names nothing,
-- so it reveals nothing about the row that was asked for.
create or replace function private.raise_no_access_or_not_found(p_hint text, p_what text) returns void
language plpgsql stable
set search_path = ''
as $$
begin
  if not private.caller_has_store_access() then
    raise exception 'no store is granted to this user'
      using errcode = 'PT403', hint = 'store_forbidden';
  end if;
  raise exception '% not found', p_what using errcode = 'PT404', hint = p_hint;
end
$$;
comment on function private.raise_no_access_or_not_found(text, text) is
  'Raises PT403 store_forbidden for a caller without any store, else PT404 with the given hint. Rows of other stores and missing rows get the same answer.';

revoke all on function private.caller_store_ids() from public, anon;
revoke all on function private.caller_has_store_access() from public, anon;
revoke all on function private.raise_no_access_or_not_found(text, text) from public, anon;
grant execute on function private.caller_store_ids() to authenticated, service_role;
grant execute on function private.caller_has_store_access() to authenticated, service_role;
grant execute on function private.raise_no_access_or_not_found(text, text) to authenticated, service_role;

reset lock_timeout;
reset statement_timeout;
