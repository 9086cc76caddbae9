#!/bin/sh
# Triggers each exit status that README.md and the man page list and prints
# "STATUS meaning", so tests/docs.t checks the numbers they quote. Run it
# from the top of the source tree; it writes to out/.
C=${CLUSTERSIM:-./clustersim}
mkdir -p out
status() { "$@" >/dev/null 2>&1; echo $?; }
same() { [ "$1" = "$2" ] && [ "$2" = "$3" ] && echo "$1"; }

echo "$(status $C run scenarios/fd_crash.lua --trace out/exit-codes.jsonl) success"
a=$(status $C run scenarios/raft_figure8.lua --bug raft.commit_previous_term)
b=$(status $C check tests/data/kv_stale.jsonl)
c=$(status $C run tests/lua/assert_fails.lua)
echo "$(same "$a" "$b" "$c") an invariant, checker or scenario assertion failed"
$C run scenarios/raft_flaky.lua --trace out/exit-codes-flaky.jsonl >/dev/null 2>&1
echo "$(status $C check out/exit-codes-flaky.jsonl --budget 10) inconclusive (a checker ran out of budget)"
echo "$(status $C run scenarios/fd_crash.lua --no-such-option) bad command line"
echo "$(status $C run tests/lua/syntax_error.lua) scenario script error"
echo "$(status $C run no/such/scenario.lua) input file missing"
echo "$(status env PATH=/nonexistent $C plot out/exit-codes.jsonl --kind timeline -o out/x.png) internal error (here: gnuplot missing)"
echo "$(status $C run scenarios/fd_crash.lua --trace /nonexistent/dir/t.jsonl) output error"
echo "$(status timeout --preserve-status -s INT 1 $C run tests/lua/long_run.lua) interrupted"
