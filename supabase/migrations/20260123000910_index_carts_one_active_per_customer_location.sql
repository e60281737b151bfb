-- I1: at most one active cart per customer and location. The repair merged the duplicates; the duplicate guard kept new ones out while this builds.
-- Built concurrently: no lock that blocks writes on a live table. The Supabase CLI runs a
-- concurrent index build outside the file's transaction, so this file holds that statement alone.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
-- (no timeout here on purpose: a concurrent build takes no lock that blocks reads or writes,
-- it waits for older transactions by design, and a timeout would leave an invalid index)
create unique index concurrently if not exists carts_one_active_per_customer_location on public.carts (customer_id, location_id) where status = 'active' and customer_id is not null;
