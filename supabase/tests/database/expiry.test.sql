-- Abandoned carts: private.expire_carts() (the pg_cron job) abandons a cart left active
-- longer than its store's setting (12 hours by default), closes its open queue entry, and
-- leaves alone a cart with recent activity (its own change, a line or its entry) and a cart
-- of a store with a longer setting. A customer who comes back gets a fresh cart. Expired
-- idempotency keys go too.
begin;
\ir _helpers.psql
select plan(15);

select pg_temp.as_claim_a();
select public.add_to_queue(:'loc_a1', :'cust_1') is not null;
select public.get_or_create_cart(:'loc_a1', :'cust_2') is not null;
select public.get_or_create_cart(:'loc_a2', :'cust_1') is not null;
select pg_temp.as_claim_b();
select public.get_or_create_cart(:'loc_b1', :'cust_1') is not null;
select pg_temp.as_owner();
-- everything happened 13 hours ago, except a line added now to customer 2's cart
update public.carts set updated_at = now() - interval '13 hours';
update public.location_queue set updated_at = now() - interval '13 hours', created_at = now() - interval '13 hours';
select pg_temp.as_claim_a();
select public.add_item((public.get_or_create_cart(:'loc_a1', :'cust_2') -> 'cart' ->> 'id')::uuid, 'sku-1') is not null;
select pg_temp.as_owner();
update public.cart_items set updated_at = now();
insert into public.store_settings (store_id, abandon_after) values (:'store_b', '1 day');
insert into private.idempotency_keys (user_id, key, fingerprint, response, created_at)
values (:'claim_a', 'old', 'f', '{}', now() - interval '25 hours'),
  (:'claim_a', 'new', 'f', '{}', now() - interval '1 hour');

select is(private.expire_carts(), '{"carts_abandoned": 2, "idempotency_keys_deleted": 1}'::jsonb,
  'the job abandons 2 carts and deletes 1 expired key');
select is((select status from public.carts where customer_id = :'cust_1' and location_id = :'loc_a1'), 'abandoned',
  'a cart idle for 13 hours is abandoned');
select is((select status from public.location_queue where customer_id = :'cust_1'), 'removed',
  'its open queue entry is closed');
select is((select status from public.carts where customer_id = :'cust_2'), 'active',
  'a cart with a line added now stays active');
select is((select status from public.carts where location_id = :'loc_a2'), 'abandoned',
  'another location''s idle cart is abandoned too');
select is((select status from public.carts where location_id = :'loc_b1'), 'active',
  'a store whose setting is 1 day keeps its 13-hour-old cart');
select is((select array_agg(key) from private.idempotency_keys), array['new'], 'keys younger than 24 hours stay');
select pg_temp.as_claim_a();
select is(public.get_or_create_cart(:'loc_a1', :'cust_1') ->> 'created', 'true',
  'the customer coming back gets a fresh cart');
select pg_temp.as_owner();
select is(private.expire_carts() ->> 'carts_abandoned', '0', 'a second run finds nothing to do');

-- Carts whose own row is old but whose lines are recent come first in the order of their
-- updated_at; they never take a batch's places, so a stale cart behind them is still reached
-- (any store could otherwise keep every store's carts from expiring with a batch of them).
select pg_temp.as_claim_a();
select count(public.add_item(
  (public.get_or_create_cart(:'loc_a1', null, null, 'busy-' || g) -> 'cart' ->> 'id')::uuid, 'sku-1'))
from generate_series(1, 3) g;
select public.get_or_create_cart(:'loc_a2', null, null, 'idle') is not null;
select pg_temp.as_owner();
update public.carts set updated_at = now() - interval '14 hours' where device_id like 'busy-%';
update public.carts set updated_at = now() - interval '13 hours' where device_id = 'idle';
select is(private.expire_carts(2, 1) ->> 'carts_abandoned', '1',
  'one batch of 2 abandons the stale cart behind 3 older carts with recent lines');
select is((select status from public.carts where device_id = 'idle'), 'abandoned',
  'the idle walk-in cart is abandoned');
select is((select count(*) from public.carts where device_id like 'busy-%' and status = 'active'),
  3::bigint, 'the carts with recent lines stay active');
-- Fair across stores: a store with a backlog of older carts (or carts made in bulk) shares
-- each batch with the other stores' stale carts instead of keeping them waiting.
select pg_temp.as_claim_a();
select count(public.get_or_create_cart(:'loc_a1', null, null, 'bulk-' || g)) from generate_series(1, 5) g;
select pg_temp.as_claim_b();
select public.get_or_create_cart(:'loc_b1', null, null, 'b-idle') is not null;
select pg_temp.as_owner();
update public.carts set updated_at = now() - interval '30 hours' where device_id like 'bulk-%';
update public.carts set updated_at = now() - interval '25 hours' where device_id = 'b-idle';
select is(private.expire_carts(2, 1) ->> 'carts_abandoned', '2', 'one batch of 2 abandons 2 carts');
select is((select status from public.carts where device_id = 'b-idle'), 'abandoned',
  'store B''s idle cart is in the batch, though store A has 5 older ones');
select is((select count(*) from public.carts where device_id like 'bulk-%' and status = 'abandoned'),
  1::bigint, 'store A''s oldest cart takes the other place');
select * from finish();
rollback;
