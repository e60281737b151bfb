-- Queue RPCs: add_to_queue (entry and cart together, idempotent), the state transitions
-- remove / call / serve / no_show, and list_queue with positions. SECURITY INVOKER: they
-- read and write as the caller, under row level security and the rules of
-- 20260123000500_create_cart_and_queue_rules.sql (the entry's cart link, the lifecycle and
-- its timestamps live there, once). Business errors carry a stable code in HINT. The writing
-- RPCs wait at most 2 s for a row lock, as those of 20260123000600 do, and honour an
-- Idempotency-Key (20260123000550): a stale retry of add_to_queue after the customer was
-- served gets its first answer, and queues nobody again.

set lock_timeout = '3s';
set statement_timeout = '30s';

-- An older app's functions of these names go first (private.drop_other_functions).
select private.drop_other_functions(f.name, f.arg_types) from (values
  ('add_to_queue', 'uuid, uuid, uuid, text, integer, text'),
  ('remove_from_queue', 'uuid, uuid, uuid, uuid'), ('call_queue_entry', 'uuid, uuid, uuid, uuid'),
  ('serve_queue_entry', 'uuid, uuid, uuid, uuid'), ('mark_no_show', 'uuid, uuid, uuid, uuid'),
  ('list_queue', 'uuid, uuid')
) f (name, arg_types);

-- Adds a customer to a location's queue; the entry carries the customer's active cart
-- (created when missing). Idempotent: a customer already waiting (or called) gets the same
-- entry and cart back with created = false.
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
set lock_timeout = '2s'
as $$
declare
  v_begun jsonb := private.idempotency_begin('add_to_queue', jsonb_build_object(
    'location_id', p_location_id, 'customer_id', p_customer_id, 'store_id', p_store_id,
    'device_id', p_device_id, 'party_size', p_party_size, 'note', p_note));
  v_device text := private.clean_device_id(p_device_id);
  v_store uuid;
  v_entry public.location_queue;
  v_cart public.carts;
  v_created boolean := false;
  v_index text;
begin
  if v_begun ? 'replay' then
    return v_begun -> 'replay';
  end if;
  perform private.check_entry_fields(p_party_size, p_note);
  v_store := private.location_store(p_location_id, p_store_id);
  if p_customer_id is null then
    perform private.invalid_argument('customer_id', 'customer_id is required');
  end if;
  perform private.require_customer(p_customer_id, v_store);

  for attempt in 1..10 loop
    select * into v_entry from public.location_queue q
    where q.location_id = p_location_id and q.customer_id = p_customer_id
      and q.status in ('waiting', 'called');
    exit when found;
    begin
      insert into public.location_queue
        (store_id, location_id, customer_id, device_id, party_size, note)
      values (v_store, p_location_id, p_customer_id, v_device, p_party_size, p_note)
      returning * into v_entry;
      v_created := true;
      exit;
    exception when unique_violation then
      -- queued by a concurrent request: read that entry on the next turn (another unique
      -- index, an older app's, refuses for good)
      get stacked diagnostics v_index = constraint_name;
      if not coalesce(v_index = any (private.invariant_index_names()), false) then
        raise;
      end if;
    end;
  end loop;
  if v_entry.id is null then
    raise exception 'the queue entry kept changing, retry' using errcode = '40001', hint = 'retry';
  end if;
  select * into v_cart from public.carts c where c.id = v_entry.cart_id;
  return private.idempotency_finish(v_begun, jsonb_build_object('queue_entry',
    private.entry_json(v_entry), 'cart', private.cart_json(v_cart), 'created', v_created));
end
$$;
comment on function public.add_to_queue(uuid, uuid, uuid, text, integer, text) is
  'Returns {queue_entry, cart, created}: the customer''s open queue entry at the location with its active cart, both created when missing. Idempotent.';

-- The queue entry an RPC refers to, locked FOR UPDATE: by id, or by location + customer (the
-- open entry, else the most recent one). Rows of other stores answer as missing ones.
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
      perform private.raise_no_access_or_not_found('queue_entry_not_found', 'queue entry');
    end if;
    if p_store_id is not null and p_store_id <> v_entry.store_id then
      raise exception 'the location does not belong to the given store'
        using errcode = 'P0001', hint = 'location_store_mismatch';
    end if;
    if p_location_id is not null and p_location_id <> v_entry.location_id
      or p_customer_id is not null and p_customer_id is distinct from v_entry.customer_id then
      perform private.invalid_argument('queue_entry_id',
        'the queue entry does not match the given location and customer');
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
  order by q.status in ('waiting', 'called') desc, q.created_at desc, q.queue_seq desc nulls last
  limit 1
  for update;
  if not found then
    raise exception 'queue entry not found'
      using errcode = 'PT404', hint = 'queue_entry_not_found';
  end if;
  return v_entry;
end
$$;
comment on function private.lock_queue_entry(uuid, uuid, uuid, uuid) is
  'Finds and locks the queue entry an RPC refers to (by id, or location + customer).';

-- Moves an entry to p_to. The lifecycle (waiting -> called; waiting/called -> served,
-- removed, no_show) and the timestamps are the table's rules; repeating the transition that
-- already happened returns the entry unchanged (idempotent); any other move is PT409
-- invalid_transition.
create or replace function private.transition_queue_entry(
  p_to text, p_queue_entry_id uuid, p_location_id uuid, p_customer_id uuid, p_store_id uuid
) returns jsonb
language plpgsql volatile
set search_path = ''
as $$
declare
  v_begun jsonb := private.idempotency_begin(
    case p_to when 'removed' then 'remove_from_queue' when 'called' then 'call_queue_entry'
      when 'served' then 'serve_queue_entry' else 'mark_no_show' end,
    jsonb_build_object('queue_entry_id', p_queue_entry_id, 'location_id', p_location_id,
      'customer_id', p_customer_id, 'store_id', p_store_id));
  v_entry public.location_queue;
begin
  if v_begun ? 'replay' then
    return v_begun -> 'replay';
  end if;
  v_entry := private.lock_queue_entry(p_queue_entry_id, p_location_id, p_customer_id, p_store_id);
  if v_entry.status <> p_to then
    update public.location_queue q set status = p_to where q.id = v_entry.id
    returning * into v_entry;
  end if;
  return private.idempotency_finish(v_begun, jsonb_build_object('queue_entry', private.entry_json(v_entry)));
end
$$;
comment on function private.transition_queue_entry(text, uuid, uuid, uuid, uuid) is
  'Applies one queue state transition; idempotent on repeat.';

create or replace function public.remove_from_queue(
  p_queue_entry_id uuid default null, p_location_id uuid default null,
  p_customer_id uuid default null, p_store_id uuid default null
) returns jsonb
language sql volatile
security invoker
set search_path = ''
set lock_timeout = '2s'
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
set lock_timeout = '2s'
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
set lock_timeout = '2s'
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
set lock_timeout = '2s'
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
declare
  v_store uuid := private.location_store(p_location_id, p_store_id);
begin
  return jsonb_build_object(
    'location_id', p_location_id,
    'entries', coalesce((
      select jsonb_agg(q.entry || jsonb_build_object('position', q.pos) order by q.pos)
      from (
        select private.entry_json(e) as entry,
          row_number() over (order by e.created_at, e.queue_seq nulls first, e.id) as pos
        from public.location_queue e
        where e.location_id = p_location_id and e.store_id = v_store
          and e.status in ('waiting', 'called')
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

reset lock_timeout;
reset statement_timeout;
