-- Cart RPCs: get_or_create_cart (the one active cart, idempotent, writes nothing when the
-- cart exists) and complete_cart (idempotent checkout). Plus the shared helpers: JSON
-- shapes of a cart and a queue entry, and the location/store/customer checks.
-- Business errors carry a stable code in HINT: P0001 (400), PT403, PT404, PT409.

-- JSON shape of a cart (docs/architecture.md, "Cart").
create or replace function private.cart_json(c public.carts) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object(
    'id', c.id, 'store_id', c.store_id, 'location_id', c.location_id,
    'customer_id', c.customer_id, 'device_id', c.device_id, 'status', c.status,
    'merged_into', c.merged_into, 'created_at', private.ts_json(c.created_at),
    'updated_at', private.ts_json(c.updated_at), 'completed_at', private.ts_json(c.completed_at))
$$;
comment on function private.cart_json(public.carts) is 'A cart as the RPCs return it.';

-- JSON shape of a queue entry (docs/architecture.md, "Entry"; position only in lists).
create or replace function private.entry_json(q public.location_queue) returns jsonb
language sql stable
set search_path = ''
as $$
  select jsonb_build_object(
    'id', q.id, 'store_id', q.store_id, 'location_id', q.location_id,
    'customer_id', q.customer_id, 'cart_id', q.cart_id, 'device_id', q.device_id,
    'status', q.status, 'party_size', q.party_size, 'note', q.note,
    'created_at', private.ts_json(q.created_at), 'called_at', private.ts_json(q.called_at),
    'served_at', private.ts_json(q.served_at), 'removed_at', private.ts_json(q.removed_at),
    'no_show_at', private.ts_json(q.no_show_at), 'updated_at', private.ts_json(q.updated_at))
$$;
comment on function private.entry_json(public.location_queue) is 'A queue entry as the RPCs return it.';

-- The store of a location after the checks every RPC makes: the location exists
-- (PT404 location_not_found), belongs to the given store when one is given (P0001
-- location_store_mismatch), and the caller may act for that store (PT403 store_forbidden).
-- Security definer: it must see the location whatever RLS the deployment puts on
-- `locations`; it returns only the store id of the location asked for.
create or replace function private.location_store(p_location_id uuid, p_store_id uuid)
returns uuid
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  v_store uuid;
begin
  if p_location_id is null then
    raise exception 'location_id is required'
      using errcode = 'P0001', hint = 'invalid_argument';
  end if;
  select l.store_id into v_store from public.locations l where l.id = p_location_id;
  if not found then
    raise exception 'location % not found', p_location_id
      using errcode = 'PT404', hint = 'location_not_found';
  end if;
  if p_store_id is not null and p_store_id is distinct from v_store then
    raise exception 'location % does not belong to store %', p_location_id, p_store_id
      using errcode = 'P0001', hint = 'location_store_mismatch';
  end if;
  if not private.can_act_for_store(v_store) then
    raise exception 'not allowed to act for store %', v_store
      using errcode = 'PT403', hint = 'store_forbidden';
  end if;
  return v_store;
end
$$;
comment on function private.location_store(uuid, uuid) is
  'Checks a location (exists, belongs to the store, caller may act for it) and returns its store id.';

-- Raises PT404 customer_not_found for an unknown customer. Security definer for the same
-- reason as location_store: a deployment's own RLS on customers must not hide them.
create or replace function private.require_customer(p_customer_id uuid) returns void
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from public.customers c where c.id = p_customer_id) then
    raise exception 'customer % not found', p_customer_id
      using errcode = 'PT404', hint = 'customer_not_found';
  end if;
end
$$;
comment on function private.require_customer(uuid) is 'Raises PT404 customer_not_found for an unknown customer.';

revoke all on function private.cart_json(public.carts) from public, anon;
revoke all on function private.entry_json(public.location_queue) from public, anon;
revoke all on function private.location_store(uuid, uuid) from public, anon;
revoke all on function private.require_customer(uuid) from public, anon;
grant execute on function private.cart_json(public.carts) to authenticated, service_role;
grant execute on function private.entry_json(public.location_queue) to authenticated, service_role;
grant execute on function private.location_store(uuid, uuid) to authenticated, service_role;
grant execute on function private.require_customer(uuid) to authenticated, service_role;

-- The one active cart of a customer (or of an anonymous device) at a location; created
-- when missing. Idempotent and race-free: the lookup comes first and writes nothing when
-- the cart exists (no new row version, no WAL, no Realtime event); only when it is missing
-- does `insert ... on conflict do nothing` run, which waits for a competing insert and
-- then yields to it; the loop re-reads in the rare case the row vanished in between.
create or replace function public.get_or_create_cart(
  p_location_id uuid,
  p_customer_id uuid default null,
  p_store_id uuid default null,
  p_device_id text default null
) returns jsonb
language plpgsql volatile
security invoker
set search_path = ''
as $$
declare
  v_store uuid := private.location_store(p_location_id, p_store_id);
  v_device text := nullif(btrim(p_device_id), '');
  v_cart public.carts;
begin
  if p_customer_id is null and v_device is null then
    raise exception 'an anonymous cart needs a device_id'
      using errcode = 'P0001', hint = 'device_id_required';
  end if;
  if p_customer_id is not null then
    perform private.require_customer(p_customer_id);
    v_device := null;
  end if;

  for attempt in 1..10 loop
    if p_customer_id is not null then
      select * into v_cart from public.carts c
      where c.customer_id = p_customer_id and c.location_id = p_location_id
        and c.status = 'active';
    else
      select * into v_cart from public.carts c
      where c.customer_id is null and c.location_id = p_location_id
        and c.device_id = v_device and c.status = 'active';
    end if;
    if found then
      return jsonb_build_object('cart', private.cart_json(v_cart), 'created', false);
    end if;

    if p_customer_id is not null then
      insert into public.carts (store_id, location_id, customer_id)
      values (v_store, p_location_id, p_customer_id)
      on conflict (customer_id, location_id)
        where status = 'active' and customer_id is not null
      do nothing
      returning * into v_cart;
    else
      insert into public.carts (store_id, location_id, device_id)
      values (v_store, p_location_id, v_device)
      on conflict (location_id, device_id)
        where status = 'active' and customer_id is null and device_id is not null
      do nothing
      returning * into v_cart;
    end if;
    if found then
      return jsonb_build_object('cart', private.cart_json(v_cart), 'created', true);
    end if;
  end loop;
  raise exception 'the active cart kept changing, retry'
    using errcode = '40001', hint = 'retry';
end
$$;
comment on function public.get_or_create_cart(uuid, uuid, uuid, text) is
  'Returns {cart, created}: the one active cart of the customer (or anonymous device) at the location, created when missing. Idempotent; writes nothing when the cart exists.';

-- Completes (checks out) a cart. Idempotent: completing a completed cart returns it.
-- Open queue entries of the cart are marked served in the same transaction, so an open
-- entry's cart is always active. The next get_or_create_cart creates a fresh cart.
create or replace function public.complete_cart(p_cart_id uuid)
returns jsonb
language plpgsql volatile
security invoker
set search_path = ''
as $$
declare
  v_cart public.carts;
begin
  if p_cart_id is null then
    raise exception 'cart_id is required' using errcode = 'P0001', hint = 'invalid_argument';
  end if;
  select * into v_cart from public.carts c where c.id = p_cart_id for update;
  if not found then
    raise exception 'cart % not found', p_cart_id using errcode = 'PT404', hint = 'cart_not_found';
  end if;
  if not private.can_act_for_store(v_cart.store_id) then
    raise exception 'not allowed to act for store %', v_cart.store_id
      using errcode = 'PT403', hint = 'store_forbidden';
  end if;
  if v_cart.status = 'completed' then
    return jsonb_build_object('cart', private.cart_json(v_cart));
  end if;
  if v_cart.status <> 'active' then
    raise exception 'cart % is %', p_cart_id, v_cart.status
      using errcode = 'PT409', hint = 'cart_not_active';
  end if;

  update public.carts c
  set status = 'completed', completed_at = now(), updated_at = now()
  where c.id = p_cart_id
  returning * into v_cart;

  update public.location_queue q
  set status = 'served', served_at = now(), updated_at = now()
  where q.cart_id = p_cart_id and q.status in ('waiting', 'called');

  return jsonb_build_object('cart', private.cart_json(v_cart));
end
$$;
comment on function public.complete_cart(uuid) is
  'Returns {cart}: completes an active cart (idempotent), marking its open queue entries served.';

revoke all on function public.get_or_create_cart(uuid, uuid, uuid, text) from public, anon;
revoke all on function public.complete_cart(uuid) from public, anon;
grant execute on function public.get_or_create_cart(uuid, uuid, uuid, text) to authenticated, service_role;
grant execute on function public.complete_cart(uuid) to authenticated, service_role;
