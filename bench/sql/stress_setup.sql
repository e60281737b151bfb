-- Setup of the concurrency stress run (not a migration: only the stress database gets it).
-- A tiny key space (stores, locations, customers with fixed ids) and one function,
-- poscart_bench.step(op, customer, location), that performs one random operation through
-- the public RPCs as the calling role. Business refusals that are expected under races
-- (no entry to remove, cart completed meanwhile) are counted as outcomes, not failures.

create schema if not exists poscart_bench;
grant usage on schema poscart_bench to authenticated;

create or replace function poscart_bench.id(p_kind int, p_n int) returns uuid
language sql immutable
set search_path = ''
as $$ select ('00000000-0000-4000-8' || lpad(p_kind::text, 3, '0') || '-' || lpad(p_n::text, 12, '0'))::uuid $$;

insert into public.stores (id, name) values (poscart_bench.id(1, 1), 'bench') on conflict do nothing;
insert into public.locations (id, store_id, name)
select poscart_bench.id(2, n), poscart_bench.id(1, 1), 'bench ' || n from generate_series(1, 10) n
on conflict do nothing;
insert into public.customers (id, name)
select poscart_bench.id(3, n), 'bench ' || n from generate_series(1, 100) n
on conflict do nothing;

create or replace function poscart_bench.step(p_op int, p_customer int, p_location int)
returns text
language plpgsql volatile
set search_path = ''
as $$
declare
  v_customer uuid := poscart_bench.id(3, p_customer);
  v_location uuid := poscart_bench.id(2, p_location);
  v_cart uuid;
begin
  if p_op <= 4 then
    perform public.get_or_create_cart(p_location_id => v_location, p_customer_id => v_customer);
    return 'get';
  elsif p_op <= 6 then
    perform public.add_to_queue(p_location_id => v_location, p_customer_id => v_customer);
    return 'add_to_queue';
  elsif p_op = 7 then
    perform public.remove_from_queue(p_location_id => v_location, p_customer_id => v_customer);
    return 'remove';
  elsif p_op = 8 then
    select c.id into v_cart from public.carts c
    where c.customer_id = v_customer and c.location_id = v_location and c.status = 'active';
    insert into public.cart_items (cart_id, product_id, quantity, unit_price)
    select v_cart, 'sku-' || p_op, 1, 1.00 where v_cart is not null;
    return 'add_item';
  else
    select c.id into v_cart from public.carts c
    where c.customer_id = v_customer and c.location_id = v_location and c.status = 'active';
    if v_cart is not null then
      perform public.complete_cart(p_cart_id => v_cart);
    end if;
    return 'complete';
  end if;
exception
  when sqlstate 'PT404' or sqlstate 'PT409' then
    return 'refused';
end
$$;
grant execute on function poscart_bench.step(int, int, int) to authenticated;
grant execute on function poscart_bench.id(int, int) to authenticated;
