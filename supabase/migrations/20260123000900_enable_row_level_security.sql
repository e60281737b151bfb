-- Row level security and grants. RLS is on for every table of the product; `anon` gets
-- nothing (Supabase's default privileges grant it everything, so it is revoked here);
-- `service_role` bypasses RLS. Staff (`authenticated`) read the stores, locations,
-- customers, carts, items and queue of the stores they may act for (Realtime needs this),
-- write items of active carts directly (as existing apps do), and write carts and queue
-- entries only in the columns the RPCs (security invoker) touch. The store rule is
-- private.jwt_store_ids(): the JWT's app_metadata.store_ids / store_id, no claim = any.

alter table public.stores enable row level security;
alter table public.locations enable row level security;
alter table public.customers enable row level security;
alter table public.carts enable row level security;
alter table public.cart_items enable row level security;
alter table public.location_queue enable row level security;

revoke all on public.stores, public.locations, public.customers, public.carts,
  public.cart_items, public.location_queue from anon, authenticated;
grant all on public.stores, public.locations, public.customers, public.carts,
  public.cart_items, public.location_queue to service_role;

grant select on public.stores, public.locations, public.customers, public.carts,
  public.cart_items, public.location_queue to authenticated;
grant insert (store_id, location_id, customer_id, device_id) on public.carts to authenticated;
grant update (status, updated_at, completed_at) on public.carts to authenticated;
grant insert, update, delete on public.cart_items to authenticated;
grant insert (store_id, location_id, customer_id, cart_id, device_id, party_size, note)
  on public.location_queue to authenticated;
grant update (status, called_at, served_at, removed_at, no_show_at, updated_at)
  on public.location_queue to authenticated;

-- stores / locations / customers: read by staff of the store (customers by any staff).
drop policy if exists stores_select_staff on public.stores;
create policy stores_select_staff on public.stores for select to authenticated
  using ((select private.jwt_store_ids()) is null or id = any((select private.jwt_store_ids())::uuid[]));
comment on policy stores_select_staff on public.stores is 'Staff read the stores they may act for.';

drop policy if exists locations_select_staff on public.locations;
create policy locations_select_staff on public.locations for select to authenticated
  using ((select private.jwt_store_ids()) is null or store_id = any((select private.jwt_store_ids())::uuid[]));
comment on policy locations_select_staff on public.locations is 'Staff read the locations of the stores they may act for.';

drop policy if exists customers_select_staff on public.customers;
create policy customers_select_staff on public.customers for select to authenticated
  using ((select auth.role()) = 'authenticated');
comment on policy customers_select_staff on public.customers is 'Any signed-in staff member reads customers (they are shared across the project''s stores).';

-- carts
drop policy if exists carts_select_staff on public.carts;
create policy carts_select_staff on public.carts for select to authenticated
  using ((select private.jwt_store_ids()) is null or store_id = any((select private.jwt_store_ids())::uuid[]));
comment on policy carts_select_staff on public.carts is 'Staff read the carts of the stores they may act for.';

drop policy if exists carts_insert_staff on public.carts;
create policy carts_insert_staff on public.carts for insert to authenticated
  with check (status = 'active' and ((select private.jwt_store_ids()) is null
    or store_id = any((select private.jwt_store_ids())::uuid[])));
comment on policy carts_insert_staff on public.carts is 'Staff create active carts in the stores they may act for (through get_or_create_cart).';

drop policy if exists carts_update_staff on public.carts;
create policy carts_update_staff on public.carts for update to authenticated
  using ((select private.jwt_store_ids()) is null or store_id = any((select private.jwt_store_ids())::uuid[]))
  with check ((select private.jwt_store_ids()) is null or store_id = any((select private.jwt_store_ids())::uuid[]));
comment on policy carts_update_staff on public.carts is 'Staff change carts of the stores they may act for (through complete_cart; a trigger keeps non-active carts immutable).';

-- cart_items: read in scope; written only while the cart is active and in scope.
drop policy if exists cart_items_select_staff on public.cart_items;
create policy cart_items_select_staff on public.cart_items for select to authenticated
  using (exists (
    select 1 from public.carts c where c.id = cart_id
      and ((select private.jwt_store_ids()) is null or c.store_id = any((select private.jwt_store_ids())::uuid[]))));
comment on policy cart_items_select_staff on public.cart_items is 'Staff read the items of carts they may read.';

drop policy if exists cart_items_insert_staff on public.cart_items;
create policy cart_items_insert_staff on public.cart_items for insert to authenticated
  with check (exists (
    select 1 from public.carts c where c.id = cart_id and c.status = 'active'
      and ((select private.jwt_store_ids()) is null or c.store_id = any((select private.jwt_store_ids())::uuid[]))));
comment on policy cart_items_insert_staff on public.cart_items is 'Staff add items to active carts of the stores they may act for.';

drop policy if exists cart_items_update_staff on public.cart_items;
create policy cart_items_update_staff on public.cart_items for update to authenticated
  using (exists (
    select 1 from public.carts c where c.id = cart_id and c.status = 'active'
      and ((select private.jwt_store_ids()) is null or c.store_id = any((select private.jwt_store_ids())::uuid[]))))
  with check (exists (
    select 1 from public.carts c where c.id = cart_id and c.status = 'active'
      and ((select private.jwt_store_ids()) is null or c.store_id = any((select private.jwt_store_ids())::uuid[]))));
comment on policy cart_items_update_staff on public.cart_items is 'Staff change items of active carts of the stores they may act for.';

drop policy if exists cart_items_delete_staff on public.cart_items;
create policy cart_items_delete_staff on public.cart_items for delete to authenticated
  using (exists (
    select 1 from public.carts c where c.id = cart_id and c.status = 'active'
      and ((select private.jwt_store_ids()) is null or c.store_id = any((select private.jwt_store_ids())::uuid[]))));
comment on policy cart_items_delete_staff on public.cart_items is 'Staff remove items of active carts of the stores they may act for.';

-- location_queue
drop policy if exists location_queue_select_staff on public.location_queue;
create policy location_queue_select_staff on public.location_queue for select to authenticated
  using ((select private.jwt_store_ids()) is null or store_id = any((select private.jwt_store_ids())::uuid[]));
comment on policy location_queue_select_staff on public.location_queue is 'Staff read the queues of the stores they may act for.';

drop policy if exists location_queue_insert_staff on public.location_queue;
create policy location_queue_insert_staff on public.location_queue for insert to authenticated
  with check (status = 'waiting' and ((select private.jwt_store_ids()) is null
    or store_id = any((select private.jwt_store_ids())::uuid[])));
comment on policy location_queue_insert_staff on public.location_queue is 'Staff queue customers in the stores they may act for (through add_to_queue).';

drop policy if exists location_queue_update_staff on public.location_queue;
create policy location_queue_update_staff on public.location_queue for update to authenticated
  using ((select private.jwt_store_ids()) is null or store_id = any((select private.jwt_store_ids())::uuid[]))
  with check ((select private.jwt_store_ids()) is null or store_id = any((select private.jwt_store_ids())::uuid[]));
comment on policy location_queue_update_staff on public.location_queue is 'Staff move queue entries of the stores they may act for (through the queue RPCs).';
