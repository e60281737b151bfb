-- Idempotency keys: a request that carries an `Idempotency-Key` header is carried out once.
-- A retry with the same key (same user, within 24 hours) gets the first answer again, even if
-- the state has moved on since (but not once the user has lost the store it names): a stale retry of add_to_queue that arrives after the
-- customer was served does not queue them again. The same key with another request is
-- refused (PT422 idempotency_key_reused); a retry while the first is still running is refused
-- at once (PT409 idempotency_key_in_use), rather than waiting for it.
--
-- The key and the answer are written in the same transaction as the change, in the
-- database, so every worker and every retry sees them; nothing is kept when the call fails
-- (its change rolled back too, so the caller may fix and retry). PostgREST passes the
-- request's headers to the transaction (`request.headers`), so the header works the same
-- through the function and on a direct `supabase.rpc(...)` call. The state-changing RPCs call
-- private.idempotency_begin first and private.idempotency_finish with their answer; the
-- reading ones (get_or_create_cart's lookup, list_queue) need no key. Keys older than 24 hours
-- are deleted by the scheduled job of 20260123001600.

set lock_timeout = '3s';
set statement_timeout = '30s';

create table if not exists private.idempotency_keys (
  user_id uuid not null,
  key text not null,
  fingerprint text not null,
  response jsonb not null,
  created_at timestamptz not null default now(),
  primary key (user_id, key)
);
comment on table private.idempotency_keys is
  'Answers of requests made with an Idempotency-Key, per user, kept 24 hours (replayed to retries).';
comment on column private.idempotency_keys.user_id is 'Whose key: private.idempotency_owner() (the JWT sub, or a uuid derived from a non-uuid sub or from the role).';
comment on column private.idempotency_keys.key is 'The Idempotency-Key header, 1-255 printable characters.';
comment on column private.idempotency_keys.fingerprint is 'The RPC and its arguments, hashed: the same key with another request is refused.';
comment on column private.idempotency_keys.response is 'The RPC''s answer, replayed as it was.';
comment on column private.idempotency_keys.created_at is 'When the first request was carried out.';
-- A table of this product, created above: its index needs no concurrent build.
-- squawk-ignore require-concurrent-index-creation
create index if not exists idempotency_keys_created_at_idx on private.idempotency_keys (created_at);
comment on index private.idempotency_keys_created_at_idx is 'Expired keys, for the cleanup job.';

-- Whose keys these are: the JWT's sub when it is a uuid; any other sub (a third-party auth
-- provider's `user_2abc`) hashed into a uuid of its own; without a sub (the service role, SQL
-- run as a role), the role hashed likewise. Callers never share keys by accident of a missing
-- or non-uuid sub, and no user shares the service role's.
create or replace function private.idempotency_owner() returns uuid
language plpgsql stable
set search_path = ''
as $$
declare
  v_sub text := nullif(auth.jwt() ->> 'sub', '');
begin
  return coalesce(private.caller_user_id(), pg_catalog.md5(
    case when v_sub is not null then 'sub:' || v_sub else 'role:' || current_user end)::uuid);
end
$$;
comment on function private.idempotency_owner() is
  'The owner of the caller''s idempotency keys: the JWT sub as a uuid, else a uuid derived from the sub or the role.';
revoke all on function private.idempotency_owner() from public, anon;
grant execute on function private.idempotency_owner() to authenticated, service_role;

-- Each caller reads and writes only their own keys (a forged row could only ever be
-- replayed to its own author). The RPCs write them as the caller.
-- (enabling RLS again is a no-op: the file can be rerun)
-- squawk-ignore prefer-robust-stmts
alter table private.idempotency_keys enable row level security;
revoke all on private.idempotency_keys from public, anon;
grant select, insert, delete on private.idempotency_keys to authenticated, service_role;
drop policy if exists idempotency_keys_own on private.idempotency_keys;
create policy idempotency_keys_own on private.idempotency_keys for all to authenticated, service_role
  using (user_id = (select private.idempotency_owner()))
  with check (user_id = (select private.idempotency_owner()));
comment on policy idempotency_keys_own on private.idempotency_keys is 'A caller uses only their own keys.';

-- Starts an idempotent call of RPC p_rpc with arguments p_args: returns null when the request
-- has no Idempotency-Key; else {"key", "fingerprint"} to hand to idempotency_finish, or
-- {"replay": answer} when the key was used for this same request in the last 24 hours. A new
-- key is locked for the transaction (pg_try_advisory_xact_lock), so a concurrent request with
-- it is refused at once.
create or replace function private.idempotency_begin(p_rpc text, p_args jsonb) returns jsonb
language plpgsql volatile
set search_path = ''
as $$
declare
  v_key text := nullif(current_setting('request.headers', true), '')::jsonb ->> 'idempotency-key';
  v_user uuid := private.idempotency_owner();
  v_fingerprint text;
  v_row private.idempotency_keys;
  v_what text;
begin
  if v_key is null then
    return null;
  end if;
  if char_length(v_key) not between 1 and 255 or v_key !~ '^[\x21-\x7e]+$' then
    perform private.invalid_argument('idempotency_key',
      'Idempotency-Key must be 1-255 printable ASCII characters without spaces');
  end if;
  v_fingerprint := md5(p_rpc || ' ' || p_args::text);
  -- A finished request with the key answers at once (no lock: replays never wait on each
  -- other); otherwise the key is taken for this transaction, or refused while another holds
  -- it, and looked up again (the other may have finished in between).
  for pass in 1..2 loop
    select * into v_row from private.idempotency_keys k where k.user_id = v_user and k.key = v_key;
    if found and v_row.created_at >= now() - interval '24 hours' then
      if v_row.fingerprint <> v_fingerprint then
        raise exception 'this Idempotency-Key was used for another request'
          using errcode = 'PT422', hint = 'idempotency_key_reused';
      end if;
      -- Replayed only while the caller may still act for every store the answer names: a
      -- user whose access was taken away since gets what any request of theirs gets now
      -- (PT403 without any store, else "not found"), and the key stays for a later retry.
      if not private.bypasses_rls() and exists (
          select 1 from jsonb_path_query(v_row.response, 'strict $.**.store_id') s(v)
          where jsonb_typeof(s.v) = 'string'
            and (s.v #>> '{}')::uuid <> all (private.caller_store_ids())) then
        -- what the action names: its location, queue entry or cart (hint `<what>_not_found`)
        v_what := case when p_rpc = 'add_to_queue' then 'location'
          when p_rpc like '%queue%' or p_rpc = 'mark_no_show' then 'queue entry'
          else 'cart' end;
        perform private.raise_no_access_or_not_found(replace(v_what, ' ', '_') || '_not_found',
          v_what);
      end if;
      return jsonb_build_object('replay', v_row.response);
    end if;
    exit when pass = 2;
    if not pg_catalog.pg_try_advisory_xact_lock(
        pg_catalog.hashtextextended('idempotency:' || v_user || ':' || v_key, 0)) then
      raise exception 'a request with this Idempotency-Key is still running'
        using errcode = 'PT409', hint = 'idempotency_key_in_use';
    end if;
  end loop;
  if found then -- expired: the key starts over
    delete from private.idempotency_keys k where k.user_id = v_user and k.key = v_key;
  end if;
  return jsonb_build_object('key', v_key, 'fingerprint', v_fingerprint);
end
$$;
comment on function private.idempotency_begin(text, jsonb) is
  'Idempotent RPCs: null without an Idempotency-Key; {replay} for a repeat; else {key, fingerprint} for idempotency_finish.';

-- Records the answer of an idempotent call (in the caller's transaction) and returns it.
create or replace function private.idempotency_finish(p_begun jsonb, p_response jsonb) returns jsonb
language plpgsql volatile
set search_path = ''
as $$
begin
  if p_begun is not null then
    insert into private.idempotency_keys (user_id, key, fingerprint, response)
    values (private.idempotency_owner(),
      p_begun ->> 'key', p_begun ->> 'fingerprint', p_response);
  end if;
  return p_response;
end
$$;
comment on function private.idempotency_finish(jsonb, jsonb) is
  'Idempotent RPCs: stores the answer under the key idempotency_begin handed out, and returns it.';

revoke all on function private.idempotency_begin(text, jsonb) from public, anon;
revoke all on function private.idempotency_finish(jsonb, jsonb) from public, anon;
grant execute on function private.idempotency_begin(text, jsonb) to authenticated, service_role;
grant execute on function private.idempotency_finish(jsonb, jsonb) to authenticated, service_role;

reset lock_timeout;
reset statement_timeout;
