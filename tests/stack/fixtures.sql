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
