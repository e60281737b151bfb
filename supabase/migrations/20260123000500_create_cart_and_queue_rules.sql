-- The rules of carts, their lines and the queue, enforced by PostgreSQL for every writer:
-- the RPCs, direct PostgREST table requests and SQL run as an API role alike. The RPCs
-- (20260123000600, 20260123000700) are SECURITY INVOKER and write through the same tables,
-- so an RPC can do nothing a direct writer could not, and a direct write has the same effect
-- as the RPC that means the same thing.
--
-- Invariants (docs/api.md, "Guarantees"):
--   I1 at most one active cart per customer + location; I2 at most one active anonymous cart
--      per location + device (unique indexes; before they exist, the duplicate guard of
--      20260123000510);
--   I3 at most one open (waiting or called) queue entry per customer + location (same);
--   I4 every open entry points at the active cart of its own store, location and customer:
--      an inserted entry is linked to (or creates) that cart, the link is checked under a
--      FOR SHARE lock of the cart, and a cart that stops being active takes its open entries
--      with it (completed: served; abandoned: removed; merged: moved to the surviving cart);
--   I5 a cart's and an entry's location belongs to its store (the store is derived from the
--      location; the (location_id, store_id) foreign keys of 20260123000800);
--   I6 lines change only on an active cart (the cart is locked FOR SHARE meanwhile);
--   I7 status changes follow the lifecycle; ids, store, location, customer and device never
--      change (except an anonymous cart getting its customer: attach); lifecycle timestamps,
--      merged_into and queue_seq are set by the database, values sent by a caller are ignored.
-- Rows the caller may not read (row level security) answer exactly as missing ones.
-- Business rules (I6, I7) bind API roles; the database itself (migrations, scheduled jobs,
-- the SECURITY DEFINER trigger that applies a cart's change to its lines and entries) is
-- trusted with them, while I1-I5 hold for every writer.

set lock_timeout = '3s';
set statement_timeout = '30s';

-- Every lock this file takes, at once (private.lock_tables).
select private.lock_tables(array['public.carts', 'public.cart_items', 'public.location_queue'],
  'access exclusive');

-- An older app's CHECK constraints on a status column would refuse statuses of the new model
-- that the repair (20260123000810) and the RPCs write (merged, abandoned, called, removed,
-- no_show): they go, each named in a notice with its definition; 20260123000900 adds the
-- product's own.
do $$
declare
  v record;
begin
  for v in
    select c.conrelid::regclass as tbl, c.conname, pg_catalog.pg_get_constraintdef(c.oid) as def
    from pg_catalog.pg_constraint c
    join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attname = 'status'
    where c.contype = 'c' and a.attnum = any (c.conkey)
      and c.conrelid in (pg_catalog.to_regclass('public.carts'),
        pg_catalog.to_regclass('public.location_queue'))
      and c.conname not in ('carts_status_valid', 'carts_merged_into_valid',
        'carts_active_owner_required', 'location_queue_status_valid', 'location_queue_open_linked')
  loop
    raise notice 'dropping the constraint % of %, which may refuse the new statuses: %',
      v.conname, v.tbl, v.def;
    execute pg_catalog.format('alter table %s drop constraint %I', v.tbl, v.conname);
  end loop;
end
$$;

-- ---------------------------------------------------------------------------------------
-- Lookups, as the caller (row level security applies to API roles)

-- The store of a location the caller may see, checked against the store given (if any).
create or replace function private.location_store(p_location_id uuid, p_store_id uuid)
returns uuid
language plpgsql stable
set search_path = ''
as $$
declare
  v_store uuid;
begin
  if p_location_id is null then
    perform private.invalid_argument('location_id', 'location_id is required');
  end if;
  select l.store_id into v_store from public.locations l where l.id = p_location_id;
  if v_store is null then
    perform private.raise_no_access_or_not_found('location_not_found', 'location');
  end if;
  if p_store_id is not null and p_store_id <> v_store then
    raise exception 'the location does not belong to the given store'
      using errcode = 'P0001', hint = 'location_store_mismatch';
  end if;
  return v_store;
end
$$;
comment on function private.location_store(uuid, uuid) is
  'The store of a location the caller may see (PT404 location_not_found otherwise, PT403 store_forbidden without any store); P0001 location_store_mismatch when a different store is given.';

-- The customer must be visible to the caller and usable at the store (shared, or the store's).
-- The advisory lock key of a customer, between the checks that let a cart or entry in
-- (private.require_customer, shared) and a change of the customer's store
-- (private.customers_guard, exclusive).
create or replace function private.customer_lock_key(p_customer_id uuid) returns bigint
language sql immutable
set search_path = ''
as $$
  select pg_catalog.hashtextextended('customer:' || p_customer_id::text, 0)
$$;
comment on function private.customer_lock_key(uuid) is
  'The advisory lock key that orders a customer''s store change against carts and entries let in for them.';

create or replace function private.require_customer(p_customer_id uuid, p_store_id uuid)
returns void
language plpgsql volatile
set search_path = ''
as $$
declare
  v_ok boolean;
begin
  -- Shared against private.customers_guard's exclusive lock: a customer's store cannot change
  -- between this check and the commit of the cart or entry it lets in (and the read below,
  -- in a volatile function, sees a change committed while waiting).
  perform pg_catalog.pg_advisory_xact_lock_shared(private.customer_lock_key(p_customer_id));
  select c.store_id is null or c.store_id = p_store_id into v_ok
  from public.customers c where c.id = p_customer_id;
  if v_ok is not true then
    perform private.raise_no_access_or_not_found('customer_not_found', 'customer');
  end if;
end
$$;
comment on function private.require_customer(uuid, uuid) is
  'Raises PT404 customer_not_found (PT403 without any store) unless the caller sees the customer and it belongs to the store or to none.';

-- JSON shape of a cart (docs/api.md, "Cart"). PL/pgSQL keeps its plan for the session.
create or replace function private.cart_json(c public.carts) returns jsonb
language plpgsql stable
set search_path = ''
as $$
begin
  return jsonb_build_object(
    'id', c.id, 'store_id', c.store_id, 'location_id', c.location_id,
    'customer_id', c.customer_id, 'device_id', c.device_id, 'status', c.status,
    'merged_into', c.merged_into,
    'created_at', to_char(c.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'updated_at', to_char(c.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'completed_at', to_char(c.completed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'));
end
$$;
comment on function private.cart_json(public.carts) is 'A cart as the RPCs return it (timestamps as private.ts_json).';

-- JSON shape of a queue entry (docs/api.md, "Entry"; position only in lists).
create or replace function private.entry_json(q public.location_queue) returns jsonb
language plpgsql stable
set search_path = ''
as $$
begin
  return jsonb_build_object(
    'id', q.id, 'store_id', q.store_id, 'location_id', q.location_id,
    'customer_id', q.customer_id, 'cart_id', q.cart_id, 'device_id', q.device_id,
    'status', q.status, 'party_size', q.party_size, 'note', q.note,
    'created_at', private.ts_json(q.created_at), 'called_at', private.ts_json(q.called_at),
    'served_at', private.ts_json(q.served_at), 'removed_at', private.ts_json(q.removed_at),
    'no_show_at', private.ts_json(q.no_show_at), 'updated_at', private.ts_json(q.updated_at));
end
$$;
comment on function private.entry_json(public.location_queue) is 'A queue entry as the RPCs return it.';

-- A cart with its lines and totals, computed in the database (docs/api.md, "CartDetail"):
-- what the item actions answer, so a device can redraw the cart from one answer.
create or replace function private.cart_detail_json(c public.carts) returns jsonb
language plpgsql stable
set search_path = ''
as $$
declare
  v_lines jsonb;
  v_quantity bigint;
  v_amount numeric;
begin
  select coalesce(jsonb_agg(jsonb_build_object(
      'id', i.id, 'product_id', i.product_id, 'quantity', i.quantity,
      'unit_price', i.unit_price::numeric, 'version', i.version,
      'created_at', private.ts_json(i.created_at), 'updated_at', private.ts_json(i.updated_at))
      order by i.created_at, i.id), '[]'::jsonb),
    -- numeric, whatever an older table declares (a price in money would answer "$4.25")
    coalesce(sum(i.quantity), 0), coalesce(sum(i.quantity::numeric * i.unit_price::numeric), 0)
  into v_lines, v_quantity, v_amount
  from public.cart_items i where i.cart_id = c.id;
  return private.cart_json(c) || jsonb_build_object('lines', v_lines,
    'total_quantity', v_quantity, 'total_amount', v_amount);
end
$$;
comment on function private.cart_detail_json(public.carts) is
  'A cart with its lines (in the order they were added) and totals: total_quantity, total_amount = sum(quantity * unit_price).';

-- The one active cart of a customer (or, with no customer, of a device) at a location,
-- created when missing, as the caller: {"cart": Cart, "created": bool}. The lookup comes
-- first and writes nothing when the cart exists; an insert that loses a race (unique
-- violation: the unique index, or before it exists the duplicate guard) reads the winner's
-- cart instead.
create or replace function private.active_cart(
  p_store_id uuid, p_location_id uuid, p_customer_id uuid, p_device_id text
) returns jsonb
language plpgsql volatile
set search_path = ''
as $$
declare
  v_cart public.carts;
  v_index text;
begin
  for attempt in 1..10 loop
    if p_customer_id is not null then
      select * into v_cart from public.carts c
      where c.customer_id = p_customer_id and c.location_id = p_location_id
        and c.status = 'active';
    else
      select * into v_cart from public.carts c
      where c.customer_id is null and c.location_id = p_location_id
        and c.device_id = p_device_id and c.status = 'active';
    end if;
    if found then
      return jsonb_build_object('cart', private.cart_json(v_cart), 'created', false);
    end if;
    begin
      insert into public.carts (store_id, location_id, customer_id, device_id)
      values (p_store_id, p_location_id, p_customer_id,
              case when p_customer_id is null then p_device_id end)
      returning * into v_cart;
      return jsonb_build_object('cart', private.cart_json(v_cart), 'created', true);
    exception when unique_violation then
      -- a concurrent request made it first: read it on the next turn. Another unique index
      -- (an older app's) refuses for good: no turn would change that.
      get stacked diagnostics v_index = constraint_name;
      if not coalesce(v_index = any (private.invariant_index_names()), false) then
        raise;
      end if;
    end;
  end loop;
  raise exception 'the active cart kept changing, retry' using errcode = '40001', hint = 'retry';
end
$$;
comment on function private.active_cart(uuid, uuid, uuid, text) is
  'Returns {cart, created}: the active cart of the customer (or anonymous device) at the location, created when missing; race-free.';

-- Moves the lines of one cart onto another: a line whose product the target already has
-- adds its quantity to that line (and is removed), the others change cart. Used when a cart
-- is merged; runs inside the SECURITY DEFINER trigger that applies the merge.
create or replace function private.move_cart_lines(p_from uuid, p_to uuid) returns void
language plpgsql volatile
set search_path = ''
as $$
begin
  with target as (
    select distinct on (t.product_id) t.id, t.product_id
    from public.cart_items t where t.cart_id = p_to
    order by t.product_id, t.created_at, t.id
  ), added as (
    select tg.id, sum(s.quantity) as quantity
    from public.cart_items s join target tg on tg.product_id = s.product_id
    where s.cart_id = p_from
    group by tg.id
  ), combined as (
    -- a sum past the line limit is not combined: those lines move as they are
    update public.cart_items t set quantity = t.quantity + a.quantity, updated_at = now()
    from added a where t.id = a.id and t.quantity + a.quantity <= private.max_item_quantity()
    returning t.product_id
  )
  delete from public.cart_items s
  where s.cart_id = p_from and s.product_id in (select c.product_id from combined c);

  update public.cart_items s set cart_id = p_to, updated_at = now()
  where s.cart_id = p_from;
end
$$;
comment on function private.move_cart_lines(uuid, uuid) is
  'Moves a cart''s lines to another cart, combining lines of the same product (within the line limit).';

-- ---------------------------------------------------------------------------------------
-- carts

-- BEFORE INSERT OR UPDATE OR DELETE, as the caller: normalises and checks a cart row.
create or replace function private.carts_guard() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_api boolean := not private.is_database_itself();
  v_target uuid;
begin
  if tg_op = 'DELETE' then
    if v_api then
      perform private.refuse_direct_write('carts are never deleted; complete or abandon them',
        'complete_cart');
    end if;
    return old;
  end if;

  if tg_op = 'INSERT' then
    new.device_id := private.clean_device_id(new.device_id);
    if v_api then
      if coalesce(new.status, 'active') <> 'active' or new.merged_into is not null then
        perform private.refuse_direct_write('a cart is created active and unmerged',
          'get_or_create_cart');
      end if;
      new.created_at := now();
      new.updated_at := now();
      new.completed_at := null;
    end if;
    new.status := coalesce(new.status, 'active');
    new.store_id := private.location_store(new.location_id, new.store_id);
    if new.customer_id is not null then
      if v_api then
        perform private.require_customer(new.customer_id, new.store_id);
      end if;
    elsif new.device_id is null and new.status = 'active' then
      raise exception 'an anonymous cart needs a device_id'
        using errcode = 'P0001', hint = 'device_id_required';
    end if;
    return new;
  end if;

  -- UPDATE
  if v_api then
    -- Values the database manages: whatever the caller sent, they stay as they are here.
    new.created_at := old.created_at;
    new.updated_at := old.updated_at;
    new.completed_at := old.completed_at;
  end if;
  if new is not distinct from old then
    return null; -- nothing changes: write nothing (no row version, no Realtime event)
  end if;
  if v_api then
    if old.status <> 'active' then
      raise exception 'the cart is %; it can no longer change', old.status
        using errcode = 'PT409', hint = 'cart_not_active';
    end if;
    if new.id <> old.id or new.store_id is distinct from old.store_id
      or new.location_id is distinct from old.location_id
      or new.device_id is distinct from old.device_id then
      perform private.refuse_direct_write(
        'a cart''s id, store, location and device never change', 'get_or_create_cart');
    end if;
    if new.merged_into is distinct from old.merged_into or new.status = 'merged' then
      perform private.refuse_direct_write('carts are merged only by attaching a customer',
        'attach_customer');
    end if;
    if new.customer_id is distinct from old.customer_id then
      if old.customer_id is not null or new.customer_id is null then
        perform private.refuse_direct_write('a cart''s customer never changes once set',
          'attach_customer');
      end if;
      -- Attach: the walk-in cart becomes the customer's, or, when the customer already has
      -- an active cart here, is merged into it (its lines move there, applied after update).
      perform private.require_customer(new.customer_id, old.store_id);
      select c.id into v_target from public.carts c
      where c.customer_id = new.customer_id and c.location_id = old.location_id
        and c.status = 'active' and c.id <> old.id
      for update;
      if v_target is not null then
        new.status := 'merged';
        new.merged_into := v_target;
      end if;
    end if;
    if new.status not in ('active', 'completed', 'abandoned', 'merged') then
      perform private.invalid_argument('status',
        'status must be active, completed or abandoned');
    end if;
    -- A cart that leaves active takes its open entries and lines with it (carts_apply). Under
    -- REPEATABLE READ that would miss an entry or line committed since the transaction's
    -- snapshot (nothing else makes such a write conflict), so it is refused there.
    if new.status <> 'active'
      and pg_catalog.current_setting('transaction_isolation') = 'repeatable read' then
      raise exception 'a cart is completed, abandoned or merged under READ COMMITTED only (or SERIALIZABLE)'
        using errcode = '0A000';
    end if;
    if new.status = 'completed' then
      new.completed_at := now();
    end if;
    new.updated_at := now();
  end if;
  return new;
end
$$;
comment on function private.carts_guard() is
  'Trigger: normalises new carts (device id, store from the location, checks) and holds API writers to the cart lifecycle (docs/api.md, "Direct table writes").';

-- AFTER UPDATE, as the database itself: a cart that stops being active takes its lines and
-- open entries with it, in the same transaction.
create or replace function private.carts_apply() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if old.status = 'active' and new.status = 'merged' then
    perform private.move_cart_lines(new.id, new.merged_into);
    update public.location_queue q set cart_id = new.merged_into, updated_at = now()
    where q.cart_id = new.id and q.status in ('waiting', 'called')
      and q.customer_id = new.customer_id and q.location_id = new.location_id
      and q.store_id = new.store_id;
  elsif old.status = 'active' and new.status = 'completed' then
    update public.location_queue q
    set status = 'served', served_at = now(), updated_at = now()
    where q.cart_id = new.id and q.status in ('waiting', 'called');
  elsif old.status = 'active' and new.status = 'abandoned' then
    update public.location_queue q
    set status = 'removed', removed_at = now(), updated_at = now()
    where q.cart_id = new.id and q.status in ('waiting', 'called');
  end if;
  return null;
end
$$;
comment on function private.carts_apply() is
  'Trigger (security definer, executable by no API role): applies a cart leaving active to its lines and open entries (merged: moved to the survivor; completed: served; abandoned: removed).';

drop trigger if exists carts_guard on public.carts;
create trigger carts_guard before insert or update or delete on public.carts
  for each row execute function private.carts_guard();
comment on trigger carts_guard on public.carts is 'Cart normalisation and lifecycle (private.carts_guard).';

-- Named to fire after the other AFTER triggers of carts (they fire in name order), so that
-- the cart's own change is recorded before what it causes.
drop trigger if exists carts_settle on public.carts;
create trigger carts_settle after update on public.carts
  for each row when (old.status is distinct from new.status)
  execute function private.carts_apply();
comment on trigger carts_settle on public.carts is 'Applies a cart leaving active to its lines and entries (private.carts_apply).';

-- ---------------------------------------------------------------------------------------
-- cart_items

-- BEFORE INSERT OR UPDATE OR DELETE, as the caller: lines change only on an active cart the
-- caller may see, which stays locked FOR SHARE until the change commits (so a checkout and a
-- line change never interleave); database-managed values stay the database's.
create or replace function private.cart_items_guard() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_cart uuid;
  v_status text;
begin
  if private.is_database_itself() then
    if tg_op = 'UPDATE' and new is distinct from old then
      new.version := old.version + 1;
    end if;
    return case when tg_op = 'DELETE' then old else new end;
  end if;
  if tg_op = 'UPDATE' then
    new.created_at := old.created_at;
    new.updated_at := old.updated_at;
    new.version := old.version;
    if new is not distinct from old then
      return null;
    end if;
    new.version := old.version + 1;
    if new.id <> old.id or new.cart_id is distinct from old.cart_id then
      perform private.refuse_direct_write('a line never changes id or cart', 'add_item');
    end if;
  end if;
  foreach v_cart in array array_remove(array[
    case when tg_op <> 'INSERT' then old.cart_id end,
    case when tg_op = 'INSERT' then new.cart_id end
  ], null) loop
    select c.status into v_status from public.carts c where c.id = v_cart for share;
    if not found then
      perform private.raise_no_access_or_not_found('cart_not_found', 'cart');
    end if;
    if v_status <> 'active' then
      raise exception 'the cart is %; its lines can no longer change', v_status
        using errcode = 'PT409', hint = 'cart_not_active';
    end if;
  end loop;
  if tg_op = 'INSERT' and new.cart_id is null then
    perform private.invalid_argument('cart_id', 'cart_id is required');
  end if;
  if tg_op = 'DELETE' then
    return old;
  end if;
  -- Read as the checks' types whatever an older table declares (a bigint or numeric quantity,
  -- a price in double precision or money): a quantity that is not a whole 1-100000, however
  -- large, is refused as such (0 stands for it), not by a cast's overflow.
  perform private.check_item_fields(new.product_id::text,
    case when new.quantity::numeric between 1 and private.max_item_quantity()
      and new.quantity::numeric = trunc(new.quantity::numeric) then new.quantity::integer
      else 0 end,
    new.unit_price::numeric);
  if tg_op = 'INSERT' then
    new.created_at := now();
    new.version := 1;
  end if;
  new.updated_at := now();
  return new;
end
$$;
comment on function private.cart_items_guard() is
  'Trigger: API writers change lines only on active carts they may see (cart locked FOR SHARE), with valid fields; every change of a line counts up its version.';

drop trigger if exists cart_items_guard on public.cart_items;
create trigger cart_items_guard before insert or update or delete on public.cart_items
  for each row execute function private.cart_items_guard();
comment on trigger cart_items_guard on public.cart_items is 'Lines change only on active carts (private.cart_items_guard).';

-- ---------------------------------------------------------------------------------------
-- location_queue

-- BEFORE INSERT, as the database itself (trigger location_queue_check_taken_id, which fires
-- before location_queue_guard: triggers fire in name order): an insert naming the id of an
-- existing entry, in any store (a retried insert, an upsert with PostgREST's
-- ignore-duplicates), is never inserted: a unique violation or its ON CONFLICT clause
-- follows. Such a row gets the link `cart_id = id`, which location_queue_guard takes as
-- "link no cart", so it makes none; a new row cannot name itself as its cart. Security
-- definer to see rows the caller's row level security hides: it learns only what the primary
-- key's unique violation answers anyway.
create or replace function private.location_queue_taken_id() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if exists (select 1 from public.location_queue q where q.id = new.id) then
    new.cart_id := coalesce(new.cart_id, new.id);
  elsif new.cart_id = new.id then
    new.cart_id := null;
  end if;
  return new;
end
$$;
comment on function private.location_queue_taken_id() is
  'Trigger (security definer, executable by no API role): an insert naming an existing entry''s id links no cart (cart_id = id), so it makes none on its way to the unique violation.';

-- BEFORE INSERT OR UPDATE OR DELETE, as the caller: normalises entries, links an open entry
-- to its customer's active cart (I4), holds API writers to the queue lifecycle, and turns a
-- DELETE by an API writer into `removed` (entries are history: they are never deleted).
create or replace function private.location_queue_guard() returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_api boolean := not private.is_database_itself();
  v_cart public.carts;
  v_open boolean;
  v_given boolean;
begin
  if tg_op = 'DELETE' then
    if not v_api then
      return old;
    end if;
    if old.status in ('waiting', 'called') then
      update public.location_queue q set status = 'removed' where q.id = old.id;
    end if;
    return null; -- the entry is kept
  end if;

  if tg_op = 'INSERT' then
    new.device_id := private.clean_device_id(new.device_id);
    new.status := coalesce(new.status, 'waiting');
    if v_api then
      if new.status <> 'waiting' then
        perform private.refuse_direct_write('a queue entry is created waiting', 'add_to_queue');
      end if;
      new.created_at := now();
      new.updated_at := now();
      new.called_at := null;
      new.served_at := null;
      new.removed_at := null;
      new.no_show_at := null;
      new.queue_seq := nextval('public.location_queue_queue_seq_seq');
      perform private.check_entry_fields(new.party_size, new.note);
    end if;
    new.store_id := private.location_store(new.location_id, new.store_id);
    if new.customer_id is null then
      perform private.invalid_argument('customer_id', 'customer_id is required');
    end if;
    if v_api then
      perform private.require_customer(new.customer_id, new.store_id);
    end if;
  else -- UPDATE
    if v_api then
      new.created_at := old.created_at;
      new.updated_at := old.updated_at;
      new.called_at := old.called_at;
      new.served_at := old.served_at;
      new.removed_at := old.removed_at;
      new.no_show_at := old.no_show_at;
      new.queue_seq := old.queue_seq;
    end if;
    if new is not distinct from old then
      return null; -- nothing changes: write nothing
    end if;
    if v_api then
      if new.id <> old.id or new.store_id is distinct from old.store_id
        or new.location_id is distinct from old.location_id
        or new.customer_id is distinct from old.customer_id
        or new.cart_id is distinct from old.cart_id
        or new.device_id is distinct from old.device_id then
        perform private.refuse_direct_write(
          'an entry''s id, store, location, customer, cart and device never change',
          'add_to_queue');
      end if;
      if new.status is distinct from old.status and not (
        old.status = 'waiting' and new.status in ('called', 'served', 'removed', 'no_show')
        or old.status = 'called' and new.status in ('served', 'removed', 'no_show')) then
        raise exception 'the queue entry is %, it cannot become %', old.status, new.status
          using errcode = 'PT409', hint = 'invalid_transition';
      end if;
      if (new.party_size is distinct from old.party_size or new.note is distinct from old.note) then
        if old.status not in ('waiting', 'called') then
          raise exception 'the queue entry is %; it can no longer change', old.status
            using errcode = 'PT409', hint = 'invalid_transition';
        end if;
        perform private.check_entry_fields(new.party_size, new.note);
      end if;
      case new.status
        when 'called' then new.called_at := coalesce(new.called_at, now());
        when 'served' then new.served_at := now();
        when 'removed' then new.removed_at := now();
        when 'no_show' then new.no_show_at := now();
        else null;
      end case;
      new.updated_at := now();
    end if;
  end if;

  -- An insert that will conflict on its id (private.location_queue_taken_id): no cart.
  if tg_op = 'INSERT' and new.cart_id = new.id then
    return new;
  end if;

  -- I4: an open entry carries the active cart of its store, location and customer. Checked
  -- when an entry is created open, reopened, or its link changes; the cart is locked FOR
  -- SHARE, so a concurrent checkout either comes first (then a fresh cart is taken) or sees
  -- this entry and closes it.
  v_open := new.status in ('waiting', 'called');
  if v_open and (tg_op = 'INSERT'
      or old.status not in ('waiting', 'called')
      or new.cart_id is distinct from old.cart_id
      or new.customer_id is distinct from old.customer_id
      or new.location_id is distinct from old.location_id
      or new.store_id is distinct from old.store_id) then
    if new.customer_id is null then
      perform private.invalid_argument('customer_id', 'an open queue entry needs a customer_id');
    end if;
    v_given := new.cart_id is not null;
    for attempt in 1..10 loop
      if new.cart_id is null then
        new.cart_id := (private.active_cart(new.store_id, new.location_id, new.customer_id, null)
          -> 'cart' ->> 'id')::uuid;
      end if;
      select * into v_cart from public.carts c
      where c.id = new.cart_id and c.status = 'active'
      for share;
      exit when found;
      if v_given then -- the caller's cart: not one they may see, or no longer active
        select * into v_cart from public.carts c where c.id = new.cart_id;
        if not found then
          perform private.raise_no_access_or_not_found('cart_not_found', 'cart');
        end if;
        raise exception 'the cart is %; an open queue entry needs the customer''s active cart',
          v_cart.status using errcode = 'PT409', hint = 'cart_not_active';
      end if;
      new.cart_id := null; -- checked out meanwhile: take the customer's fresh cart
    end loop;
    if v_cart.id is null or v_cart.id <> new.cart_id then
      raise exception 'the active cart kept changing, retry' using errcode = '40001', hint = 'retry';
    end if;
    if v_cart.customer_id is distinct from new.customer_id
      or v_cart.location_id <> new.location_id or v_cart.store_id <> new.store_id then
      perform private.invalid_argument('cart_id',
        'cart_id must be the customer''s active cart at this location');
    end if;
  end if;
  return new;
end
$$;
comment on function private.location_queue_guard() is
  'Trigger: normalises queue entries, links open entries to their customer''s active cart, holds API writers to the queue lifecycle; an API DELETE becomes removed.';

drop trigger if exists location_queue_check_taken_id on public.location_queue;
create trigger location_queue_check_taken_id before insert on public.location_queue
  for each row execute function private.location_queue_taken_id();
comment on trigger location_queue_check_taken_id on public.location_queue is 'An insert naming an existing entry makes no cart (private.location_queue_taken_id).';

drop trigger if exists location_queue_guard on public.location_queue;
create trigger location_queue_guard before insert or update or delete on public.location_queue
  for each row execute function private.location_queue_guard();
comment on trigger location_queue_guard on public.location_queue is 'Queue normalisation, cart link and lifecycle (private.location_queue_guard).';

revoke all on function private.location_store(uuid, uuid) from public, anon;
revoke all on function private.require_customer(uuid, uuid) from public, anon;
revoke all on function private.customer_lock_key(uuid) from public, anon;
revoke all on function private.cart_json(public.carts) from public, anon;
revoke all on function private.entry_json(public.location_queue) from public, anon;
revoke all on function private.cart_detail_json(public.carts) from public, anon;
revoke all on function private.active_cart(uuid, uuid, uuid, text) from public, anon;
revoke all on function private.move_cart_lines(uuid, uuid) from public, anon, authenticated, service_role;
revoke all on function private.carts_guard() from public, anon;
revoke all on function private.carts_apply() from public, anon, authenticated, service_role;
revoke all on function private.cart_items_guard() from public, anon;
revoke all on function private.location_queue_guard() from public, anon;
revoke all on function private.location_queue_taken_id() from public, anon, authenticated, service_role;
grant execute on function private.location_store(uuid, uuid) to authenticated, service_role;
grant execute on function private.require_customer(uuid, uuid) to authenticated, service_role;
grant execute on function private.customer_lock_key(uuid) to authenticated, service_role;
grant execute on function private.cart_json(public.carts) to authenticated, service_role;
grant execute on function private.entry_json(public.location_queue) to authenticated, service_role;
grant execute on function private.cart_detail_json(public.carts) to authenticated, service_role;
grant execute on function private.active_cart(uuid, uuid, uuid, text) to authenticated, service_role;

reset lock_timeout;
reset statement_timeout;
