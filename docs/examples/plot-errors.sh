#!/bin/sh
# The errors docs/plots.md lists: each command as typed, what it prints on
# standard error, and its exit status. Run from the top of the source tree;
# it writes to out/.
C=./clustersim
mkdir -p out
$C run scenarios/raft_flaky.lua --trace out/plot-errors.jsonl >/dev/null 2>&1
$C run scenarios/fd_crash.lua --trace out/plot-errors-fd.jsonl >/dev/null 2>&1
head -c 300000 out/plot-errors.jsonl > out/cut.jsonl
{ head -3 out/plot-errors.jsonl; echo '{"t":1,"type":"role",'; tail -1 out/plot-errors.jsonl; } > out/bad.jsonl
{ head -1 out/plot-errors.jsonl; echo '{"t":0,"type":"crash","node":2000000}'; tail -1 out/plot-errors.jsonl; } > out/big-id.jsonl
cp out/plot-errors.jsonl out/plot-errors.svg
try() {
    echo "\$ $*"
    "$@" >out/stdout 2>out/stderr
    s=$?
    head -2 out/stderr
    echo "exit $s"
}
try $C plot out/plot-errors.jsonl --kind pie -o out/x.png
try $C plot out/missing.jsonl --kind timeline -o out/x.png
try $C plot out/bad.jsonl --kind timeline -o out/x.png
try $C plot out/cut.jsonl --kind timeline -o out/x.png
try $C plot out/big-id.jsonl --kind timeline -o out/x.png
try $C plot out/plot-errors-fd.jsonl --kind commit -o out/x.png
try $C plot out/plot-errors.jsonl --kind latency --from 0 --to 1 -o out/x.png
try $C plot out/plot-errors.svg --kind timeline -o out/plot-errors.svg
try $C plot out/plot-errors.jsonl --kind timeline -o /nonexistent/x.png
echo '$ PATH=/nonexistent ./clustersim plot out/plot-errors.jsonl --kind timeline -o out/x.png'
PATH=/nonexistent $C plot out/plot-errors.jsonl --kind timeline -o out/x.png 2>out/stderr >/dev/null
s=$?; head -2 out/stderr; echo "exit $s"
