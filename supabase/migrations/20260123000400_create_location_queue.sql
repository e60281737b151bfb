-- The customer queue of a location. Each open entry (waiting or called) carries the active
-- cart of its customer at that location, so the queue and the cart cannot drift apart.
-- States: waiting -> called -> served, with removed and no_show as the other ends; each
-- change has its own timestamp, set by the database.
--
-- Works on an empty database and on a legacy `location_queue` without `cart_id` or
-- `queue_seq`: missing columns are added without a table rewrite (`queue_seq` takes its
-- default from a sequence for new rows only; legacy rows keep null and sort first among
-- entries created at the same instant). An older app's NOT NULL column without a default,
-- which the product does not write, becomes nullable (private.relax_not_null).

-- squawk-ignore-file prefer-robust-stmts
-- (every statement here is idempotent: adding a column if it is missing, setting a default,
-- enabling RLS or REPLICA IDENTITY FULL again changes nothing, so a partial run can be rerun)
set lock_timeout = '3s';
set statement_timeout = '30s';

create table if not exists public.location_queue (
  id uuid primary key default gen_random_uuid(),
  store_id uuid,
  location_id uuid,
  customer_id uuid,
  cart_id uuid,
  device_id text,
  status text not null default 'waiting',
  -- squawk-ignore prefer-bigint-over-int
  party_size integer, -- a number of people: integer is plenty
  note text,
  queue_seq bigint,
  created_at timestamptz not null default now(),
  called_at timestamptz,
  served_at timestamptz,
  removed_at timestamptz,
  no_show_at timestamptz,
  updated_at timestamptz not null default now()
);
alter table public.location_queue add column if not exists store_id uuid;
alter table public.location_queue add column if not exists location_id uuid;
alter table public.location_queue add column if not exists customer_id uuid;
alter table public.location_queue add column if not exists cart_id uuid;
alter table public.location_queue add column if not exists device_id text;
alter table public.location_queue add column if not exists status text default 'waiting';
-- squawk-ignore prefer-bigint-over-int
alter table public.location_queue add column if not exists party_size integer;
alter table public.location_queue add column if not exists note text;
alter table public.location_queue add column if not exists queue_seq bigint;
alter table public.location_queue add column if not exists created_at timestamptz default now();
alter table public.location_queue add column if not exists called_at timestamptz;
alter table public.location_queue add column if not exists served_at timestamptz;
alter table public.location_queue add column if not exists removed_at timestamptz;
alter table public.location_queue add column if not exists no_show_at timestamptz;
alter table public.location_queue add column if not exists updated_at timestamptz default now();
alter table public.location_queue alter column id set default gen_random_uuid();
alter table public.location_queue alter column status set default 'waiting';
alter table public.location_queue alter column created_at set default now();
alter table public.location_queue alter column updated_at set default now();
select private.relax_not_null('public.location_queue', array['id', 'store_id', 'location_id',
  'customer_id', 'cart_id', 'device_id', 'status', 'party_size', 'note', 'queue_seq', 'created_at',
  'called_at', 'served_at', 'removed_at', 'no_show_at', 'updated_at']);

-- The tie-breaker of the queue order. A plain sequence default (not an identity column):
-- adding an identity column to a live table rewrites it under an exclusive lock.
create sequence if not exists public.location_queue_queue_seq_seq as bigint;
alter sequence public.location_queue_queue_seq_seq owned by public.location_queue.queue_seq;
alter table public.location_queue
  alter column queue_seq set default nextval('public.location_queue_queue_seq_seq');
-- API writers may draw the next number (USAGE: nextval, which a direct insert needs), never
-- read it (SELECT: the count of entries of every store) or set it (UPDATE: setval to the
-- maximum stops every store's queue). Supabase's default privileges grant all three to
-- `authenticated`, so all go first.
revoke all on sequence public.location_queue_queue_seq_seq from public, anon, authenticated;
grant usage on sequence public.location_queue_queue_seq_seq to authenticated, service_role;

comment on table public.location_queue is
  'Customer queue per location; at most one open (waiting or called) entry per customer+location, and an open entry carries the customer''s active cart.';
comment on column public.location_queue.id is 'Entry id.';
comment on column public.location_queue.store_id is 'Store of the location (derived from the location when not given).';
comment on column public.location_queue.location_id is 'Location whose queue this is.';
comment on column public.location_queue.customer_id is 'The queued customer.';
comment on column public.location_queue.cart_id is 'The customer''s cart at this location (the active one while the entry is open; set by the database when not given).';
comment on column public.location_queue.device_id is 'Device that queued the customer, if known.';
comment on column public.location_queue.status is 'waiting, called, served, removed or no_show.';
comment on column public.location_queue.party_size is 'Party size, 1-100, optional.';
comment on column public.location_queue.note is 'Free text note, at most 500 characters, optional.';
comment on column public.location_queue.queue_seq is 'Tie-breaker of the queue order (created_at, queue_seq); set by the database.';
comment on column public.location_queue.created_at is 'When the customer joined the queue (set by the database).';
comment on column public.location_queue.called_at is 'When the customer was called (set by the database).';
comment on column public.location_queue.served_at is 'When the customer was served (set by the database).';
comment on column public.location_queue.removed_at is 'When the entry was removed (set by the database).';
comment on column public.location_queue.no_show_at is 'When the customer was marked as not showing up (set by the database).';
comment on column public.location_queue.updated_at is 'Last change of the entry (set by the database).';

reset lock_timeout;
reset statement_timeout;
