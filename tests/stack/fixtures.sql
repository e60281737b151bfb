-- Functions the stand-in's conformance tests call: one per response shape, argument
-- rule, setting and error class. Loaded into the tests' own scratch database only.

create table public.t_item (id int primary key, name text not null);
insert into public.t_item values (1, 'one'), (2, 'two');
create table public.t_log (id int primary key, note text);

create function public.t_echo(p_id uuid, p_n int default null, p_note text default null)
returns jsonb language sql as $$
  select jsonb_build_object('id', p_id, 'n', p_n, 'note', p_note)
$$;

create function public.t_int() returns int language sql immutable as $$ select 42 $$;
create function public.t_text() returns text language sql immutable as $$ select 'hi' $$;
create function public.t_null() returns text language sql immutable as $$ select null::text $$;
create function public.t_json() returns json language sql immutable as $$ select '{"a":[1,2]}'::json $$;
create function public.t_row() returns public.t_item language sql stable as $$
  select * from public.t_item where id = 1
$$;
create function public.t_rows(p_max int default 10) returns setof public.t_item
language sql stable as $$ select * from public.t_item where id <= p_max order by id $$;
create function public.t_table() returns table (a int, b text) language sql stable as $$
  values (1, 'x'), (2, 'y')
$$;
create function public.t_nums() returns setof int language sql stable as $$
  select generate_series(1, 3)
$$;
create function public.t_void() returns void language sql as $$ select $$;

create function public.t_over(a int) returns text language sql as $$ select 'int' $$;
create function public.t_over(a text) returns text language sql as $$ select 'text' $$;
create function public.t_whole(json) returns json language sql as $$ select $1 $$;

-- What the request looks like from inside the transaction.
create function public.t_whoami() returns jsonb language sql stable as $$
  select jsonb_build_object(
    'current_user', current_user,
    'uid', auth.uid(),
    'role', auth.role(),
    'jwt', auth.jwt(),
    'method', current_setting('request.method', true),
    'path', current_setting('request.path', true),
    'headers', current_setting('request.headers', true)::jsonb,
    'search_path', current_setting('search_path'),
    'isolation', current_setting('transaction_isolation'),
    'read_only', current_setting('transaction_read_only'),
    'statement_timeout', current_setting('statement_timeout')
  )
$$;
create function public.t_whoami_volatile() returns jsonb language sql volatile as $$
  select public.t_whoami()
$$;

create function public.t_insert(p_id int, p_note text default null) returns int
language sql as $$ insert into public.t_log values (p_id, p_note) returning id $$;
create function public.t_insert_then_fail(p_id int) returns int language plpgsql as $$
begin
  insert into public.t_log values (p_id, 'should be rolled back');
  raise exception 'failing after the insert' using hint = 'rolled_back';
end
$$;
-- Marked STABLE but writes through a volatile function: only the transaction's READ ONLY
-- mode stops it (25006).
create function public.t_write_in_stable(p_id int) returns int language sql stable as $$
  select public.t_insert(p_id, 'stable')
$$;

-- Raises any SQLSTATE with any message (for the status table).
create function public.t_raise(p_code text, p_message text default 'raised by test',
                               p_detail text default null, p_hint text default null)
returns void language plpgsql as $$
begin
  raise exception using errcode = p_code, message = p_message,
    detail = coalesce(p_detail, ''), hint = coalesce(p_hint, '');
end
$$;

create function public.t_private() returns text language sql as $$ select 'secret' $$;
revoke execute on function public.t_private() from public, anon, authenticated;
grant execute on function public.t_private() to service_role;

create function public.t_sleep(p_ms int) returns int language sql as $$
  select p_ms from pg_sleep(p_ms / 1000.0)
$$;

-- Cases of PostgREST's own RPC spec (Feature/Query/RpcSpec.hs), on functions shaped like
-- the ones its fixtures define.
create function public.single_out_param(num int, out num_plus_one int) language sql as $$
  select num + 1
$$;
create function public.single_json_out_param(a int, b text, out my_json json) language sql as $$
  select json_build_object('a', a, 'b', b)
$$;
create function public.single_inout_param(inout num int) language sql as $$ select num + 1 $$;
create function public.many_out_params(out my_json json, out num int, out str text)
language sql as $$ select '{"a": 1, "b": "two"}'::json, 3, 'four' $$;
create function public.many_inout_params(inout num int, inout str text, inout b bool default true)
language sql as $$ select num, str, b $$;
create function public.single_column_table_return() returns table (a text) language sql as $$
  select 'A'
$$;
create function public.multi_column_table_return() returns table (a text, b text)
language sql as $$ select 'A', 'B' $$;
create function public.returns_record() returns record language sql as $$
  select * from public.t_item where id = 1
$$;
create function public.returns_setof_record() returns setof record language sql as $$
  select * from public.t_item order by id
$$;
create function public.variadic_param(variadic v text[] default '{}') returns text[]
language sql immutable as $$ select v $$;
create function public.sayhello_variadic(name text, variadic v text[]) returns text
language sql immutable as $$ select 'Hello, ' || name $$;
create table public.t_char (char_ char(5), char_arr char(5)[], bit_ bit(5), bit_arr bit(5)[]);
create function public.char_param_select(char_ char, char_arr char[])
returns table (char_ text, char_arr text[]) language sql as $$ select char_::text, char_arr::text[] $$;
create function public.char_param_insert(char_ char, char_arr char[]) returns void
language sql as $$ insert into public.t_char (char_, char_arr) values (char_, char_arr) $$;
create function public.bit_param_select(bit_ bit, bit_arr bit[])
returns table (bit_ text, bit_arr text[]) language sql as $$ select bit_::text, bit_arr::text[] $$;
create function public.bit_param_insert(bit_ bit, bit_arr bit[]) returns void
language sql as $$ insert into public.t_char (bit_, bit_arr) values (bit_, bit_arr) $$;
-- A set-returning function to filter, order and page: ids 1..n.
create function public.t_series(p_n int) returns table (id int, name text)
language sql stable as $$ select i, 'item ' || i from generate_series(1, p_n) i $$;
-- The argument and a filter share a name.
create function public.get_projects_below(id int) returns setof public.t_item
language sql stable as $$ select * from (values (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')) as v(id, name)
  where v.id < get_projects_below.id $$;
-- Writes and answers the rows it wrote (the 406 rollback case).
create function public.t_insert_rows(p_ids int[]) returns setof public.t_log language sql as $$
  insert into public.t_log select i, 'many' from unnest(p_ids) i returning *
$$;
-- Response status and headers set from SQL.
create function public.get_int_and_guc_headers(num int) returns int language plpgsql as $$
begin
  perform set_config('response.headers',
    '[{"X-Test": "key1=val1; someValue; key2=val2"}, {"X-Test-2": "key1=val1"}]', true);
  return num;
end $$;
create function public.bad_guc_headers_1() returns void language plpgsql as $$
begin perform set_config('response.headers', '{"X-Test": "invalid structure for headers"}', true); end $$;
create function public.send_body_status_403() returns json language plpgsql as $$
begin
  perform set_config('response.status', '403', true);
  return json_build_object('message', 'invalid user or password');
end $$;
create function public.send_bad_status() returns json language plpgsql as $$
begin
  perform set_config('response.status', 'bad', true);
  return null;
end $$;
-- A deferred constraint (violated only at COMMIT, or by SET CONSTRAINTS ALL IMMEDIATE).
create table public.t_deferrable (col int unique deferrable initially immediate);
create function public.raise_constraint(deferred bool default false) returns void
language plpgsql as $$
begin
  if deferred then set constraints all deferred; end if;
  insert into public.t_deferrable values (1), (1);
end $$;

-- Tables for the cases of PostgREST's QuerySpec, InsertSpec, UpdateSpec, DeleteSpec,
-- UpsertSpec and SingularSpec (Feature/Query/*.hs).
create table public.t_client (id int primary key, name text not null);
insert into public.t_client values (1, 'Microsoft'), (2, 'Apple');
create table public.t_project (
  id int primary key,
  name text not null,
  client_id int references public.t_client (id),
  status text default 'new',
  budget int check (budget is null or budget >= 0)
);
insert into public.t_project (id, name, client_id, budget) values
  (1, 'Windows 7', 1, 10), (2, 'Windows 10', 1, 20), (3, 'IOS', 2, null),
  (4, 'OSX', 2, 40), (5, 'Orphan', null, 50);
create view public.t_project_view as select id, name from public.t_project;
create table public.t_unique (id serial primary key, code text unique not null, qty int);
create table public.t_secret (id int primary key, note text);
revoke all on public.t_secret from anon, authenticated;
-- A trigger raising with a hint (P0001 -> 400).
create function public.t_project_guard() returns trigger language plpgsql as $$
begin
  if new.name = 'forbidden' then
    raise exception 'name not allowed' using hint = 'name_not_allowed';
  end if;
  return new;
end $$;
create trigger t_project_guard before insert or update on public.t_project
  for each row execute function public.t_project_guard();
-- Row level security as the request's role: a user sees their own rows only.
create table public.t_owned (id int primary key, owner uuid not null, note text);
alter table public.t_owned enable row level security;
create policy t_owned_own on public.t_owned for all to authenticated
  using (owner = auth.uid()) with check (owner = auth.uid());
-- What the request looks like from inside a table request.
create table public.t_seen (id serial primary key, method text, path text, ua text);
create function public.t_seen_fill() returns trigger language plpgsql as $$
begin
  new.method := current_setting('request.method', true);
  new.path := current_setting('request.path', true);
  new.ua := current_setting('request.headers', true)::json ->> 'x-client-info';
  return new;
end $$;
create trigger t_seen_fill before insert on public.t_seen
  for each row execute function public.t_seen_fill();

-- More rows than db-max-rows (config.toml [api] max_rows = 1000) lets one read answer.
create table public.t_many (id int primary key);
insert into public.t_many select generate_series(1, 1500);
create function public.t_many_ids() returns setof int language sql stable as $$
  select generate_series(1, 1200)
$$;

-- Embedding (PostgREST's QuerySpec "embedded resources" and EmbedDisambiguationSpec): the
-- tasks of projects, a table that references itself, notes on rows row level security hides.
create table public.t_task (
  id int primary key,
  name text not null,
  project_id int references public.t_project (id)
);
insert into public.t_task values
  (1, 'Design w7', 1), (2, 'Code w7', 1), (3, 'Design w10', 2), (4, 'Code w10', 2),
  (5, 'Design IOS', 3);
create table public.t_node (id int primary key, parent_id int references public.t_node (id));
insert into public.t_node values (1, null), (2, 1);
create table public.t_note (id int primary key, owned_id int references public.t_owned (id), body text);

-- JSON paths and full-text search (PostgREST's JsonOperatorSpec and QuerySpec "Full text search
-- operator").
create table public.t_json (id int primary key, data jsonb);
insert into public.t_json values
  (1, '{"blood_type": "A-", "age": 30, "phones": [{"number": "917-929-5745"}], "tags": {"vip": true}}'),
  (2, '{"blood_type": "O+", "age": 25, "phones": [{"number": "646-896-4521"}], "tags": {"vip": false}}'),
  (3, '{"blood_type": "AB+", "age": 40, "phones": []}');
create table public.t_doc (id int primary key, body text, words tsvector);
insert into public.t_doc (id, body) values
  (1, 'Fat cats ate rats'), (2, 'The rat ate the fat cat'), (3, 'Dogs chase cats'),
  (4, 'Fat rats ran');
update public.t_doc set words = to_tsvector('english', body);
