-- I2: at most one active anonymous cart per device and location.
-- Built concurrently: no lock that blocks writes on a live table. The Supabase CLI runs a
-- concurrent index build outside the file's transaction, so this file holds that statement alone.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
-- (no timeout here on purpose: a concurrent build takes no lock that blocks reads or writes,
-- it waits for older transactions by design, and a timeout would leave an invalid index)
create unique index concurrently if not exists carts_one_active_per_device_location on public.carts (location_id, device_id) where status = 'active' and customer_id is null and device_id is not null;
