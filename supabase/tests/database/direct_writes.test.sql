-- The invariants hold for direct table writes (what PostgREST's table routes run), not only
-- through the RPCs. The writes an existing app plausibly makes keep working with the effect
-- of the matching RPC; every other write is refused with a clear error whose HINT names the
-- RPC to use (use_<rpc>) or the rule (cart_not_active, invalid_transition).
begin;
\ir _helpers.psql
select plan(57);

select pg_temp.as_claim_a();

-- Supported writes -------------------------------------------------------------------------
-- a queue row without a cart is linked to the customer's active cart (created when missing)
insert into public.carts (location_id, customer_id) values (:'loc_a1', :'cust_1');
select is((select store_id from public.carts where customer_id = :'cust_1'), :'store_a'::uuid,
  'insert carts: the store comes from the location');
insert into public.location_queue (location_id, customer_id, party_size) values (:'loc_a1', :'cust_1', 3);
select is((select q.cart_id from public.location_queue q where q.customer_id = :'cust_1'),
  (select c.id from public.carts c where c.customer_id = :'cust_1' and c.status = 'active'),
  'insert location_queue without cart_id: linked to the customer''s active cart');
insert into public.location_queue (location_id, customer_id) values (:'loc_a1', :'cust_2');
select is((select count(*) from public.carts where customer_id = :'cust_2' and status = 'active'), 1::bigint,
  'insert location_queue: a customer without a cart gets one');
select is((select c.id from public.carts c join public.location_queue q on q.cart_id = c.id
           where q.customer_id = :'cust_2'),
  (public.get_or_create_cart(:'loc_a1', :'cust_2') -> 'cart' ->> 'id')::uuid,
  'insert location_queue: the same cart get_or_create_cart answers');
-- a second active cart or a second open entry: the unique indexes refuse it (409)
select is(pg_temp.error_of(format('insert into public.carts (location_id, customer_id) values (%L, %L)', :'loc_a1', :'cust_1')),
  '23505', 'insert carts: a second active cart for the customer is refused');
select is(pg_temp.error_of(format('insert into public.location_queue (location_id, customer_id) values (%L, %L)', :'loc_a1', :'cust_1')),
  '23505', 'insert location_queue: a second open entry is refused');
-- lines on an active cart
insert into public.cart_items (cart_id, product_id, quantity, unit_price)
select id, 'sku-1', 2, 4.00 from public.carts where customer_id = :'cust_1';
select is((select quantity from public.cart_items where product_id = 'sku-1'), 2, 'insert cart_items on an active cart');
update public.cart_items set quantity = 3, created_at = '2000-01-01' where product_id = 'sku-1';
select is((select quantity from public.cart_items where product_id = 'sku-1'), 3, 'update cart_items on an active cart');
select isnt((select created_at from public.cart_items where product_id = 'sku-1'), '2000-01-01'::timestamptz,
  'update cart_items: created_at is the database''s');
-- lifecycle with the database's timestamps
update public.location_queue set status = 'called', called_at = '2000-01-01', updated_at = '2000-01-01'
where customer_id = :'cust_1';
select is((select status from public.location_queue where customer_id = :'cust_1'), 'called', 'update location_queue: waiting -> called');
select cmp_ok((select called_at from public.location_queue where customer_id = :'cust_1'), '>', '2020-01-01'::timestamptz,
  'update location_queue: called_at is set by the database, not the caller');
select cmp_ok((select updated_at from public.location_queue where customer_id = :'cust_1'), '>', '2020-01-01'::timestamptz,
  'update location_queue: updated_at is set by the database');
-- DELETE of an entry removes it from the queue and keeps it
delete from public.location_queue where customer_id = :'cust_2';
select is((select status from public.location_queue where customer_id = :'cust_2'), 'removed',
  'delete location_queue: the entry becomes removed');
select isnt((select removed_at from public.location_queue where customer_id = :'cust_2'), null,
  'delete location_queue: removed_at set');
-- PATCH status = completed does what complete_cart does
update public.carts set status = 'completed', completed_at = '2000-01-01', updated_at = '2000-01-01'
where customer_id = :'cust_1' and status = 'active';
select is((select status from public.carts where customer_id = :'cust_1'), 'completed', 'update carts: active -> completed');
select cmp_ok((select completed_at from public.carts where customer_id = :'cust_1'), '>', '2020-01-01'::timestamptz,
  'update carts: completed_at is the database''s');
select is((select status from public.location_queue where customer_id = :'cust_1'), 'served',
  'update carts completed: its open entry is served, as complete_cart does');
select is(public.get_or_create_cart(:'loc_a1', :'cust_1') ->> 'created', 'true',
  'update carts completed: the next get makes a fresh cart (no second cart for the visit)');
-- abandoning a cart closes its open entry
select public.add_to_queue(:'loc_a1', :'cust_a') is not null;
update public.carts set status = 'abandoned' where customer_id = :'cust_a';
select is((select status from public.location_queue where customer_id = :'cust_a'), 'removed',
  'update carts abandoned: its open entry is removed');
-- attaching a customer to a walk-in cart
select public.get_or_create_cart(:'loc_a1', p_device_id => 'till-1') is not null;
insert into public.cart_items (cart_id, product_id, quantity)
select id, 'sku-1', 1 from public.carts where device_id = 'till-1';
insert into public.cart_items (cart_id, product_id, quantity)
select id, 'sku-2', 5 from public.carts where device_id = 'till-1';
select public.get_or_create_cart(:'loc_a1', :'cust_2') is not null;
insert into public.cart_items (cart_id, product_id, quantity)
select id, 'sku-1', 2 from public.carts where customer_id = :'cust_2' and status = 'active';
update public.carts set customer_id = :'cust_2' where device_id = 'till-1';
select is((select status from public.carts where device_id = 'till-1'), 'merged',
  'update carts customer_id: a walk-in cart of a customer with a cart is merged into it');
select is((select merged_into from public.carts where device_id = 'till-1'),
  (select id from public.carts where customer_id = :'cust_2' and status = 'active'),
  'update carts customer_id: merged_into is the customer''s cart (set by the database)');
select is((select jsonb_object_agg(product_id, quantity) from public.cart_items i
           join public.carts c on c.id = i.cart_id where c.customer_id = :'cust_2' and c.status = 'active'),
  '{"sku-1": 3, "sku-2": 5}'::jsonb, 'attach: lines moved, same products combined');
select public.get_or_create_cart(:'loc_a1', p_device_id => 'till-2') is not null;
update public.carts set customer_id = :'cust_a' where device_id = 'till-2';
select is((select status || ' ' || customer_id from public.carts where device_id = 'till-2'),
  'active ' || :'cust_a', 'update carts customer_id: a customer without a cart takes the walk-in cart');

-- Refused writes ---------------------------------------------------------------------------
create temp table refused (ord int, label text, stmt text, answer text);
grant all on refused to public;
insert into refused (ord, label, stmt, answer) values
  (1, 'un-complete a cart', format('update public.carts set status = %L where customer_id = %L and status = %L', 'active', :'cust_1', 'completed'), 'PT409 cart_not_active'),
  (2, 'change a completed cart', format('update public.carts set device_id = %L where customer_id = %L and status = %L', 'x', :'cust_1', 'completed'), 'PT409 cart_not_active'),
  (3, 'merge by status', format('update public.carts set status = %L where customer_id = %L and status = %L', 'merged', :'cust_a', 'active'), 'PT409 use_attach_customer'),
  (4, 'set merged_into', format('update public.carts set merged_into = id where customer_id = %L and status = %L', :'cust_a', 'active'), 'PT409 use_attach_customer'),
  (5, 'move a cart to another location', format('update public.carts set location_id = %L where customer_id = %L and status = %L', :'loc_a2', :'cust_a', 'active'), 'PT409 use_get_or_create_cart'),
  (6, 'change a cart''s store', format('update public.carts set store_id = %L where customer_id = %L and status = %L', :'store_b', :'cust_a', 'active'), 'PT409 use_get_or_create_cart'),
  (7, 'change a cart''s customer', format('update public.carts set customer_id = %L where customer_id = %L and status = %L', :'cust_1', :'cust_a', 'active'), 'PT409 use_attach_customer'),
  (8, 'delete a cart', format('delete from public.carts where customer_id = %L', :'cust_a'), 'PT409 use_complete_cart'),
  (9, 'insert a completed cart', format('insert into public.carts (location_id, device_id, status) values (%L, %L, %L)', :'loc_a1', 'd', 'completed'), 'PT409 use_get_or_create_cart'),
  (10, 'insert a merged cart', format('insert into public.carts (location_id, device_id, merged_into) values (%L, %L, %L)', :'loc_a1', 'd', :'missing'), 'PT409 use_get_or_create_cart'),
  (11, 'insert an anonymous cart without a device', format('insert into public.carts (location_id) values (%L)', :'loc_a1'), 'P0001 device_id_required'),
  (12, 'insert a served entry', format('insert into public.location_queue (location_id, customer_id, status) values (%L, %L, %L)', :'loc_a1', :'cust_1', 'served'), 'PT409 use_add_to_queue'),
  (13, 'insert an entry on another customer''s cart', format('insert into public.location_queue (location_id, customer_id, cart_id) select %L, %L, id from public.carts where customer_id = %L and status = %L', :'loc_a1', :'cust_1', :'cust_a', 'active'), 'P0001 invalid_argument'),
  (14, 'insert an entry on a cart of another location', format('insert into public.location_queue (location_id, customer_id, cart_id) select %L, %L, id from public.carts where customer_id = %L and status = %L', :'loc_a2', :'cust_a', :'cust_a', 'active'), 'P0001 invalid_argument'),
  (15, 'insert an entry on a completed cart', format('insert into public.location_queue (location_id, customer_id, cart_id) select %L, %L, id from public.carts where customer_id = %L and status = %L', :'loc_a1', :'cust_1', :'cust_1', 'completed'), 'PT409 cart_not_active'),
  (16, 'insert an entry without a customer', format('insert into public.location_queue (location_id) values (%L)', :'loc_a1'), 'P0001 invalid_argument'),
  (17, 'reopen a served entry', format('update public.location_queue set status = %L where customer_id = %L and status = %L', 'waiting', :'cust_1', 'served'), 'PT409 invalid_transition'),
  (18, 'reopen a removed entry', format('update public.location_queue set status = %L where customer_id = %L', 'called', :'cust_2'), 'PT409 invalid_transition'),
  (19, 'point an entry at another cart', format('update public.location_queue set cart_id = null where customer_id = %L', :'cust_1'), 'PT409 use_add_to_queue'),
  (20, 'move an entry to another customer', format('update public.location_queue set customer_id = %L where customer_id = %L', :'cust_a', :'cust_1'), 'PT409 use_add_to_queue'),
  (21, 'edit a closed entry', format('update public.location_queue set note = %L where customer_id = %L', 'x', :'cust_1'), 'PT409 invalid_transition'),
  (22, 'an unknown status', format('update public.location_queue set status = %L where customer_id = %L and status = %L', 'seated', :'cust_a', 'removed'), 'PT409 invalid_transition'),
  (23, 'a line on a completed cart', format('insert into public.cart_items (cart_id, product_id) select id, %L from public.carts where customer_id = %L and status = %L', 'x', :'cust_1', 'completed'), 'PT409 cart_not_active'),
  (24, 'change a line of a completed cart', format('update public.cart_items i set quantity = 7 from public.carts c where c.id = i.cart_id and c.status = %L', 'completed'), 'PT409 cart_not_active'),
  (25, 'a line on a merged cart', format('insert into public.cart_items (cart_id, product_id) select id, %L from public.carts where device_id = %L', 'x', 'till-1'), 'PT409 cart_not_active'),
  (26, 'move a line to another cart', format('update public.cart_items set cart_id = (select id from public.carts where customer_id = %L and status = %L) where product_id = %L', :'cust_a', 'active', 'sku-2'), 'PT409 use_add_item'),
  (27, 'an unknown cart status', format('update public.carts set status = %L where customer_id = %L and status = %L', 'paid', :'cust_a', 'active'), 'P0001 invalid_argument');
select is(pg_temp.error_of(stmt), answer, 'refused: ' || label) from refused order by ord;

-- An insert naming an existing entry's id is never inserted (a unique violation, or its ON
-- CONFLICT clause: PostgREST's ignore-duplicates upsert); it makes no cart either, whether the
-- entry is the caller's store's or another's.
select public.add_to_queue(:'loc_a2', :'cust_a') is not null;
select public.complete_cart(id) is not null from public.carts
where customer_id = :'cust_a' and location_id = :'loc_a2' and status = 'active';
insert into public.location_queue (id, location_id, customer_id)
select id, location_id, customer_id from public.location_queue
where customer_id = :'cust_a' and location_id = :'loc_a2'
on conflict (id) do nothing;
select is((select count(*) from public.carts
           where customer_id = :'cust_a' and location_id = :'loc_a2' and status = 'active'), 0::bigint,
  'insert location_queue naming an existing entry, on conflict do nothing: no cart is made');
select pg_temp.as_owner();
select id as served_entry from public.location_queue
where customer_id = :'cust_a' and location_id = :'loc_a2' \gset
select pg_temp.as_claim_b();
insert into public.location_queue (id, location_id, customer_id)
values (:'served_entry', :'loc_b1', :'cust_2') on conflict (id) do nothing;
select pg_temp.as_owner();
select is((select count(*) from public.carts where customer_id = :'cust_2' and location_id = :'loc_b1'),
  0::bigint, 'the same with another store''s entry id: no cart is made');

-- A customer stays in the store of their carts and entries: staff of both stores cannot move
-- one who has a cart, nor the service role a shared customer with a cart in another store; a
-- customer with nothing elsewhere may move.
select pg_temp.act_as('authenticated', pg_temp.claims(gen_random_uuid(),
  jsonb_build_object('store_ids', jsonb_build_array(:'store_a', :'store_b'))));
select is(pg_temp.error_of(format('update public.customers set store_id = %L where id = %L',
  :'store_b', :'cust_a')), 'PT409 customer_has_carts',
  'refused: staff of two stores move a customer with carts in one to the other');
insert into public.customers (id, store_id, name) values ('c0000000-0000-4000-8000-0000000000aa', :'store_a', 'new');
select is(pg_temp.error_of(format('update public.customers set store_id = %L where id = %L',
  :'store_b', 'c0000000-0000-4000-8000-0000000000aa')), 'ok',
  'a customer without carts or entries moves');
select pg_temp.as_claim_b();
select public.get_or_create_cart(:'loc_b1', :'cust_1') is not null;
select pg_temp.act_as('service_role');
select is(pg_temp.error_of(format('update public.customers set store_id = %L where id = %L',
  :'store_a', :'cust_1')), 'PT409 customer_has_carts',
  'refused: the service role moves a shared customer with a cart in another store');
select pg_temp.as_owner();
select is((select store_id from public.customers where id = :'cust_a'), :'store_a'::uuid,
  'the refused moves changed nothing');

select pg_temp.as_owner();
select is((select sum(violations) from private.invariant_census()), 0::numeric,
  'after every write above: no invariant is broken');
select * from finish();
rollback;
