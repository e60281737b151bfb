-- The RPCs as a signed-in staff member calls them: get_or_create_cart's idempotency and
-- anonymous carts, the queue lifecycle, complete_cart, list_queue, and every documented
-- error (SQLSTATE and HINT, docs/api.md "Errors").
begin;
\ir _helpers.psql
select plan(49);

select pg_temp.as_member_a();

-- get_or_create_cart -----------------------------------------------------------------------
create temp table got as
select public.get_or_create_cart(p_location_id => :'loc_a1', p_customer_id => :'cust_1') as r;
select is((select r ->> 'created' from got), 'true', 'get: the first call creates the cart');
select is((select r -> 'cart' ->> 'status' from got), 'active', 'get: the cart is active');
select is((select r -> 'cart' ->> 'store_id' from got), :'store_a', 'get: the store is the location''s');
select matches((select r -> 'cart' ->> 'created_at' from got),
  '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$', 'get: timestamps are RFC 3339 in UTC');
select is(
  (select count(distinct public.get_or_create_cart(p_location_id => :'loc_a1', p_customer_id => :'cust_1',
     p_store_id => :'store_a') -> 'cart' ->> 'id') from generate_series(1, 200)),
  1::bigint, 'get: 200 more calls return one cart');
select is(
  (select bool_or((public.get_or_create_cart(p_location_id => :'loc_a1', p_customer_id => :'cust_1')
     ->> 'created')::boolean) from generate_series(1, 20)),
  false, 'get: repeat calls never create');
select is((select count(*) from public.carts where customer_id = :'cust_1'), 1::bigint,
  'get: one cart row in the table');
select is(
  public.get_or_create_cart(p_location_id => :'loc_a2', p_customer_id => :'cust_1') ->> 'created',
  'true', 'get: another location of the store is another cart');
select is(
  public.get_or_create_cart(p_location_id => :'loc_a1', p_customer_id => :'cust_a') ->> 'created',
  'true', 'get: a customer of the store itself');

-- anonymous (walk-in) carts, one per device
select is(public.get_or_create_cart(p_location_id => :'loc_a1', p_device_id => 'ipad-1') -> 'cart' ->> 'device_id',
  'ipad-1', 'anonymous: a device''s cart');
select is(public.get_or_create_cart(p_location_id => :'loc_a1', p_device_id => '  ipad-1 ') ->> 'created',
  'false', 'anonymous: the device id is trimmed: same cart');
select isnt(public.get_or_create_cart(p_location_id => :'loc_a1', p_device_id => 'mac-1') -> 'cart' ->> 'id',
  public.get_or_create_cart(p_location_id => :'loc_a1', p_device_id => 'ipad-1') -> 'cart' ->> 'id',
  'anonymous: another device, another cart');

-- errors (SQLSTATE + HINT)
select is(pg_temp.error_of(format('select public.get_or_create_cart(%L)', :'loc_a1')),
  'P0001 device_id_required', 'get: neither customer nor device');
select is(pg_temp.error_of(format('select public.get_or_create_cart(%L, p_device_id => %L)', :'loc_a1', '   ')),
  'P0001 device_id_required', 'get: a blank device id is no device');
select is(pg_temp.error_of(format('select public.get_or_create_cart(%L, %L)', :'missing', :'cust_1')),
  'PT404 location_not_found', 'get: unknown location');
select is(pg_temp.error_of(format('select public.get_or_create_cart(%L, %L)', :'loc_a1', :'missing')),
  'PT404 customer_not_found', 'get: unknown customer');
select is(pg_temp.error_of(format('select public.get_or_create_cart(%L, %L)', :'loc_a1', :'cust_b')),
  'PT404 customer_not_found', 'get: another store''s customer is unknown here');
select is(pg_temp.error_of(format('select public.get_or_create_cart(%L, %L, %L)', :'loc_a1', :'cust_1', :'store_b')),
  'P0001 location_store_mismatch', 'get (existing cart): store_id of another store');
select is(pg_temp.error_of(format('select public.get_or_create_cart(%L, %L, %L)', :'loc_a1', :'cust_2', :'store_b')),
  'P0001 location_store_mismatch', 'get (new cart): store_id of another store');
select is(pg_temp.error_of(format('select public.get_or_create_cart(null, %L)', :'cust_1')),
  'P0001 invalid_argument', 'get: location_id is required');

-- the queue -------------------------------------------------------------------------------
create temp table added as
select public.add_to_queue(p_location_id => :'loc_a1', p_customer_id => :'cust_1',
  p_party_size => 2, p_note => 'window') as r;
select is((select r ->> 'created' from added), 'true', 'add_to_queue: a new entry');
select is((select r -> 'queue_entry' ->> 'cart_id' from added), (select r -> 'cart' ->> 'id' from got),
  'add_to_queue: the entry carries the customer''s existing cart');
select is((select r -> 'queue_entry' ->> 'status' from added), 'waiting', 'add_to_queue: waiting');
select is(
  public.add_to_queue(p_location_id => :'loc_a1', p_customer_id => :'cust_1') -> 'queue_entry' ->> 'id',
  (select r -> 'queue_entry' ->> 'id' from added), 'add_to_queue: adding again returns the same entry');
select is(
  public.add_to_queue(p_location_id => :'loc_a1', p_customer_id => :'cust_2') -> 'queue_entry' ->> 'status',
  'waiting', 'add_to_queue: a second customer (cart created with the entry)');
select is(
  (select jsonb_agg(e ->> 'customer_id' order by (e ->> 'position')::int)
   from jsonb_array_elements(public.list_queue(:'loc_a1') -> 'entries') e),
  jsonb_build_array(:'cust_1', :'cust_2'), 'list_queue: open entries in order');
select is(public.call_queue_entry(p_location_id => :'loc_a1', p_customer_id => :'cust_1')
  -> 'queue_entry' ->> 'status', 'called', 'call: by location + customer');
select isnt(public.call_queue_entry(p_queue_entry_id => (select (r -> 'queue_entry' ->> 'id')::uuid from added))
  -> 'queue_entry' ->> 'called_at', null, 'call again: idempotent, called_at kept');
select is(public.serve_queue_entry(p_queue_entry_id => (select (r -> 'queue_entry' ->> 'id')::uuid from added))
  -> 'queue_entry' ->> 'status', 'served', 'serve');
select is(pg_temp.error_of(format('select public.call_queue_entry(%L)', (select r -> 'queue_entry' ->> 'id' from added))),
  'PT409 invalid_transition', 'call after serve: invalid_transition');
select is(pg_temp.error_of(format('select public.remove_from_queue(%L)', (select r -> 'queue_entry' ->> 'id' from added))),
  'PT409 invalid_transition', 'remove after serve: invalid_transition');
select is(pg_temp.error_of(format('select public.mark_no_show(%L)', (select r -> 'queue_entry' ->> 'id' from added))),
  'PT409 invalid_transition', 'no_show after serve: invalid_transition');
select is(public.add_to_queue(p_location_id => :'loc_a1', p_customer_id => :'cust_1') ->> 'created',
  'true', 'served customers can queue again (a new entry)');
select is(public.remove_from_queue(p_location_id => :'loc_a1', p_customer_id => :'cust_1')
  -> 'queue_entry' ->> 'status', 'removed', 'remove by location + customer');
select is(public.mark_no_show(p_location_id => :'loc_a1', p_customer_id => :'cust_2')
  -> 'queue_entry' ->> 'status', 'no_show', 'no_show');
select is(public.list_queue(:'loc_a1') -> 'entries', '[]'::jsonb, 'list_queue: nobody waiting');
select is(pg_temp.error_of(format('select public.remove_from_queue(%L)', :'missing')),
  'PT404 queue_entry_not_found', 'transition: unknown entry');
select is(pg_temp.error_of(format('select public.remove_from_queue(p_location_id => %L)', :'loc_a1')),
  'P0001 queue_entry_ref_required', 'transition: entry id, or location and customer');
select is(pg_temp.error_of(format('select public.remove_from_queue(p_location_id => %L, p_customer_id => %L)', :'loc_a2', :'cust_1')),
  'PT404 queue_entry_not_found', 'transition: no entry for that customer there');
select is(pg_temp.error_of(format('select public.list_queue(%L, %L)', :'loc_a1', :'store_b')),
  'P0001 location_store_mismatch', 'list_queue: store_id of another store');

-- complete_cart ---------------------------------------------------------------------------
select is(public.complete_cart((select (r -> 'cart' ->> 'id')::uuid from got)) -> 'cart' ->> 'status',
  'completed', 'complete_cart');
select is(public.complete_cart((select (r -> 'cart' ->> 'id')::uuid from got)) -> 'cart' ->> 'completed_at',
  (select public.complete_cart((select (r -> 'cart' ->> 'id')::uuid from got)) -> 'cart' ->> 'completed_at'),
  'complete_cart again: idempotent');
select is(
  public.get_or_create_cart(p_location_id => :'loc_a1', p_customer_id => :'cust_1') ->> 'created',
  'true', 'after checkout, get makes a fresh cart');
select is(pg_temp.error_of(format('select public.complete_cart(%L)', :'missing')),
  'PT404 cart_not_found', 'complete_cart: unknown cart');
select is(pg_temp.error_of('select public.complete_cart(null)'),
  'P0001 invalid_argument', 'complete_cart: cart_id is required');
select is(pg_temp.error_of(format(
    'update public.carts set customer_id = %L where device_id = %L', :'cust_1', 'mac-1')), 'ok',
  'a walk-in cart attached to a customer with a cart is merged');
select is(pg_temp.error_of(format('select public.complete_cart(%L)',
    (select id from public.carts where device_id = 'mac-1'))),
  'PT409 cart_not_active', 'complete_cart: a merged cart');

-- An older app's unique index stricter than the product's model (one active cart per customer
-- across locations, here for cust_2, who has one at loc_a1) refuses for good: the RPCs answer its
-- unique violation at once, not "kept changing, retry" after ten turns.
select pg_temp.as_owner();
create unique index carts_older_app_one_active on public.carts (customer_id)
  where status = 'active' and customer_id = 'c0000000-0000-4000-8000-000000000002';
select pg_temp.as_member_a();
select is(pg_temp.error_of(format('select public.get_or_create_cart(p_location_id => %L, p_customer_id => %L)',
    :'loc_a2', :'cust_2')), '23505', 'an older app''s unique index: get answers its violation');
select is(pg_temp.error_of(format('select public.add_to_queue(p_location_id => %L, p_customer_id => %L)',
    :'loc_a2', :'cust_2')), '23505', 'an older app''s unique index: add_to_queue answers its violation');

select * from finish();
rollback;
