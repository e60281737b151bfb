-- One pgbench transaction of the concurrency stress run: as PostgREST does, set the role
-- and the JWT claims locally, then perform one random operation on a tiny key space.
\set customer random(1, :customers)
\set location random(1, :locations)
\set op random(1, 10)
begin;
select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '{"role":"authenticated","sub":"00000000-0000-4000-8000-00000000b001","app_metadata":{"store_ids":["00000000-0000-4000-8001-000000000001"]}}', true);
select poscart_bench.step(:op, :customer, :location);
commit;
