-- The database enforces the same input limits as the function (docs/api.md, "Fields"), for
-- the RPCs and the tables alike: bad input is P0001 with HINT invalid_argument and the field
-- in DETAIL (HTTP 400 through PostgREST), never a 500, an index name or a stored value.
begin;
\ir _helpers.psql
select plan(32);

select pg_temp.as_claim_a();
create function pg_temp.field_error(p_sql text) returns text language plpgsql as $$
declare
  v_state text;
  v_hint text;
  v_detail text;
begin
  execute p_sql;
  return 'ok';
exception when others then
  get stacked diagnostics v_state = returned_sqlstate, v_hint = pg_exception_hint,
    v_detail = pg_exception_detail;
  return concat_ws(' ', v_state, nullif(v_hint, ''), nullif(v_detail, ''));
end
$$;
grant execute on function pg_temp.field_error(text) to public;
create temp table cases (ord int, label text, stmt text, answer text);
grant all on cases to public;
insert into cases values
  (1, 'device_id of 200 characters', format('select public.get_or_create_cart(%L, p_device_id => %L)', :'loc_a1', repeat('d', 200)), 'ok'),
  (2, 'device_id of 201 characters', format('select public.get_or_create_cart(%L, p_device_id => %L)', :'loc_a1', repeat('d', 201)), 'P0001 invalid_argument device_id'),
  (3, 'device_id of 3000 characters', format('select public.get_or_create_cart(%L, p_device_id => %L)', :'loc_a1', repeat('d', 3000)), 'P0001 invalid_argument device_id'),
  (4, 'device_id with a control character', format('select public.get_or_create_cart(%L, p_device_id => %L)', :'loc_a1', 'ipad' || chr(1)), 'P0001 invalid_argument device_id'),
  (5, 'device_id with a newline', format('select public.get_or_create_cart(%L, p_device_id => %L)', :'loc_a1', 'ipad' || chr(10) || 'x'), 'P0001 invalid_argument device_id'),
  (6, 'device_id given with a customer', format('select public.get_or_create_cart(%L, %L, p_device_id => %L)', :'loc_a1', :'cust_1', repeat('d', 300)), 'P0001 invalid_argument device_id'),
  (7, 'party_size 0', format('select public.add_to_queue(%L, %L, p_party_size => 0)', :'loc_a1', :'cust_1'), 'P0001 invalid_argument party_size'),
  (8, 'party_size 101', format('select public.add_to_queue(%L, %L, p_party_size => 101)', :'loc_a1', :'cust_1'), 'P0001 invalid_argument party_size'),
  (9, 'party_size 1000', format('select public.add_to_queue(%L, %L, p_party_size => 1000)', :'loc_a1', :'cust_1'), 'P0001 invalid_argument party_size'),
  (10, 'note of 501 characters', format('select public.add_to_queue(%L, %L, p_note => %L)', :'loc_a1', :'cust_1', repeat('n', 501)), 'P0001 invalid_argument note'),
  (11, 'note of 1 MB', format('select public.add_to_queue(%L, %L, p_note => %L)', :'loc_a1', :'cust_1', repeat('n', 1048576)), 'P0001 invalid_argument note'),
  (12, 'add_to_queue device_id of 201 characters', format('select public.add_to_queue(%L, %L, p_device_id => %L)', :'loc_a1', :'cust_1', repeat('d', 201)), 'P0001 invalid_argument device_id'),
  (13, 'party_size 100, note of 500 characters', format('select public.add_to_queue(%L, %L, p_party_size => 100, p_note => %L)', :'loc_a1', :'cust_2', repeat('n', 500)), 'ok'),
  (14, 'table: cart with a 3000-character device_id', format('insert into public.carts (location_id, device_id) values (%L, %L)', :'loc_a1', repeat('d', 3000)), 'P0001 invalid_argument device_id'),
  (15, 'table: entry with party_size 1000', format('insert into public.location_queue (location_id, customer_id, party_size) values (%L, %L, 1000)', :'loc_a2', :'cust_1'), 'P0001 invalid_argument party_size'),
  (16, 'table: entry with a 1 MB note', format('insert into public.location_queue (location_id, customer_id, note) values (%L, %L, %L)', :'loc_a2', :'cust_1', repeat('n', 1048576)), 'P0001 invalid_argument note'),
  (17, 'table: entry with a control character in device_id', format('insert into public.location_queue (location_id, customer_id, device_id) values (%L, %L, %L)', :'loc_a2', :'cust_1', 'x' || chr(27)), 'P0001 invalid_argument device_id'),
  (18, 'table: change party_size to 0', format('update public.location_queue set party_size = 0 where customer_id = %L', :'cust_2'), 'P0001 invalid_argument party_size'),
  (19, 'table: change note to 501 characters', format('update public.location_queue set note = %L where customer_id = %L', repeat('n', 501), :'cust_2'), 'P0001 invalid_argument note'),
  (20, 'line: quantity 0', format('insert into public.cart_items (cart_id, product_id, quantity) select id, %L, 0 from public.carts where customer_id = %L', 'p', :'cust_2'), 'P0001 invalid_argument quantity'),
  (21, 'line: quantity -1', format('insert into public.cart_items (cart_id, product_id, quantity) select id, %L, -1 from public.carts where customer_id = %L', 'p', :'cust_2'), 'P0001 invalid_argument quantity'),
  (22, 'line: quantity 100001', format('insert into public.cart_items (cart_id, product_id, quantity) select id, %L, 100001 from public.carts where customer_id = %L', 'p', :'cust_2'), 'P0001 invalid_argument quantity'),
  (23, 'line: negative unit price', format('insert into public.cart_items (cart_id, product_id, unit_price) select id, %L, -1 from public.carts where customer_id = %L', 'p', :'cust_2'), 'P0001 invalid_argument unit_price'),
  (24, 'line: empty product_id', format('insert into public.cart_items (cart_id, product_id) select id, %L from public.carts where customer_id = %L', '', :'cust_2'), 'P0001 invalid_argument product_id'),
  (25, 'line: product_id of 201 characters', format('insert into public.cart_items (cart_id, product_id) select id, %L from public.carts where customer_id = %L', repeat('p', 201), :'cust_2'), 'P0001 invalid_argument product_id'),
  (26, 'line: no product_id', format('insert into public.cart_items (cart_id) select id from public.carts where customer_id = %L', :'cust_2'), 'P0001 invalid_argument product_id'),
  (27, 'line: quantity 100000, product of 200 characters', format('insert into public.cart_items (cart_id, product_id, quantity) select id, %L, 100000 from public.carts where customer_id = %L', repeat('p', 200), :'cust_2'), 'ok'),
  (28, 'line: change quantity to 0', format('update public.cart_items set quantity = 0 where product_id = %L', repeat('p', 200)), 'P0001 invalid_argument quantity'),
  (29, 'a uuid argument that is not one', 'select public.complete_cart(''not-a-uuid'')', '22P02'),
  (30, 'add_item: a price that rounds to 10000000000.00', format('select public.add_item((select id from public.carts where customer_id = %L), %L, 1, 9999999999.995)', :'cust_2', 'p-top'), 'P0001 invalid_argument unit_price'),
  (31, 'add_item: a price that rounds to 9999999999.99', format('select public.add_item((select id from public.carts where customer_id = %L), %L, 1, 9999999999.994)', :'cust_2', 'p-top'), 'ok');
select is(pg_temp.field_error(stmt), answer, label) from cases order by ord;

select pg_temp.as_owner();
select is((select count(*) from public.carts where char_length(device_id) > 200)
  + (select count(*) from public.location_queue where party_size > 100 or char_length(note) > 500),
  0::bigint, 'nothing over the limits was written');
select * from finish();
rollback;
