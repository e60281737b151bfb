-- Stores, locations and customers: minimal tables for the carts and the queue to refer to.
-- A live POS project usually has them already; then only missing columns are added.

create table if not exists public.stores (
  id uuid primary key default gen_random_uuid(),
  name text not null default '',
  created_at timestamptz not null default now()
);
alter table public.stores add column if not exists name text not null default '';
alter table public.stores add column if not exists created_at timestamptz not null default now();
comment on table public.stores is 'A merchant; owns locations.';
comment on column public.stores.id is 'Store id.';
comment on column public.stores.name is 'Display name.';
comment on column public.stores.created_at is 'When the store was created.';

create table if not exists public.locations (
  id uuid primary key default gen_random_uuid(),
  store_id uuid not null,
  name text not null default '',
  created_at timestamptz not null default now()
);
alter table public.locations add column if not exists store_id uuid;
alter table public.locations add column if not exists name text not null default '';
alter table public.locations add column if not exists created_at timestamptz not null default now();
select private.ensure_constraint('public.locations', 'locations_store_id_fkey',
  'foreign key (store_id) references public.stores (id)');
create index if not exists locations_store_id_idx on public.locations (store_id);
comment on table public.locations is 'A point of sale site of a store; carts and queues live here.';
comment on column public.locations.id is 'Location id.';
comment on column public.locations.store_id is 'The store this location belongs to.';
comment on column public.locations.name is 'Display name.';
comment on column public.locations.created_at is 'When the location was created.';
comment on index public.locations_store_id_idx is 'Covers the store foreign key.';

create table if not exists public.customers (
  id uuid primary key default gen_random_uuid(),
  name text not null default '',
  created_at timestamptz not null default now()
);
alter table public.customers add column if not exists name text not null default '';
alter table public.customers add column if not exists created_at timestamptz not null default now();
comment on table public.customers is 'A customer known to the POS.';
comment on column public.customers.id is 'Customer id.';
comment on column public.customers.name is 'Display name.';
comment on column public.customers.created_at is 'When the customer was created.';
