-- Row level security and grants: default deny. A user sees and changes only the rows of the
-- stores granted to them (private.caller_store_ids(): the JWT's app_metadata.store_ids /
-- store_id, and their public.store_members rows); a user with no grant sees nothing. `anon`
-- gets nothing at all (Supabase's default privileges grant it everything: revoked here).
-- `service_role` bypasses RLS.
--
-- Each table has a RESTRICTIVE store-scope policy for every role and command, so a permissive
-- policy an existing deployment already had cannot widen access beyond the caller's stores,
-- and one permissive policy per command for `authenticated`. What a writer may change within
-- its stores is the tables' rules (20260123000500): the grants below only open the tables to
-- them.

-- squawk-ignore-file prefer-robust-stmts
-- (every statement here is idempotent: adding a column if it is missing, setting a default,
-- enabling RLS or REPLICA IDENTITY FULL again changes nothing, so a partial run can be rerun)
set lock_timeout = '3s';
set statement_timeout = '30s';

-- Every lock this file takes, at once (private.lock_tables).
select private.lock_tables(array['public.stores', 'public.locations', 'public.customers',
  'public.store_members', 'public.carts', 'public.cart_items', 'public.location_queue'],
  'access exclusive');

alter table public.stores enable row level security;
alter table public.locations enable row level security;
alter table public.customers enable row level security;
alter table public.store_members enable row level security;
alter table public.carts enable row level security;
alter table public.cart_items enable row level security;
alter table public.location_queue enable row level security;

revoke all on public.stores, public.locations, public.customers, public.store_members,
  public.carts, public.cart_items, public.location_queue from anon, authenticated;
grant all on public.stores, public.locations, public.customers, public.store_members,
  public.carts, public.cart_items, public.location_queue to service_role;
grant select on public.stores, public.locations, public.store_members to authenticated;
grant select, insert, update on public.customers to authenticated;
grant select, insert, update, delete on public.carts, public.cart_items, public.location_queue
  to authenticated;

-- stores
drop policy if exists stores_store_scope on public.stores;
create policy stores_store_scope on public.stores as restrictive for all to public
  using (id = any ((select private.caller_store_ids())::uuid[]))
  with check (id = any ((select private.caller_store_ids())::uuid[]));
comment on policy stores_store_scope on public.stores is 'Default deny: only the caller''s stores.';
drop policy if exists stores_select_staff on public.stores;
create policy stores_select_staff on public.stores for select to authenticated
  using (id = any ((select private.caller_store_ids())::uuid[]));
comment on policy stores_select_staff on public.stores is 'Staff read the stores granted to them.';

-- locations
drop policy if exists locations_store_scope on public.locations;
create policy locations_store_scope on public.locations as restrictive for all to public
  using (store_id = any ((select private.caller_store_ids())::uuid[]))
  with check (store_id = any ((select private.caller_store_ids())::uuid[]));
comment on policy locations_store_scope on public.locations is 'Default deny: only the locations of the caller''s stores.';
drop policy if exists locations_select_staff on public.locations;
create policy locations_select_staff on public.locations for select to authenticated
  using (store_id = any ((select private.caller_store_ids())::uuid[]));
comment on policy locations_select_staff on public.locations is 'Staff read the locations of their stores.';

-- customers: a store's own customers, and the shared ones (no store) for any staff member.
drop policy if exists customers_store_scope on public.customers;
create policy customers_store_scope on public.customers as restrictive for all to public
  using (store_id = any ((select private.caller_store_ids())::uuid[])
    or store_id is null and cardinality((select private.caller_store_ids())) > 0)
  with check (store_id = any ((select private.caller_store_ids())::uuid[]));
comment on policy customers_store_scope on public.customers is
  'Default deny: the caller''s stores'' customers, and shared customers for staff with a store; staff write only their stores'' customers.';
drop policy if exists customers_select_staff on public.customers;
create policy customers_select_staff on public.customers for select to authenticated
  using (store_id = any ((select private.caller_store_ids())::uuid[])
    or store_id is null and cardinality((select private.caller_store_ids())) > 0);
comment on policy customers_select_staff on public.customers is 'Staff read their stores'' customers and the shared ones.';
drop policy if exists customers_insert_staff on public.customers;
create policy customers_insert_staff on public.customers for insert to authenticated
  with check (store_id = any ((select private.caller_store_ids())::uuid[]));
comment on policy customers_insert_staff on public.customers is 'Staff create customers of their stores.';
drop policy if exists customers_update_staff on public.customers;
create policy customers_update_staff on public.customers for update to authenticated
  using (store_id = any ((select private.caller_store_ids())::uuid[]))
  with check (store_id = any ((select private.caller_store_ids())::uuid[]));
comment on policy customers_update_staff on public.customers is 'Staff edit customers of their stores.';

-- store_members: a user reads their own grants; only the service role and SQL write them.
drop policy if exists store_members_select_own on public.store_members;
create policy store_members_select_own on public.store_members for select to authenticated
  using (user_id = (select private.caller_user_id()));
comment on policy store_members_select_own on public.store_members is 'A user reads their own store grants.';

-- carts, cart_items, location_queue: everything within the caller's stores.
drop policy if exists carts_store_scope on public.carts;
create policy carts_store_scope on public.carts as restrictive for all to public
  using (store_id = any ((select private.caller_store_ids())::uuid[]))
  with check (store_id = any ((select private.caller_store_ids())::uuid[]));
comment on policy carts_store_scope on public.carts is 'Default deny: only the carts of the caller''s stores.';
drop policy if exists carts_select_staff on public.carts;
create policy carts_select_staff on public.carts for select to authenticated
  using (store_id = any ((select private.caller_store_ids())::uuid[]));
comment on policy carts_select_staff on public.carts is 'Staff read the carts of their stores.';
drop policy if exists carts_insert_staff on public.carts;
create policy carts_insert_staff on public.carts for insert to authenticated
  with check (store_id = any ((select private.caller_store_ids())::uuid[]));
comment on policy carts_insert_staff on public.carts is 'Staff create carts in their stores.';
drop policy if exists carts_update_staff on public.carts;
create policy carts_update_staff on public.carts for update to authenticated
  using (store_id = any ((select private.caller_store_ids())::uuid[]))
  with check (store_id = any ((select private.caller_store_ids())::uuid[]));
comment on policy carts_update_staff on public.carts is 'Staff change carts of their stores (as the cart rules allow).';
drop policy if exists carts_delete_staff on public.carts;
create policy carts_delete_staff on public.carts for delete to authenticated
  using (store_id = any ((select private.caller_store_ids())::uuid[]));
comment on policy carts_delete_staff on public.carts is 'Reaches the cart rules, which refuse deleting a cart.';

drop policy if exists cart_items_store_scope on public.cart_items;
create policy cart_items_store_scope on public.cart_items as restrictive for all to public
  using (exists (select 1 from public.carts c where c.id = cart_id))
  with check (exists (select 1 from public.carts c where c.id = cart_id));
comment on policy cart_items_store_scope on public.cart_items is 'Default deny: only lines of carts the caller may see.';
drop policy if exists cart_items_select_staff on public.cart_items;
create policy cart_items_select_staff on public.cart_items for select to authenticated
  using (exists (select 1 from public.carts c where c.id = cart_id));
comment on policy cart_items_select_staff on public.cart_items is 'Staff read the lines of their stores'' carts.';
drop policy if exists cart_items_insert_staff on public.cart_items;
create policy cart_items_insert_staff on public.cart_items for insert to authenticated
  with check (exists (select 1 from public.carts c where c.id = cart_id));
comment on policy cart_items_insert_staff on public.cart_items is 'Staff add lines to their stores'' carts (active ones: the line rules).';
drop policy if exists cart_items_update_staff on public.cart_items;
create policy cart_items_update_staff on public.cart_items for update to authenticated
  using (exists (select 1 from public.carts c where c.id = cart_id))
  with check (exists (select 1 from public.carts c where c.id = cart_id));
comment on policy cart_items_update_staff on public.cart_items is 'Staff change lines of their stores'' carts (active ones: the line rules).';
drop policy if exists cart_items_delete_staff on public.cart_items;
create policy cart_items_delete_staff on public.cart_items for delete to authenticated
  using (exists (select 1 from public.carts c where c.id = cart_id));
comment on policy cart_items_delete_staff on public.cart_items is 'Staff remove lines of their stores'' carts (active ones: the line rules).';

drop policy if exists location_queue_store_scope on public.location_queue;
create policy location_queue_store_scope on public.location_queue as restrictive for all to public
  using (store_id = any ((select private.caller_store_ids())::uuid[]))
  with check (store_id = any ((select private.caller_store_ids())::uuid[]));
comment on policy location_queue_store_scope on public.location_queue is 'Default deny: only the queues of the caller''s stores.';
drop policy if exists location_queue_select_staff on public.location_queue;
create policy location_queue_select_staff on public.location_queue for select to authenticated
  using (store_id = any ((select private.caller_store_ids())::uuid[]));
comment on policy location_queue_select_staff on public.location_queue is 'Staff read the queues of their stores.';
drop policy if exists location_queue_insert_staff on public.location_queue;
create policy location_queue_insert_staff on public.location_queue for insert to authenticated
  with check (store_id = any ((select private.caller_store_ids())::uuid[]));
comment on policy location_queue_insert_staff on public.location_queue is 'Staff queue customers in their stores (the queue rules link the cart).';
drop policy if exists location_queue_update_staff on public.location_queue;
create policy location_queue_update_staff on public.location_queue for update to authenticated
  using (store_id = any ((select private.caller_store_ids())::uuid[]))
  with check (store_id = any ((select private.caller_store_ids())::uuid[]));
comment on policy location_queue_update_staff on public.location_queue is 'Staff move entries of their stores (as the queue rules allow).';
drop policy if exists location_queue_delete_staff on public.location_queue;
create policy location_queue_delete_staff on public.location_queue for delete to authenticated
  using (store_id = any ((select private.caller_store_ids())::uuid[]));
comment on policy location_queue_delete_staff on public.location_queue is 'A delete of an open entry becomes removed (the queue rules).';

reset lock_timeout;
reset statement_timeout;
