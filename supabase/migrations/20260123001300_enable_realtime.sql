-- Realtime: carts, cart_items and location_queue stream their changes to subscribed devices,
-- each device receiving only the rows its row level security lets it read. Adds them to the
-- `supabase_realtime` publication (created when missing).
--
-- Replica identity: FULL for carts and location_queue, so UPDATE events carry the old values
-- (API writers never delete their rows). DEFAULT (the primary key) for cart_items, whose lines
-- are deleted: Supabase Realtime applies no row level security to a DELETE and matches every
-- subscriber's filters against the old row the WAL carries. With the full old row, a signed-in
-- user of no store could subscribe with filters such as `product_id=eq.x` or
-- `unit_price=gte.5` and learn from which ones match the product, price and cart of every line
-- removed in every store. With the key only, a filter on any other column matches no DELETE,
-- and an unfiltered subscriber learns a removed line's id and commit time, nothing else.

-- squawk-ignore-file prefer-robust-stmts
-- (every statement here is idempotent: adding a column if it is missing, setting a default,
-- setting a REPLICA IDENTITY again changes nothing, so a partial run can be rerun)
set lock_timeout = '3s';
set statement_timeout = '30s';

-- Every lock this file takes, at once (private.lock_tables).
select private.lock_tables(array['public.carts', 'public.cart_items', 'public.location_queue'],
  'access exclusive');

alter table public.carts replica identity full;
alter table public.cart_items replica identity default;
alter table public.location_queue replica identity full;

do $$
declare
  v_table text;
begin
  if not exists (select 1 from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
  -- Devices follow updates (a queue entry called, a cart completed) and a line's removal: a
  -- publication left publishing fewer kinds of change publishes them all again, as Supabase
  -- creates it.
  if exists (select 1 from pg_catalog.pg_publication where pubname = 'supabase_realtime'
             and not (pubinsert and pubupdate and pubdelete)) then
    raise notice 'the supabase_realtime publication did not publish every change: now inserts, updates, deletes and truncates';
    alter publication supabase_realtime set (publish = 'insert, update, delete, truncate');
  end if;
  foreach v_table in array array['carts', 'cart_items', 'location_queue'] loop
    if not exists (
      select 1 from pg_catalog.pg_publication_tables
      where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = v_table
    ) then
      execute format('alter publication supabase_realtime add table public.%I', v_table);
    end if;
  end loop;
end
$$;

reset lock_timeout;
reset statement_timeout;
