-- One pgbench transaction of the legacy load run: one request of the apps of the previous
-- version, as PostgREST runs it (connected as authenticator; role and the JWT claims of a
-- legacy staff user set locally), then legacy_load.step (bench/sql/legacy_load_setup.sql).
\set op random(1, 100)
\set key random(1, :keys)
\set roll random(1, 100)
\set staff random(1, :staff)
begin;
select set_config('role', 'authenticated', true), set_config('request.jwt.claims', '{"role":"authenticated","aud":"authenticated","sub":"b7000000-0000-4000-8000-' || lpad(:staff::text, 12, '0') || '","app_metadata":{"provider":"email","providers":["email"]}}', true);
select legacy_load.step(:op, :key, :roll);
commit;
