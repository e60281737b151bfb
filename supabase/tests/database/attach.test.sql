-- Identifying the customer on a walk-in cart: the device's anonymous cart becomes the
-- customer's, or is merged into the customer's active cart (lines move, same products add up,
-- the queue entry keeps its cart), and repeating the call answers the same.
begin;
\ir _helpers.psql
select plan(20);

select pg_temp.as_claim_a();
-- a walk-in cart with two lines, for a customer without a cart here
create temp table w as select (public.get_or_create_cart(:'loc_a1', p_device_id => 'till-1') -> 'cart' ->> 'id')::uuid as id;
grant select on w to public;
select public.add_item((select id from w), 'sku-1', 2, 1.00) is not null;
create temp table t1 as select public.attach_customer(:'cust_1', p_cart_id => (select id from w)) as r;
select is((select r -> 'cart' ->> 'id' from t1), (select id::text from w), 'attach: the walk-in cart becomes the customer''s');
select is((select r -> 'cart' ->> 'customer_id' from t1), :'cust_1', 'attach: it carries the customer');
select is((select r ->> 'merged' from t1), 'false', 'attach: nothing merged');
select is(public.attach_customer(:'cust_1', p_cart_id => (select id from w)) - 'x', (select r from t1),
  'attach again: the same answer');
select is((public.get_or_create_cart(:'loc_a1', :'cust_1') -> 'cart' ->> 'id'), (select id::text from w),
  'get for the customer finds that cart');

-- a walk-in cart for a customer already queued (with a cart): merged into it
select public.add_to_queue(:'loc_a1', :'cust_2') is not null;
select public.add_item((public.get_or_create_cart(:'loc_a1', :'cust_2') -> 'cart' ->> 'id')::uuid, 'sku-1', 1, 1.00) is not null;
create temp table w2 as select (public.get_or_create_cart(:'loc_a1', p_device_id => 'till-2') -> 'cart' ->> 'id')::uuid as id;
grant select on w2 to public;
select public.add_item((select id from w2), 'sku-1', 4, 1.00) is not null;
select public.add_item((select id from w2), 'sku-9', 1, 3.00) is not null;
create temp table t2 as select public.attach_customer(:'cust_2', p_location_id => :'loc_a1', p_device_id => 'till-2') as r;
select is((select r ->> 'merged' from t2), 'true', 'attach by device: merged into the customer''s cart');
select is((select r ->> 'walk_in_cart_id' from t2), (select id::text from w2), 'attach: names the walk-in cart');
select is((select jsonb_object_agg(l ->> 'product_id', (l ->> 'quantity')::int)
           from t2, jsonb_array_elements(r -> 'cart' -> 'lines') l),
  '{"sku-1": 5, "sku-9": 1}'::jsonb, 'attach: every line moved, the same product added up');
select is((select status || ' ' || merged_into from public.carts where id = (select id from w2)),
  'merged ' || (select r -> 'cart' ->> 'id' from t2), 'attach: the walk-in cart is merged into the survivor');
select is((select cart_id::text from public.location_queue where customer_id = :'cust_2' and status = 'waiting'),
  (select r -> 'cart' ->> 'id' from t2), 'attach: the queue entry keeps the surviving cart');
select is(public.attach_customer(:'cust_2', p_location_id => :'loc_a1', p_device_id => 'till-2') - 'x',
  (select r from t2), 'attach by device again: the same answer');

-- once the cart it was merged into is closed, the walk-in cart is done: a repeat names no
-- other cart of the customer as the one it was merged into
select public.complete_cart((select (r -> 'cart' ->> 'id')::uuid from t2)) is not null;
select public.get_or_create_cart(:'loc_a1', :'cust_2') is not null;
select is(pg_temp.error_of(format('select public.attach_customer(%L, p_cart_id => %L)', :'cust_2', (select id from w2))),
  'PT409 cart_not_active', 'attach again after the survivor was checked out: cart_not_active');
select is(pg_temp.error_of(format('select public.attach_customer(%L, p_location_id => %L, p_device_id => %L)', :'cust_2', :'loc_a1', 'till-2')),
  'PT404 cart_not_found', 'attach by device then: the device has no walk-in cart');
select is((select count(*) from public.carts where device_id = 'till-2' and status = 'merged'), 1::bigint,
  'and nothing changed');

-- a merge that would put more than a line holds on one line keeps the lines apart
select public.add_item((public.get_or_create_cart(:'loc_a2', :'cust_1') -> 'cart' ->> 'id')::uuid, 'sku-big', 100000, 1.00) is not null;
create temp table w3 as select (public.get_or_create_cart(:'loc_a2', p_device_id => 'till-3') -> 'cart' ->> 'id')::uuid as id;
grant select on w3 to public;
select public.add_item((select id from w3), 'sku-big', 100000, 1.00) is not null;
select public.add_item((select id from w3), 'sku-small', 2, 1.00) is not null;
create temp table t3 as select public.attach_customer(:'cust_1', p_cart_id => (select id from w3)) as r;
select is((select array_agg(l ->> 'quantity' order by l ->> 'quantity') from t3, jsonb_array_elements(r -> 'cart' -> 'lines') l
           where l ->> 'product_id' = 'sku-big'),
  array['100000', '100000'], 'attach: a sum past 100000 stays two lines of 100000');
select is((select sum((l ->> 'quantity')::int) from t3, jsonb_array_elements(r -> 'cart' -> 'lines') l),
  200002::bigint, 'attach: every item arrives');

-- refused
select is(pg_temp.error_of(format('select public.attach_customer(%L, p_cart_id => %L)', :'cust_2', (select id from w))),
  'PT409 cart_has_customer', 'attach to a cart of another customer: cart_has_customer');
select is(pg_temp.error_of(format('select public.attach_customer(%L, p_location_id => %L, p_device_id => %L)', :'cust_1', :'loc_a1', 'till-none')),
  'PT404 cart_not_found', 'attach without a walk-in cart: cart_not_found');
select is(pg_temp.error_of(format('select public.attach_customer(%L, p_location_id => %L)', :'cust_1', :'loc_a1')),
  'P0001 invalid_argument', 'attach needs cart_id, or location_id and device_id');
select pg_temp.as_owner();
select is((select sum(violations) from private.invariant_census()), 0::numeric, 'no invariant is broken');
select * from finish();
rollback;
