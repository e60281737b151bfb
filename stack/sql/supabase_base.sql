-- What a Supabase project's database has before any project migration, for the local stack's
-- throwaway PostgreSQL. Applied by the cluster's superuser `supabase_admin`; the project's
-- migrations then run as `postgres`, which (as on Supabase) is NOT a superuser:
--
--   * `postgres`: login, createdb, createrole, replication, bypassrls; member of the API roles
--     and of pg_read_all_data / pg_monitor / pg_signal_backend; search_path
--     "$user", public, extensions; may create in `public` and `extensions`, not in `auth`.
--   * `anon`, `authenticated`, `service_role`: nologin, INHERIT (service_role bypasses RLS);
--     `authenticator`: login, noinherit, member of the three. Timeouts: anon 3 s and
--     authenticated 8 s statement_timeout; authenticator 8 s statement_timeout and lock_timeout.
--   * schema `auth` owned by `supabase_admin`: the `auth.users` table (the columns of GoTrue's
--     table that a project's SQL reads) and the `auth.uid()` / `auth.role()` / `auth.email()` /
--     `auth.jwt()` helpers, owned by `supabase_auth_admin`, each reading the legacy
--     per-claim setting first and then the claims JSON that PostgREST sets.
--   * schema `extensions` with pgcrypto, uuid-ossp and pgtap; pg_cron in the `postgres`
--     database (schema `cron`, usable by `postgres`); plpgsql_check for the linter.
--   * Supabase's default privileges in `public` (everything granted to the API roles: each
--     migration revokes what they must not have) and the empty `supabase_realtime` publication.
--
-- Idempotent: safe to apply twice, and to every database of the cluster (roles are global).

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'postgres') then
    create role postgres login password 'postgres';
  end if;
  if not exists (select 1 from pg_roles where rolname = 'supabase_auth_admin') then
    create role supabase_auth_admin noinherit nologin;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin inherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin inherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin inherit bypassrls;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit password 'postgres';
  end if;
end
$$;

alter role postgres nosuperuser createdb createrole login replication bypassrls;
alter role postgres set search_path = "$user", public, extensions;
alter role anon nologin inherit;
alter role authenticated nologin inherit;
alter role service_role nologin inherit bypassrls;
alter role authenticator login noinherit;

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;
grant pg_read_all_data, pg_monitor, pg_signal_backend to postgres;

alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';

do $$
begin
  execute format('grant all on database %I to postgres', current_database());
end
$$;

-- Extensions live in their own schema.
create schema if not exists extensions;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
grant all on schema extensions to postgres;
create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;
create extension if not exists pgtap with schema extensions;
create extension if not exists plpgsql_check with schema extensions;

-- pg_cron can only live in the database named by `cron.database_name` (here `postgres`).
do $$
begin
  if current_database() = current_setting('cron.database_name', true)
    and exists (select 1 from pg_available_extensions where name = 'pg_cron') then
    create extension if not exists pg_cron with schema pg_catalog;
    grant usage on schema cron to postgres;
    grant select, insert, update, delete on all tables in schema cron to postgres;
    grant usage, select on all sequences in schema cron to postgres;
    grant execute on all functions in schema cron to postgres;
  end if;
end
$$;

-- auth: owned by the platform; `postgres` may use it but not create in it.
create schema if not exists auth;
alter schema auth owner to supabase_admin;
grant usage on schema auth to postgres, anon, authenticated, service_role, supabase_auth_admin;
revoke create on schema auth from postgres;
grant create on schema auth to supabase_auth_admin;

create table if not exists auth.users (
  instance_id uuid,
  id uuid primary key,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  phone text unique,
  phone_confirmed_at timestamptz,
  banned_until timestamptz,
  deleted_at timestamptz,
  is_sso_user boolean not null default false,
  is_anonymous boolean not null default false
);
alter table auth.users owner to supabase_auth_admin;
grant all on auth.users to postgres;
grant all on auth.users to service_role;

create or replace function auth.uid() returns uuid
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.sub', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
  )::uuid
$$;
comment on function auth.uid() is 'Deprecated. Use auth.jwt() -> ''sub'' instead.';

create or replace function auth.role() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.role', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
  )::text
$$;
comment on function auth.role() is 'Deprecated. Use auth.jwt() -> ''role'' instead.';

create or replace function auth.email() returns text
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim.email', true), ''),
    (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
  )::text
$$;
comment on function auth.email() is 'Deprecated. Use auth.jwt() -> ''email'' instead.';

create or replace function auth.jwt() returns jsonb
language sql stable
as $$
  select coalesce(
    nullif(current_setting('request.jwt.claim', true), ''),
    nullif(current_setting('request.jwt.claims', true), '')
  )::jsonb
$$;
comment on function auth.jwt() is 'The JWT claims of the current request, as jsonb.';

alter function auth.uid() owner to supabase_auth_admin;
alter function auth.role() owner to supabase_auth_admin;
alter function auth.email() owner to supabase_auth_admin;
alter function auth.jwt() owner to supabase_auth_admin;
grant execute on function auth.uid(), auth.role(), auth.email(), auth.jwt()
  to postgres, anon, authenticated, service_role;

-- public: `postgres` creates the project's objects; Supabase's default privileges grant
-- everything on them to the API roles.
grant usage, create on schema public to postgres;
grant usage on schema public to anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on functions to postgres, anon, authenticated, service_role;

-- Realtime's publication, owned by `postgres` so migrations can add tables to it.
do $$
begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$$;
alter publication supabase_realtime owner to postgres;
