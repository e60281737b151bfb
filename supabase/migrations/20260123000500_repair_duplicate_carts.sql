-- Repair of an existing deployment, before the unique indexes exist: merges duplicate
-- active carts, closes duplicate open queue entries and links legacy queue entries to
-- their carts. Nothing is deleted. Safe to run twice (a clean database is left unchanged).
--
-- Per duplicate key (customer+location, or anonymous device+location) one survivor stays
-- active: the cart referenced by an open queue entry, else the most recently updated,
-- ties by the oldest. The others become `merged` with merged_into = survivor, and their
-- items and queue entries move to the survivor.

-- 0. Legacy rows without store ids take the store of their location (closed carts are
--    immutable and keep theirs).
update public.carts c set store_id = l.store_id
from public.locations l
where c.store_id is null and l.id = c.location_id and c.status = 'active';
update public.location_queue q set store_id = l.store_id
from public.locations l
where q.store_id is null and l.id = q.location_id;

-- 1. Duplicate open queue entries per customer+location: the earliest stays open, the
--    others are marked removed.
with ranked as (
  select q.id, row_number() over (
    partition by q.location_id, q.customer_id order by q.created_at, q.queue_seq, q.id
  ) as rn
  from public.location_queue q
  where q.status in ('waiting', 'called') and q.customer_id is not null
)
update public.location_queue q
set status = 'removed', removed_at = now(), updated_at = now()
from ranked r
where q.id = r.id and r.rn > 1;

-- 2. Survivors and losers of every duplicate group of active carts.
create temporary table cart_merge on commit drop as
with active as (
  select c.id, c.customer_id, c.location_id, c.device_id, c.updated_at, c.created_at,
    exists (
      select 1 from public.location_queue q
      where q.cart_id = c.id and q.status in ('waiting', 'called')
    ) as has_open_entry
  from public.carts c
  where c.status = 'active' and (c.customer_id is not null or c.device_id is not null)
), ranked as (
  select a.id, first_value(a.id) over w as survivor_id, row_number() over w as rn
  from active a
  window w as (
    partition by a.location_id, coalesce(a.customer_id::text, 'device:' || a.device_id)
    order by a.has_open_entry desc, a.updated_at desc nulls last, a.created_at, a.id
  )
)
select id as loser_id, survivor_id from ranked where rn > 1;

-- 3. Items and queue entries move to the survivor (while both carts are still active).
update public.cart_items i
set cart_id = m.survivor_id, updated_at = now()
from cart_merge m
where i.cart_id = m.loser_id;

update public.location_queue q
set cart_id = m.survivor_id, updated_at = now()
from cart_merge m
where q.cart_id = m.loser_id;

-- 4. Losers become merged.
update public.carts c
set status = 'merged', merged_into = m.survivor_id, updated_at = now()
from cart_merge m
where c.id = m.loser_id;

-- 5. Legacy queue entries without a cart, and open entries whose cart is no longer
--    active: point them at the customer's active cart at the location, else (closed
--    entries) at the customer's most recent cart there.
update public.location_queue q
set cart_id = coalesce(
    (select c.id from public.carts c
     where c.customer_id = q.customer_id and c.location_id = q.location_id
       and c.status = 'active'),
    case when q.status not in ('waiting', 'called') then
      (select c.id from public.carts c
       where c.customer_id = q.customer_id and c.location_id = q.location_id
         and c.status in ('completed', 'abandoned')
       order by c.updated_at desc, c.created_at
       limit 1)
    end),
  updated_at = now()
where q.customer_id is not null
  and (q.cart_id is null
    or (q.status in ('waiting', 'called')
      and exists (select 1 from public.carts c where c.id = q.cart_id and c.status <> 'active')));

-- 6. Open entries still without an active cart (the customer had none): give them one.
with missing as (
  select distinct q.customer_id, q.location_id,
    coalesce(q.store_id, l.store_id) as store_id
  from public.location_queue q
  join public.locations l on l.id = q.location_id
  where q.status in ('waiting', 'called') and q.customer_id is not null
    and not exists (
      select 1 from public.carts c where c.id = q.cart_id and c.status = 'active'
    )
), created as (
  insert into public.carts (store_id, location_id, customer_id)
  select m.store_id, m.location_id, m.customer_id from missing m
  returning id, customer_id, location_id
)
update public.location_queue q
set cart_id = c.id, updated_at = now()
from created c
where q.customer_id = c.customer_id and q.location_id = c.location_id
  and q.status in ('waiting', 'called');
