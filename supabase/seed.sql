-- Demo data for local development (`scripts/dev`, `supabase db reset`): one store, one
-- location and two customers with fixed ids, so the printed example request works as is.
-- Never applied by the tests (they make their own fixtures) and never pushed to a project.
insert into public.stores (id, name)
values ('5a1e5000-0000-4000-8000-000000000001', 'Demo store')
on conflict (id) do nothing;

insert into public.locations (id, store_id, name)
values ('10ca7100-0000-4000-8000-000000000001', '5a1e5000-0000-4000-8000-000000000001', 'Blowing Rock')
on conflict (id) do nothing;

insert into public.customers (id, name)
values
  ('c0570000-0000-4000-8000-000000000001', 'Fahad'),
  ('c0570000-0000-4000-8000-000000000002', 'Walk-in regular')
on conflict (id) do nothing;
