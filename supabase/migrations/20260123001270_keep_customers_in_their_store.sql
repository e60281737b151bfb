-- A customer stays in the store of their carts and queue entries. Staff of two stores may
-- otherwise move a customer of one to the other (row level security checks only that both are
-- theirs), and the service role may move a shared customer (no store) into one store while
-- they have carts in others: the customer's active cart and open entry would stay behind,
-- found by a get but refused by add_to_queue (customer_not_found), and the other store's
-- staff would see a customer whose carts they cannot. An API writer may change a customer's
-- store only while the customer has no cart and no entry outside the new store, even while
-- others create carts and entries for that customer (an advisory lock orders the two). Creating the
-- trigger locks public.customers only (SHARE ROW EXCLUSIVE: reads go on, writes wait).

set lock_timeout = '3s';
set statement_timeout = '30s';

-- BEFORE UPDATE OF store_id, as the caller: what the caller sees of the customer's carts and
-- entries is all of them (staff see every row of the stores whose customers they may edit;
-- the service role sees every row).
create or replace function private.customers_guard() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.store_id is distinct from old.store_id and not private.is_database_itself() then
    -- Exclusive against private.require_customer's shared lock: a cart or entry let in for
    -- this customer before commits first, and is seen below; one let in after waits, and then
    -- sees the new store.
    perform pg_catalog.pg_advisory_xact_lock(private.customer_lock_key(old.id));
  end if;
  if new.store_id is distinct from old.store_id and not private.is_database_itself() and (
    exists (select 1 from public.carts c
            where c.customer_id = old.id and c.store_id is distinct from new.store_id)
    or exists (select 1 from public.location_queue q
               where q.customer_id = old.id and q.store_id is distinct from new.store_id)) then
    raise exception 'a customer with carts or queue entries in a store stays in that store'
      using errcode = 'PT409', hint = 'customer_has_carts';
  end if;
  return new;
end
$$;
comment on function private.customers_guard() is
  'Trigger: API writers change a customer''s store only while the customer has no cart and no queue entry outside the new store.';
revoke all on function private.customers_guard() from public, anon, authenticated, service_role;

drop trigger if exists customers_guard on public.customers;
create trigger customers_guard before update of store_id on public.customers
  for each row execute function private.customers_guard();
comment on trigger customers_guard on public.customers is
  'A customer stays in the store of their carts and entries (private.customers_guard).';

reset lock_timeout;
reset statement_timeout;
