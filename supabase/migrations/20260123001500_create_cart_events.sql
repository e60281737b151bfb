-- The history that explains every change: an append-only `cart_events` table with one event
-- per real change of a cart, a cart line or a queue entry, by any writer (the RPCs, direct
-- table writes, the scheduled expiry, the repair of legacy rows): cart_created, cart_completed,
-- cart_abandoned, cart_merged (with the surviving cart), customer_attached, item_added,
-- item_changed, item_removed, queued, called, served, no_show, removed, entry_changed, and
-- repaired (what the repair of legacy rows did, from private.repair_report). Each event has
-- the time, the acting user (the JWT's sub), the device (the row's, else the request's
-- `x-device-id` header) and the request id the function passed (`x-request-id`, which
-- PostgREST hands to the transaction in `request.headers`). A change that writes nothing (a
-- repeat get, a no-op update) records nothing.
--
-- The triggers that record the changes of the apps' tables are created by
-- 20260123001510_record_cart_events.sql, in a transaction of their own that holds those
-- tables' locks for milliseconds.
--
-- Staff read their own stores' events (row level security); nobody changes or deletes them:
-- the table has no write grant for any API role, and a trigger refuses UPDATE and DELETE even
-- for the owner. docs/api.md ("History") has the query that answers "why does this customer
-- have two carts?".

set lock_timeout = '3s';
-- The history of the repair below reads the repair report and the rows it names (no lock an
-- app's write waits for): on a big database it may take longer than 30 s.
set statement_timeout = '15min';

create table if not exists public.cart_events (
  id bigint generated always as identity primary key,
  created_at timestamptz not null default now(),
  event text not null,
  store_id uuid not null,
  location_id uuid,
  customer_id uuid,
  cart_id uuid,
  item_id uuid,
  queue_entry_id uuid,
  actor_id uuid,
  actor_role text,
  device_id text,
  request_id text,
  detail jsonb not null default '{}'
);
comment on table public.cart_events is
  'Append-only history: one event per change of a cart, a cart line or a queue entry, with who, which device and which request.';
comment on column public.cart_events.id is 'Event id; events of one cart are in id order.';
comment on column public.cart_events.created_at is 'When the change was made (its transaction''s time).';
comment on column public.cart_events.event is 'What happened (docs/api.md, "History").';
comment on column public.cart_events.store_id is 'Store of the cart or entry.';
comment on column public.cart_events.location_id is 'Location of the cart or entry.';
comment on column public.cart_events.customer_id is 'Customer of the cart or entry, if any.';
comment on column public.cart_events.cart_id is 'The cart (of a line, or of an entry).';
comment on column public.cart_events.item_id is 'The cart line, for item events.';
comment on column public.cart_events.queue_entry_id is 'The queue entry, for queue events.';
comment on column public.cart_events.actor_id is 'The acting user (JWT sub); null for the database itself (migrations, scheduled jobs).';
comment on column public.cart_events.actor_role is 'The acting role (authenticated, service_role, or the database owner).';
comment on column public.cart_events.device_id is 'The device: the row''s device_id, else the request''s x-device-id header.';
comment on column public.cart_events.request_id is 'The request id (x-request-id) the change came with.';
comment on column public.cart_events.detail is 'What changed: the values before and after, the surviving cart of a merge, the repair''s reasons.';

-- A table of this product, created above: its indexes need no concurrent build.
-- squawk-ignore require-concurrent-index-creation
create index if not exists cart_events_store_id_created_at_idx on public.cart_events (store_id, created_at);
-- squawk-ignore require-concurrent-index-creation
create index if not exists cart_events_customer_id_created_at_idx on public.cart_events (customer_id, created_at);
-- squawk-ignore require-concurrent-index-creation
create index if not exists cart_events_cart_id_idx on public.cart_events (cart_id);
comment on index public.cart_events_store_id_created_at_idx is 'A store''s history by time.';
comment on index public.cart_events_customer_id_created_at_idx is 'A customer''s history by time ("why two carts?").';
comment on index public.cart_events_cart_id_idx is 'A cart''s history.';

-- Records one event, as the database itself (called by the trigger below only).
create or replace function private.record_cart_event(
  p_event text, p_store_id uuid, p_location_id uuid, p_customer_id uuid, p_cart_id uuid,
  p_item_id uuid, p_queue_entry_id uuid, p_device_id text, p_detail jsonb
) returns void
language plpgsql volatile
set search_path = ''
as $$
declare
  v_headers jsonb := nullif(current_setting('request.headers', true), '')::jsonb;
begin
  insert into public.cart_events (event, store_id, location_id, customer_id, cart_id, item_id,
    queue_entry_id, actor_id, actor_role, device_id, request_id, detail)
  values (p_event, p_store_id, p_location_id, p_customer_id, p_cart_id, p_item_id,
    p_queue_entry_id, private.caller_user_id(),
    coalesce(auth.role(), nullif(current_setting('role'), 'none'), session_user),
    coalesce(p_device_id, left(v_headers ->> 'x-device-id', 200)),
    left(v_headers ->> 'x-request-id', 128), coalesce(p_detail, '{}'));
end
$$;
comment on function private.record_cart_event(text, uuid, uuid, uuid, uuid, uuid, uuid, text, jsonb) is
  'Appends one event to public.cart_events with the request''s actor, device and request id.';

-- AFTER triggers on carts, cart_items and location_queue, as the database itself (security
-- definer, executable by no API role): one event per changed row.
create or replace function private.carts_record_event() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_event text;
begin
  if tg_op = 'INSERT' then
    v_event := 'cart_created';
  elsif new.customer_id is distinct from old.customer_id then
    v_event := 'customer_attached';
  elsif new.status is distinct from old.status then
    v_event := case new.status when 'completed' then 'cart_completed'
      when 'abandoned' then 'cart_abandoned' when 'merged' then 'cart_merged'
      else 'cart_changed' end;
  else
    v_event := 'cart_changed';
  end if;
  perform private.record_cart_event(v_event, new.store_id, new.location_id, new.customer_id,
    new.id, null, null, new.device_id, case when tg_op = 'UPDATE' then jsonb_strip_nulls(
      jsonb_build_object('status_was', old.status, 'status', new.status,
        'merged_into', new.merged_into))
    end);
  return null;
end
$$;
comment on function private.carts_record_event() is
  'Trigger (security definer, executable by no API role): records each change of a cart in public.cart_events.';

create or replace function private.cart_items_record_event() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_cart public.carts;
  v_line public.cart_items := case when tg_op = 'DELETE' then old else new end;
begin
  select * into v_cart from public.carts c where c.id = v_line.cart_id;
  perform private.record_cart_event(
    case tg_op when 'INSERT' then 'item_added' when 'DELETE' then 'item_removed' else 'item_changed' end,
    v_cart.store_id, v_cart.location_id, v_cart.customer_id, v_line.cart_id, v_line.id, null,
    v_cart.device_id,
    case when tg_op = 'UPDATE' then jsonb_strip_nulls(jsonb_build_object(
        'product_id', new.product_id, 'quantity_was', old.quantity, 'quantity', new.quantity,
        'moved_from', case when old.cart_id <> new.cart_id then old.cart_id end))
      else jsonb_build_object('product_id', v_line.product_id, 'quantity', v_line.quantity)
    end);
  return null;
end
$$;
comment on function private.cart_items_record_event() is
  'Trigger (security definer, executable by no API role): records each added, changed or removed cart line in public.cart_events.';

create or replace function private.location_queue_record_event() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_event text := 'queued';
begin
  if tg_op = 'UPDATE' then
    v_event := case when new.status is not distinct from old.status then 'entry_changed'
      when new.status in ('called', 'served', 'no_show', 'removed') then new.status
      else 'entry_changed' end;
  end if;
  perform private.record_cart_event(v_event, new.store_id, new.location_id, new.customer_id,
    new.cart_id, null, new.id, new.device_id, case when tg_op = 'UPDATE' then jsonb_strip_nulls(
      jsonb_build_object('status_was', old.status,
        'cart_was', case when old.cart_id is distinct from new.cart_id then old.cart_id end))
    end);
  return null;
end
$$;
comment on function private.location_queue_record_event() is
  'Trigger (security definer, executable by no API role): records each queue entry created or changed in public.cart_events.';

-- BEFORE UPDATE OR DELETE on cart_events: the history is never rewritten.
create or replace function private.cart_events_append_only() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'cart_events is append-only' using errcode = 'PT409', hint = 'history_is_append_only';
end
$$;
comment on function private.cart_events_append_only() is 'Trigger: cart_events rows are never changed or deleted.';

drop trigger if exists cart_events_append_only on public.cart_events;
create trigger cart_events_append_only before update or delete on public.cart_events
  for each row execute function private.cart_events_append_only();
comment on trigger cart_events_append_only on public.cart_events is 'The history is never rewritten.';

-- What the repair of legacy rows did, as history: one `repaired` event per row it changed,
-- merged, closed or created, recorded once per database.
do $$
begin
  if exists (select 1 from private.applied_once where name = 'cart_events_from_repair') then
    return;
  end if;
  insert into public.cart_events (created_at, event, store_id, location_id, customer_id, cart_id,
    item_id, queue_entry_id, actor_role, detail)
  select min(r.reported_at), 'repaired', coalesce(c.store_id, q.store_id, ic.store_id),
    coalesce(c.location_id, q.location_id, ic.location_id),
    coalesce(c.customer_id, q.customer_id, ic.customer_id),
    coalesce(c.id, q.cart_id, ic.id), i.id, q.id, 'repair',
    jsonb_build_object('reasons', jsonb_agg(jsonb_build_object('reason', r.reason, 'action', r.action)
      || r.detail order by r.reason))
  from private.repair_report r
  left join public.carts c on r.table_name = 'carts' and c.id = r.row_id
  left join public.location_queue q on r.table_name = 'location_queue' and q.id = r.row_id
  left join public.cart_items i on r.table_name = 'cart_items' and i.id = r.row_id
  left join public.carts ic on ic.id = i.cart_id
  where r.action <> 'kept'
    and coalesce(c.store_id, q.store_id, ic.store_id) is not null
  group by r.table_name, r.row_id, c.store_id, q.store_id, ic.store_id, c.location_id, q.location_id,
    ic.location_id, c.customer_id, q.customer_id, ic.customer_id, c.id, q.cart_id, ic.id, i.id, q.id;
  insert into private.applied_once (name) values ('cart_events_from_repair');
end
$$;

-- (enabling RLS again is a no-op: the file can be rerun)
-- squawk-ignore prefer-robust-stmts
alter table public.cart_events enable row level security;
revoke all on public.cart_events from public, anon, authenticated, service_role;
revoke all on sequence public.cart_events_id_seq from public, anon, authenticated, service_role;
grant select on public.cart_events to authenticated, service_role;
drop policy if exists cart_events_store_scope on public.cart_events;
create policy cart_events_store_scope on public.cart_events as restrictive for all to public
  using (store_id = any ((select private.caller_store_ids())::uuid[]));
comment on policy cart_events_store_scope on public.cart_events is 'Default deny: only the history of the caller''s stores.';
drop policy if exists cart_events_select_staff on public.cart_events;
create policy cart_events_select_staff on public.cart_events for select to authenticated
  using (store_id = any ((select private.caller_store_ids())::uuid[]));
comment on policy cart_events_select_staff on public.cart_events is 'Staff read their stores'' history.';

revoke all on function private.record_cart_event(text, uuid, uuid, uuid, uuid, uuid, uuid, text, jsonb)
  from public, anon, authenticated, service_role;
revoke all on function private.carts_record_event() from public, anon, authenticated, service_role;
revoke all on function private.cart_items_record_event() from public, anon, authenticated, service_role;
revoke all on function private.location_queue_record_event() from public, anon, authenticated, service_role;
revoke all on function private.cart_events_append_only() from public, anon, authenticated, service_role;

reset lock_timeout;
reset statement_timeout;
