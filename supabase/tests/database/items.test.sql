-- Cart lines from several devices: add_item adds up quantities of a product already on the
-- cart, set_item_quantity and remove_item refuse a stale edit (PT409 stale_cart, the current
-- cart in DETAIL) and are harmless to repeat, lines change only on an active cart, and every
-- answer is the whole cart with its lines and totals computed in the database.
begin;
\ir _helpers.psql
select plan(24);

select pg_temp.as_claim_a();
create function pg_temp.line_of(p_cart jsonb, p_product text) returns jsonb language sql as $$
  select l from jsonb_array_elements(p_cart -> 'lines') l where l ->> 'product_id' = p_product
$$;
grant execute on function pg_temp.line_of(jsonb, text) to public;
create temp table c as select (public.get_or_create_cart(:'loc_a1', :'cust_1') -> 'cart' ->> 'id')::uuid as id;
grant select on c to public;

create temp table a1 as select public.add_item((select id from c), 'sku-1', 2, 4.50) as r;
select is((select r -> 'cart' -> 'lines' -> 0 ->> 'product_id' from a1), 'sku-1', 'add_item: a new line');
select is((select (r -> 'cart' -> 'lines' -> 0 ->> 'version')::int from a1), 1, 'add_item: a new line is version 1');
select is((select r -> 'cart' ->> 'total_quantity' from a1), '2', 'add_item: total quantity');
select is((select (r -> 'cart' ->> 'total_amount')::numeric from a1), 9.00, 'add_item: total amount = quantity x unit price');
create temp table a2 as select public.add_item((select id from c), 'sku-1', 3, 9.99) as r;
select is((select jsonb_array_length(r -> 'cart' -> 'lines') from a2), 1, 'add_item: the same product stays one line');
select is((select r -> 'cart' -> 'lines' -> 0 ->> 'quantity' from a2), '5', 'add_item: quantities add up');
select is((select (r -> 'cart' -> 'lines' -> 0 ->> 'unit_price')::numeric from a2), 4.50, 'add_item: the line keeps its price');
select is((select (r -> 'cart' -> 'lines' -> 0 ->> 'version')::int from a2), 2, 'add_item: the change counts up the version');
select is((select r ->> 'item_id' from a2), (select r ->> 'item_id' from a1), 'add_item: names the line');
select is(public.add_item((select id from c), 'sku-2') -> 'cart' ->> 'total_quantity', '6',
  'add_item: quantity 1 and price 0 by default');
select is(pg_temp.error_of(format('select public.add_item(%L, %L, 0)', (select id from c), 'sku-3')),
  'P0001 invalid_argument', 'add_item: quantity 0');
select is(pg_temp.error_of(format('select public.add_item(%L, %L, 99999)', (select id from c), 'sku-1')),
  'P0001 invalid_argument', 'add_item: a line over 100000');

-- set_item_quantity
create temp table line as select (r ->> 'item_id')::uuid as id from a1;
grant select on line to public;
select is(pg_temp.line_of(public.set_item_quantity((select id from c), (select id from line), 7, 2) -> 'cart', 'sku-1') ->> 'quantity',
  '7', 'set_item_quantity with the current version');
select is(pg_temp.error_of(format('select public.set_item_quantity(%L, %L, 8, 2)', (select id from c), (select id from line))),
  'PT409 stale_cart', 'set_item_quantity with a stale version: stale_cart');
create temp table stale (detail text);
grant all on stale to public;
do $$
declare
  v_detail text;
begin
  perform public.set_item_quantity((select id from c), (select id from line), 9, 1);
exception when sqlstate 'PT409' then
  get stacked diagnostics v_detail = pg_exception_detail;
  insert into stale values (v_detail);
end
$$;
select is((select pg_temp.line_of(detail::jsonb, 'sku-1') ->> 'quantity' from stale where detail is not null),
  '7', 'stale_cart carries the current cart (JSON) in DETAIL');
select is(pg_temp.line_of(public.set_item_quantity((select id from c), (select id from line), 7, 1) -> 'cart', 'sku-1') ->> 'version',
  '3', 'set_item_quantity to the quantity it has: no change, no error (a retry is harmless)');
select is(pg_temp.error_of(format('select public.set_item_quantity(%L, %L, 0)', (select id from c), (select id from line))),
  'P0001 invalid_argument', 'set_item_quantity: quantity 0');

-- remove_item
select is(pg_temp.error_of(format('select public.remove_item(%L, %L, 1)', (select id from c), (select id from line))),
  'PT409 stale_cart', 'remove_item with a stale version: stale_cart');
select is(jsonb_array_length(public.remove_item((select id from c), (select id from line), 3) -> 'cart' -> 'lines'), 1,
  'remove_item with the current version');
select is(jsonb_array_length(public.remove_item((select id from c), (select id from line)) -> 'cart' -> 'lines'), 1,
  'remove_item again: the line is gone, no error');
select is(pg_temp.error_of(format('select public.set_item_quantity(%L, %L, 3)', (select id from c), (select id from line))),
  'PT409 stale_cart', 'set_item_quantity of a removed line: stale_cart');

-- closed carts, other stores
select public.complete_cart((select id from c)) is not null;
select is(pg_temp.error_of(format('select public.add_item(%L, %L)', (select id from c), 'sku-9')),
  'PT409 cart_not_active', 'add_item on a completed cart: cart_not_active');
select pg_temp.as_claim_b();
select is(pg_temp.answer_of(format('select public.add_item(%L, %L)', (select id from c), 'sku-9')),
  pg_temp.answer_of(format('select public.add_item(%L, %L)', :'missing', 'sku-9')),
  'add_item on another store''s cart answers as on a missing one');
select pg_temp.as_owner();
select is((select sum(violations) from private.invariant_census()), 0::numeric, 'no invariant is broken');

select * from finish();
rollback;
