-- Queue RPCs: add_to_queue (entry and cart created together, idempotent), the state
-- transitions remove / call / serve / no_show, and list_queue with positions.
-- Business errors carry a stable code in HINT: P0001 (400), PT403, PT404, PT409.

-- Adds a customer to a location's queue, in one transaction with the customer's cart.
-- Idempotent: a customer already waiting (or called) gets the same entry and cart back.
-- The cart row is locked FOR SHARE while the entry is written, so a concurrent
-- complete_cart either runs first (then a fresh cart is taken) or sees the new entry and
-- closes it: an open entry's cart is always active.
create or replace function public.add_to_queue(
  p_location_id uuid,
  p_customer_id uuid,
  p_store_id uuid default null,
  p_device_id text default null,
  p_party_size integer default null,
  p_note text default null
) returns jsonb
language plpgsql volatile
security invoker
set search_path = ''
as $$
declare
  v_store uuid := private.location_store(p_location_id, p_store_id);
  v_entry public.location_queue;
  v_cart public.carts;
  v_got jsonb;
begin
  if p_customer_id is null then
    raise exception 'customer_id is required' using errcode = 'P0001', hint = 'invalid_argument';
  end if;
  if p_party_size is not null and (p_party_size < 1 or p_party_size > 1000) then
    raise exception 'party_size must be between 1 and 1000'
      using errcode = 'P0001', hint = 'invalid_argument';
  end if;

  for attempt in 1..10 loop
    select * into v_entry from public.location_queue q
    where q.location_id = p_location_id and q.customer_id = p_customer_id
      and q.status in ('waiting', 'called');
    if found then
      select * into v_cart from public.carts c where c.id = v_entry.cart_id;
      return jsonb_build_object('queue_entry', private.entry_json(v_entry),
        'cart', private.cart_json(v_cart), 'created', false);
    end if;

    v_got := public.get_or_create_cart(p_location_id, p_customer_id, v_store, null);
    select * into v_cart from public.carts c
    where c.id = (v_got -> 'cart' ->> 'id')::uuid
    for share;
    if v_cart.status is distinct from 'active' then
      continue; -- completed meanwhile: take the fresh cart
    end if;

    insert into public.location_queue
      (store_id, location_id, customer_id, cart_id, device_id, party_size, note)
    values
      (v_store, p_location_id, p_customer_id, v_cart.id, nullif(btrim(p_device_id), ''),
       p_party_size, p_note)
    on conflict (location_id, customer_id) where status in ('waiting', 'called')
    do nothing
    returning * into v_entry;
    if found then
      return jsonb_build_object('queue_entry', private.entry_json(v_entry),
        'cart', private.cart_json(v_cart), 'created', true);
    end if;
  end loop;
  raise exception 'the queue entry kept changing, retry' using errcode = '40001', hint = 'retry';
end
$$;
comment on function public.add_to_queue(uuid, uuid, uuid, text, integer, text) is
  'Returns {queue_entry, cart, created}: the customer''s open queue entry at the location with its active cart, both created when missing. Idempotent.';

-- The queue entry an RPC refers to, locked FOR UPDATE: by id, or by location + customer
-- (the open entry, else the most recent one). Checks the store like every RPC.
create or replace function private.lock_queue_entry(
  p_queue_entry_id uuid, p_location_id uuid, p_customer_id uuid, p_store_id uuid
) returns public.location_queue
language plpgsql volatile
set search_path = ''
as $$
declare
  v_entry public.location_queue;
begin
  if p_queue_entry_id is not null then
    select * into v_entry from public.location_queue q where q.id = p_queue_entry_id for update;
    if not found then
      raise exception 'queue entry % not found', p_queue_entry_id
        using errcode = 'PT404', hint = 'queue_entry_not_found';
    end if;
    perform private.location_store(v_entry.location_id, p_store_id);
    if p_location_id is not null and p_location_id <> v_entry.location_id
      or p_customer_id is not null and p_customer_id is distinct from v_entry.customer_id then
      raise exception 'queue entry % does not match the given location/customer', p_queue_entry_id
        using errcode = 'P0001', hint = 'invalid_argument';
    end if;
    return v_entry;
  end if;

  if p_location_id is null or p_customer_id is null then
    raise exception 'give queue_entry_id, or location_id and customer_id'
      using errcode = 'P0001', hint = 'queue_entry_ref_required';
  end if;
  perform private.location_store(p_location_id, p_store_id);
  select * into v_entry from public.location_queue q
  where q.location_id = p_location_id and q.customer_id = p_customer_id
  order by q.status in ('waiting', 'called') desc, q.created_at desc, q.queue_seq desc
  limit 1
  for update;
  if not found then
    raise exception 'no queue entry for customer % at location %', p_customer_id, p_location_id
      using errcode = 'PT404', hint = 'queue_entry_not_found';
  end if;
  return v_entry;
end
$$;
comment on function private.lock_queue_entry(uuid, uuid, uuid, uuid) is
  'Finds and locks the queue entry an RPC refers to (by id, or location + customer).';

-- Moves an entry to p_to. Allowed: waiting -> called; waiting/called -> served, removed,
-- no_show. Repeating the transition that already happened returns the entry unchanged
-- (idempotent); any other move raises PT409 invalid_transition.
create or replace function private.transition_queue_entry(
  p_to text, p_queue_entry_id uuid, p_location_id uuid, p_customer_id uuid, p_store_id uuid
) returns jsonb
language plpgsql volatile
set search_path = ''
as $$
declare
  v_entry public.location_queue := private.lock_queue_entry(
    p_queue_entry_id, p_location_id, p_customer_id, p_store_id);
begin
  if v_entry.status = p_to then
    return jsonb_build_object('queue_entry', private.entry_json(v_entry));
  end if;
  if v_entry.status not in ('waiting', 'called') or (p_to = 'called' and v_entry.status <> 'waiting') then
    raise exception 'queue entry % is %, cannot become %', v_entry.id, v_entry.status, p_to
      using errcode = 'PT409', hint = 'invalid_transition';
  end if;
  update public.location_queue q
  set status = p_to,
    called_at = case when p_to = 'called' then now() else q.called_at end,
    served_at = case when p_to = 'served' then now() else q.served_at end,
    removed_at = case when p_to = 'removed' then now() else q.removed_at end,
    no_show_at = case when p_to = 'no_show' then now() else q.no_show_at end,
    updated_at = now()
  where q.id = v_entry.id
  returning * into v_entry;
  return jsonb_build_object('queue_entry', private.entry_json(v_entry));
end
$$;
comment on function private.transition_queue_entry(text, uuid, uuid, uuid, uuid) is
  'Applies one queue state transition with its timestamp; idempotent on repeat.';

create or replace function public.remove_from_queue(
  p_queue_entry_id uuid default null, p_location_id uuid default null,
  p_customer_id uuid default null, p_store_id uuid default null
) returns jsonb
language sql volatile
security invoker
set search_path = ''
as $$
  select private.transition_queue_entry('removed', p_queue_entry_id, p_location_id, p_customer_id, p_store_id)
$$;
comment on function public.remove_from_queue(uuid, uuid, uuid, uuid) is
  'Returns {queue_entry}: marks the entry removed (kept, with removed_at); the cart stays active so a re-add returns it.';

create or replace function public.call_queue_entry(
  p_queue_entry_id uuid default null, p_location_id uuid default null,
  p_customer_id uuid default null, p_store_id uuid default null
) returns jsonb
language sql volatile
security invoker
set search_path = ''
as $$
  select private.transition_queue_entry('called', p_queue_entry_id, p_location_id, p_customer_id, p_store_id)
$$;
comment on function public.call_queue_entry(uuid, uuid, uuid, uuid) is
  'Returns {queue_entry}: marks a waiting entry called.';

create or replace function public.serve_queue_entry(
  p_queue_entry_id uuid default null, p_location_id uuid default null,
  p_customer_id uuid default null, p_store_id uuid default null
) returns jsonb
language sql volatile
security invoker
set search_path = ''
as $$
  select private.transition_queue_entry('served', p_queue_entry_id, p_location_id, p_customer_id, p_store_id)
$$;
comment on function public.serve_queue_entry(uuid, uuid, uuid, uuid) is
  'Returns {queue_entry}: marks a waiting or called entry served (its cart stays active until completed).';

create or replace function public.mark_no_show(
  p_queue_entry_id uuid default null, p_location_id uuid default null,
  p_customer_id uuid default null, p_store_id uuid default null
) returns jsonb
language sql volatile
security invoker
set search_path = ''
as $$
  select private.transition_queue_entry('no_show', p_queue_entry_id, p_location_id, p_customer_id, p_store_id)
$$;
comment on function public.mark_no_show(uuid, uuid, uuid, uuid) is
  'Returns {queue_entry}: marks a waiting or called entry as no-show.';

-- The open entries of a location's queue in order, each with its 1-based position.
create or replace function public.list_queue(p_location_id uuid, p_store_id uuid default null)
returns jsonb
language plpgsql stable
security invoker
set search_path = ''
as $$
begin
  perform private.location_store(p_location_id, p_store_id);
  return jsonb_build_object(
    'location_id', p_location_id,
    'entries', coalesce((
      select jsonb_agg(q.entry || jsonb_build_object('position', q.pos) order by q.pos)
      from (
        select private.entry_json(e) as entry,
          row_number() over (order by e.created_at, e.queue_seq) as pos
        from public.location_queue e
        where e.location_id = p_location_id and e.status in ('waiting', 'called')
      ) q
    ), '[]'::jsonb));
end
$$;
comment on function public.list_queue(uuid, uuid) is
  'Returns {location_id, entries}: the open (waiting, called) entries in queue order with positions.';

revoke all on function private.lock_queue_entry(uuid, uuid, uuid, uuid) from public, anon;
revoke all on function private.transition_queue_entry(text, uuid, uuid, uuid, uuid) from public, anon;
grant execute on function private.lock_queue_entry(uuid, uuid, uuid, uuid) to authenticated, service_role;
grant execute on function private.transition_queue_entry(text, uuid, uuid, uuid, uuid) to authenticated, service_role;

revoke all on function public.add_to_queue(uuid, uuid, uuid, text, integer, text) from public, anon;
revoke all on function public.remove_from_queue(uuid, uuid, uuid, uuid) from public, anon;
revoke all on function public.call_queue_entry(uuid, uuid, uuid, uuid) from public, anon;
revoke all on function public.serve_queue_entry(uuid, uuid, uuid, uuid) from public, anon;
revoke all on function public.mark_no_show(uuid, uuid, uuid, uuid) from public, anon;
revoke all on function public.list_queue(uuid, uuid) from public, anon;
grant execute on function public.add_to_queue(uuid, uuid, uuid, text, integer, text) to authenticated, service_role;
grant execute on function public.remove_from_queue(uuid, uuid, uuid, uuid) to authenticated, service_role;
grant execute on function public.call_queue_entry(uuid, uuid, uuid, uuid) to authenticated, service_role;
grant execute on function public.serve_queue_entry(uuid, uuid, uuid, uuid) to authenticated, service_role;
grant execute on function public.mark_no_show(uuid, uuid, uuid, uuid) to authenticated, service_role;
grant execute on function public.list_queue(uuid, uuid) to authenticated, service_role;
