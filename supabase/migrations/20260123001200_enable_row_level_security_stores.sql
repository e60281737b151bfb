-- Row level security and grants: default deny. A user sees and changes only the rows of the
-- stores granted to them (private.caller_store_ids(): the JWT's app_metadata.store_ids /
-- store_id, and their public.store_members rows); a user with no grant sees nothing. `anon`
-- gets nothing at all (Supabase's default privileges grant it everything: revoked here).
-- `service_role` bypasses RLS. No API role, `service_role` included, keeps TRUNCATE, TRIGGER or
-- REFERENCES (Supabase's default privileges grant them): TRUNCATE skips every row rule, and a
-- trigger of a role's own (its function in pg_temp) runs as whoever fires it, the owner's
-- security definer functions included.
--
-- Each table has a RESTRICTIVE store-scope policy for every role and command, so a permissive
-- policy an existing deployment already had cannot widen access beyond the caller's stores,
-- and one permissive policy per command for `authenticated`. What a writer may change within
-- its stores is the tables' rules (20260123000500): the grants below only open the tables to
-- them.

-- One file per table (20260123001200-1260), so that each transaction locks one table only: a
-- transaction that locks several, one after another, deadlocks with the apps' transactions
-- that touch them in another order, and keeps the apps waiting for the first table while it
-- waits for the next. This file: public.stores.

-- squawk-ignore-file prefer-robust-stmts
-- (enabling RLS again, granting and revoking again change nothing: a partial run can be rerun)
set lock_timeout = '3s';
set statement_timeout = '30s';

alter table public.stores enable row level security;
revoke all on public.stores from anon, authenticated, service_role;
grant select, insert, update, delete on public.stores to service_role;
grant select on public.stores to authenticated;

drop policy if exists stores_store_scope on public.stores;
create policy stores_store_scope on public.stores as restrictive for all to public
  using (id = any ((select private.caller_store_ids())::uuid[]))
  with check (id = any ((select private.caller_store_ids())::uuid[]));
comment on policy stores_store_scope on public.stores is 'Default deny: only the caller''s stores.';
drop policy if exists stores_select_staff on public.stores;
create policy stores_select_staff on public.stores for select to authenticated
  using (id = any ((select private.caller_store_ids())::uuid[]));
comment on policy stores_select_staff on public.stores is 'Staff read the stores granted to them.';

reset lock_timeout;
reset statement_timeout;
