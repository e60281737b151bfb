-- Realtime: carts, cart_items and location_queue stream their changes to subscribed
-- devices. Adds them to the `supabase_realtime` publication (created when missing) with
-- REPLICA IDENTITY FULL so UPDATE and DELETE events carry the old values.

do $$
declare
  v_table text;
begin
  if not exists (select 1 from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
  foreach v_table in array array['carts', 'cart_items', 'location_queue'] loop
    execute format('alter table public.%I replica identity full', v_table);
    if not exists (
      select 1 from pg_catalog.pg_publication_tables
      where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = v_table
    ) then
      execute format('alter publication supabase_realtime add table public.%I', v_table);
    end if;
  end loop;
end
$$;
