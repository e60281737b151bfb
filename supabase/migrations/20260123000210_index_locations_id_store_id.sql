-- The key that carts and queue entries reference with (location_id, store_id), so a row's location always belongs to its store.
-- Built concurrently: no lock that blocks writes on a live table. The Supabase CLI runs a
-- concurrent index build outside the file's transaction, so this file holds that statement alone.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
-- (no timeout here on purpose: a concurrent build takes no lock that blocks reads or writes,
-- it waits for older transactions by design, and a timeout would leave an invalid index)
create unique index concurrently if not exists locations_id_store_id_key on public.locations (id, store_id);
