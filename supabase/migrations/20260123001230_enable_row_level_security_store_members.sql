-- Row level security and grants of public.store_members: default deny, as described in
-- 20260123001200_enable_row_level_security_stores.sql (one file per table).

-- squawk-ignore-file prefer-robust-stmts
-- (enabling RLS again, granting and revoking again change nothing: a partial run can be rerun)
set lock_timeout = '3s';
set statement_timeout = '30s';

alter table public.store_members enable row level security;
revoke all on public.store_members from anon, authenticated, service_role;
grant select, insert, update, delete on public.store_members to service_role;
grant select on public.store_members to authenticated;

-- store_members: a user reads their own grants; only the service role and SQL write them. The
-- restrictive scope keeps an older app's permissive policy ("enable all for authenticated")
-- from showing anyone the grants of others.
drop policy if exists store_members_own_scope on public.store_members;
create policy store_members_own_scope on public.store_members as restrictive for all to public
  using (user_id = (select private.caller_user_id()))
  with check (user_id = (select private.caller_user_id()));
comment on policy store_members_own_scope on public.store_members is
  'Default deny: only the caller''s own grants, whatever other policy there is.';
drop policy if exists store_members_select_own on public.store_members;
create policy store_members_select_own on public.store_members for select to authenticated
  using (user_id = (select private.caller_user_id()));
comment on policy store_members_select_own on public.store_members is 'A user reads their own store grants.';

reset lock_timeout;
reset statement_timeout;
