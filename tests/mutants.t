#!/bin/sh
# The mutants of `make mutate` (tests/mutants/*.patch) and their table in
# docs/explore.md: every patch says what it does and what kills it, still
# applies to the tree, and the table is exactly what `tools/mutate.sh
# --table` builds from the patches, score included; a survivor is
# explained under the table. (Whether the killers are right is `make
# mutate`'s business: it fails when a patch's killed-by line is wrong.)
. "$(dirname "$0")/lib.sh"

for p in tests/mutants/*.patch; do
    name=$(basename "$p" .patch)
    head -1 "$p" | grep -Eq '^# [a-zA-Z]'
    ok $? "$name: the first line says what the mutation does"
    [ "$(grep -c '^# killed-by: ' "$p")" -eq 1 ]
    ok $? "$name: one killed-by line"
    patch -p1 --dry-run -s -f < "$p" >"$TMP/patch" 2>&1
    rc=$?
    ok $rc "$name: applies to the current source"
    [ $rc -eq 0 ] || sed 's/^/#   /' "$TMP/patch"
done

sh tools/mutate.sh --table > "$TMP/want"
awk '/^\| mutant \| what it does \| killed by \|$/ { on = 1 } on { print } on && /^Mutation score:/ { exit }' \
    docs/explore.md > "$TMP/got"
diff -u "$TMP/want" "$TMP/got" > "$TMP/diff"
rc=$?
ok $rc "docs/explore.md's mutant table is tools/mutate.sh --table's"
[ $rc -eq 0 ] && [ -s "$TMP/got" ] || sed 's/^/#   /' "$TMP/diff"
[ "$(grep -c '^| mutant | what it does | killed by |$' docs/explore.md)" -eq 1 ]
ok $? "docs/explore.md has one mutant table"

for p in $(grep -l '^# killed-by: survives$' tests/mutants/*.patch); do
    name=$(basename "$p" .patch)
    awk '/^Mutation score:/ { on = 1 } on' docs/explore.md | grep -q "^- \`$name\`"
    ok $? "$name survives: docs/explore.md explains why under the table"
done
done_testing
