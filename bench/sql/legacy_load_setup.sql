-- Setup of the legacy load run (bench/legacy_load.ts; not a migration). Loaded after
-- tests/sql/fixtures/legacy_seed_schema.sql, which gives the legacy tables and one row of every
-- messy class. Schema legacy_load holds:
--   * legacy_load.generate(...): the same classes at scale, set-based (generate_series), in
--     ids of their own (prefix b...), next to the fixture's rows;
--   * legacy_load.step(op, key, roll): one request of the apps of the previous version, run
--     as the calling API role, as SQL the old function sent through PostgREST (look up with
--     `.single()`, insert when that fails; queue inserts and joins; line inserts; status
--     updates). An error is caught, recorded in legacy_load.outcome with its SQLSTATE, and the
--     request ends, so a pgbench client never aborts on it;
--   * legacy_load.control: `stop` ends the run (the next request raises LLSTP, uncaught).

create schema if not exists legacy_load;
grant usage on schema legacy_load to authenticated;

-- Shape of the generated database (one row, written by generate()).
create table legacy_load.shape (
  stores integer not null,
  locations integer not null,
  customers integer not null,
  active_keys integer not null,
  staff integer not null
);
create unlogged table legacy_load.outcome (
  at timestamptz not null default clock_timestamp(),
  op text not null,
  sqlstate text not null,
  message text
);
create table legacy_load.control (stop boolean not null default false);
insert into legacy_load.control values (false);
grant select on legacy_load.shape, legacy_load.control to authenticated;
grant insert on legacy_load.outcome to authenticated;

-- The id of the n-th generated row of a kind: prefix b1 stores, b2 locations, b2dead deleted
-- locations, b3 customers (past the last one: deleted customers), b4 queue entries, b5 carts
-- (b5a anonymous, b5c closed), b6 lines, b7 staff users.
-- (No SET clause on these three: plain SQL functions are inlined, which the generator needs.)
create function legacy_load.uid(p_prefix text, p_n bigint) returns uuid
language sql immutable
as $$ select (rpad(p_prefix, 8, '0') || '-0000-4000-8000-' || lpad(p_n::text, 12, '0'))::uuid $$;

-- The location of the n-th customer + location key (1-based), and its store.
create function legacy_load.key_location(p_key bigint, p_locations integer) returns integer
language sql immutable
as $$ select ((p_key * 7) % p_locations)::integer + 1 $$;
create function legacy_load.location_store(p_location integer, p_stores integer) returns integer
language sql immutable
as $$ select (p_location - 1) % p_stores + 1 $$;
grant execute on function legacy_load.uid(text, bigint), legacy_load.key_location(bigint, integer),
  legacy_load.location_store(integer, integer) to authenticated;

-- Builds the legacy database: p_carts carts, about p_carts lines, p_entries queue rows,
-- p_staff staff users. Returns the row counts per table.
create function legacy_load.generate(
  p_carts integer, p_entries integer, p_staff integer, p_stores integer default 20,
  p_locations_per_store integer default 10
) returns jsonb
language plpgsql volatile
set search_path = ''
as $$
declare
  v_locations integer := p_stores * p_locations_per_store;
  v_customers integer := greatest(p_carts / 5, 1000);
  -- customer + location keys with active carts: 1-4 each (2.5 on average), 30% of the carts
  v_keys integer := greatest(p_carts * 12 / 100, 100);
  -- anonymous device + location keys: 1-3 carts each, 4% of the carts
  v_devices integer := greatest(p_carts * 2 / 100, 10);
  v_made integer;
  v_n integer;
begin
  insert into legacy_load.shape values (p_stores, v_locations, v_customers, v_keys, p_staff);

  insert into public.stores (id, name)
  select legacy_load.uid('b1', s), 'store ' || s from generate_series(1, p_stores) s;
  insert into public.locations (id, store_id, name)
  select legacy_load.uid('b2', l), legacy_load.uid('b1', legacy_load.location_store(l, p_stores)),
    'location ' || l
  from generate_series(1, v_locations) l;
  insert into public.customers (id, name)
  select legacy_load.uid('b3', c), 'customer ' || c from generate_series(1, v_customers) c;

  -- Active carts of customer + location keys, 1-4 per key (the old select-then-insert's
  -- duplicates), spelled as the old apps did: 'active', 'open', 'ACTIVE', ' active ',
  -- 'pending', and 'on_hold' (unknown: kept). Every 200th key is at a deleted location; every
  -- 100th (+1) is filed under another store than its location's, every 100th (+2) under none.
  insert into public.carts (id, customer_id, location_id, store_id, status, device_id,
    created_at, updated_at)
  select legacy_load.uid('b5', k * 4 + d), legacy_load.uid('b3', k),
    case when k % 200 = 0 then legacy_load.uid('b2dead', k / 200 % 10 + 1)
      else legacy_load.uid('b2', legacy_load.key_location(k, v_locations)) end,
    case k % 100
      when 1 then legacy_load.uid('b1', legacy_load.location_store(
        legacy_load.key_location(k, v_locations), p_stores) % p_stores + 1)
      when 2 then null
      else legacy_load.uid('b1', legacy_load.location_store(
        legacy_load.key_location(k, v_locations), p_stores)) end,
    case d
      when 1 then case k % 10 when 0 then 'open' when 1 then 'ACTIVE' when 2 then ' active '
        else 'active' end
      when 2 then case when k % 3 = 0 then 'open' else 'active' end
      when 3 then case when k % 5 = 0 then 'pending' else 'active' end
      else case when k % 50 = 0 then 'on_hold' else 'active' end
    end,
    null,
    timestamptz '2026-01-22 08:00+00' + (k % 36000) * interval '1 second' + d * interval '1 minute',
    timestamptz '2026-01-22 08:00+00' + (k % 36000) * interval '1 second' + d * interval '1 minute'
      + (k * d % 7) * interval '10 seconds'
  from generate_series(1, v_keys) k
  cross join generate_series(1, 4) d
  where d <= 1 + k % 4;
  get diagnostics v_made = row_count;

  -- Anonymous carts: device ids with stray spaces (duplicates once trimmed), some empty or
  -- missing (the old apps), all at live locations.
  insert into public.carts (id, customer_id, location_id, store_id, status, device_id,
    created_at, updated_at)
  select legacy_load.uid('b5a', m * 3 + d), null,
    legacy_load.uid('b2', legacy_load.key_location(m, v_locations)),
    legacy_load.uid('b1', legacy_load.location_store(legacy_load.key_location(m, v_locations),
      p_stores)),
    case when m % 9 = 0 then 'completed' else 'active' end,
    case
      when m % 97 = 0 then ''
      when m % 89 = 0 then null
      else case d when 1 then 'pos-' || m when 2 then ' pos-' || m || ' ' else 'pos-' || m || '  ' end
    end,
    timestamptz '2026-01-22 08:00+00' + (m % 36000) * interval '1 second',
    timestamptz '2026-01-22 08:00+00' + (m % 36000) * interval '1 second' + d * interval '1 minute'
  from generate_series(1, v_devices) m
  cross join generate_series(1, 3) d
  where d <= 1 + m % 3;
  get diagnostics v_n = row_count;
  v_made := v_made + v_n;

  -- The rest: closed carts of earlier visits, statuses in every spelling (null, 'cancelled',
  -- 'CANCELLED', 'paid', 'closed', 'done', 'void', 'expired', unknown 'parked'), some of
  -- deleted customers, at deleted locations, or under another store.
  insert into public.carts (id, customer_id, location_id, store_id, status, device_id,
    created_at, updated_at)
  select legacy_load.uid('b5c', n),
    legacy_load.uid('b3', case when n % 1000 = 3 then v_customers + 1 + n % 100
      else (n * 13) % v_customers + 1 end),
    case when n % 500 = 0 then legacy_load.uid('b2dead', n % 10 + 1)
      else legacy_load.uid('b2', (n * 17) % v_locations + 1) end,
    legacy_load.uid('b1', (legacy_load.location_store((n * 17) % v_locations + 1, p_stores)
      + case when n % 100 = 1 then 1 else 0 end - 1) % p_stores + 1),
    case n % 20
      when 0 then null when 1 then 'cancelled' when 2 then 'CANCELLED' when 3 then 'paid'
      when 4 then 'closed' when 5 then 'abandoned' when 6 then 'done' when 7 then 'void'
      when 8 then 'expired' when 9 then case when n % 40 = 9 then 'parked' else 'completed' end
      else 'completed'
    end,
    null,
    timestamptz '2025-06-01 08:00+00' + n * interval '15 seconds',
    timestamptz '2025-06-01 08:00+00' + n * interval '15 seconds' + interval '20 minutes'
  from generate_series(1, greatest(p_carts - v_made, 0)) n;

  -- Lines: 1-3 on each active or anonymous cart, one on every other closed cart; a quantity
  -- of 0 and negative discount lines among them.
  insert into public.cart_items (id, cart_id, product_id, quantity, unit_price)
  select legacy_load.uid('b6', row_number() over ()), c.id,
    case when i = 3 and h % 53 = 0 then 'discount' else 'sku-' || (h % 500 + i) end,
    case when h % 97 = 0 and i = 1 then 0 else 1 + (h + i) % 3 end,
    case when i = 3 and h % 53 = 0 then -5.00 else 1.25 * (1 + (h + i) % 20) end
  from (
    select c.id, hashtext(c.id::text) & 2147483647 as h,
      case when c.id::text like 'b5c%' then 1 else 3 end as most
    from public.carts c
    where c.id::text like 'b5_00000-0000-4000-8000-%'
  ) c
  cross join generate_series(1, 3) i
  where i <= 1 + c.h % c.most and (c.most = 3 or c.h % 2 = 0);

  -- Queue rows: entries of the active keys in every status spelling (waiting, 'Waiting ',
  -- 'queued', 'open', 'called', 'served', 'done', 'finished', 'cancelled', null, 'noshow',
  -- unknown 'parked'), duplicate open entries, rows without store_id, party size 0, entries of
  -- deleted customers or without a customer, and open entries naming another customer's cart
  -- (at another location), or a closed cart.
  insert into public.location_queue (id, location_id, customer_id, store_id, status, party_size,
    cart_id, created_at)
  select legacy_load.uid('b4', j),
    case when k % 200 = 0 then legacy_load.uid('b2dead', k / 200 % 10 + 1)
      else legacy_load.uid('b2', legacy_load.key_location(k, v_locations)) end,
    case
      when j % 70 = 14 then null
      when j % 60 = 13 then legacy_load.uid('b3', v_customers + 1 + j % 100)
      else legacy_load.uid('b3', k)
    end,
    case when j % 40 = 5 then null
      else legacy_load.uid('b1', legacy_load.location_store(legacy_load.key_location(k, v_locations),
        p_stores)) end,
    case when j % 25 = 0 then 'waiting' else
      case j % 20
        when 0 then 'served' when 1 then 'done' when 2 then 'completed' when 3 then 'finished'
        when 4 then 'served' when 5 then 'served' when 6 then 'served' when 7 then 'removed'
        when 8 then 'cancelled' when 9 then null when 10 then 'noshow' when 11 then 'parked'
        when 12 then 'waiting' when 13 then 'Waiting ' when 14 then 'queued' when 15 then 'called'
        when 16 then 'WAITING' when 17 then 'open' when 18 then 'waiting' else 'waiting'
      end
    end,
    case when j % 45 = 7 then 0 else 1 + j % 6 end,
    case
      when j % 30 = 12 then legacy_load.uid('b5', (k % v_keys + 1) * 4 + 1)
      when j % 30 = 22 then legacy_load.uid('b5c', j)
      when j % 3 = 0 then legacy_load.uid('b5', k * 4 + 1)
    end,
    timestamptz '2026-01-22 08:00+00' + j * interval '100 milliseconds'
  from (
    select j, case when j % 25 = 0 then ((j - 1) * 37) % v_keys + 1 else (j * 37) % v_keys + 1 end as k
    from generate_series(1, p_entries) j
  ) e;

  -- Staff of the old apps: p_staff users without a store claim (every store from
  -- 20260123001100 on), and the other kinds of user: scoped by a claim, anonymous, deleted.
  insert into auth.users (id, aud, role, email, raw_app_meta_data, is_anonymous, deleted_at)
  select legacy_load.uid('b7', u), 'authenticated', 'authenticated',
    case when u <= p_staff + 20 then 'staff' || u || '@example.com' end,
    case when u between p_staff + 1 and p_staff + 10
      then jsonb_build_object('provider', 'email', 'store_ids', jsonb_build_array(legacy_load.uid('b1', 1)))
      else '{"provider": "email", "providers": ["email"]}'::jsonb end,
    u > p_staff + 20,
    case when u between p_staff + 11 and p_staff + 20 then timestamptz '2025-12-01 00:00+00' end
  from generate_series(1, p_staff + 30) u;

  return jsonb_build_object(
    'stores', (select count(*) from public.stores),
    'locations', (select count(*) from public.locations),
    'customers', (select count(*) from public.customers),
    'carts', (select count(*) from public.carts),
    'cart_items', (select count(*) from public.cart_items),
    'location_queue', (select count(*) from public.location_queue),
    'auth_users', (select count(*) from auth.users));
end
$$;

-- One request of the old apps, as the calling API role. p_op (1-100) picks the action,
-- p_key (1..active keys) the customer + location, p_roll (1-100) the rest; 30% of the requests
-- go to 200 hot keys, where concurrent requests race. Returns 'ok' or the SQLSTATE.
create function legacy_load.step(p_op integer, p_key integer, p_roll integer) returns text
language plpgsql volatile
set search_path = ''
as $$
declare
  v_shape legacy_load.shape;
  v_key integer;
  v_customer uuid;
  v_location uuid;
  v_store uuid;
  v_ids uuid[];
  v_cart uuid;
  v_what text;
  v_state text;
  v_message text;
begin
  if (select c.stop from legacy_load.control c) then
    raise exception 'legacy workload stopped' using errcode = 'LLSTP';
  end if;
  select * into v_shape from legacy_load.shape;
  v_key := case when p_roll <= 30 then p_key % 200 + 1 else p_key end;
  v_customer := legacy_load.uid('b3', v_key);
  v_location := legacy_load.uid('b2', legacy_load.key_location(v_key, v_shape.locations));
  v_store := legacy_load.uid('b1', legacy_load.location_store(
    legacy_load.key_location(v_key, v_shape.locations), v_shape.stores));
  begin
    if p_op <= 50 then
      -- get (and, for 15 of the 50, add_to_queue first): `.single()` on the active carts;
      -- anything but exactly one row inserts a new cart
      v_what := 'get';
      if p_op > 35 then
        v_what := 'add_to_queue';
        select array_agg(q.id) into v_ids from (
          select q.id from public.location_queue q
          where q.customer_id = v_customer and q.location_id = v_location and q.status = 'waiting'
          limit 2) q;
        if coalesce(cardinality(v_ids), 0) <> 1 then
          insert into public.location_queue (location_id, customer_id, store_id, status)
          values (v_location, v_customer, v_store, 'waiting');
        end if;
      end if;
      select array_agg(c.id) into v_ids from (
        select c.id from public.carts c
        where c.customer_id = v_customer and c.location_id = v_location and c.status = 'active'
        limit 2) c;
      if coalesce(cardinality(v_ids), 0) <> 1 then
        insert into public.carts (id, customer_id, location_id, store_id, status)
        values (pg_catalog.gen_random_uuid(), v_customer, v_location, v_store, 'active');
      end if;
    elsif p_op <= 65 then
      v_what := 'add_item';
      select c.id into v_cart from public.carts c
      where c.customer_id = v_customer and c.location_id = v_location and c.status = 'active'
      limit 1;
      if v_cart is not null then
        insert into public.cart_items (id, cart_id, product_id, quantity, unit_price)
        values (pg_catalog.gen_random_uuid(), v_cart, 'sku-' || p_roll, 1 + p_roll % 3, 2.50);
      end if;
    elsif p_op <= 80 then
      -- the queue board: waiting entries with their customer and active cart
      v_what := 'queue_list';
      perform q.id, u.name, c.id
      from public.location_queue q
      join public.customers u on u.id = q.customer_id
      left join public.carts c on c.customer_id = q.customer_id and c.location_id = q.location_id
        and c.status = 'active'
      where q.location_id = v_location and q.status = 'waiting'
      order by q.created_at
      limit 20;
    elsif p_op <= 90 then
      v_what := 'complete';
      update public.carts c set status = 'completed', updated_at = now()
      where c.id = (select a.id from public.carts a
                    where a.customer_id = v_customer and a.location_id = v_location
                      and a.status = 'active'
                    limit 1);
      update public.location_queue q set status = 'served'
      where q.customer_id = v_customer and q.location_id = v_location and q.status = 'waiting';
    elsif p_op <= 95 then
      v_what := 'call_next';
      update public.location_queue q set status = 'called'
      where q.id = (select w.id from public.location_queue w
                    where w.location_id = v_location and w.status = 'waiting'
                    order by w.created_at limit 1);
    else
      v_what := 'remove_from_queue';
      update public.location_queue q set status = 'removed'
      where q.customer_id = v_customer and q.location_id = v_location
        and q.status in ('waiting', 'called');
    end if;
    return 'ok';
  exception when query_canceled or others then
    get stacked diagnostics v_state = returned_sqlstate, v_message = message_text;
  end;
  insert into legacy_load.outcome (op, sqlstate, message) values (v_what, v_state, v_message);
  return v_state;
end
$$;
grant execute on function legacy_load.step(integer, integer, integer) to authenticated;
