-- Row level security and grants of public.customers: default deny, as described in
-- 20260123001200_enable_row_level_security_stores.sql (one file per table).

-- squawk-ignore-file prefer-robust-stmts
-- (enabling RLS again, granting and revoking again change nothing: a partial run can be rerun)
set lock_timeout = '3s';
set statement_timeout = '30s';

alter table public.customers enable row level security;
revoke all on public.customers from anon, authenticated, service_role;
grant select, insert, update, delete on public.customers to service_role;
grant select, insert, update on public.customers to authenticated;

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

reset lock_timeout;
reset statement_timeout;
