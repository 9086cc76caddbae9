#!/bin/sh
# The lock service: fencing on and off, the seeded bugs, bad options, the plot.
. "$(dirname "$0")/lib.sh"

# Without fencing each late write is a lost update: exit 1 and a violation record.
for s in "lock_gc_pause.lua" "lock_gc_pause.lua -P variant=network" "lock_partition.lua" \
         "lock_restart.lua" "redlock_clock_jump.lua"; do
    set -- $s
    f=$1; shift
    expect_exit 1 "$f $* -P fencing=false fails" -- "$CLUSTERSIM" run "scenarios/$f" "$@" -P fencing=false --trace "$TMP/t.jsonl"
    expect_err "mutual_exclusion_at_resource: lost update" "$f $*: the checker names the lost update"
    grep -q '"type":"violation","invariant":"mutual_exclusion_at_resource"' "$TMP/t.jsonl"
    ok $? "$f $*: the trace has the violation record"
done

# The seeded bugs, found by explore within the seeds their catalogue entry names.
expect_exit 1 "explore finds lock.no_fencing_check" -- "$CLUSTERSIM" explore scenarios/lock_nemesis.lua --seeds 1..100 --bug lock.no_fencing_check
expect_exit 1 "lock.no_fencing_check in the scripted story too" -- "$CLUSTERSIM" explore scenarios/lock_gc_pause.lua --seeds 1..5 --bug lock.no_fencing_check
expect_exit 0 "with fencing, 100 seeds of pauses, slow messages and clock faults are safe" -- "$CLUSTERSIM" explore scenarios/lock_nemesis.lua --seeds 1..100
expect_exit 1 "without it some seeds lose an update" -- "$CLUSTERSIM" explore scenarios/lock_nemesis.lua --seeds 1..100 -P fencing=false
expect_out "mutual_exclusion_at_resource: lost update" "explore names the lost update"
expect_exit 1 "explore finds lock.token_not_durable" -- "$CLUSTERSIM" explore scenarios/lock_restart.lua --seeds 1..5 --bug lock.token_not_durable
expect_exit 0 "lock_restart without the bug" -- "$CLUSTERSIM" explore scenarios/lock_restart.lua --seeds 1..5

# The replicated machines' bugs, on Raft.
expect_exit 1 "explore finds raft.no_dedup" -- "$CLUSTERSIM" explore scenarios/counter_retry.lua --seeds 1..5 --bug raft.no_dedup
expect_exit 1 "explore finds raft.deq_from_local_state" -- "$CLUSTERSIM" explore scenarios/queue_handoff.lua --seeds 1..5 --bug raft.deq_from_local_state
expect_out "queue_double_dequeue" "the double dequeue is named"
expect_exit 0 "lock_raft holds over seeds" -- "$CLUSTERSIM" explore scenarios/lock_raft.lua --seeds 1..5
expect_exit 0 "counter_retry holds over seeds" -- "$CLUSTERSIM" explore scenarios/counter_retry.lua --seeds 1..5

# clustersim check: counter, queue and lock models, per key.
for sc in counter_retry queue_handoff lock_raft; do
    "$CLUSTERSIM" run scenarios/$sc.lua --trace "$TMP/$sc.jsonl" >/dev/null 2>&1
    expect_exit 0 "check: $sc is linearizable" -- "$CLUSTERSIM" check "$TMP/$sc.jsonl"
done
"$CLUSTERSIM" run scenarios/counter_retry.lua --bug raft.no_dedup --check-every 100000000 --trace "$TMP/c.jsonl" >/dev/null 2>&1
expect_exit 1 "check: a counter that counted a retry twice" -- "$CLUSTERSIM" check "$TMP/c.jsonl"
expect_out "key hits: NOT a counter: a value no count of the increments gives" "names the key and the model"
expect_out "client 3 seq 3: incr hits \+1 = 18" "the operation whose value no count explains"
expect_out "increments certainly done before it: 5; possibly done before it returned: 14" "and the window it had to fall in"
"$CLUSTERSIM" run scenarios/queue_handoff.lua --bug raft.deq_from_local_state --check-every 100000000 --trace "$TMP/q.jsonl" >/dev/null 2>&1
expect_exit 1 "check: a queue that handed one item to two consumers" -- "$CLUSTERSIM" check "$TMP/q.jsonl"
expect_out 'key jobs: NOT a queue: item "job1" dequeued twice' "the double hand-out is named"
expect_out 'client 2 seq 1: deq jobs = "job1"' "with both dequeues"
for w in counter queue; do
    cat >"$TMP/$w.lua" <<L
sim.cluster{ algorithm = "raft", nodes = 3, config = { machine = "$w" } }
sim.network{ latency = sim.uniform(1, 5), loss = 0.02 }
sim.clients{ count = 4, workload = "$w", rate = 40, read_ratio = 0.4, keys = 2, timeout = 100 }
sim.nemesis{ faults = {"crash", "partition"}, interval = 500, duration = 300 }
sim.run(4000)
L
    "$CLUSTERSIM" run "$TMP/$w.lua" --trace "$TMP/$w.jsonl" >/dev/null 2>&1
    expect_exit 0 "check: a generated $w workload under faults is consistent" -- "$CLUSTERSIM" check "$TMP/$w.jsonl"
done
expect_exit 1 "explore: raft.deq_from_local_state under a generated queue workload" -- "$CLUSTERSIM" explore "$TMP/queue.lua" --seeds 1..20 --bug raft.deq_from_local_state

# The trace shows grants, expiries, pauses, rejected writes and the overlapping belief.
"$CLUSTERSIM" run scenarios/lock_gc_pause.lua --trace "$TMP/g.jsonl" >/dev/null 2>&1
for r in lock_grant lock_expire client_pause write_accepted write_rejected lock_held lock_dropped overlapping_belief; do
    grep -q "\"type\":\"$r\"" "$TMP/g.jsonl"
    ok $? "lock_gc_pause's trace has $r records"
done
expect_exit 0 "same seed, same trace" -- sh -c "'$CLUSTERSIM' run scenarios/lock_basic.lua --trace '$TMP/a.jsonl' && '$CLUSTERSIM' run scenarios/lock_basic.lua --trace '$TMP/b.jsonl' && cmp '$TMP/a.jsonl' '$TMP/b.jsonl'"

# Redlock's drift allowance: no overlap within it, overlap beyond it.
expect_exit 0 "redlock_clock_drift at 5000 ppm" -- "$CLUSTERSIM" run scenarios/redlock_clock_drift.lua -P drift_ppm=5000
expect_out "overlapping beliefs: 0 " "no overlap at 0.5 % drift"
expect_exit 0 "redlock_clock_drift at 20000 ppm" -- "$CLUSTERSIM" run scenarios/redlock_clock_drift.lua -P drift_ppm=20000
expect_out "overlapping beliefs: 1 " "an overlap at 2 % drift"

# A client judges its lease on its own clock: a step forward ends it at once.
cat >"$TMP/step.lua" <<'L'
local c = sim.cluster{ algorithm = "lock", nodes = 2, config = { ttl = 1000 } }
sim.network{ latency = sim.const(1) }
local cl = sim.clients{ count = 1, workload = "lock", ttl = 1000, hold = 800, think = 1e6, stop = 100 }[1]
local dropped
sim.on("lock_dropped", function(r) dropped = dropped or r end)
sim.at(300, function() cl:clock{ step = 900 } end)
sim.run(2000)
print(string.format("dropped at %.0f ms: %s; abandoned %d; writes %d", dropped.t, dropped.why,
                    sim.metrics().locks.abandoned, sim.metrics().lock.writes_accepted))
L
expect_exit 0 "a lock client whose clock steps" -- "$CLUSTERSIM" run "$TMP/step.lua"
expect_out "dropped at 300 ms: expired; abandoned 1; writes 0" "it gives up the moment its clock passes the validity"

# Bad options name themselves.
cat >"$TMP/bad.lua" <<'L'
sim.cluster{ algorithm = "lock", nodes = 3, config = { mode = "chubby" } }
L
expect_exit 65 "an unknown mode" -- "$CLUSTERSIM" run "$TMP/bad.lua"
expect_err "mode" "the error names the option"
cat >"$TMP/bad2.lua" <<'L'
sim.cluster{ algorithm = "lock", nodes = 1 }
L
expect_exit 65 "one node is too few" -- "$CLUSTERSIM" run "$TMP/bad2.lua"
expect_err "at least 2" "the error says how many"
cat >"$TMP/bad3.lua" <<'L'
sim.cluster{ algorithm = "lock", nodes = 2 }
sim.clients{ count = 1, rate = 5, hold = 10 }
L
expect_exit 65 "hold without the lock workload" -- "$CLUSTERSIM" run "$TMP/bad3.lua"
expect_err 'options of workload = "lock"' "the error names the workload"
cat >"$TMP/bad4.lua" <<'L'
sim.cluster{ algorithm = "lock", nodes = 2 }
sim.clients{ count = 1, workload = "lock", hold = {5, 1} }
L
expect_exit 65 "hold = {max, min}" -- "$CLUSTERSIM" run "$TMP/bad4.lua"
expect_err "hold = \{min, max\}" "the error shows the form"

# The timeline draws leases, beliefs, pauses and writes.
if command -v gnuplot >/dev/null 2>&1; then
    expect_exit 0 "timeline of a lock trace" -- "$CLUSTERSIM" plot "$TMP/g.jsonl" --kind timeline -o "$TMP/g.png"
    [ -s "$TMP/g.png" ]
    ok $? "the PNG is written"
fi
done_testing
