-- An older app's views over the apps' tables. A view runs with its owner's rights, and the role
-- that applies the migrations bypasses row level security: through such a view anon and any
-- signed-in user would read every store's rows, and change them through one that is
-- updatable (Supabase's linter: 0010 security_definer_view). Each such view, and each view
-- over such a view, runs with the caller's rights from now on (security_invoker), so the row
-- level security of its tables applies to whoever reads it; a materialized view, which no row
-- level security can cover, is closed to anon and authenticated (lint 0016). Each is named in a
-- notice; views of another owner are named and left alone. Applying the file again changes
-- nothing.

set lock_timeout = '3s';
set statement_timeout = '30s';

do $$
declare
  v record;
begin
  for v in
    with recursive over (oid) as (
      select r.ev_class from pg_catalog.pg_depend d
      join pg_catalog.pg_rewrite r on r.oid = d.objid
      where d.classid = 'pg_catalog.pg_rewrite'::regclass
        and d.refclassid = 'pg_catalog.pg_class'::regclass and r.ev_class <> d.refobjid
        and d.refobjid in (
          select t.oid from pg_catalog.pg_class t
          where t.relnamespace = 'public'::regnamespace and t.relkind = 'r'
            and t.relname in ('stores', 'locations', 'customers', 'store_members', 'store_settings',
              'carts', 'cart_items', 'location_queue', 'cart_events'))
      union
      select r.ev_class from over o
      join pg_catalog.pg_depend d on d.refobjid = o.oid
        and d.refclassid = 'pg_catalog.pg_class'::regclass
        and d.classid = 'pg_catalog.pg_rewrite'::regclass
      join pg_catalog.pg_rewrite r on r.oid = d.objid
      where r.ev_class <> d.refobjid
    )
    select c.oid::regclass as rel, c.relkind,
      pg_catalog.pg_has_role(c.relowner, 'USAGE') as owned
    from over o join pg_catalog.pg_class c on c.oid = o.oid
    where c.relkind in ('v', 'm')
      and not exists (select 1 from pg_catalog.pg_depend e
                      where e.classid = 'pg_catalog.pg_class'::regclass and e.objid = c.oid
                        and e.deptype = 'e')
      and not (c.relkind = 'v' and exists (
        select 1 from pg_catalog.pg_options_to_table(c.reloptions) x
        where x.option_name = 'security_invoker' and x.option_value in ('true', 'on', '1', 'yes')))
      and not (c.relkind = 'm' and not pg_catalog.has_table_privilege('anon', c.oid, 'select')
        and not pg_catalog.has_table_privilege('authenticated', c.oid, 'select'))
    order by 1
  loop
    if not v.owned then
      raise notice 'view % over the apps'' tables has another owner: left as it is', v.rel;
    elsif v.relkind = 'v' then
      raise notice 'view % over the apps'' tables now runs with the caller''s rights (security_invoker)',
        v.rel;
      execute pg_catalog.format('alter view %s set (security_invoker = true)', v.rel);
    else
      raise notice 'materialized view % over the apps'' tables: closed to anon and authenticated',
        v.rel;
      execute pg_catalog.format('revoke all on %s from public, anon, authenticated', v.rel);
    end if;
  end loop;
end
$$;

reset lock_timeout;
reset statement_timeout;
