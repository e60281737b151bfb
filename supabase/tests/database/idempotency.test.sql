-- Idempotency-Key (PostgREST passes the request's headers in `request.headers`): a request is
-- carried out once; a retry with the same key gets the first answer even after the state
-- moved on (a stale add_to_queue after the customer was served queues nobody again); the same
-- key with another request is 422; keys are per user; a request without the header is as
-- before; a failed call keeps no key.
begin;
\ir _helpers.psql
select plan(19);

create function pg_temp.with_key(p_key text) returns void language sql as $$
  select set_config('request.headers', case when p_key is null then '{}'
    else jsonb_build_object('idempotency-key', p_key)::text end, true)
$$;

select pg_temp.as_claim_a();
select pg_temp.with_key('visit-1');
create temp table first as select public.add_to_queue(:'loc_a1', :'cust_1', p_party_size => 2) as r;
grant select on first to public;
select is((select r ->> 'created' from first), 'true', 'first request with the key: carried out');
select pg_temp.with_key(null);
select is(public.serve_queue_entry((select (r -> 'queue_entry' ->> 'id')::uuid from first)) -> 'queue_entry' ->> 'status',
  'served', 'the customer is served (no key)');
select pg_temp.with_key('visit-1');
select is(public.add_to_queue(:'loc_a1', :'cust_1', p_party_size => 2), (select r from first),
  'a stale retry with the key after serve: the first answer, replayed');
select is((select count(*) from public.location_queue where customer_id = :'cust_1'), 1::bigint,
  'the stale retry queued nobody again');
select is(pg_temp.error_of(format('select public.add_to_queue(%L, %L, p_party_size => 3)', :'loc_a1', :'cust_1')),
  'PT422 idempotency_key_reused', 'the same key with another request: 422');
select is(pg_temp.error_of(format('select public.complete_cart(%L)', (select r -> 'cart' ->> 'id' from first))),
  'PT422 idempotency_key_reused', 'the same key for another RPC: 422');

-- keys are per user: the same key from another user is a new request
select pg_temp.as_member_a();
select pg_temp.with_key('visit-1');
select is(public.add_to_queue(:'loc_a1', :'cust_2') ->> 'created', 'true', 'another user''s same key is their own');

-- without the header: as before (a new entry, no key kept)
select pg_temp.as_claim_a();
select pg_temp.with_key(null);
select is(public.add_to_queue(:'loc_a1', :'cust_1') ->> 'created', 'true', 'without a key: a new entry');

-- a failed call keeps no key: fixed and retried with the same key, it runs
select pg_temp.with_key('fix-me');
select is(pg_temp.error_of(format('select public.add_to_queue(%L, %L)', :'loc_a1', :'missing')),
  'PT404 customer_not_found', 'a failing call with a key');
select is((select count(*) from private.idempotency_keys where key = 'fix-me'), 0::bigint, 'keeps no key');
select pg_temp.with_key('line-1');
create temp table line as select public.add_item((select cart_id from public.location_queue
  where customer_id = :'cust_1' and status = 'waiting'), 'sku-1', 1, 2.00) as r;
select is(public.add_item((select cart_id from public.location_queue
  where customer_id = :'cust_1' and status = 'waiting'), 'sku-1', 1, 2.00) -> 'cart' ->> 'total_quantity',
  '1', 'add_item retried with its key: added once');

select pg_temp.with_key(repeat('k', 256));
select is(pg_temp.error_of(format('select public.complete_cart(%L)', :'missing')),
  'P0001 invalid_argument', 'a key over 255 characters is refused');
select pg_temp.with_key('has space');
select is(pg_temp.error_of(format('select public.complete_cart(%L)', :'missing')),
  'P0001 invalid_argument', 'a key with a space is refused');

-- a replay needs the store still: a user who lost it gets what their requests get now
select pg_temp.as_owner();
delete from public.store_members where user_id = :'member_a';
select pg_temp.as_member_a();
select pg_temp.with_key('visit-1');
select is(pg_temp.error_of(format('select public.add_to_queue(%L, %L)', :'loc_a1', :'cust_2')),
  'PT403 store_forbidden', 'no store left: the replay is refused (403)');
select pg_temp.act_as('authenticated', pg_temp.claims(:'claim_a', '{"store_ids": ["5b000000-0000-4000-8000-00000000000b"]}'));
select is(pg_temp.error_of(format('select public.add_to_queue(%L, %L, p_party_size => 2)', :'loc_a1', :'cust_1')),
  'PT404 location_not_found', 'moved to another store: the replay answers as for a location it cannot see');
select pg_temp.as_claim_a();
select is(public.add_to_queue(:'loc_a1', :'cust_1', p_party_size => 2), (select r from first),
  'the store granted again: the key replays the first answer (it was kept)');

-- callers without a uuid sub do not share keys: not with each other, not with the service role
select pg_temp.with_key('order-42');
select pg_temp.act_as('authenticated', '{"sub": "user_2abc", "app_metadata": {"store_ids": ["5b000000-0000-4000-8000-00000000000b"]}}');
select is(public.add_to_queue(:'loc_b1', :'cust_b') ->> 'created', 'true',
  'a third-party sub (not a uuid) uses a key');
select pg_temp.act_as('service_role');
select is(public.add_to_queue(:'loc_a1', :'cust_a') ->> 'created', 'true',
  'the service role''s same key is its own: a new request, not 422');
select pg_temp.act_as('authenticated', '{"sub": "user_9xyz", "app_metadata": {"store_ids": ["5a000000-0000-4000-8000-00000000000a"]}}');
select is(pg_temp.error_of(format('select public.add_to_queue(%L, %L)', :'loc_a1', :'cust_2')), 'ok',
  'another non-uuid sub''s same key is its own too');

select * from finish();
rollback;
