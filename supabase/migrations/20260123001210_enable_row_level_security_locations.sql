-- Row level security and grants of public.locations: default deny, as described in
-- 20260123001200_enable_row_level_security_stores.sql (one file per table).

-- squawk-ignore-file prefer-robust-stmts
-- (enabling RLS again, granting and revoking again change nothing: a partial run can be rerun)
set lock_timeout = '3s';
set statement_timeout = '30s';

alter table public.locations enable row level security;
revoke all on public.locations from anon, authenticated, service_role;
grant select, insert, update, delete on public.locations to service_role;
grant select on public.locations to authenticated;

drop policy if exists locations_store_scope on public.locations;
create policy locations_store_scope on public.locations as restrictive for all to public
  using (store_id = any ((select private.caller_store_ids())::uuid[]))
  with check (store_id = any ((select private.caller_store_ids())::uuid[]));
comment on policy locations_store_scope on public.locations is 'Default deny: only the locations of the caller''s stores.';
drop policy if exists locations_select_staff on public.locations;
create policy locations_select_staff on public.locations for select to authenticated
  using (store_id = any ((select private.caller_store_ids())::uuid[]));
comment on policy locations_select_staff on public.locations is 'Staff read the locations of their stores.';

reset lock_timeout;
reset statement_timeout;
