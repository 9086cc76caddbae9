#!/bin/sh
# The failure-detector scenarios under their other parameters.
. "$(dirname "$0")/lib.sh"

# Detection time tracks the heartbeat interval (fd_crash asserts the window).
for iv in 20 50 100; do
    expect_exit 0 "fd_crash with interval $iv ms" -- "$CLUSTERSIM" run scenarios/fd_crash.lua -P interval=$iv -P timeout=$((iv * 4))
done

# Fixed timeout vs phi under jitter: phi suspects live nodes far less often.
expect_exit 0 "fd_jitter, fixed timeout" -- "$CLUSTERSIM" run scenarios/fd_jitter.lua -P detector=fixed
fixed=$(sed -n 's/^fixed: *\([0-9]*\) false.*/\1/p' "$TMP/out")
expect_exit 0 "fd_jitter, phi accrual" -- "$CLUSTERSIM" run scenarios/fd_jitter.lua -P detector=phi
phi=$(sed -n 's/^phi *: *\([0-9]*\) false.*/\1/p' "$TMP/out")
[ -n "$fixed" ] && [ -n "$phi" ] && [ $((phi * 4)) -lt "$fixed" ]
ok $? "phi ($phi) has under a quarter of the fixed timeout's false suspicions ($fixed)"

# A slower drift still makes the drifting node the first to notice.
expect_exit 0 "fd_clock_drift at +200000 ppm" -- "$CLUSTERSIM" run scenarios/fd_clock_drift.lua -P drift_ppm=200000

# The phi detector's suspicion records carry phi, at or above the threshold.
"$CLUSTERSIM" run scenarios/fd_pause.lua --trace "$TMP/p.jsonl" 2>/dev/null
grep '"type":"suspect"' "$TMP/p.jsonl" | head -1 | grep -Eq '"phi":([89]|[1-9][0-9])'
ok $? "phi suspicion records carry phi >= 8"
# The phi threshold's meaning (Hayashibara et al.): phi = T is reached z(T)
# standard deviations after a heartbeat is due; the scenario asserts it.
for args in "-P threshold=1" "-P threshold=12" "-P jitter=20"; do
    expect_exit 0 "fd_phi_reference $args" -- "$CLUSTERSIM" run scenarios/fd_phi_reference.lua $args
done
expect_exit 0 "fd_phi_reference, published setting" -- "$CLUSTERSIM" run scenarios/fd_phi_reference.lua
expect_out "phi = 8 reached 5[5-7]\.[0-9] ms after the heartbeat was due" "phi = 8 at about 56 ms past due, as published"
done_testing
