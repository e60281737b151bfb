-- Default deny and the authorization matrix. Callers: anon, a signed-in user with no store
-- (`nobody`), staff of store A by membership (`member_a`) and by claim (`claim_a`), staff of
-- store B (`claim_b`), and service_role. For every RPC and every table x operation, a caller
-- reads and changes nothing outside their stores, and "not yours" answers exactly like
-- "does not exist" (the same SQLSTATE, message, detail and hint).
begin;
\ir _helpers.psql
select plan(218);

-- Store A and store B each hold a customer's cart with a line and an open queue entry.
select pg_temp.as_service();
create temp table ids (name text primary key, id uuid);
insert into ids
select 'cart_' || s, (public.add_to_queue(l, :'cust_1') -> 'cart' ->> 'id')::uuid
from (values ('a', :'loc_a1'::uuid), ('b', :'loc_b1'::uuid)) v(s, l);
insert into ids
select 'entry_' || s, (public.add_to_queue(l, :'cust_1') -> 'queue_entry' ->> 'id')::uuid
from (values ('a', :'loc_a1'::uuid), ('b', :'loc_b1'::uuid)) v(s, l);
insert into public.cart_items (cart_id, product_id, quantity, unit_price)
select id, 'sku-1', 2, 3.50 from ids where name like 'cart_%';
select pg_temp.as_owner();
insert into public.store_settings (store_id) values (:'store_a'), (:'store_b');
grant select on ids to public;
create function pg_temp.id(p_name text) returns uuid language sql stable as $$
  select id from pg_temp.ids where name = p_name
$$;

-- Everything a store holds, as one digest (read as the owner).
create function pg_temp.digest(p_store uuid) returns text language sql stable as $$
  select md5(concat_ws('|',
    (select jsonb_agg(to_jsonb(s) order by s.id) from public.stores s where s.id = p_store),
    (select jsonb_agg(to_jsonb(l) order by l.id) from public.locations l where l.store_id = p_store),
    (select jsonb_agg(to_jsonb(u) order by u.id) from public.customers u where u.store_id = p_store),
    (select jsonb_agg(to_jsonb(c) order by c.id) from public.carts c where c.store_id = p_store),
    (select jsonb_agg(to_jsonb(i) order by i.id) from public.cart_items i
       join public.carts c on c.id = i.cart_id where c.store_id = p_store),
    (select jsonb_agg(to_jsonb(q) order by q.id) from public.location_queue q where q.store_id = p_store),
    (select jsonb_agg(to_jsonb(m) order by m.user_id) from public.store_members m where m.store_id = p_store),
    (select jsonb_agg(to_jsonb(e) order by e.id) from public.cart_events e where e.store_id = p_store),
    (select jsonb_agg(to_jsonb(t)) from public.store_settings t where t.store_id = p_store)))
$$;
create temp table before as
select s.id as store_id, pg_temp.digest(s.id) as digest from public.stores s;
grant select on before to public;

-- Probes: each reaches a row or location through its id. %1$s location, %2$s cart,
-- %3$s queue entry, %4$s store, %5$s that store's own customer; %6$s and %7$s are the
-- caller's own location and store. "Foreign" fills in the other store's ids, "missing" ids
-- that exist nowhere.
create temp table probes (ord int primary key, label text, tmpl text);
insert into probes values
  (1, 'rpc get_or_create_cart by location', 'select public.get_or_create_cart(%1$L, %8$L)'),
  (2, 'rpc get_or_create_cart, anonymous', 'select public.get_or_create_cart(%1$L, p_device_id => ''till'')'),
  (3, 'rpc get_or_create_cart, store''s customer', 'select public.get_or_create_cart(%6$L, %5$L)'),
  (4, 'rpc get_or_create_cart, store_id', 'select public.get_or_create_cart(%6$L, %8$L, %4$L)'),
  (5, 'rpc add_to_queue', 'select public.add_to_queue(%1$L, %8$L)'),
  (6, 'rpc list_queue', 'select public.list_queue(%1$L)'),
  (7, 'rpc call_queue_entry by id', 'select public.call_queue_entry(%3$L)'),
  (8, 'rpc serve_queue_entry by id', 'select public.serve_queue_entry(%3$L)'),
  (9, 'rpc mark_no_show by id', 'select public.mark_no_show(%3$L)'),
  (10, 'rpc remove_from_queue by id', 'select public.remove_from_queue(%3$L)'),
  (11, 'rpc remove_from_queue by location', 'select public.remove_from_queue(p_location_id => %1$L, p_customer_id => %8$L)'),
  (12, 'rpc complete_cart', 'select public.complete_cart(%2$L)'),
  (13, 'select carts', 'select 1/(1 - count(*))::int from public.carts where id = %2$L'),
  (14, 'select cart_items', 'select 1/(1 - count(*))::int from public.cart_items where cart_id = %2$L'),
  (15, 'select location_queue', 'select 1/(1 - count(*))::int from public.location_queue where id = %3$L'),
  (16, 'select locations', 'select 1/(1 - count(*))::int from public.locations where id = %1$L'),
  (17, 'select stores', 'select 1/(1 - count(*))::int from public.stores where id = %4$L'),
  (18, 'select customers', 'select 1/(1 - count(*))::int from public.customers where id = %5$L'),
  (19, 'insert carts', 'insert into public.carts (location_id, customer_id) values (%1$L, %8$L)'),
  (20, 'insert carts into own store at that location', 'insert into public.carts (store_id, location_id, customer_id) values (%7$L, %1$L, %8$L)'),
  (21, 'update carts', 'update public.carts set status = ''completed'' where id = %2$L'),
  (22, 'delete carts', 'delete from public.carts where id = %2$L'),
  (23, 'insert cart_items', 'insert into public.cart_items (cart_id, product_id) values (%2$L, ''sku'')'),
  (24, 'update cart_items', 'update public.cart_items set quantity = 9 where cart_id = %2$L'),
  (25, 'delete cart_items', 'delete from public.cart_items where cart_id = %2$L'),
  (26, 'insert location_queue', 'insert into public.location_queue (location_id, customer_id) values (%1$L, %8$L)'),
  (27, 'insert location_queue with that cart', 'insert into public.location_queue (location_id, customer_id, cart_id) values (%6$L, %9$L, %2$L)'),
  (28, 'update location_queue', 'update public.location_queue set status = ''served'' where id = %3$L'),
  (29, 'delete location_queue', 'delete from public.location_queue where id = %3$L'),
  (30, 'insert customers', 'insert into public.customers (store_id, name) values (%4$L, ''x'')'),
  (31, 'insert store_members', 'insert into public.store_members (store_id, user_id) values (%4$L, %10$L)'),
  (32, 'rpc add_item', 'select public.add_item(%2$L, ''sku'')'),
  (33, 'rpc set_item_quantity', 'select public.set_item_quantity(%2$L, %2$L, 2)'),
  (34, 'rpc remove_item', 'select public.remove_item(%2$L, %2$L)'),
  (35, 'rpc attach_customer by cart', 'select public.attach_customer(%8$L, p_cart_id => %2$L)'),
  (36, 'rpc attach_customer by device', 'select public.attach_customer(%8$L, p_location_id => %1$L, p_device_id => ''till'')'),
  (37, 'select cart_events', 'select 1/(1 - count(*))::int from public.cart_events where cart_id = %2$L'),
  (38, 'select store_settings', 'select 1/(1 - count(*))::int from public.store_settings where store_id = %4$L'),
  (39, 'update cart_events', 'update public.cart_events set event = ''x'' where cart_id = %2$L'),
  (40, 'insert store_settings', 'insert into public.store_settings (store_id) values (%4$L)');

create function pg_temp.probe(p_tmpl text, p_foreign boolean, p_own text) returns text
language sql as $$
  select pg_temp.answer_of(case when p_own = 'a' then
    format(p_tmpl,
      case when p_foreign then '1b000000-0000-4000-8000-0000000000b1' else 'dead0000-0000-4000-8000-000000000000' end,
      case when p_foreign then pg_temp.id('cart_b')::text else 'dead0000-0000-4000-8000-000000000000' end,
      case when p_foreign then pg_temp.id('entry_b')::text else 'dead0000-0000-4000-8000-000000000000' end,
      case when p_foreign then '5b000000-0000-4000-8000-00000000000b' else 'dead0000-0000-4000-8000-000000000000' end,
      case when p_foreign then 'cb000000-0000-4000-8000-00000000000b' else 'dead0000-0000-4000-8000-000000000000' end,
      '1a000000-0000-4000-8000-0000000000a1', '5a000000-0000-4000-8000-00000000000a',
      'c0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000002',
      '00000000-0000-4000-8000-0000000000ff')
  else
    format(p_tmpl,
      case when p_foreign then '1a000000-0000-4000-8000-0000000000a1' else 'dead0000-0000-4000-8000-000000000000' end,
      case when p_foreign then pg_temp.id('cart_a')::text else 'dead0000-0000-4000-8000-000000000000' end,
      case when p_foreign then pg_temp.id('entry_a')::text else 'dead0000-0000-4000-8000-000000000000' end,
      case when p_foreign then '5a000000-0000-4000-8000-00000000000a' else 'dead0000-0000-4000-8000-000000000000' end,
      case when p_foreign then 'ca000000-0000-4000-8000-00000000000a' else 'dead0000-0000-4000-8000-000000000000' end,
      '1b000000-0000-4000-8000-0000000000b1', '5b000000-0000-4000-8000-00000000000b',
      'c0000000-0000-4000-8000-000000000001', 'c0000000-0000-4000-8000-000000000002',
      '00000000-0000-4000-8000-0000000000ff')
  end)
$$;
grant execute on function pg_temp.probe(text, boolean, text) to public;
grant select on probes to public;

-- Staff of store A (membership, then claim) and staff of store B: the other store's rows
-- answer as missing ones, and nothing of the other store changes.
select pg_temp.as_member_a();
select is(pg_temp.probe(tmpl, true, 'a'), pg_temp.probe(tmpl, false, 'a'),
  'member of A: ' || label || ': store B''s ids answer as missing ones')
from probes order by ord;
select pg_temp.as_owner();
select is(pg_temp.digest(:'store_b'), (select digest from before where store_id = :'store_b'),
  'member of A changed nothing of store B');

select pg_temp.as_claim_a();
select is(pg_temp.probe(tmpl, true, 'a'), pg_temp.probe(tmpl, false, 'a'),
  'claim for A: ' || label || ': store B''s ids answer as missing ones')
from probes order by ord;
select pg_temp.as_owner();
select is(pg_temp.digest(:'store_b'), (select digest from before where store_id = :'store_b'),
  'claim for A changed nothing of store B');
update before set digest = pg_temp.digest(store_id);

select pg_temp.as_claim_b();
select is(pg_temp.probe(tmpl, true, 'b'), pg_temp.probe(tmpl, false, 'b'),
  'claim for B: ' || label || ': store A''s ids answer as missing ones')
from probes order by ord;
select pg_temp.as_owner();
select is(pg_temp.digest(:'store_a'), (select digest from before where store_id = :'store_a'),
  'claim for B changed nothing of store A');
update before set digest = pg_temp.digest(store_id);

-- A signed-in user with no store (any project with open sign-ups hands this token out):
-- sees nothing, changes nothing, every RPC answers 403 store_forbidden.
select pg_temp.as_nobody();
select is(pg_temp.probe(tmpl, true, 'a'), pg_temp.probe(tmpl, false, 'a'),
  'no store: ' || label || ': answers the same for existing and missing ids')
from probes order by ord;
select is(pg_temp.error_of(format('select public.get_or_create_cart(%L, %L)', :'loc_a1', :'cust_1')),
  'PT403 store_forbidden', 'no store: get answers 403 store_forbidden');
select is(pg_temp.error_of(format('select public.complete_cart(%L)', pg_temp.id('cart_a'))),
  'PT403 store_forbidden', 'no store: complete_cart answers 403 store_forbidden');
select is((select count(*) from public.carts) + (select count(*) from public.cart_items)
  + (select count(*) from public.location_queue) + (select count(*) from public.stores)
  + (select count(*) from public.locations) + (select count(*) from public.customers)
  + (select count(*) from public.store_members), 0::bigint, 'no store: reads nothing at all');
select pg_temp.as_owner();
select is(pg_temp.digest(:'store_a') || pg_temp.digest(:'store_b'),
  (select string_agg(digest, '' order by store_id) from before where store_id in (:'store_a', :'store_b')),
  'no store: changed nothing');

-- anon: no privilege on any table or RPC.
select pg_temp.as_anon();
select is(pg_temp.probe(tmpl, true, 'a'), pg_temp.probe(tmpl, false, 'a'),
  'anon: ' || label || ': answers the same for existing and missing ids')
from probes order by ord;
select is(pg_temp.error_of(format('select public.get_or_create_cart(%L, %L)', :'loc_a1', :'cust_1')),
  '42501', 'anon: may not execute the RPCs');
select is(pg_temp.error_of('select 1 from public.carts'), '42501', 'anon: may not read the tables');
select pg_temp.as_owner();
select is(pg_temp.digest(:'store_a') || pg_temp.digest(:'store_b'),
  (select string_agg(digest, '' order by store_id) from before where store_id in (:'store_a', :'store_b')),
  'anon: changed nothing');

-- service_role sees and acts for every store.
select pg_temp.as_service();
select is((select count(distinct store_id) from public.carts), 2::bigint, 'service_role reads both stores');
select is(public.list_queue(:'loc_b1') -> 'entries' -> 0 ->> 'customer_id', :'cust_1',
  'service_role lists any location''s queue');
select pg_temp.as_owner();

-- Staff see their own rows; a member and a claim give the same access.
select pg_temp.as_member_a();
select is((select count(*) from public.carts), 1::bigint, 'member of A reads A''s cart');
select is((select array_agg(id) from public.locations), array[:'loc_a1', :'loc_a2']::uuid[],
  'member of A reads A''s locations');
select is((select array_agg(id order by id) from public.customers),
  array[:'cust_1', :'cust_2', :'cust_a']::uuid[], 'member of A reads shared customers and A''s');
select is((select count(*) from public.store_members), 1::bigint, 'a member reads their own grant');
select pg_temp.as_claim_a();
select is((select count(*) from public.cart_items), 1::bigint, 'claim for A reads A''s lines');
select is((select count(*) from public.store_members), 0::bigint, 'a claim user has no membership rows');
select pg_temp.as_owner();

select * from finish();
rollback;
