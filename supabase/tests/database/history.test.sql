-- cart_events: one event per real change of a cart, a line or a queue entry, by any writer,
-- with the acting user, the device and the request id; nothing for a repeat get or a write
-- that changes nothing; staff read only their stores' history; nobody changes or deletes it.
begin;
\ir _helpers.psql
select plan(14);

create function pg_temp.events() returns text[] language sql as $$
  select coalesce(array_agg(event order by id), '{}') from public.cart_events
  where store_id = '5a000000-0000-4000-8000-00000000000a'
$$;
grant execute on function pg_temp.events() to public;
create temp table seen (n int);
grant all on seen to public;

select pg_temp.as_claim_a();
select set_config('request.headers', '{"x-request-id": "req-42", "x-device-id": "ipad-3"}', true);
select public.get_or_create_cart(:'loc_a1', :'cust_1') is not null;
select is(pg_temp.events(), array['cart_created'], 'a new cart: cart_created');
select public.get_or_create_cart(:'loc_a1', :'cust_1') is not null from generate_series(1, 50);
select is(pg_temp.events(), array['cart_created'], '50 repeat gets: no event');
select is((select jsonb_build_object('actor', actor_id, 'device', device_id, 'request', request_id, 'role', actor_role)
           from public.cart_events where event = 'cart_created'),
  jsonb_build_object('actor', :'claim_a', 'device', 'ipad-3', 'request', 'req-42', 'role', 'authenticated'),
  'an event names the user, the device and the request');
select public.add_to_queue(:'loc_a1', :'cust_1') is not null;
select public.add_to_queue(:'loc_a1', :'cust_1') is not null;
select is(pg_temp.events(), array['cart_created', 'queued'], 'queued once; a repeat add_to_queue records nothing');
create temp table cart as select cart_id as id from public.location_queue where customer_id = :'cust_1';
grant select on cart to public;
select public.add_item((select id from cart), 'sku-1', 1, 1.00) is not null;
select public.add_item((select id from cart), 'sku-1', 1, 1.00) is not null;
update public.cart_items set quantity = quantity where product_id = 'sku-1';
select is(pg_temp.events(), array['cart_created', 'queued', 'item_added', 'item_changed'],
  'a line added, then changed; an update that changes nothing records nothing');
select public.call_queue_entry(p_location_id => :'loc_a1', p_customer_id => :'cust_1') is not null;
select public.call_queue_entry(p_location_id => :'loc_a1', p_customer_id => :'cust_1') is not null;
select public.complete_cart((select id from cart)) is not null;
select is(pg_temp.events(),
  array['cart_created', 'queued', 'item_added', 'item_changed', 'called', 'cart_completed', 'served'],
  'called once; the checkout completes the cart and serves the entry');
select public.get_or_create_cart(:'loc_a1', p_device_id => 'till-1') is not null;
select public.add_to_queue(:'loc_a1', :'cust_2') is not null;
update public.carts set customer_id = :'cust_2' where device_id = 'till-1';
select is((select event || ' ' || (detail ->> 'merged_into')::text from public.cart_events
           where event = 'customer_attached'),
  'customer_attached ' || (select id::text from public.carts where customer_id = :'cust_2' and status = 'active'),
  'attaching a customer to a walk-in cart merged into theirs: customer_attached, naming the survivor');
select is((select count(*) from public.cart_events where queue_entry_id is not null and event = 'removed'), 0::bigint,
  'nothing was removed from the queue');
delete from public.location_queue where customer_id = :'cust_2';
select is((select count(*) from public.cart_events where event = 'removed'), 1::bigint,
  'deleting a queue row records it as removed');

-- every change has exactly one event: count rows changed vs events
select pg_temp.as_owner();
select is((select count(*) from public.cart_events e where e.event in ('cart_created', 'queued', 'item_added')),
  (select count(*) from public.carts where store_id = :'store_a')
  + (select count(*) from public.location_queue where store_id = :'store_a')
  + (select count(*) from public.cart_items i join public.carts c on c.id = i.cart_id where c.store_id = :'store_a'),
  'one creation event per cart, entry and line');

-- who reads it; nobody changes it
select pg_temp.as_claim_b();
select is((select count(*) from public.cart_events), 0::bigint, 'another store''s staff read none of it');
select is(pg_temp.error_of('update public.cart_events set event = ''x'''), '42501', 'staff cannot change the history');
select pg_temp.as_service();
select is(pg_temp.error_of('delete from public.cart_events'), '42501', 'nor can the service role delete it');
select pg_temp.as_owner();
select is(pg_temp.error_of('delete from public.cart_events'), 'PT409 history_is_append_only',
  'even the owner cannot delete it');

select * from finish();
rollback;
