-- Carts and their items. A cart belongs to one location and either a customer or (when
-- anonymous) a device. Status moves only forward from `active`; a cart that is not
-- `active` is immutable, and so are its items (enforced by triggers for every writer).
-- Works on an empty database and on a legacy `carts` table (columns added when missing,
-- constraints added NOT VALID when legacy rows could break them).

create table if not exists public.carts (
  id uuid primary key default gen_random_uuid(),
  store_id uuid,
  location_id uuid not null,
  customer_id uuid,
  device_id text,
  status text not null default 'active',
  merged_into uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  completed_at timestamptz
);
alter table public.carts add column if not exists store_id uuid;
alter table public.carts add column if not exists location_id uuid;
alter table public.carts add column if not exists customer_id uuid;
alter table public.carts add column if not exists device_id text;
alter table public.carts add column if not exists status text not null default 'active';
alter table public.carts add column if not exists merged_into uuid;
alter table public.carts add column if not exists created_at timestamptz not null default now();
alter table public.carts add column if not exists updated_at timestamptz not null default now();
alter table public.carts add column if not exists completed_at timestamptz;
alter table public.carts alter column id set default gen_random_uuid();
alter table public.carts alter column status set default 'active';

select private.ensure_constraint('public.carts', 'carts_status_check',
  $c$check (status in ('active', 'completed', 'abandoned', 'merged'))$c$);
select private.ensure_constraint('public.carts', 'carts_owner_check',
  'check (location_id is not null and store_id is not null)');
select private.ensure_constraint('public.carts', 'carts_merged_into_check',
  $c$check ((status = 'merged') = (merged_into is not null))$c$);
select private.ensure_constraint('public.carts', 'carts_store_id_fkey',
  'foreign key (store_id) references public.stores (id)');
select private.ensure_constraint('public.carts', 'carts_location_id_fkey',
  'foreign key (location_id) references public.locations (id)');
select private.ensure_constraint('public.carts', 'carts_customer_id_fkey',
  'foreign key (customer_id) references public.customers (id)');
select private.ensure_constraint('public.carts', 'carts_merged_into_fkey',
  'foreign key (merged_into) references public.carts (id)');

create index if not exists carts_store_id_idx on public.carts (store_id);
create index if not exists carts_location_id_status_idx on public.carts (location_id, status);
create index if not exists carts_customer_id_idx on public.carts (customer_id);
create index if not exists carts_merged_into_idx on public.carts (merged_into);

comment on table public.carts is
  'Shopping carts. At most one active cart per customer+location and per anonymous device+location (unique indexes).';
comment on column public.carts.id is 'Cart id.';
comment on column public.carts.store_id is 'Store of the cart''s location.';
comment on column public.carts.location_id is 'Location the cart belongs to.';
comment on column public.carts.customer_id is 'Customer; null for an anonymous cart.';
comment on column public.carts.device_id is 'Device that owns an anonymous cart; null for customer carts.';
comment on column public.carts.status is 'active, completed, abandoned or merged; only active carts change.';
comment on column public.carts.merged_into is 'For a merged duplicate: the surviving cart.';
comment on column public.carts.created_at is 'When the cart was created.';
comment on column public.carts.updated_at is 'Last change of the cart row.';
comment on column public.carts.completed_at is 'When the cart was completed (checked out).';
comment on index public.carts_store_id_idx is 'Covers the store foreign key and store-scoped reads.';
comment on index public.carts_location_id_status_idx is 'Carts of a location by status; covers the location foreign key.';
comment on index public.carts_customer_id_idx is 'Covers the customer foreign key.';
comment on index public.carts_merged_into_idx is 'Covers the merged_into foreign key.';

create table if not exists public.cart_items (
  id uuid primary key default gen_random_uuid(),
  cart_id uuid not null,
  product_id text not null,
  quantity integer not null default 1,
  unit_price numeric(12, 2) not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.cart_items add column if not exists cart_id uuid;
alter table public.cart_items add column if not exists product_id text;
alter table public.cart_items add column if not exists quantity integer not null default 1;
alter table public.cart_items add column if not exists unit_price numeric(12, 2) not null default 0;
alter table public.cart_items add column if not exists created_at timestamptz not null default now();
alter table public.cart_items add column if not exists updated_at timestamptz not null default now();
alter table public.cart_items alter column id set default gen_random_uuid();
select private.ensure_constraint('public.cart_items', 'cart_items_cart_id_fkey',
  'foreign key (cart_id) references public.carts (id)');
select private.ensure_constraint('public.cart_items', 'cart_items_quantity_check',
  'check (quantity > 0)');
select private.ensure_constraint('public.cart_items', 'cart_items_unit_price_check',
  'check (unit_price >= 0)');
create index if not exists cart_items_cart_id_idx on public.cart_items (cart_id);

comment on table public.cart_items is 'Lines of a cart; only lines of an active cart can change.';
comment on column public.cart_items.id is 'Item id.';
comment on column public.cart_items.cart_id is 'The cart this line belongs to.';
comment on column public.cart_items.product_id is 'Product reference (id or SKU of the POS catalogue).';
comment on column public.cart_items.quantity is 'Quantity, at least 1.';
comment on column public.cart_items.unit_price is 'Unit price in the store currency.';
comment on column public.cart_items.created_at is 'When the line was added.';
comment on column public.cart_items.updated_at is 'Last change of the line.';
comment on index public.cart_items_cart_id_idx is 'Covers the cart foreign key.';

-- A cart that is not active never changes again; active may go to any other status.
create or replace function private.guard_cart_update() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if old.status is distinct from 'active' and new is distinct from old then
    raise exception 'cart % is %, it can no longer change', old.id, old.status
      using errcode = 'PT409', hint = 'cart_not_active';
  end if;
  return new;
end
$$;
comment on function private.guard_cart_update() is
  'Trigger: carts that are not active are immutable.';

drop trigger if exists carts_guard_update on public.carts;
create trigger carts_guard_update before update on public.carts
  for each row execute function private.guard_cart_update();
comment on trigger carts_guard_update on public.carts is 'Keeps completed, abandoned and merged carts immutable.';

-- Items change only while their cart is active. The cart row is locked FOR SHARE so an
-- item change and the cart's completion are serialized. Security definer so that the
-- lock works for callers whose own privileges on carts are narrower; it reads only.
create or replace function private.guard_cart_item_change() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_cart uuid;
  v_status text;
begin
  foreach v_cart in array array_remove(array[
    case when tg_op <> 'INSERT' then old.cart_id end,
    case when tg_op <> 'DELETE' then new.cart_id end
  ], null) loop
    select c.status into v_status from public.carts c where c.id = v_cart for share;
    if v_status is distinct from 'active' then
      raise exception 'cart % is not active, its items cannot change', v_cart
        using errcode = 'PT409', hint = 'cart_not_active';
    end if;
  end loop;
  return case when tg_op = 'DELETE' then old else new end;
end
$$;
comment on function private.guard_cart_item_change() is
  'Trigger: items of a cart that is not active cannot be added, changed or removed.';
revoke all on function private.guard_cart_item_change() from public, anon, authenticated;
revoke all on function private.guard_cart_update() from public, anon;

drop trigger if exists cart_items_guard_change on public.cart_items;
create trigger cart_items_guard_change before insert or update or delete on public.cart_items
  for each row execute function private.guard_cart_item_change();
comment on trigger cart_items_guard_change on public.cart_items is 'Items of non-active carts are immutable.';
