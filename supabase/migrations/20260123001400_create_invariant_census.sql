-- The invariant census: how many rows break each invariant the database keeps (docs/api.md,
-- "Guarantees"). Zero everywhere on a healthy database; the tests, the benchmarks and an
-- operator after a deploy all ask the same question through this one function. Rows the
-- repair of legacy data kept as they were are not the model's rows: they are in
-- private.repair_report, and count here only when they break I1-I5.

set lock_timeout = '3s';
set statement_timeout = '30s';

create or replace function private.invariant_census()
returns table (invariant text, violations bigint)
language sql stable
set search_path = ''
as $$
  select 'I1 one active cart per customer + location', coalesce(sum(n - 1), 0)::bigint
  from (select count(*) as n from public.carts
        where status = 'active' and customer_id is not null
        group by customer_id, location_id having count(*) > 1) d
  union all
  select 'I2 one active anonymous cart per device + location', coalesce(sum(n - 1), 0)::bigint
  from (select count(*) as n from public.carts
        where status = 'active' and customer_id is null and device_id is not null
        group by location_id, device_id having count(*) > 1) d
  union all
  select 'I3 one open entry per customer + location', coalesce(sum(n - 1), 0)::bigint
  from (select count(*) as n from public.location_queue
        where status in ('waiting', 'called')
        group by location_id, customer_id having count(*) > 1) d
  union all
  select 'I4 open entry on its customer''s active cart', count(*)
  from public.location_queue q
  left join public.carts c on c.id = q.cart_id
  where q.status in ('waiting', 'called')
    and (c.id is null or c.status <> 'active' or c.customer_id is distinct from q.customer_id
      or c.location_id is distinct from q.location_id or c.store_id is distinct from q.store_id)
  union all
  select 'I5 cart in its location''s store', count(*)
  from public.carts c join public.locations l on l.id = c.location_id
  where c.store_id is distinct from l.store_id
  union all
  select 'I5 entry in its location''s store, on a cart of its store', count(*)
  from public.location_queue q
  join public.locations l on l.id = q.location_id
  left join public.carts c on c.id = q.cart_id
  where q.store_id is distinct from l.store_id or (c.id is not null and c.store_id is distinct from q.store_id)
  union all
  select 'I6 no lines left on a merged cart', count(*)
  from public.cart_items i join public.carts c on c.id = i.cart_id
  where c.status = 'merged'
  union all
  select 'I7 merged carts name their survivor, and only they', count(*)
  from public.carts c
  where (c.status = 'merged') <> (c.merged_into is not null)
$$;
comment on function private.invariant_census() is
  'Rows breaking each invariant (I1-I7) of the cart/queue model; all zero on a healthy database.';
revoke all on function private.invariant_census() from public, anon, authenticated;
grant execute on function private.invariant_census() to service_role;

reset lock_timeout;
reset statement_timeout;
