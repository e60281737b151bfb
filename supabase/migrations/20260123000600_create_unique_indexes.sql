-- The invariants that make duplicates impossible whatever a client does: one active cart
-- per customer+location, one active anonymous cart per device+location, one open queue
-- entry per customer+location, and an open entry always has a cart. Runs after the repair.

create unique index if not exists carts_one_active_per_customer_location
  on public.carts (customer_id, location_id)
  where status = 'active' and customer_id is not null;
comment on index public.carts_one_active_per_customer_location is
  'At most one active cart per customer and location.';

create unique index if not exists carts_one_active_per_device_location
  on public.carts (location_id, device_id)
  where status = 'active' and customer_id is null and device_id is not null;
comment on index public.carts_one_active_per_device_location is
  'At most one active anonymous cart per device and location.';

create unique index if not exists location_queue_one_open_per_customer_location
  on public.location_queue (location_id, customer_id)
  where status in ('waiting', 'called');
comment on index public.location_queue_one_open_per_customer_location is
  'At most one open (waiting or called) queue entry per customer and location.';

select private.ensure_constraint('public.location_queue', 'location_queue_open_has_cart_check',
  $c$check (status not in ('waiting', 'called') or (cart_id is not null and customer_id is not null))$c$);
-- The repair filled legacy gaps; validate what it made valid.
select private.ensure_constraint('public.carts', 'carts_owner_check',
  'check (location_id is not null and store_id is not null)');
