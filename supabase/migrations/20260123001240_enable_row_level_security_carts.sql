-- Row level security and grants of public.carts: default deny, as described in
-- 20260123001200_enable_row_level_security_stores.sql (one file per table).

-- squawk-ignore-file prefer-robust-stmts
-- (enabling RLS again, granting and revoking again change nothing: a partial run can be rerun)
set lock_timeout = '3s';
set statement_timeout = '30s';

alter table public.carts enable row level security;
revoke all on public.carts from anon, authenticated, service_role;
grant select, insert, update, delete on public.carts to service_role;
grant select, insert, update, delete on public.carts to authenticated;

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

reset lock_timeout;
reset statement_timeout;
