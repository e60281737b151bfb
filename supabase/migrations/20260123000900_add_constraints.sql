-- The structure of the new model as constraints, for every writer: valid statuses, a store
-- and location on every cart and entry (the location being of that store), merged carts
-- naming their survivor, active carts having an owner, open entries carrying a cart. Added
-- NOT VALID: new and changed rows are checked at once, while legacy rows the repair had to
-- keep as they were (private.repair_report) do not block the deploy; 20260123001010
-- validates each constraint in a later transaction, where the rows allow. Each constraint is
-- dropped first when present, so the file can be applied again. A foreign key the table already
-- has, validated, under another name is not added twice (private.add_foreign_key).
--
-- Field limits (device id, note, party size, product, quantity, price) are not constraints:
-- a CHECK is evaluated on every update of a row, so a legacy value kept by the repair (a
-- party size of 0, a discount line) would make its row impossible to change at all. The
-- table rules of 20260123000500 check them on every value a caller writes instead.

set lock_timeout = '3s';
set statement_timeout = '30s';

-- Every lock this file takes, at once (private.lock_tables).
-- The apps' own tables first: the apps' transactions touch them before the reference
-- tables (which the tables' rules read).
select private.lock_tables(array['public.carts', 'public.cart_items', 'public.location_queue',
  'public.locations', 'public.customers', 'public.stores'], 'access exclusive');

-- locations and customers
select private.add_foreign_key('public.locations', 'locations_store_fkey',
  array['store_id'], 'public.stores', array['id']);
alter table public.locations drop constraint if exists locations_store_required;
alter table public.locations add constraint locations_store_required
  check (store_id is not null) not valid;
select private.add_foreign_key('public.customers', 'customers_store_fkey',
  array['store_id'], 'public.stores', array['id']);

-- carts
alter table public.carts drop constraint if exists carts_status_valid;
alter table public.carts add constraint carts_status_valid
  check (status is not null and status in ('active', 'completed', 'abandoned', 'merged')) not valid;
alter table public.carts drop constraint if exists carts_location_store_required;
alter table public.carts add constraint carts_location_store_required
  check (location_id is not null and store_id is not null) not valid;
alter table public.carts drop constraint if exists carts_merged_into_valid;
alter table public.carts add constraint carts_merged_into_valid
  check ((status = 'merged') = (merged_into is not null) and merged_into is distinct from id) not valid;
alter table public.carts drop constraint if exists carts_active_owner_required;
alter table public.carts add constraint carts_active_owner_required
  check (status <> 'active' or customer_id is not null or device_id is not null) not valid;
select private.add_foreign_key('public.carts', 'carts_location_store_fkey',
  array['location_id', 'store_id'], 'public.locations', array['id', 'store_id']);
select private.add_foreign_key('public.carts', 'carts_customer_fkey',
  array['customer_id'], 'public.customers', array['id']);
select private.add_foreign_key('public.carts', 'carts_merged_into_fkey',
  array['merged_into'], 'public.carts', array['id']);

-- cart_items
alter table public.cart_items drop constraint if exists cart_items_cart_required;
alter table public.cart_items add constraint cart_items_cart_required
  check (cart_id is not null) not valid;
select private.add_foreign_key('public.cart_items', 'cart_items_cart_fkey',
  array['cart_id'], 'public.carts', array['id']);

-- location_queue
alter table public.location_queue drop constraint if exists location_queue_status_valid;
alter table public.location_queue add constraint location_queue_status_valid
  check (status is not null and status in ('waiting', 'called', 'served', 'removed', 'no_show')) not valid;
alter table public.location_queue drop constraint if exists location_queue_location_store_required;
alter table public.location_queue add constraint location_queue_location_store_required
  check (location_id is not null and store_id is not null) not valid;
alter table public.location_queue drop constraint if exists location_queue_open_linked;
alter table public.location_queue add constraint location_queue_open_linked
  check (status not in ('waiting', 'called') or (customer_id is not null and cart_id is not null)) not valid;
select private.add_foreign_key('public.location_queue', 'location_queue_location_store_fkey',
  array['location_id', 'store_id'], 'public.locations', array['id', 'store_id']);
select private.add_foreign_key('public.location_queue', 'location_queue_customer_fkey',
  array['customer_id'], 'public.customers', array['id']);
select private.add_foreign_key('public.location_queue', 'location_queue_cart_fkey',
  array['cart_id'], 'public.carts', array['id']);

reset lock_timeout;
reset statement_timeout;
