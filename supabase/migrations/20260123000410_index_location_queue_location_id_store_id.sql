-- Queue entries by location (and store); covers the (location_id, store_id) foreign key.
-- Built concurrently: no lock that blocks writes on a live table. The Supabase CLI runs a
-- concurrent index build outside the file's transaction, so this file holds that statement alone.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
-- (no timeout here on purpose: a concurrent build takes no lock that blocks reads or writes,
-- it waits for older transactions by design, and a timeout would leave an invalid index)
create index concurrently if not exists location_queue_location_id_store_id_idx on public.location_queue (location_id, store_id);
