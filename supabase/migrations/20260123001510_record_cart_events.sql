-- Records every change of a cart, a cart line or a queue entry in public.cart_events (created,
-- with the trigger functions, by 20260123001500_create_cart_events.sql): one AFTER trigger on
-- each of the three tables the apps write. Creating a trigger takes a lock that makes the
-- apps' writes to its table wait, so the file takes the three locks at once
-- (private.lock_tables: each try waits at most 100 ms per table) and holds them only for the
-- few statements below.

set lock_timeout = '3s';
set statement_timeout = '30s';

select private.lock_tables(array['public.carts', 'public.cart_items', 'public.location_queue'],
  'access exclusive');

drop trigger if exists carts_record_event on public.carts;
create trigger carts_record_event after insert or update on public.carts
  for each row execute function private.carts_record_event();
comment on trigger carts_record_event on public.carts is 'History (one event per change).';
drop trigger if exists cart_items_record_event on public.cart_items;
create trigger cart_items_record_event after insert or update or delete on public.cart_items
  for each row execute function private.cart_items_record_event();
comment on trigger cart_items_record_event on public.cart_items is 'History (one event per change).';
drop trigger if exists location_queue_record_event on public.location_queue;
create trigger location_queue_record_event after insert or update on public.location_queue
  for each row execute function private.location_queue_record_event();
comment on trigger location_queue_record_event on public.location_queue is 'History (one event per change).';
reset lock_timeout;
reset statement_timeout;
