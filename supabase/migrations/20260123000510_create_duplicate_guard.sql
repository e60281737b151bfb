-- The duplicate guard of the deploy window. Until the unique indexes of
-- 20260123000910-930 exist and are valid, apps of the previous version keep writing (their
-- select-then-insert makes duplicates), and a duplicate that arrives between the repair and
-- the end of an index build would make that build fail. This trigger enforces I1-I3 the way
-- the indexes will: under an advisory lock per key it refuses a second active cart (or open
-- entry) with the unique violation the index would raise. 20260123001000 drops it once the
-- indexes are valid. It counts rows spelled as the new model spells them ('active',
-- 'waiting', 'called', the device id as written): a key whose only active cart still has a
-- legacy spelling ('open', 'ACTIVE') takes a new cart here, and the repair merges the two
-- under the same advisory lock.

set lock_timeout = '3s';
set statement_timeout = '30s';

-- Every lock this file takes, at once (private.lock_tables).
select private.lock_tables(array['public.carts', 'public.location_queue'],
  'access exclusive');

create or replace function private.duplicate_guard() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_index text;
begin
  -- Only a row that newly takes a key can make a duplicate: an update that keeps the row's
  -- status and key (a corrected store, a relinked cart, a touched timestamp) passes without
  -- a lock. The batches of the repair (20260123000810) write such updates on rows whose
  -- key may still hold legacy duplicates that a later batch merges.
  if tg_op = 'UPDATE' and new.status is not distinct from old.status
    and new.customer_id is not distinct from old.customer_id
    and new.location_id is not distinct from old.location_id
    and (tg_table_name <> 'carts' or new.device_id is not distinct from old.device_id) then
    return new;
  end if;
  if tg_table_name = 'carts' then
    if new.status <> 'active' then
      return new;
    end if;
    if new.customer_id is not null then
      perform pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtextextended('carts:c:' || new.customer_id || ':' || new.location_id, 0));
      if exists (select 1 from public.carts c
                 where c.customer_id = new.customer_id and c.location_id = new.location_id
                   and c.status = 'active' and c.id <> new.id) then
        v_index := 'carts_one_active_per_customer_location';
      end if;
    elsif new.device_id is not null then
      perform pg_catalog.pg_advisory_xact_lock(
        pg_catalog.hashtextextended('carts:d:' || new.device_id || ':' || new.location_id, 0));
      if exists (select 1 from public.carts c
                 where c.customer_id is null and c.device_id = new.device_id
                   and c.location_id = new.location_id and c.status = 'active' and c.id <> new.id) then
        v_index := 'carts_one_active_per_device_location';
      end if;
    end if;
  elsif new.status in ('waiting', 'called') and new.customer_id is not null then
    perform pg_catalog.pg_advisory_xact_lock(
      pg_catalog.hashtextextended('queue:' || new.customer_id || ':' || new.location_id, 0));
    if exists (select 1 from public.location_queue q
               where q.customer_id = new.customer_id and q.location_id = new.location_id
                 and q.status in ('waiting', 'called') and q.id <> new.id) then
      v_index := 'location_queue_one_open_per_customer_location';
    end if;
  end if;
  if v_index is not null then
    raise exception 'duplicate key value violates unique constraint "%"', v_index
      using errcode = 'unique_violation', constraint = v_index;
  end if;
  return new;
end
$$;
comment on function private.duplicate_guard() is
  'Trigger of the deploy window (security definer, executable by no API role): refuses a second active cart or open entry per key until the unique indexes exist.';
revoke all on function private.duplicate_guard() from public, anon, authenticated, service_role;

drop trigger if exists carts_guard_duplicates on public.carts;
create trigger carts_guard_duplicates before insert or update on public.carts
  for each row execute function private.duplicate_guard();
comment on trigger carts_guard_duplicates on public.carts is 'Deploy window only: I1/I2 before the unique indexes exist.';

drop trigger if exists location_queue_guard_duplicates on public.location_queue;
create trigger location_queue_guard_duplicates before insert or update on public.location_queue
  for each row execute function private.duplicate_guard();
comment on trigger location_queue_guard_duplicates on public.location_queue is 'Deploy window only: I3 before the unique index exists.';

reset lock_timeout;
reset statement_timeout;
