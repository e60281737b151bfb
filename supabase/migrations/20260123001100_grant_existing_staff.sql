-- Existing deployments keep working without a client change for the staff they already
-- have. Before this product, any signed-in user could act for every store; from the next
-- migration on, access is default-deny (a store is granted by the JWT claim
-- app_metadata.store_ids / store_id, or by a public.store_members row).
--
-- So, once per database: every user that exists now and was not already limited by a store
-- claim or by store_members rows (an older app's) gets a membership of every store that
-- exists now. Anonymous sign-ins and deleted
-- users get none. Users created after this migration, and stores created after it, start
-- with no access until granted (docs/api.md, "Access"). Applying the file again grants
-- nothing more.

set lock_timeout = '3s';
set statement_timeout = '30s';

do $$
begin
  if exists (select 1 from private.applied_once where name = 'grant_existing_staff') then
    return;
  end if;
  insert into public.store_members (store_id, user_id)
  select s.id, u.id
  from auth.users u
  cross join public.stores s
  where not coalesce((to_jsonb(u) ->> 'is_anonymous')::boolean, false)
    and to_jsonb(u) ->> 'deleted_at' is null
    and not (coalesce(u.raw_app_meta_data, '{}') ? 'store_ids'
      or coalesce(u.raw_app_meta_data, '{}') ? 'store_id')
    and not exists (select 1 from public.store_members m where m.user_id = u.id)
  on conflict do nothing;
  insert into private.applied_once (name) values ('grant_existing_staff');
end
$$;

reset lock_timeout;
reset statement_timeout;
