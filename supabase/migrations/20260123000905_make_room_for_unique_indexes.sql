-- Makes room for the unique indexes of 20260123000910-930. An older index that already has one
-- of their names but is not such an index (not unique, or not partial: an app's own index on
-- the same columns) would make `create unique index concurrently if not exists` skip the
-- build, and leave I1-I3 without their index. It is renamed `<name>_legacy` (kept, nothing is
-- dropped) and named in a notice. Renaming an index lets reads and writes of its table go on
-- (SHARE UPDATE EXCLUSIVE).

set lock_timeout = '3s';
set statement_timeout = '30s';

do $$
declare
  v_index text;
begin
  foreach v_index in array private.invariant_index_names() loop
    if exists (select 1 from pg_catalog.pg_index i
               where i.indexrelid = pg_catalog.to_regclass('public.' || v_index)
                 and not (i.indisunique and i.indpred is not null)) then
      raise notice 'renaming the index public.% to %_legacy: it is not the product''s unique index',
        v_index, v_index;
      execute pg_catalog.format('alter index public.%I rename to %I', v_index, v_index || '_legacy');
    end if;
  end loop;
end
$$;

reset lock_timeout;
reset statement_timeout;
