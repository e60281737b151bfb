-- Repair of an existing deployment's rows, before the constraints and unique indexes of the
-- new model are added. It never aborts on legacy data and loses nothing: every legacy row
-- either becomes valid in the new model or is kept as it is; both are listed, with the
-- reason, in `private.repair_report`. Nothing is deleted; item rows and their quantities stay
-- on the customer's cart at the location.
--
-- What it does (the status tables are docs/api.md, "Existing deployments"):
--   * statuses spelled another way are mapped (`open`, `ACTIVE` -> active; `cancelled` ->
--     removed; ...); a null cart status becomes abandoned (no previous app could find such
--     a cart) and a null entry status removed; unknown statuses are kept and reported;
--   * device ids lose stray spaces (an empty one becomes null); store ids are taken from the
--     location (a cart's or entry's store always is its location's store);
--   * duplicate active carts per customer + location (or device + location) are merged: one
--     survivor (the cart an open entry points at, else the most recently updated) keeps
--     status active, the others become `merged` with `merged_into` set, their lines and open
--     entries move to the survivor;
--   * duplicate open entries per customer + location: the earliest stays, the others are
--     closed as removed; an open entry without a customer, of a deleted customer, or at a
--     deleted location is closed as removed; every other open entry is linked to its
--     customer's active cart at its location (one is created when the customer has none);
--   * rows that break a rule of the new model and cannot be mended without changing their
--     meaning (a quantity of 0, a negative price, a party size of 1000, a cart at a deleted
--     location, ...) are kept as they are and reported; the constraint they break stays NOT
--     VALID (20260123001000).
--
-- This file defines the repair; 20260123000810 runs it. The work is split by key: the rows
-- of a customer + location (its carts and queue entries), of an anonymous device + location
-- (its active carts), or a single row that needs a change of its own. Each batch of keys is
-- repaired in a transaction of its own that locks only its keys and rows, so the apps of the
-- previous version keep writing meanwhile and wait at most for one batch. Run inside a
-- runner's transaction, every batch runs in that one transaction instead. Running it again
-- writes nothing: only keys and rows that still need a change are listed, and reported rows
-- are not reported twice.

set lock_timeout = '3s';
set statement_timeout = '15min';

create table if not exists private.repair_report (
  table_name text not null,
  row_id uuid not null,
  reason text not null,
  action text not null check (action in ('changed', 'merged', 'closed', 'created', 'kept')),
  detail jsonb not null default '{}',
  reported_at timestamptz not null default now(),
  primary key (table_name, row_id, reason)
);
comment on table private.repair_report is
  'What the repair of legacy rows did (changed, merged, closed, created) or left as it was (kept), per row and reason. Query it after a deploy.';
comment on column private.repair_report.table_name is 'carts, cart_items or location_queue.';
comment on column private.repair_report.row_id is 'The row''s id.';
comment on column private.repair_report.reason is 'Why the row was reported (docs/api.md, "Existing deployments").';
comment on column private.repair_report.action is 'changed, merged, closed, created, or kept (left as it was).';
comment on column private.repair_report.detail is 'The values before the change, or what the row breaks.';
comment on column private.repair_report.reported_at is 'When the repair reported the row.';
revoke all on private.repair_report from public, anon, authenticated;
grant select on private.repair_report to service_role;

-- Working tables of one repair run (emptied at its start and end). UNLOGGED: what the repair
-- plans writes no WAL, so it never shows up in logical decoding or Realtime.
create unlogged table if not exists private.repair_keys (
  id bigint generated always as identity primary key,
  batch_no bigint not null,
  kind text not null check (kind in ('customer', 'device', 'cart', 'entry')),
  location_id uuid,
  customer_id uuid,
  device_id text,
  row_id uuid
);
comment on table private.repair_keys is
  'Working table of the repair: what needs a change, by key (customer or device + location) or by row, and its batch.';
-- The working table is created just above, empty, and written only by the repair.
-- squawk-ignore require-concurrent-index-creation
create index if not exists repair_keys_batch_no on private.repair_keys (batch_no);
create unlogged table if not exists private.repair_scope_carts (id uuid primary key);
comment on table private.repair_scope_carts is 'Working table of the repair: the carts of one batch.';
create unlogged table if not exists private.repair_scope_entries (id uuid primary key);
comment on table private.repair_scope_entries is
  'Working table of the repair: the queue entries of one batch.';
create unlogged table if not exists private.repair_cart_merge (
  loser_id uuid primary key,
  survivor_id uuid not null
);
comment on table private.repair_cart_merge is
  'Working table of the repair: the duplicate active carts of one batch and their survivors.';
create unlogged table if not exists private.repair_entry_plan (
  id uuid primary key,
  old_status text,
  mapped text,
  old_store uuid,
  new_store uuid,
  old_device text,
  new_device text,
  old_cart uuid,
  customer_id uuid,
  location_id uuid,
  created_at timestamptz,
  queue_seq bigint,
  location_ok boolean,
  customer_ok boolean,
  open_rank bigint,
  close_reason text,
  new_status text,
  new_cart uuid
);
comment on table private.repair_entry_plan is
  'Working table of the repair: what each queue entry of one batch should become.';
revoke all on private.repair_cart_merge, private.repair_entry_plan, private.repair_keys,
  private.repair_scope_carts, private.repair_scope_entries
  from public, anon, authenticated, service_role;

-- Legacy cart status -> the new status set; null for a status that is not recognised.
create or replace function private.legacy_cart_status(p_status text) returns text
language sql immutable
set search_path = ''
as $$
  select case
    when p_status is null then 'abandoned'
    else case lower(btrim(p_status))
      when 'active' then 'active' when 'open' then 'active' when 'opened' then 'active'
      when 'in_progress' then 'active' when 'pending' then 'active' when 'new' then 'active'
      when 'completed' then 'completed' when 'complete' then 'completed'
      when 'closed' then 'completed' when 'paid' then 'completed'
      when 'checked_out' then 'completed' when 'done' then 'completed'
      when 'abandoned' then 'abandoned' when 'expired' then 'abandoned'
      when 'cancelled' then 'abandoned' when 'canceled' then 'abandoned'
      when 'void' then 'abandoned' when 'voided' then 'abandoned'
      when 'deleted' then 'abandoned' when 'inactive' then 'abandoned'
      when 'merged' then 'merged'
    end
  end
$$;
comment on function private.legacy_cart_status(text) is
  'Maps a legacy cart status to active/completed/abandoned/merged (null status: abandoned); null when unknown.';

-- Legacy queue entry status -> the new status set; null for a status that is not recognised.
create or replace function private.legacy_entry_status(p_status text) returns text
language sql immutable
set search_path = ''
as $$
  select case
    when p_status is null then 'removed'
    else case lower(btrim(p_status))
      when 'waiting' then 'waiting' when 'queued' then 'waiting' when 'pending' then 'waiting'
      when 'new' then 'waiting' when 'open' then 'waiting' when 'active' then 'waiting'
      when 'called' then 'called' when 'calling' then 'called' when 'notified' then 'called'
      when 'ready' then 'called'
      when 'served' then 'served' when 'done' then 'served' when 'completed' then 'served'
      when 'complete' then 'served' when 'finished' then 'served' when 'closed' then 'served'
      when 'removed' then 'removed' when 'cancelled' then 'removed' when 'canceled' then 'removed'
      when 'left' then 'removed' when 'deleted' then 'removed' when 'expired' then 'removed'
      when 'no_show' then 'no_show' when 'noshow' then 'no_show' when 'no-show' then 'no_show'
      when 'no show' then 'no_show' when 'missed' then 'no_show'
    end
  end
$$;
comment on function private.legacy_entry_status(text) is
  'Maps a legacy queue status to waiting/called/served/removed/no_show (null status: removed); null when unknown.';

-- Applies the planned values of one phase of private.repair_batch to the queue entries that
-- differ from them, and reports each change. Returns the number of entries changed.
create or replace function private.repair_apply_entry_plan(p_phase text) returns integer
language plpgsql volatile
set search_path = ''
as $$
declare
  v_n integer;
begin
  with changed as (
    update public.location_queue q
    set status = p.new_status, store_id = p.new_store, device_id = p.new_device,
      cart_id = p.new_cart, updated_at = now(),
      removed_at = case when p.close_reason is not null and p.old_status is distinct from 'removed'
                        then now() else q.removed_at end
    from private.repair_entry_plan p
    where p.id = q.id
      and (p_phase = 'all' or p.close_reason is not null)
      and (p.new_status is distinct from p.old_status or p.new_store is distinct from p.old_store
        or p.new_device is distinct from p.old_device or p.new_cart is distinct from p.old_cart)
    returning p.*
  ), reported as (
    insert into private.repair_report (table_name, row_id, reason, action, detail)
    select 'location_queue', c.id, r.reason, r.action, r.detail
    from changed c
    cross join lateral (values
      (c.close_reason, 'closed', jsonb_build_object('from', c.old_status), c.close_reason is not null),
      ('status_mapped', 'changed', jsonb_build_object('from', c.old_status, 'to', c.new_status),
        c.close_reason is null and c.new_status is distinct from c.old_status),
      ('store_from_location', 'changed', jsonb_build_object('from', c.old_store),
        c.new_store is distinct from c.old_store),
      ('device_id_trimmed', 'changed', '{}'::jsonb, c.new_device is distinct from c.old_device),
      (case when c.new_cart is null then 'cart_in_other_store' else 'cart_relinked' end, 'changed',
        jsonb_build_object('old_cart_id', c.old_cart), c.new_cart is distinct from c.old_cart)
    ) as r(reason, action, detail, hit)
    where r.hit
    on conflict do nothing
    returning 1
  )
  select count(*) into v_n from changed;
  return v_n;
end
$$;
comment on function private.repair_apply_entry_plan(text) is
  'Part of private.repair_batch: writes the planned queue entry values (phase closing: the entries it closes; all: every entry) where they differ, and reports them.';

-- Lists what needs a change into private.repair_keys, in batches: each customer + location
-- whose active carts or open entries need one (duplicates, a legacy spelling, a trimmed
-- device, another store than the location's, an entry not on its customer's active cart, a
-- deleted customer or location), each anonymous device + location whose active carts need
-- one (every such cart listed), and each other row that needs a change of its own. Keys go
-- p_keys_per_batch to a batch, single rows p_rows_per_batch. Returns the number of batches.
create or replace function private.repair_list_keys(
  p_keys_per_batch integer default 200,
  p_rows_per_batch integer default 2000
) returns integer
language plpgsql volatile
set search_path = ''
as $$
declare
  v_batches integer;
begin
  truncate private.repair_keys;
  insert into private.repair_keys (batch_no, kind, location_id, customer_id, device_id, row_id)
  with c as materialized (
    select c.id, c.customer_id, c.location_id, private.legacy_cart_status(c.status) as mapped,
      nullif(btrim(c.device_id), '') as device,
      (c.status is distinct from private.legacy_cart_status(c.status)
         and private.legacy_cart_status(c.status) in ('active', 'completed', 'abandoned'))
        or c.device_id is distinct from nullif(btrim(c.device_id), '')
        or (l.store_id is not null and c.store_id is distinct from l.store_id) as own_work
    from public.carts c
    left join public.locations l on l.id = c.location_id
  ), q as materialized (
    select q.id, q.customer_id, q.location_id, private.legacy_entry_status(q.status) as mapped,
      (q.status is distinct from private.legacy_entry_status(q.status)
         and private.legacy_entry_status(q.status) is not null)
        or q.device_id is distinct from nullif(btrim(q.device_id), '')
        or (l.store_id is not null and q.store_id is distinct from l.store_id) as own_work,
      l.store_id is null or u.id is null
        or qc.id is null or qc.status is distinct from 'active'
        or qc.customer_id is distinct from q.customer_id
        or qc.location_id is distinct from q.location_id as link_work,
      qc.id is not null
        and coalesce(qcl.store_id, qc.store_id) is distinct from coalesce(l.store_id, q.store_id)
        as cart_other_store
    from public.location_queue q
    left join public.locations l on l.id = q.location_id
    left join public.customers u on u.id = q.customer_id
    left join public.carts qc on qc.id = q.cart_id
    left join public.locations qcl on qcl.id = qc.location_id
  ), device_keys as (
    select c.location_id, c.device from c
    where c.mapped = 'active' and c.customer_id is null and c.device is not null
    group by c.location_id, c.device
    having count(*) > 1 or bool_or(c.own_work)
  ), cand as (
    select 'customer' as kind, c.location_id, c.customer_id, null::text as device_id,
      null::uuid as row_id
    from c where c.mapped = 'active' and c.customer_id is not null
    group by c.location_id, c.customer_id
    having count(*) > 1 or bool_or(c.own_work)
    union
    select 'customer', q.location_id, q.customer_id, null, null
    from q where q.mapped in ('waiting', 'called') and q.customer_id is not null
    group by q.location_id, q.customer_id
    having count(*) > 1 or bool_or(q.own_work or q.link_work)
    union all
    select 'device', c.location_id, null, c.device, c.id
    from c join device_keys k on k.location_id = c.location_id and k.device = c.device
    where c.mapped = 'active' and c.customer_id is null
    union all
    select 'cart', null, null, null, c.id from c
    where c.own_work
      and (c.mapped is distinct from 'active' or c.customer_id is null and c.device is null)
    union all
    select 'entry', null, null, null, q.id from q
    where (q.mapped in ('waiting', 'called') and q.customer_id is null)
      or (q.mapped is null or q.mapped not in ('waiting', 'called'))
        and (q.own_work or q.cart_other_store)
  ), ranked as (
    select cand.*,
      dense_rank() over (order by cand.kind, cand.location_id, cand.customer_id, cand.device_id)
        as key_rank,
      row_number() over (partition by cand.kind in ('cart', 'entry') order by cand.kind, cand.row_id)
        as row_rank
    from cand
  )
  select case when r.kind in ('customer', 'device') then (r.key_rank - 1) / p_keys_per_batch
              else 1000000000 + (r.row_rank - 1) / p_rows_per_batch end,
    r.kind, r.location_id, r.customer_id, r.device_id, r.row_id
  from ranked r;
  analyze private.repair_keys;
  select count(distinct k.batch_no) into v_batches from private.repair_keys k;
  return v_batches;
end
$$;
comment on function private.repair_list_keys(integer, integer) is
  'Part of the repair: lists the keys (customer or device + location) and single rows that need a change into private.repair_keys, in batches.';

-- Sums the counts of two repair summaries.
create or replace function private.repair_add_counts(p_a jsonb, p_b jsonb) returns jsonb
language sql immutable
set search_path = ''
as $$
  select coalesce(jsonb_object_agg(e.key, e.n), '{}'::jsonb)
  from (select x.key, sum(x.value::numeric) as n
        from (select * from jsonb_each(coalesce(p_a, '{}'::jsonb))
              union all select * from jsonb_each(coalesce(p_b, '{}'::jsonb))) x
        group by x.key) e
$$;
comment on function private.repair_add_counts(jsonb, jsonb) is
  'Part of the repair: adds up the counts of two summaries.';

-- Repairs the rows of the batches p_batches of private.repair_keys: a customer key's carts and
-- queue entries, a device key's listed carts (with p_all_device_carts, every active cart of
-- the device at the location, found by a scan of the location's carts), each listed row.
-- With p_lock, it first takes the advisory locks of the duplicate guard (20260123000510) for
-- its keys and the row locks of its rows, in one order, so that no app of the previous
-- version adds a duplicate for a key meanwhile, and a row it reads is the row it writes.
create or replace function private.repair_batch(
  p_batches bigint[],
  p_lock boolean,
  p_all_device_carts boolean default false
) returns jsonb
language plpgsql volatile
set search_path = ''
as $$
declare
  v_counts jsonb := '{}'::jsonb;
  v_n integer;
  v_lock bigint;
begin
  truncate private.repair_scope_carts, private.repair_scope_entries, private.repair_cart_merge,
    private.repair_entry_plan;

  if p_lock then
    for v_lock in
      select distinct pg_catalog.hashtextextended(x.k, 0)
      from (
        select 'carts:c:' || k.customer_id || ':' || k.location_id as k
        from private.repair_keys k where k.batch_no = any (p_batches) and k.kind = 'customer'
        union all
        select 'queue:' || k.customer_id || ':' || k.location_id
        from private.repair_keys k where k.batch_no = any (p_batches) and k.kind = 'customer'
        union all
        select 'carts:d:' || k.device_id || ':' || k.location_id
        from private.repair_keys k where k.batch_no = any (p_batches) and k.kind = 'device'
      ) x
      where x.k is not null
      order by 1
    loop
      perform pg_catalog.pg_advisory_xact_lock(v_lock);
    end loop;
  end if;

  insert into private.repair_scope_carts (id)
  select c.id
  from private.repair_keys k
  join public.carts c on c.customer_id = k.customer_id
  where k.batch_no = any (p_batches) and k.kind = 'customer'
    and c.location_id is not distinct from k.location_id
  union
  select k.row_id from private.repair_keys k
  where k.batch_no = any (p_batches) and k.kind in ('device', 'cart')
  union
  select c.id
  from private.repair_keys k
  join public.carts c on c.location_id = k.location_id
  where p_all_device_carts and k.batch_no = any (p_batches) and k.kind = 'device'
    and c.customer_id is null and nullif(btrim(c.device_id), '') = k.device_id;
  insert into private.repair_scope_entries (id)
  select q.id
  from private.repair_keys k
  join public.location_queue q on q.customer_id = k.customer_id
  where k.batch_no = any (p_batches) and k.kind = 'customer'
    and q.location_id is not distinct from k.location_id
  union
  select k.row_id from private.repair_keys k
  where k.batch_no = any (p_batches) and k.kind = 'entry';
  analyze private.repair_scope_carts, private.repair_scope_entries;

  if p_lock then
    perform 1 from public.carts c
    where c.id in (select s.id from private.repair_scope_carts s)
    order by c.id
    for update;
    perform 1 from public.location_queue q
    where q.id in (select s.id from private.repair_scope_entries s)
    order by q.id
    for update;
  end if;

  -- Queue entries, part 1 ---------------------------------------------------------------

  -- 1. What each entry should be: its status mapped, the location's store, the device
  --    without spaces. An open one that cannot have a cart (no customer, a deleted customer,
  --    a deleted location) or that duplicates an earlier open entry of the same customer +
  --    location is closed as removed, first, so that each key has at most one open entry
  --    when the carts are merged.
  insert into private.repair_entry_plan
  with base as (
    select q.id, q.status as old_status, private.legacy_entry_status(q.status) as mapped,
      q.store_id as old_store, coalesce(l.store_id, q.store_id) as new_store,
      q.device_id as old_device, nullif(btrim(q.device_id), '') as new_device,
      q.cart_id as old_cart, q.customer_id, q.location_id, q.created_at, q.queue_seq,
      l.store_id is not null as location_ok,
      exists (select 1 from public.customers u where u.id = q.customer_id) as customer_ok
    from public.location_queue q
    join private.repair_scope_entries s on s.id = q.id
    left join public.locations l on l.id = q.location_id
  ), ranked as (
    select b.*,
      case when b.mapped in ('waiting', 'called') and b.customer_ok and b.location_ok then
        row_number() over (partition by b.mapped in ('waiting', 'called') and b.customer_ok
                             and b.location_ok, b.location_id, b.customer_id
                           order by b.created_at, b.queue_seq nulls first, b.id)
      end as open_rank
    from base b
  )
  select r.*,
    case
      when r.mapped is null or r.mapped not in ('waiting', 'called') then null
      when r.customer_id is null then 'open_entry_without_customer'
      when not r.customer_ok then 'customer_missing'
      when not r.location_ok then 'location_missing'
      when r.open_rank > 1 then 'duplicate_open_entry'
    end as close_reason,
    null::text as new_status,
    null::uuid as new_cart
  from ranked r;

  update private.repair_entry_plan p set new_status = 'removed', new_cart = p.old_cart
  where p.close_reason is not null;
  v_n := private.repair_apply_entry_plan('closing');
  v_counts := v_counts || jsonb_build_object('entries_closed', v_n);
  update private.repair_entry_plan p
  set old_status = p.new_status, old_store = p.new_store, old_device = p.new_device
  where p.close_reason is not null;

  -- Carts -------------------------------------------------------------------------------

  -- 2. Statuses spelled another way that close the cart. (Active ones are mapped after the
  --    merge, so that no key ever has two active carts.)
  with old as (
    select c.id, c.status, private.legacy_cart_status(c.status) as mapped
    from public.carts c
    join private.repair_scope_carts s on s.id = c.id
    where c.status is null or c.status not in ('active', 'completed', 'abandoned', 'merged')
  ), changed as (
    update public.carts c set status = o.mapped, updated_at = now()
    from old o where o.id = c.id and o.mapped in ('completed', 'abandoned')
    returning c.id, o.status, o.mapped
  )
  insert into private.repair_report (table_name, row_id, reason, action, detail)
  select 'carts', id, 'status_mapped', 'changed', jsonb_build_object('from', status, 'to', mapped)
  from changed
  on conflict do nothing;
  get diagnostics v_n = row_count;
  v_counts := v_counts || jsonb_build_object('cart_statuses_mapped', v_n);

  -- 3. Duplicate active carts per customer + location (or anonymous device + location): one
  --    survivor per key, preferring the cart the customer's open entry points at, then one
  --    already spelled 'active', then the most recently updated; the others are merged into
  --    it and their lines move there (rows kept, quantities unchanged).
  insert into private.repair_cart_merge (loser_id, survivor_id)
  with active as (
    select c.id, c.location_id, c.customer_id, c.device_id, c.status, c.updated_at, c.created_at,
      exists (select 1 from public.location_queue q
              where q.cart_id = c.id and q.customer_id = c.customer_id
                and q.location_id = c.location_id
                and private.legacy_entry_status(q.status) in ('waiting', 'called')) as has_open_entry
    from public.carts c
    join private.repair_scope_carts s on s.id = c.id
    where private.legacy_cart_status(c.status) = 'active'
      and (c.customer_id is not null or nullif(btrim(c.device_id), '') is not null)
  ), ranked as (
    select a.id, first_value(a.id) over w as survivor_id, row_number() over w as rn
    from active a
    window w as (
      partition by a.location_id, a.customer_id,
        case when a.customer_id is null then nullif(btrim(a.device_id), '') end
      order by a.has_open_entry desc, a.status = 'active' desc, a.updated_at desc nulls last,
        a.created_at, a.id)
  )
  select r.id as loser_id, r.survivor_id from ranked r where r.rn > 1;

  update public.cart_items i set cart_id = m.survivor_id, updated_at = now()
  from private.repair_cart_merge m where i.cart_id = m.loser_id;
  with changed as (
    update public.carts c
    set status = 'merged', merged_into = m.survivor_id, updated_at = now()
    from private.repair_cart_merge m where c.id = m.loser_id
    returning c.id, m.survivor_id
  )
  insert into private.repair_report (table_name, row_id, reason, action, detail)
  select 'carts', id, 'duplicate_active_cart', 'merged', jsonb_build_object('survivor', survivor_id)
  from changed
  on conflict do nothing;
  get diagnostics v_n = row_count;
  v_counts := v_counts || jsonb_build_object('duplicate_carts_merged', v_n);

  -- 4. The remaining carts whose active status is spelled another way.
  with changed as (
    update public.carts c set status = 'active', updated_at = now()
    from private.repair_scope_carts s
    where s.id = c.id and c.status <> 'active' and private.legacy_cart_status(c.status) = 'active'
    returning c.id, c.status
  )
  insert into private.repair_report (table_name, row_id, reason, action, detail)
  select 'carts', id, 'status_mapped', 'changed', jsonb_build_object('to', 'active') from changed
  on conflict do nothing;

  -- 5. Device ids without stray spaces; the store is the location's. (After the merge:
  --     a trimmed device id or a corrected store must not meet a duplicate.)
  with changed as (
    update public.carts c set device_id = nullif(btrim(c.device_id), '')
    from private.repair_scope_carts s
    where s.id = c.id and c.device_id is distinct from nullif(btrim(c.device_id), '')
    returning c.id
  )
  insert into private.repair_report (table_name, row_id, reason, action)
  select 'carts', id, 'device_id_trimmed', 'changed' from changed
  on conflict do nothing;

  with changed as (
    update public.carts c set store_id = l.store_id
    from private.repair_scope_carts s, public.locations l
    where s.id = c.id and l.id = c.location_id and l.store_id is not null
      and c.store_id is distinct from l.store_id
    returning c.id
  )
  insert into private.repair_report (table_name, row_id, reason, action)
  select 'carts', id, 'store_from_location', 'changed' from changed
  on conflict do nothing;
  get diagnostics v_n = row_count;
  v_counts := v_counts || jsonb_build_object('cart_stores_corrected', v_n);

  -- Queue entries, part 2 ---------------------------------------------------------------

  -- 6. The customers of the entries that stay open get an active cart where they have none.
  with created as (
    insert into public.carts (store_id, location_id, customer_id)
    select distinct p.new_store, p.location_id, p.customer_id
    from private.repair_entry_plan p
    where p.mapped in ('waiting', 'called') and p.close_reason is null
      and not exists (select 1 from public.carts c
                      where c.customer_id = p.customer_id and c.location_id = p.location_id
                        and c.status = 'active')
    returning id
  )
  insert into private.repair_report (table_name, row_id, reason, action)
  select 'carts', id, 'cart_for_open_entry', 'created' from created
  on conflict do nothing;
  get diagnostics v_n = row_count;
  v_counts := v_counts || jsonb_build_object('carts_created_for_open_entries', v_n);

  -- 7. The other entries: an open one carries its customer's active cart at its location; a
  --    closed one keeps its cart unless that cart is in another store (the store of the
  --    cart's location, which the cart has once repaired, whichever batch that is in).
  update private.repair_entry_plan p set
    new_status = case when p.close_reason is null then coalesce(p.mapped, p.old_status)
                      else p.new_status end,
    new_cart = case
      when p.close_reason is null and p.mapped in ('waiting', 'called') then
        (select c.id from public.carts c
         where c.customer_id = p.customer_id and c.location_id = p.location_id
           and c.status = 'active')
      when exists (select 1 from public.carts c
                   left join public.locations cl on cl.id = c.location_id
                   where c.id = p.old_cart
                     and coalesce(cl.store_id, c.store_id) is distinct from p.new_store) then null
      else p.old_cart
    end;
  v_n := private.repair_apply_entry_plan('all');
  v_counts := v_counts || jsonb_build_object('entries_changed', v_n);

  truncate private.repair_scope_carts, private.repair_scope_entries, private.repair_cart_merge,
    private.repair_entry_plan;
  return v_counts;
end
$$;
comment on function private.repair_batch(bigint[], boolean, boolean) is
  'Part of the repair: repairs the keys and rows of some batches of private.repair_keys (merges duplicates, maps statuses, links open entries to carts) and reports what it changed.';

-- Reports the rows that break a rule of the new model and are kept as they are. Reads the
-- tables without locking them; a row already reported is not reported again.
create or replace function private.repair_report_kept() returns integer
language plpgsql volatile
set search_path = ''
as $$
declare
  v_total integer := 0;
  v_n integer;
begin
  -- Each table is read once, with its references joined (not probed row by row); only the
  -- rows that break a rule are expanded into report rows.
  insert into private.repair_report (table_name, row_id, reason, action, detail)
  select 'carts', x.id, r.reason, 'kept', r.detail
  from (
    select c.id, c.status, c.location_id, c.customer_id, c.device_id,
      private.legacy_cart_status(c.status) is null
        or c.status = 'merged' and c.merged_into is null as status_unknown,
      c.location_id is null or l.store_id is null as location_missing,
      c.customer_id is not null and u.id is null as customer_missing,
      c.status = 'active' and c.customer_id is null and c.device_id is null
        as anonymous_without_device,
      c.device_id is not null
        and (char_length(c.device_id) > 200 or c.device_id ~ '[[:cntrl:]]') as device_id_invalid
    from public.carts c
    left join public.locations l on l.id = c.location_id
    left join public.customers u on u.id = c.customer_id
  ) x
  cross join lateral (values
    ('status_unknown', x.status_unknown, jsonb_build_object('status', x.status)),
    ('location_missing', x.location_missing, jsonb_build_object('location_id', x.location_id)),
    ('customer_missing', x.customer_missing, jsonb_build_object('customer_id', x.customer_id)),
    ('anonymous_without_device', x.anonymous_without_device, '{}'::jsonb),
    ('device_id_invalid', x.device_id_invalid,
     jsonb_build_object('length', char_length(x.device_id)))
  ) as r(reason, hit, detail)
  where (x.status_unknown or x.location_missing or x.customer_missing
      or x.anonymous_without_device or x.device_id_invalid)
    and r.hit
  on conflict do nothing;
  get diagnostics v_n = row_count;
  v_total := v_total + v_n;

  insert into private.repair_report (table_name, row_id, reason, action, detail)
  select 'cart_items', x.id, r.reason, 'kept', r.detail
  from (
    select i.id, i.quantity, i.unit_price, i.product_id, i.cart_id,
      i.quantity is null or i.quantity not between 1 and 100000 as quantity_out_of_range,
      -- numeric, whatever an older table declares (money has no comparison with a number)
      i.unit_price is null or i.unit_price::numeric < 0 as unit_price_out_of_range,
      i.product_id is null or char_length(i.product_id) not between 1 and 200
        or i.product_id ~ '[[:cntrl:]]' as product_id_invalid,
      i.cart_id is null or c.id is null as cart_missing
    from public.cart_items i
    left join public.carts c on c.id = i.cart_id
  ) x
  cross join lateral (values
    ('quantity_out_of_range', x.quantity_out_of_range, jsonb_build_object('quantity', x.quantity)),
    ('unit_price_out_of_range', x.unit_price_out_of_range,
     jsonb_build_object('unit_price', x.unit_price::numeric)),
    ('product_id_invalid', x.product_id_invalid,
     jsonb_build_object('product_id', left(x.product_id, 200))),
    ('cart_missing', x.cart_missing, jsonb_build_object('cart_id', x.cart_id))
  ) as r(reason, hit, detail)
  where (x.quantity_out_of_range or x.unit_price_out_of_range or x.product_id_invalid
      or x.cart_missing)
    and r.hit
  on conflict do nothing;
  get diagnostics v_n = row_count;
  v_total := v_total + v_n;

  insert into private.repair_report (table_name, row_id, reason, action, detail)
  select 'location_queue', x.id, r.reason, 'kept', r.detail
  from (
    select q.id, q.status, q.party_size, q.note, q.location_id, q.customer_id, q.device_id,
      q.status not in ('waiting', 'called', 'served', 'removed', 'no_show') as status_unknown,
      q.party_size is not null and q.party_size not between 1 and 100 as party_size_out_of_range,
      char_length(q.note) > 500 as note_too_long,
      q.location_id is null or l.store_id is null as location_missing,
      q.customer_id is not null and u.id is null as customer_missing,
      q.device_id is not null
        and (char_length(q.device_id) > 200 or q.device_id ~ '[[:cntrl:]]') as device_id_invalid
    from public.location_queue q
    left join public.locations l on l.id = q.location_id
    left join public.customers u on u.id = q.customer_id
  ) x
  cross join lateral (values
    ('status_unknown', x.status_unknown, jsonb_build_object('status', x.status)),
    ('party_size_out_of_range', x.party_size_out_of_range,
     jsonb_build_object('party_size', x.party_size)),
    ('note_too_long', x.note_too_long, jsonb_build_object('length', char_length(x.note))),
    ('location_missing', x.location_missing, jsonb_build_object('location_id', x.location_id)),
    ('customer_missing', x.customer_missing, jsonb_build_object('customer_id', x.customer_id)),
    ('device_id_invalid', x.device_id_invalid,
     jsonb_build_object('length', char_length(x.device_id)))
  ) as r(reason, hit, detail)
  where (x.status_unknown or x.party_size_out_of_range or x.note_too_long
      or x.location_missing or x.customer_missing or x.device_id_invalid)
    and r.hit
  on conflict do nothing;
  get diagnostics v_n = row_count;
  v_total := v_total + v_n;
  return v_total;
end
$$;
comment on function private.repair_report_kept() is
  'Part of the repair: reports the rows kept as they are (they break a rule of the new model). Returns the number of rows newly reported.';

-- The duplicate guard of 20260123000510 on or off (where it exists), for the repair in one
-- transaction only.
create or replace function private.repair_set_duplicate_guard(p_enabled boolean) returns void
language plpgsql volatile
set search_path = ''
as $$
declare
  v_trigger record;
begin
  for v_trigger in
    select t.tgrelid::regclass as rel, t.tgname
    from pg_catalog.pg_trigger t
    where (t.tgrelid, t.tgname) in (('public.carts'::regclass, 'carts_guard_duplicates'),
      ('public.location_queue'::regclass, 'location_queue_guard_duplicates'))
  loop
    execute pg_catalog.format('alter table %s %s trigger %I', v_trigger.rel,
      case when p_enabled then 'enable' else 'disable' end, v_trigger.tgname);
  end loop;
end
$$;
comment on function private.repair_set_duplicate_guard(boolean) is
  'Turns the duplicate guard''s triggers on or off (the repair in one transaction).';

-- The whole repair in the caller's transaction: what 20260123000810 runs when its runner
-- wraps the file in a transaction (it cannot commit batch by batch there), and what the
-- database owner can run again (`select private.repair_legacy_rows();`, a no-op on a
-- repaired database). Writers wait for it, reads go on.
create or replace function private.repair_legacy_rows() returns jsonb
language plpgsql volatile
set search_path = ''
as $$
declare
  v_counts jsonb;
  v_batches bigint[];
  v_n integer;
begin
  -- Apps of the previous version keep writing during the deploy. In one transaction over
  -- every key, their row locks taken in another order would deadlock with the repair's, and
  -- the duplicate guard's advisory lock per key would be held until commit for every key
  -- (on a big database more locks than the shared lock table holds). So writers wait until
  -- the repair commits, and the guard is off for this transaction only (the table lock
  -- covers ALTER TABLE's); reads go on. The lock is asked for under the runner's
  -- lock_timeout: on a busy table the file fails cleanly (55P03) and can be applied again.
  perform private.lock_tables(array['public.carts', 'public.cart_items', 'public.location_queue'],
    'exclusive');
  perform private.repair_set_duplicate_guard(false);

  perform private.repair_list_keys();
  select coalesce(array_agg(distinct k.batch_no), '{}') into v_batches from private.repair_keys k;
  v_counts := private.repair_batch(v_batches, false, true);
  v_n := private.repair_report_kept();
  truncate private.repair_keys;

  perform private.repair_set_duplicate_guard(true);
  select count(*) into v_n from private.repair_report;
  return v_counts || jsonb_build_object('report_rows', v_n);
end
$$;
comment on function private.repair_legacy_rows() is
  'Repairs legacy rows for the new model in one transaction (merges duplicates, maps statuses, links open entries to carts) and reports every row it changed or kept; idempotent. Run by migration 20260123000810 inside a runner''s transaction; can be run again by the database owner.';
revoke all on function private.legacy_cart_status(text) from public, anon, authenticated;
revoke all on function private.legacy_entry_status(text) from public, anon, authenticated;
revoke all on function private.repair_legacy_rows() from public, anon, authenticated, service_role;
revoke all on function private.repair_set_duplicate_guard(boolean) from public, anon, authenticated, service_role;
revoke all on function private.repair_apply_entry_plan(text) from public, anon, authenticated, service_role;
revoke all on function private.repair_list_keys(integer, integer) from public, anon, authenticated, service_role;
revoke all on function private.repair_add_counts(jsonb, jsonb) from public, anon, authenticated, service_role;
revoke all on function private.repair_batch(bigint[], boolean, boolean) from public, anon, authenticated, service_role;
revoke all on function private.repair_report_kept() from public, anon, authenticated, service_role;

reset lock_timeout;
reset statement_timeout;
