-- Carts and their lines. A cart belongs to one location of one store and either to a
-- customer or, when anonymous, to a device. Its status moves only forward from `active`
-- (to completed, abandoned or merged); a cart that is not active never changes again, nor do
-- its lines. The rules are enforced for every writer by the triggers of
-- 20260123000500_create_cart_and_queue_rules.sql and the constraints added after the repair.
--
-- Works on an empty database and on a legacy `carts` table: missing columns are added
-- (nullable, or with a constant default: no table rewrite). An older app's NOT NULL column
-- without a default, which the product does not write, becomes nullable
-- (private.relax_not_null); nothing else is touched here.

-- squawk-ignore-file prefer-robust-stmts
-- (every statement here is idempotent: adding a column if it is missing, setting a default,
-- enabling RLS or REPLICA IDENTITY FULL again changes nothing, so a partial run can be rerun)
set lock_timeout = '3s';
set statement_timeout = '30s';

-- Every lock this file takes, at once (private.lock_tables).
select private.lock_tables(array['public.carts', 'public.cart_items'],
  'access exclusive');

create table if not exists public.carts (
  id uuid primary key default gen_random_uuid(),
  store_id uuid,
  location_id uuid,
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
alter table public.carts add column if not exists status text default 'active';
alter table public.carts add column if not exists merged_into uuid;
alter table public.carts add column if not exists created_at timestamptz default now();
alter table public.carts add column if not exists updated_at timestamptz default now();
alter table public.carts add column if not exists completed_at timestamptz;
alter table public.carts alter column id set default gen_random_uuid();
alter table public.carts alter column status set default 'active';
alter table public.carts alter column created_at set default now();
alter table public.carts alter column updated_at set default now();
select private.relax_not_null('public.carts', array['id', 'store_id', 'location_id', 'customer_id',
  'device_id', 'status', 'merged_into', 'created_at', 'updated_at', 'completed_at']);

comment on table public.carts is
  'Shopping carts. At most one active cart per customer+location and per anonymous device+location; only active carts change.';
comment on column public.carts.id is 'Cart id.';
comment on column public.carts.store_id is 'Store of the cart''s location (derived from the location when not given).';
comment on column public.carts.location_id is 'Location the cart belongs to.';
comment on column public.carts.customer_id is 'Customer; null for an anonymous (walk-in) cart.';
comment on column public.carts.device_id is 'Device that owns an anonymous cart (trimmed, 1-200 characters).';
comment on column public.carts.status is 'active, completed, abandoned or merged; only active carts change.';
comment on column public.carts.merged_into is 'For a merged cart: the cart that took over its lines (set by the database).';
comment on column public.carts.created_at is 'When the cart was created (set by the database).';
comment on column public.carts.updated_at is 'Last change of the cart row (set by the database).';
comment on column public.carts.completed_at is 'When the cart was completed (set by the database).';

create table if not exists public.cart_items (
  id uuid primary key default gen_random_uuid(),
  cart_id uuid,
  product_id text,
  -- squawk-ignore prefer-bigint-over-int
  quantity integer not null default 1, -- a count of items: integer is plenty
  unit_price numeric(12, 2) not null default 0,
  -- squawk-ignore prefer-bigint-over-int
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
alter table public.cart_items add column if not exists cart_id uuid;
alter table public.cart_items add column if not exists product_id text;
-- squawk-ignore prefer-bigint-over-int
alter table public.cart_items add column if not exists quantity integer default 1;
alter table public.cart_items add column if not exists unit_price numeric(12, 2) default 0;
-- squawk-ignore prefer-bigint-over-int
alter table public.cart_items add column if not exists version integer not null default 1;
alter table public.cart_items add column if not exists created_at timestamptz default now();
alter table public.cart_items add column if not exists updated_at timestamptz default now();
alter table public.cart_items alter column id set default gen_random_uuid();
alter table public.cart_items alter column quantity set default 1;
alter table public.cart_items alter column unit_price set default 0;
alter table public.cart_items alter column created_at set default now();
alter table public.cart_items alter column updated_at set default now();
select private.relax_not_null('public.cart_items', array['id', 'cart_id', 'product_id', 'quantity',
  'unit_price', 'version', 'created_at', 'updated_at']);

comment on table public.cart_items is 'Lines of a cart; only lines of an active cart can be added, changed or removed.';
comment on column public.cart_items.id is 'Line id.';
comment on column public.cart_items.cart_id is 'The cart this line belongs to.';
comment on column public.cart_items.product_id is 'Product reference (id or SKU of the POS catalogue).';
comment on column public.cart_items.quantity is 'Quantity, 1-100000.';
comment on column public.cart_items.unit_price is 'Unit price in the store currency, at least 0.';
comment on column public.cart_items.version is 'Counts the line''s changes (set by the database); an edit may name the version it saw, and is refused as stale when the line changed since.';
comment on column public.cart_items.created_at is 'When the line was added (set by the database).';
comment on column public.cart_items.updated_at is 'Last change of the line (set by the database).';

reset lock_timeout;
reset statement_timeout;
