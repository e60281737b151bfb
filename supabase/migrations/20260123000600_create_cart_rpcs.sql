-- Cart RPCs: get_or_create_cart (the one active cart, idempotent, writes nothing when it
-- exists) and complete_cart (idempotent checkout). Both are SECURITY INVOKER: they read and
-- write as the caller, under row level security and the rules of
-- 20260123000500_create_cart_and_queue_rules.sql. Business errors carry a stable code in
-- HINT (docs/api.md, "Errors"); rows of other stores answer as missing ones. The writing
-- RPCs wait at most 2 s for a row lock (SET lock_timeout): behind a long transaction a device
-- gets 55P03, which the function retries, instead of waiting for the role's 8 s.

set lock_timeout = '3s';
set statement_timeout = '30s';

-- The one active cart of a customer (or of an anonymous device) at a location; created when
-- missing. Idempotent and race-free (private.active_cart). An existing cart is answered
-- from one lookup: when the caller sees it, its store is one of theirs and its location
-- belongs to that store (I5), so no other check is needed.
create or replace function public.get_or_create_cart(
  p_location_id uuid,
  p_customer_id uuid default null,
  p_store_id uuid default null,
  p_device_id text default null
) returns jsonb
language plpgsql volatile
security invoker
set search_path = ''
set lock_timeout = '2s'
as $$
declare
  v_device text := private.clean_device_id(p_device_id);
  v_store uuid;
  v_cart public.carts;
begin
  if p_customer_id is not null then
    select * into v_cart from public.carts c
    where c.customer_id = p_customer_id and c.location_id = p_location_id and c.status = 'active';
  elsif v_device is not null then
    select * into v_cart from public.carts c
    where c.customer_id is null and c.location_id = p_location_id
      and c.device_id = v_device and c.status = 'active';
  end if;
  if v_cart.id is not null then
    if p_store_id is not null and p_store_id <> v_cart.store_id then
      raise exception 'the location does not belong to the given store'
        using errcode = 'P0001', hint = 'location_store_mismatch';
    end if;
    return jsonb_build_object('cart', private.cart_json(v_cart), 'created', false);
  end if;

  v_store := private.location_store(p_location_id, p_store_id);
  if p_customer_id is not null then
    perform private.require_customer(p_customer_id, v_store);
  elsif v_device is null then
    raise exception 'an anonymous cart needs a device_id'
      using errcode = 'P0001', hint = 'device_id_required';
  end if;
  return private.active_cart(v_store, p_location_id, p_customer_id, v_device);
end
$$;
comment on function public.get_or_create_cart(uuid, uuid, uuid, text) is
  'Returns {cart, created}: the one active cart of the customer (or anonymous device) at the location, created when missing. Idempotent; writes nothing when the cart exists.';

-- Completes (checks out) a cart. Idempotent: completing a completed cart returns it. The
-- cart's open queue entries are served in the same transaction (private.carts_apply), so the
-- next get_or_create_cart makes a fresh cart.
create or replace function public.complete_cart(p_cart_id uuid)
returns jsonb
language plpgsql volatile
security invoker
set search_path = ''
set lock_timeout = '2s'
as $$
declare
  v_cart public.carts;
begin
  if p_cart_id is null then
    perform private.invalid_argument('cart_id', 'cart_id is required');
  end if;
  select * into v_cart from public.carts c where c.id = p_cart_id for update;
  if not found then
    perform private.raise_no_access_or_not_found('cart_not_found', 'cart');
  end if;
  if v_cart.status = 'active' then
    update public.carts c set status = 'completed' where c.id = p_cart_id
    returning * into v_cart;
  elsif v_cart.status <> 'completed' then
    raise exception 'the cart is %; it cannot be completed', v_cart.status
      using errcode = 'PT409', hint = 'cart_not_active';
  end if;
  return jsonb_build_object('cart', private.cart_json(v_cart));
end
$$;
comment on function public.complete_cart(uuid) is
  'Returns {cart}: completes an active cart (idempotent), serving its open queue entries.';

revoke all on function public.get_or_create_cart(uuid, uuid, uuid, text) from public, anon;
revoke all on function public.complete_cart(uuid) from public, anon;
grant execute on function public.get_or_create_cart(uuid, uuid, uuid, text) to authenticated, service_role;
grant execute on function public.complete_cart(uuid) to authenticated, service_role;

reset lock_timeout;
reset statement_timeout;
