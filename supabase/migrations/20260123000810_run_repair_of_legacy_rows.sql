-- Runs the repair of legacy rows defined in 20260123000800. This file is one statement, so a
-- runner that sends it on its own (the Supabase CLI's batch of one file, `psql -f`,
-- `psql -c`) runs it outside a transaction block, and the repair commits batch by batch:
-- each batch of keys locks only its own keys and rows for a fraction of a second, so the
-- apps of the previous version keep writing during the repair and wait at most for one
-- batch. A batch that meets a lock held longer than its 500 ms lock_timeout (less than
-- deadlock_timeout: where a batch and an app's transaction wait for each other, the batch
-- gives up first), a deadlock with an app's transaction, or a duplicate an app added meanwhile
-- is rolled back and tried again. A unique violation of an index that is not one of the
-- product's stops the file at once with its error: the older app's index has to go first.
-- After the last batch the keys are listed again, to repair what apps changed meanwhile,
-- until nothing is left (at most three more rounds). Then the rows kept as they are are
-- reported. Where the runner has opened a transaction around the file (`psql
-- --single-transaction`, a BEGIN before it), nothing can commit before the runner does: the
-- whole repair runs in that transaction (private.repair_legacy_rows), writers wait for it.

do $$
declare
  v_counts jsonb := '{}'::jsonb;
  v_batches bigint[];
  v_batch bigint;
  v_round integer := 0;
  v_tries integer;
  v_all_device_carts boolean;
  v_kept integer;
  v_constraint text;
begin
  if pg_catalog.now() <> pg_catalog.statement_timestamp()
    or pg_catalog.txid_current_if_assigned() is not null then
    perform pg_catalog.set_config('lock_timeout', '3s', true);
    raise notice 'repair of legacy rows, in the runner''s transaction: %',
      private.repair_legacy_rows();
    return;
  end if;

  perform pg_catalog.set_config('lock_timeout', '500ms', false);
  loop
    perform private.repair_list_keys();
    select coalesce(array_agg(distinct k.batch_no order by k.batch_no), '{}')
      into v_batches from private.repair_keys k;
    commit;
    exit when cardinality(v_batches) = 0 or v_round > 3;
    v_round := v_round + 1;
    foreach v_batch in array v_batches loop
      v_tries := 0;
      v_all_device_carts := false;
      loop
        begin
          v_counts := private.repair_add_counts(v_counts,
            private.repair_batch(array[v_batch], true, v_all_device_carts));
          exit;
        exception when lock_not_available or deadlock_detected or serialization_failure
          or unique_violation then
          v_tries := v_tries + 1;
          get stacked diagnostics v_constraint = constraint_name;
          -- A unique index of the older app that the repair's changes break (one line per
          -- product in a cart, say), not a duplicate an app added meanwhile: no retry helps.
          if v_tries >= 1000 or sqlstate = '23505'
            and not v_constraint = any (private.invariant_index_names()) then
            raise;
          end if;
          -- A duplicate an app added for a device key since the listing: find every active
          -- cart of the device by the location's carts.
          v_all_device_carts := v_all_device_carts or sqlstate = '23505';
          perform pg_catalog.pg_sleep(least(0.02 * v_tries, 1));
        end;
      end loop;
      commit;
    end loop;
    raise notice 'repair of legacy rows, round %: % batches', v_round, cardinality(v_batches);
  end loop;

  v_kept := private.repair_report_kept();
  truncate private.repair_keys;
  commit;
  reset lock_timeout;
  raise notice 'repair of legacy rows: % (% rows kept reported)', v_counts, v_kept;
end
$$;
