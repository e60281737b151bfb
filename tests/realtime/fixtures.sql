-- Tables the local Realtime's conformance tests subscribe to, in their own scratch database.
-- rt_item: row level security keyed on a claim (`app_metadata.team`), a column staff may
-- not read, and one column of each type a payload must carry typed. rt_open: no row level
-- security. rt_nopk: no primary key. rt_hidden: not in the publication.

create table public.rt_item (
  id int primary key,
  team text not null,
  n int,
  label text,
  price numeric,
  done boolean,
  tags text[],
  doc jsonb,
  at timestamptz not null default now(),
  ref uuid,
  secret text
);
alter table public.rt_item enable row level security;
revoke all on public.rt_item from anon, authenticated;
grant select (id, team, n, label, price, done, tags, doc, at, ref) on public.rt_item to authenticated;
create policy rt_item_team on public.rt_item for select to authenticated
  using (team = (select auth.jwt() -> 'app_metadata' ->> 'team')
         -- a claim `boom` makes the policy raise, for the error-isolation test
         and coalesce((select (auth.jwt() ->> 'boom')::int), 0) = 0);

create table public.rt_open (id int primary key, label text);
grant select on public.rt_open to anon, authenticated;

create table public.rt_nopk (label text);
grant select on public.rt_nopk to anon, authenticated;

create table public.rt_hidden (id int primary key, label text);
grant select on public.rt_hidden to anon, authenticated;

alter table public.rt_item replica identity full;
alter table public.rt_open replica identity full;
alter table public.rt_nopk replica identity full;
alter publication supabase_realtime add table public.rt_item, public.rt_open, public.rt_nopk;
