-- Row level security and grants of public.location_queue: default deny, as described in
-- 20260123001200_enable_row_level_security_stores.sql (one file per table).

-- squawk-ignore-file prefer-robust-stmts
-- (enabling RLS again, granting and revoking again change nothing: a partial run can be rerun)
set lock_timeout = '3s';
set statement_timeout = '30s';

alter table public.location_queue enable row level security;
revoke all on public.location_queue from anon, authenticated, service_role;
grant select, insert, update, delete on public.location_queue to service_role;
grant select, insert, update, delete on public.location_queue to authenticated;

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
