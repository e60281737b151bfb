-- Row level security and grants of public.cart_items: default deny, as described in
-- 20260123001200_enable_row_level_security_stores.sql (one file per table).

-- squawk-ignore-file prefer-robust-stmts
-- (enabling RLS again, granting and revoking again change nothing: a partial run can be rerun)
set lock_timeout = '3s';
set statement_timeout = '30s';

alter table public.cart_items enable row level security;
revoke all on public.cart_items from anon, authenticated, service_role;
grant select, insert, update, delete on public.cart_items to service_role;
grant select, insert, update, delete on public.cart_items to authenticated;

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

reset lock_timeout;
reset statement_timeout;
