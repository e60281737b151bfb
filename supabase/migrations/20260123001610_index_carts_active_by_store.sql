-- Active carts by store, oldest change first: the expiry job (20260123001600) takes each store's
-- stalest carts from this index, so finding them reads a few rows per store, not the table.
-- Built concurrently: no lock that blocks writes on a live table. The Supabase CLI runs a
-- concurrent index build outside the file's transaction, so this file holds that statement alone.
-- squawk-ignore-file require-lock-timeout, require-statement-timeout
-- (no timeout here on purpose: a concurrent build takes no lock that blocks reads or writes,
-- it waits for older transactions by design, and a timeout would leave an invalid index)
create index concurrently if not exists carts_active_store_id_updated_at_idx on public.carts (store_id, updated_at) where status = 'active';
