-- Ends the deploy window: once the unique indexes of 20260123000910-930 exist and are
-- valid, they keep I1-I3, and the duplicate guard of 20260123000510 is dropped. If a
-- concurrent index build was interrupted (its index is left invalid), this file stops with
-- what to run, and can then be applied again.

set lock_timeout = '3s';
set statement_timeout = '30s';

-- Every lock this file takes, at once (private.lock_tables).
select private.lock_tables(array['public.carts', 'public.location_queue'],
  'access exclusive');

do $$
declare
  v_index text;
begin
  foreach v_index in array private.invariant_index_names() loop
    if not exists (select 1 from pg_catalog.pg_index i
                   where i.indexrelid = to_regclass('public.' || v_index) and i.indisvalid
                     and i.indisunique) then
      raise exception 'unique index public.% is missing or invalid (an interrupted concurrent build)', v_index
        using hint = format('run: reindex index concurrently public.%s; then apply the migrations again', v_index);
    end if;
  end loop;
end
$$;

drop trigger if exists carts_guard_duplicates on public.carts;
drop trigger if exists location_queue_guard_duplicates on public.location_queue;
drop function if exists private.duplicate_guard();

reset lock_timeout;
reset statement_timeout;
