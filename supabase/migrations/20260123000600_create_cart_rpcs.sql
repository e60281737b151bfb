-- Cart RPCs: get_or_create_cart (the one active cart, idempotent, writes nothing when it
-- exists), complete_cart (idempotent checkout), the line actions add_item, set_item_quantity
-- and remove_item (answering the whole cart with its lines and totals), and attach_customer
-- (identify the customer on a walk-in cart). The state-changing ones honour an
-- Idempotency-Key (20260123000550). Both are SECURITY INVOKER: they read and
-- write as the caller, under row level security and the rules of
-- 20260123000500_create_cart_and_queue_rules.sql. Business errors carry a stable code in
-- HINT (docs/api.md, "Errors"); rows of other stores answer as missing ones. The writing
-- RPCs wait at most 2 s for a row lock (SET lock_timeout): behind a long transaction a device
-- gets 55P03, which the function retries, instead of waiting for the role's 8 s.

set lock_timeout = '3s';
set statement_timeout = '30s';

-- An older app's functions of these names go first (private.drop_other_functions).
select private.drop_other_functions(f.name, f.arg_types) from (values
  ('get_or_create_cart', 'uuid, uuid, uuid, text'), ('complete_cart', 'uuid'),
  ('add_item', 'uuid, text, integer, numeric'), ('set_item_quantity', 'uuid, uuid, integer, integer'),
  ('remove_item', 'uuid, uuid, integer'), ('attach_customer', 'uuid, uuid, uuid, text, uuid')
) f (name, arg_types);

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
  v_begun jsonb := private.idempotency_begin('complete_cart', jsonb_build_object('cart_id', p_cart_id));
  v_cart public.carts;
begin
  if v_begun ? 'replay' then
    return v_begun -> 'replay';
  end if;
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
  return private.idempotency_finish(v_begun, jsonb_build_object('cart', private.cart_json(v_cart)));
end
$$;
comment on function public.complete_cart(uuid) is
  'Returns {cart}: completes an active cart (idempotent), serving its open queue entries.';

-- The cart a line action works on, locked FOR NO KEY UPDATE: line changes of one cart happen
-- one after another, so two devices adding the same product at once give one line with both
-- quantities. A cart the caller may not see answers as a missing one; a closed cart is PT409
-- cart_not_active.
create or replace function private.lock_active_cart(p_cart_id uuid) returns public.carts
language plpgsql volatile
set search_path = ''
as $$
declare
  v_cart public.carts;
begin
  if p_cart_id is null then
    perform private.invalid_argument('cart_id', 'cart_id is required');
  end if;
  select * into v_cart from public.carts c where c.id = p_cart_id for no key update;
  if not found then
    perform private.raise_no_access_or_not_found('cart_not_found', 'cart');
  end if;
  if v_cart.status <> 'active' then
    raise exception 'the cart is %; its lines can no longer change', v_cart.status
      using errcode = 'PT409', hint = 'cart_not_active';
  end if;
  return v_cart;
end
$$;
comment on function private.lock_active_cart(uuid) is
  'Locks a cart the caller may see for a line change (PT404 cart_not_found, PT409 cart_not_active).';

-- Adds a product to a cart: a product already on the cart gets its quantity increased (the
-- cart is locked, so concurrent adds add up), else a line is added (unit price as given, 0
-- when not given; an existing line keeps its price). Returns {cart: CartDetail, item}.
create or replace function public.add_item(
  p_cart_id uuid,
  p_product_id text,
  p_quantity integer default 1,
  p_unit_price numeric default null
) returns jsonb
language plpgsql volatile
security invoker
set search_path = ''
set lock_timeout = '2s'
as $$
declare
  v_begun jsonb := private.idempotency_begin('add_item', jsonb_build_object('cart_id', p_cart_id,
    'product_id', p_product_id, 'quantity', p_quantity, 'unit_price', p_unit_price));
  v_cart public.carts;
  v_item public.cart_items;
begin
  if v_begun ? 'replay' then
    return v_begun -> 'replay';
  end if;
  perform private.check_item_fields(p_product_id, p_quantity, coalesce(p_unit_price, 0));
  v_cart := private.lock_active_cart(p_cart_id);
  select * into v_item from public.cart_items i
  where i.cart_id = p_cart_id and i.product_id = p_product_id
  order by i.created_at, i.id limit 1;
  if found then
    if v_item.quantity + p_quantity > private.max_item_quantity() then
      perform private.invalid_argument('quantity', 'quantity must be between 1 and 100000');
    end if;
    update public.cart_items i set quantity = i.quantity + p_quantity where i.id = v_item.id
    returning * into v_item;
  else
    insert into public.cart_items (cart_id, product_id, quantity, unit_price)
    values (p_cart_id, p_product_id, p_quantity, coalesce(p_unit_price, 0))
    returning * into v_item;
  end if;
  return private.idempotency_finish(v_begun, jsonb_build_object(
    'cart', private.cart_detail_json(v_cart), 'item_id', v_item.id));
end
$$;
comment on function public.add_item(uuid, text, integer, numeric) is
  'Returns {cart (with lines and totals), item_id}: adds a product to an active cart, increasing an existing line''s quantity atomically.';

-- The line a line edit names, on its locked cart; null when the cart no longer has it.
create or replace function private.cart_line(p_cart_id uuid, p_item_id uuid) returns public.cart_items
language plpgsql volatile
set search_path = ''
as $$
declare
  v_item public.cart_items;
begin
  if p_item_id is null then
    perform private.invalid_argument('item_id', 'item_id is required');
  end if;
  select * into v_item from public.cart_items i where i.id = p_item_id and i.cart_id = p_cart_id;
  return v_item;
end
$$;
comment on function private.cart_line(uuid, uuid) is 'The line of a cart a line edit names (null when the cart no longer has it).';

-- Refuses an edit made from a stale view of a line: PT409 stale_cart, with the current cart
-- (CartDetail) in DETAIL so the device can redraw.
create or replace function private.refuse_stale(p_cart public.carts) returns void
language plpgsql volatile
set search_path = ''
as $$
begin
  raise exception 'the line changed since the version given; the cart is in DETAIL'
    using errcode = 'PT409', hint = 'stale_cart', detail = private.cart_detail_json(p_cart)::text;
end
$$;
comment on function private.refuse_stale(public.carts) is
  'Raises PT409 stale_cart with the current cart (JSON) in DETAIL.';

-- Sets a line's quantity (1-100000). With p_expected_version, an edit made from a stale view
-- (the line changed since) is PT409 stale_cart. Setting the quantity the line already has
-- changes nothing and succeeds, so a retry is harmless. Returns {cart: CartDetail}.
create or replace function public.set_item_quantity(
  p_cart_id uuid,
  p_item_id uuid,
  p_quantity integer,
  p_expected_version integer default null
) returns jsonb
language plpgsql volatile
security invoker
set search_path = ''
set lock_timeout = '2s'
as $$
declare
  v_begun jsonb := private.idempotency_begin('set_item_quantity', jsonb_build_object(
    'cart_id', p_cart_id, 'item_id', p_item_id, 'quantity', p_quantity,
    'expected_version', p_expected_version));
  v_cart public.carts;
  v_item public.cart_items;
begin
  if v_begun ? 'replay' then
    return v_begun -> 'replay';
  end if;
  if p_quantity is null or p_quantity not between 1 and private.max_item_quantity() then
    perform private.invalid_argument('quantity', 'quantity must be between 1 and 100000');
  end if;
  v_cart := private.lock_active_cart(p_cart_id);
  v_item := private.cart_line(p_cart_id, p_item_id);
  if v_item.id is null then
    perform private.refuse_stale(v_cart);
  end if;
  if v_item.quantity <> p_quantity then
    if p_expected_version is not null and p_expected_version <> v_item.version then
      perform private.refuse_stale(v_cart);
    end if;
    update public.cart_items i set quantity = p_quantity where i.id = v_item.id;
  end if;
  return private.idempotency_finish(v_begun, jsonb_build_object('cart', private.cart_detail_json(v_cart)));
end
$$;
comment on function public.set_item_quantity(uuid, uuid, integer, integer) is
  'Returns {cart (with lines and totals)}: sets a line''s quantity; PT409 stale_cart when p_expected_version is not the line''s.';

-- Removes a line. With p_expected_version, a line that changed since is PT409 stale_cart. A
-- line already gone is not an error (a retry is harmless). Returns {cart: CartDetail}.
create or replace function public.remove_item(
  p_cart_id uuid,
  p_item_id uuid,
  p_expected_version integer default null
) returns jsonb
language plpgsql volatile
security invoker
set search_path = ''
set lock_timeout = '2s'
as $$
declare
  v_begun jsonb := private.idempotency_begin('remove_item', jsonb_build_object(
    'cart_id', p_cart_id, 'item_id', p_item_id, 'expected_version', p_expected_version));
  v_cart public.carts;
  v_item public.cart_items;
begin
  if v_begun ? 'replay' then
    return v_begun -> 'replay';
  end if;
  v_cart := private.lock_active_cart(p_cart_id);
  v_item := private.cart_line(p_cart_id, p_item_id);
  if v_item.id is not null then
    if p_expected_version is not null and p_expected_version <> v_item.version then
      perform private.refuse_stale(v_cart);
    end if;
    delete from public.cart_items i where i.id = v_item.id;
  end if;
  return private.idempotency_finish(v_begun, jsonb_build_object('cart', private.cart_detail_json(v_cart)));
end
$$;
comment on function public.remove_item(uuid, uuid, integer) is
  'Returns {cart (with lines and totals)}: removes a line (idempotent); PT409 stale_cart when p_expected_version is not the line''s.';

-- Identifies the customer on a walk-in cart: the device's anonymous active cart (by cart_id,
-- or by location + device_id) becomes the customer's; when the customer already has an
-- active cart at the location (from the queue, another device), the walk-in cart is merged
-- into it instead: its lines move there (same products add up), it becomes `merged` with
-- merged_into set, in one transaction (the table rules of 20260123000500 do the merge, so a
-- direct `update carts set customer_id` does the same). Race-safe against a concurrent get or
-- add_to_queue for the customer: whichever makes the customer's cart first, one active cart
-- remains with every line. Repeating the call returns the same result. Returns {cart:
-- CartDetail of the customer's active cart, merged: bool, walk_in_cart_id}.
create or replace function public.attach_customer(
  p_customer_id uuid,
  p_cart_id uuid default null,
  p_location_id uuid default null,
  p_device_id text default null,
  p_store_id uuid default null
) returns jsonb
language plpgsql volatile
security invoker
set search_path = ''
set lock_timeout = '2s'
as $$
declare
  v_begun jsonb := private.idempotency_begin('attach_customer', jsonb_build_object(
    'customer_id', p_customer_id, 'cart_id', p_cart_id, 'location_id', p_location_id,
    'device_id', p_device_id, 'store_id', p_store_id));
  v_device text := private.clean_device_id(p_device_id);
  v_cart public.carts;
  v_target public.carts;
  v_index text;
begin
  if v_begun ? 'replay' then
    return v_begun -> 'replay';
  end if;
  if p_customer_id is null then
    perform private.invalid_argument('customer_id', 'customer_id is required');
  end if;
  if p_cart_id is null and (p_location_id is null or v_device is null) then
    perform private.invalid_argument('cart_id', 'give cart_id, or location_id and device_id');
  end if;

  for attempt in 1..10 loop
    -- The cart is locked before it is judged: a second attach of it waits for the first and
    -- then answers as a repeat would (the same customer) or with cart_has_customer.
    if p_cart_id is not null then
      select * into v_cart from public.carts c where c.id = p_cart_id for update;
    else
      -- the device's walk-in cart; once attached, the one it was attached to this customer,
      -- while it (or the cart it was merged into) is still active
      select * into v_cart from public.carts c
      where c.location_id = p_location_id and c.device_id = v_device
        and (c.status = 'active' and c.customer_id is null
          or c.customer_id = p_customer_id and c.status = 'active'
          or c.customer_id = p_customer_id and c.status = 'merged' and exists (
            select 1 from public.carts s where s.id = c.merged_into and s.status = 'active'))
      order by c.customer_id is null desc, c.updated_at desc
      limit 1
      for update of c;
    end if;
    if v_cart.id is null then
      if p_cart_id is null then
        perform private.location_store(p_location_id, p_store_id);
      end if;
      perform private.raise_no_access_or_not_found('cart_not_found', 'cart');
    end if;
    if p_store_id is not null and p_store_id <> v_cart.store_id then
      raise exception 'the location does not belong to the given store'
        using errcode = 'P0001', hint = 'location_store_mismatch';
    end if;
    if v_cart.customer_id is not null and v_cart.customer_id <> p_customer_id then
      raise exception 'the cart belongs to another customer'
        using errcode = 'PT409', hint = 'cart_has_customer';
    end if;
    if v_cart.customer_id is null then
      if v_cart.status <> 'active' then
        raise exception 'the cart is %; it can no longer change', v_cart.status
          using errcode = 'PT409', hint = 'cart_not_active';
      end if;
      begin
        update public.carts c set customer_id = p_customer_id where c.id = v_cart.id
        returning * into v_cart;
      exception when unique_violation then
        -- the customer's cart was made meanwhile: attach again, merging into it (another
        -- unique index, an older app's, refuses for good)
        get stacked diagnostics v_index = constraint_name;
        if not coalesce(v_index = any (private.invariant_index_names()), false) then
          raise;
        end if;
        continue;
      end;
    end if;
    -- attached: the cart itself when it stayed active, else the cart it was merged into (a
    -- repeat after that cart was closed is too late: the walk-in's lines are on it)
    if v_cart.status = 'active' then
      v_target := v_cart;
    else
      select * into v_target from public.carts c
      where c.id = v_cart.merged_into and c.status = 'active';
      if v_target.id is null then
        raise exception 'the cart is %; it can no longer change', v_cart.status
          using errcode = 'PT409', hint = 'cart_not_active';
      end if;
    end if;
    return private.idempotency_finish(v_begun, jsonb_build_object(
      'cart', private.cart_detail_json(v_target), 'merged', v_cart.status = 'merged',
      'walk_in_cart_id', v_cart.id));
  end loop;
  raise exception 'the active cart kept changing, retry' using errcode = '40001', hint = 'retry';
end
$$;
comment on function public.attach_customer(uuid, uuid, uuid, text, uuid) is
  'Returns {cart (the customer''s active cart, with lines and totals), merged, walk_in_cart_id}: identifies the customer on a walk-in cart, merging it into their active cart when they have one. Idempotent.';

revoke all on function public.get_or_create_cart(uuid, uuid, uuid, text) from public, anon;
revoke all on function public.complete_cart(uuid) from public, anon;
revoke all on function private.lock_active_cart(uuid) from public, anon;
revoke all on function private.cart_line(uuid, uuid) from public, anon;
revoke all on function private.refuse_stale(public.carts) from public, anon;
revoke all on function public.add_item(uuid, text, integer, numeric) from public, anon;
revoke all on function public.set_item_quantity(uuid, uuid, integer, integer) from public, anon;
revoke all on function public.remove_item(uuid, uuid, integer) from public, anon;
revoke all on function public.attach_customer(uuid, uuid, uuid, text, uuid) from public, anon;
grant execute on function public.get_or_create_cart(uuid, uuid, uuid, text) to authenticated, service_role;
grant execute on function public.complete_cart(uuid) to authenticated, service_role;
grant execute on function private.lock_active_cart(uuid) to authenticated, service_role;
grant execute on function private.cart_line(uuid, uuid) to authenticated, service_role;
grant execute on function private.refuse_stale(public.carts) to authenticated, service_role;
grant execute on function public.add_item(uuid, text, integer, numeric) to authenticated, service_role;
grant execute on function public.set_item_quantity(uuid, uuid, integer, integer) to authenticated, service_role;
grant execute on function public.remove_item(uuid, uuid, integer) to authenticated, service_role;
grant execute on function public.attach_customer(uuid, uuid, uuid, text, uuid) to authenticated, service_role;

reset lock_timeout;
reset statement_timeout;
