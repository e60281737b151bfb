-- I3: at most one open (waiting or called) queue entry per customer and location.
-- Built concurrently: no lock that blocks writes on a live table. The Supabase CLI runs a
-- concurrent index build outside the file's transaction, so this file holds that statement alone.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
-- (no timeout here on purpose: a concurrent build takes no lock that blocks reads or writes,
-- it waits for older transactions by design, and a timeout would leave an invalid index)
create unique index concurrently if not exists location_queue_one_open_per_customer_location on public.location_queue (location_id, customer_id) where status in ('waiting', 'called');
