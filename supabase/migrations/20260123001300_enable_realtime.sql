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
--
-- What an older database may hold stops no write of the apps: PostgreSQL refuses every UPDATE
-- and DELETE of a published table whose replica identity a publication's column list or row
-- filter does not cover (and no column list covers FULL). A table that a publication
-- publishes with a column list keeps its replica identity (a notice: its updates reach
-- Realtime with the key only as old record); any other change of replica identity, and
-- making the publication publish updates and deletes, is kept only when PostgreSQL's check of
-- an UPDATE and a DELETE of each table concerned passes afterwards (EXPLAIN runs that check,
-- and fires nothing), else it is left as it was, with a notice naming the table.

-- squawk-ignore-file prefer-robust-stmts
-- (every statement here is idempotent: adding a column if it is missing, setting a default,
-- setting a REPLICA IDENTITY again changes nothing, so a partial run can be rerun)
set lock_timeout = '3s';
set statement_timeout = '30s';

-- Every lock this file takes, at once (private.lock_tables).
select private.lock_tables(array['public.carts', 'public.cart_items', 'public.location_queue'],
  'access exclusive');

do $$
declare
  v_table text;
  v_want "char";
  v_has "char";
  v_lists text;
  v_column text;
  v_checked text;
  v_was text;
  v_message text;
  v_detail text;
begin
  if not exists (select 1 from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
  foreach v_table in array array['carts', 'cart_items', 'location_queue'] loop
    if not exists (
      select 1 from pg_catalog.pg_publication_tables
      where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = v_table
    ) then
      execute format('alter publication supabase_realtime add table public.%I', v_table);
    end if;
  end loop;

  -- Devices follow updates (a queue entry called, a cart completed) and a line's removal: a
  -- publication left publishing fewer kinds of change publishes them all again, as Supabase
  -- creates it. Unless PostgreSQL would then refuse every update or delete of a table it
  -- publishes (a column list without the table's replica identity, a row filter on a column
  -- outside it, a table without one): the apps' writes matter more than the devices' events.
  select concat_ws(', ', case when p.pubinsert then 'insert' end,
      case when p.pubupdate then 'update' end, case when p.pubdelete then 'delete' end,
      case when p.pubtruncate then 'truncate' end)
  into v_was
  from pg_catalog.pg_publication p
  where p.pubname = 'supabase_realtime' and not (p.pubinsert and p.pubupdate and p.pubdelete);
  if v_was is not null then
    begin
      alter publication supabase_realtime set (publish = 'insert, update, delete, truncate');
      -- EXPLAIN runs the check of every UPDATE and DELETE (and nothing else: no trigger fires)
      for v_checked, v_column in
        select format('%I.%I', t.schemaname, t.tablename), (
            select a.attname from pg_catalog.pg_attribute a
            where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
              and a.attgenerated = '' and a.attidentity <> 'a'
            order by a.attnum limit 1)
        from pg_catalog.pg_publication_tables t
        join pg_catalog.pg_namespace n on n.nspname = t.schemaname
        join pg_catalog.pg_class c on c.relnamespace = n.oid and c.relname = t.tablename
        where t.pubname = 'supabase_realtime'
          and (t.rowfilter is not null
            or exists (select 1 from pg_catalog.pg_publication_rel r
                       join pg_catalog.pg_publication p on p.oid = r.prpubid
                       where p.pubname = 'supabase_realtime' and r.prrelid = c.oid
                         and r.prattrs is not null)
            or c.relreplident = 'n'
            or c.relreplident in ('d', 'i') and not exists (
              select 1 from pg_catalog.pg_index i where i.indrelid = c.oid
                and (c.relreplident = 'd' and i.indisprimary
                  or c.relreplident = 'i' and i.indisreplident)))
        order by 1
      loop
        execute format('explain delete from %s where false', v_checked);
        execute format('explain update %s set %I = %I where false', v_checked, v_column, v_column);
      end loop;
      raise notice 'the supabase_realtime publication published % only: now every change', v_was;
    exception when invalid_column_reference or object_not_in_prerequisite_state then
      get stacked diagnostics v_message = message_text, v_detail = pg_exception_detail;
      raise notice 'the supabase_realtime publication still publishes % only, not every change: publishing updates and deletes too would make PostgreSQL refuse every update and delete of % (%: %). Devices hear of no update or removal until that table''s replica identity is covered (by its column list, and its row filter''s columns); then apply this file again',
        v_was, v_checked, v_message, coalesce(v_detail, '');
    end;
  end if;

  -- Replica identities: FULL for carts and location_queue, DEFAULT for cart_items (above).
  -- PostgreSQL refuses every UPDATE and DELETE of a table of replica identity FULL that a
  -- publication of updates or deletes publishes with a column list (any list, even one naming
  -- every column): such a table keeps its replica identity (FULL, set before the list was
  -- added, goes back to DEFAULT). A change is kept only when the table's UPDATEs and DELETEs
  -- pass PostgreSQL's check afterwards.
  foreach v_table in array array['carts', 'cart_items', 'location_queue'] loop
    v_want := case v_table when 'cart_items' then 'd' else 'f' end;
    select c.relreplident into v_has from pg_catalog.pg_class c
    where c.oid = format('public.%I', v_table)::regclass;
    select string_agg(distinct p.pubname, ', ') into v_lists
    from pg_catalog.pg_publication_rel r join pg_catalog.pg_publication p on p.oid = r.prpubid
    where r.prrelid = format('public.%I', v_table)::regclass and r.prattrs is not null;
    if v_want = 'f' and v_lists is not null then
      raise notice 'public.% %, not full: publication % publishes it with a column list, and PostgreSQL refuses every update and delete of a table of replica identity full published with a column list. Realtime''s old record of its updates carries only the key; publish it without a column list and apply this file again for the whole old row',
        v_table, case v_has when 'f' then 'goes back to replica identity default (its primary key)'
          when 'd' then 'keeps its replica identity (default: its primary key)'
          when 'i' then 'keeps its replica identity (an index)'
          else 'keeps its replica identity (nothing)' end, v_lists;
      v_want := case v_has when 'f' then 'd' else v_has end;
    end if;
    continue when v_has = v_want;
    begin
      execute format('alter table public.%I replica identity %s', v_table,
        case v_want when 'f' then 'full' else 'default' end);
      select a.attname into v_column from pg_catalog.pg_attribute a
      where a.attrelid = format('public.%I', v_table)::regclass and a.attnum > 0
        and not a.attisdropped and a.attgenerated = '' and a.attidentity <> 'a'
      order by a.attnum limit 1;
      execute format('explain delete from public.%I where false', v_table);
      execute format('explain update public.%I set %I = %I where false', v_table, v_column,
        v_column);
    exception when invalid_column_reference or object_not_in_prerequisite_state then
      get stacked diagnostics v_message = message_text, v_detail = pg_exception_detail;
      raise notice 'public.% keeps its replica identity (%), not %: with it PostgreSQL would refuse every update and delete of the table (%: %)',
        v_table, case v_has when 'd' then 'default' when 'i' then 'an index' when 'f' then 'full'
          else 'nothing' end, case v_want when 'f' then 'full' else 'default' end,
        v_message, coalesce(v_detail, '');
    end;
  end loop;
end
$$;

reset lock_timeout;
reset statement_timeout;
