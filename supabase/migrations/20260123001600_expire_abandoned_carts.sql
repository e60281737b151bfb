-- Abandoned carts: a cart left active longer than its store's setting (default 12 hours, per
-- store in public.store_settings) becomes `abandoned`, and its open queue entry is closed
-- (removed), so a customer who comes back the next day gets a fresh cart, not yesterday's.
-- A cart's last activity is the latest change of the cart, its lines or its queue entries (a
-- get writes nothing and is not activity).
--
-- private.expire_carts() does it in batches: it takes each stale cart with FOR UPDATE SKIP
-- LOCKED (a cart being changed right now is left for the next run, and a device's get, which
-- takes no lock, is never blocked), then checks the cart's activity again under that lock, so
-- a cart a device touched after the job read it is never abandoned. The same run deletes idempotency keys older than 24 hours.
-- pg_cron (which Supabase ships) runs it every minute as the job `poscart_expire_carts`;
-- where pg_cron is not installed the job is not scheduled, and `select private.expire_carts();`
-- does the same by hand.

set lock_timeout = '3s';
set statement_timeout = '30s';

create table if not exists public.store_settings (
  store_id uuid primary key references public.stores (id) on delete cascade,
  abandon_after interval not null default interval '12 hours'
    check (abandon_after between interval '1 minute' and interval '30 days'),
  updated_at timestamptz not null default now()
);
-- An older table of this name (a POS app's own store settings) gets the columns it lacks.
alter table public.store_settings add column if not exists abandon_after interval not null
  default interval '12 hours' check (abandon_after between interval '1 minute' and interval '30 days');
alter table public.store_settings add column if not exists updated_at timestamptz not null default now();
comment on table public.store_settings is 'Per-store settings of the cart backend (written by the service role or SQL).';
comment on column public.store_settings.store_id is 'The store.';
comment on column public.store_settings.abandon_after is 'A cart without activity for this long becomes abandoned (default 12 hours without a row).';
comment on column public.store_settings.updated_at is 'Last change of the settings.';

-- (enabling RLS again is a no-op: the file can be rerun)
-- squawk-ignore prefer-robust-stmts
alter table public.store_settings enable row level security;
revoke all on public.store_settings from public, anon, authenticated, service_role;
grant select, insert, update, delete on public.store_settings to service_role;
grant select on public.store_settings to authenticated;
drop policy if exists store_settings_store_scope on public.store_settings;
create policy store_settings_store_scope on public.store_settings as restrictive for all to public
  using (store_id = any ((select private.caller_store_ids())::uuid[]))
  with check (store_id = any ((select private.caller_store_ids())::uuid[]));
comment on policy store_settings_store_scope on public.store_settings is 'Default deny: only the caller''s stores'' settings.';
drop policy if exists store_settings_select_staff on public.store_settings;
create policy store_settings_select_staff on public.store_settings for select to authenticated
  using (store_id = any ((select private.caller_store_ids())::uuid[]));
comment on policy store_settings_select_staff on public.store_settings is 'Staff read their stores'' settings.';

-- The latest activity on a cart: its own row, its lines and its queue entries.
create or replace function private.cart_last_activity(p_cart public.carts) returns timestamptz
language plpgsql stable
set search_path = ''
as $$
begin
  return greatest(p_cart.updated_at,
    (select max(i.updated_at) from public.cart_items i where i.cart_id = p_cart.id),
    (select max(q.updated_at) from public.location_queue q where q.cart_id = p_cart.id));
end
$$;
comment on function private.cart_last_activity(public.carts) is
  'The latest change of a cart, its lines or its queue entries.';

-- Abandons up to p_batch stale carts (see the header); returns how many. Fair across stores:
-- each store's stalest cart first, then each store's next one, and so on, so a store with a
-- large backlog (or one that makes carts in bulk) never keeps another store's carts waiting.
-- Each store's candidates are read from carts_active_store_id_updated_at_idx
-- (20260123001610), at most p_batch of them; carts without a store are one more group.
create or replace function private.abandon_stale_carts(p_batch integer) returns integer
language plpgsql volatile
set search_path = ''
as $$
declare
  v_id uuid;
  v_cart public.carts;
  v_after interval;
  v_count integer := 0;
begin
  for v_id in
    select x.id from (
      select c.id, c.updated_at,
        row_number() over (partition by c.store_id order by c.updated_at) as turn
      from (select st.id from public.stores st union all select null::uuid) st
      left join public.store_settings s on s.store_id = st.id
      cross join lateral (select now() - coalesce(s.abandon_after, interval '12 hours') as since) w
      cross join lateral (
        (select c.id, c.store_id, c.updated_at from public.carts c
         where c.status = 'active' and c.store_id = st.id and c.updated_at < w.since
           -- its lines' and entries' activity too: a cart old by its own row alone must not
           -- take a batch's place, or enough of them would keep every later cart waiting
           and private.cart_last_activity(c) < w.since
         order by c.updated_at
         limit p_batch)
        union all
        (select c.id, c.store_id, c.updated_at from public.carts c
         where st.id is null and c.status = 'active' and c.store_id is null
           and c.updated_at < w.since and private.cart_last_activity(c) < w.since
         order by c.updated_at
         limit p_batch)
      ) c
    ) x
    order by x.turn, x.updated_at
    limit p_batch
  loop
    -- A cart being changed right now is left for the next run; under the lock its activity
    -- is checked again, so a cart a device touched since it was read is never abandoned.
    select * into v_cart from public.carts c
    where c.id = v_id and c.status = 'active'
    for update skip locked;
    continue when not found;
    select coalesce(s.abandon_after, interval '12 hours') into v_after
    from (select 1) one left join public.store_settings s on s.store_id = v_cart.store_id;
    if private.cart_last_activity(v_cart) < now() - v_after then
      update public.carts c set status = 'abandoned', updated_at = now() where c.id = v_cart.id;
      v_count := v_count + 1;
    end if;
  end loop;
  return v_count;
end
$$;
comment on function private.abandon_stale_carts(integer) is
  'Abandons up to p_batch active carts without activity for their store''s abandon_after (rechecked under the cart''s lock); returns how many.';

-- The scheduled job: up to p_batches batches of p_batch stale carts abandoned (no new batch
-- after 20 s), and up to as many idempotency keys older than 24 hours deleted. One run is one
-- transaction (pg_cron runs each command in one), short enough that the few carts it holds are
-- ones nobody is using.
-- Returns what it did.
create or replace function private.expire_carts(p_batch integer default 500, p_batches integer default 10)
returns jsonb
language plpgsql volatile
set search_path = ''
as $$
declare
  v_started timestamptz := clock_timestamp();
  v_abandoned integer := 0;
  v_n integer;
  v_keys integer;
begin
  for batch in 1..p_batches loop
    v_n := private.abandon_stale_carts(p_batch);
    v_abandoned := v_abandoned + v_n;
    exit when v_n < p_batch;
    -- One run stays short whatever the backlog: what is left waits for the next minute.
    exit when clock_timestamp() - v_started > interval '20 seconds';
  end loop;
  delete from private.idempotency_keys k
  where k.ctid = any (array(select k2.ctid from private.idempotency_keys k2
                            where k2.created_at < now() - interval '24 hours'
                            limit p_batch * p_batches));
  get diagnostics v_keys = row_count;
  return jsonb_build_object('carts_abandoned', v_abandoned, 'idempotency_keys_deleted', v_keys);
end
$$;
comment on function private.expire_carts(integer, integer) is
  'Scheduled job: abandons stale carts and deletes idempotency keys older than 24 hours, in batches; returns the counts.';

revoke all on function private.cart_last_activity(public.carts) from public, anon, authenticated;
revoke all on function private.abandon_stale_carts(integer) from public, anon, authenticated, service_role;
revoke all on function private.expire_carts(integer, integer) from public, anon, authenticated, service_role;

-- Every minute, where pg_cron is available (Supabase: enable the extension once in the
-- dashboard or with `create extension pg_cron`). The job is (re)scheduled only when it is
-- missing or differs, so applying the file again writes nothing.
do $$
begin
  if not exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    raise notice 'pg_cron is not installed: the expiry job is not scheduled (run select private.expire_carts() by hand)';
  elsif not exists (select 1 from cron.job where jobname = 'poscart_expire_carts'
                    and schedule = '* * * * *' and command = 'select private.expire_carts()') then
    perform cron.schedule('poscart_expire_carts', '* * * * *', 'select private.expire_carts()');
  end if;
end
$$;

reset lock_timeout;
reset statement_timeout;
