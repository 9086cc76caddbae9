#!/bin/sh
# make install honours DESTDIR and PREFIX; the installed binary finds its
# plot scripts; make uninstall removes what install put there.
. "$(dirname "$0")/lib.sh"
make -s install DESTDIR="$TMP/inst" PREFIX=/opt/cs >/dev/null 2>&1
ok $? "make install DESTDIR=... PREFIX=/opt/cs"
B="$TMP/inst/opt/cs/bin/clustersim"
[ -x "$B" ] && [ -f "$TMP/inst/opt/cs/share/man/man1/clustersim.1" ] && [ -f "$TMP/inst/opt/cs/share/clustersim/plots/timeline.gp" ] &&
    [ -f "$TMP/inst/opt/cs/share/doc/clustersim/README.md" ] && [ -f "$TMP/inst/opt/cs/share/doc/clustersim/docs/lua-api.md" ]
ok $? "binary, man page, plot scripts and docs are installed"
"$B" run "$TMP/inst/opt/cs/share/clustersim/scenarios/fd_crash.lua" --trace "$TMP/t.jsonl" >/dev/null 2>&1
ok $? "the installed binary runs an installed scenario"
if command -v gnuplot >/dev/null 2>&1; then
    (cd / && "$B" plot "$TMP/t.jsonl" --kind timeline -o "$TMP/t.png" 2>/dev/null) && [ -s "$TMP/t.png" ]
    ok $? "the installed binary finds its plot scripts from anywhere"
fi
make -s uninstall DESTDIR="$TMP/inst" PREFIX=/opt/cs >/dev/null 2>&1
[ -z "$(find "$TMP/inst" -type f)" ]
ok $? "make uninstall removes every installed file"
done_testing
