-- plpgsql_check over every PL/pgSQL function of the product (what `supabase db lint` runs):
-- no error, and no warning about the code itself (unused or shadowed variables, dead code).
begin;
\ir _helpers.psql
create extension if not exists plpgsql_check with schema extensions;
select plan(2);

create temp table findings as
select p.oid::regprocedure::text as fn, r.level, r.message, r.lineno
from pg_proc p
join pg_language l on l.oid = p.prolang and l.lanname = 'plpgsql'
cross join lateral extensions.plpgsql_check_function_tb(p.oid,
  relid => coalesce((select t.tgrelid from pg_trigger t where t.tgfoid = p.oid limit 1), 0),
  extra_warnings => true, other_warnings => true, performance_warnings => false) r
where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace)
  and (p.prorettype <> 'trigger'::regtype or exists (select 1 from pg_trigger t where t.tgfoid = p.oid));

select is(array(select format('%s:%s %s', fn, lineno, message) from findings where level = 'error' order by 1),
  '{}'::text[], 'plpgsql_check: no error');
select is(array(select format('%s:%s %s', fn, lineno, message) from findings
  where level like 'warning%' order by 1),
  '{}'::text[], 'plpgsql_check: no warning');

select * from finish();
rollback;
