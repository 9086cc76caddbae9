#!/bin/sh
# The documentation's quoted output, numbers and messages against the build
# under test ($CLUSTERSIM): one test per file, each file in its own scratch
# directory (tools/doctest.pl --check). A failure prints the unified diff or
# the stale quote; `make docs` rewrites the output blocks, and prose that
# quotes a number must be edited by hand. The pictures' data is
# `make docs-check`'s business, and so are the commands marked slow=1
# (hundreds of seeds): this test sets DOCTEST_FAST to skip them.
. "$(dirname "$0")/lib.sh"

files="README.md docs/explore.md docs/lua-api.md docs/lua-algorithms.md docs/plots.md docs/teaching.md docs/trace.md docs/trace-recipes.md docs/clustersim.1"
command -v jq >/dev/null 2>&1 || echo "# jq is not installed: the commands that use it are skipped (apt-get install jq)"
i=0
for f in $files; do
    i=$((i + 1))
    ( CLUSTERSIM=$CLUSTERSIM DOCTEST_FAST=1 perl tools/doctest.pl --check "$f" >"$TMP/doc$i.out" 2>&1; echo $? >"$TMP/doc$i.rc" ) &
    # two files at a time: each runs its commands one after another
    [ $((i % 2)) -eq 0 ] && wait
done
wait
i=0
for f in $files; do
    i=$((i + 1))
    rc=$(cat "$TMP/doc$i.rc")
    ok "$rc" "$f: every quoted output, number and message matches a fresh run"
    sed 's/^/#   /' "$TMP/doc$i.out"
done
done_testing
