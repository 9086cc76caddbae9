#!/bin/sh
# tests/export.t: `clustersim export` to chrome, shiviz and history, each
# validated against the rules of its format (a Perl checker, JSON::PP is
# core Perl). TAP; run with prove.
CS=${CLUSTERSIM:-./clustersim}
D=tests/data
T=$(mktemp -d "${TMPDIR:-/tmp}/export-t.XXXXXX")
trap 'rm -rf "$T"' EXIT
n=0
ok()   { n=$((n+1)); echo "ok $n - $1"; }
fail() { n=$((n+1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }
run() { "$@" >"$T/out" 2>"$T/err"; rc=$?; }
echo "1..20"

# Chrome Trace Event Format: one JSON object; M names for every process;
# every flow start "s" has exactly one finish "f" (same id and cat, "bp":"e"),
# and each lies inside a complete "X" slice on its own pid/tid, or Perfetto
# drops it; X slices have dur >= 0; counters carry numbers.
cat >"$T/chrome.pl" <<'PERL'
use strict; use warnings; use JSON::PP;
local $/; my $j = decode_json(<STDIN>);
my @ev = @{$j->{traceEvents} or die "no traceEvents\n"};
my (%named, %x, %s, %f, %ph);
for my $e (@ev) {
    defined $e->{ph} && defined $e->{pid} or die "event without ph or pid\n";
    $ph{$e->{ph}}++;
    $named{$e->{pid}} = 1 if $e->{ph} eq 'M' && $e->{name} eq 'process_name';
    if ($e->{ph} eq 'X') { $e->{dur} >= 0 or die "negative dur\n"; push @{$x{"$e->{pid}/$e->{tid}"}}, $e }
    if ($e->{ph} eq 's') { die "duplicate flow start $e->{id}\n" if $s{$e->{id}}; $s{$e->{id}} = $e }
    if ($e->{ph} eq 'f') { die "duplicate flow finish $e->{id}\n" if $f{$e->{id}}; $f{$e->{id}} = $e;
                           ($e->{bp} // '') eq 'e' or die "flow finish without bp e\n" }
    if ($e->{ph} eq 'C') { for (values %{$e->{args}}) { /^-?[\d.]+$/ or die "counter not a number\n" } }
}
for my $e (@ev) { $named{$e->{pid}} or die "pid $e->{pid} has no process_name\n" }
sub inside { my $e = shift; for my $x (@{$x{"$e->{pid}/$e->{tid}"} || []}) {
    return 1 if $x->{ts} <= $e->{ts} && $e->{ts} <= $x->{ts} + $x->{dur} } return 0 }
for my $id (keys %s) {
    my $f = $f{$id} or die "flow $id has no finish\n";
    $s{$id}{cat} eq $f->{cat} or die "flow $id: cat differs\n";
    inside($s{$id}) or die "flow start $id outside any slice\n";
    inside($f) or die "flow finish $id outside any slice\n";
    $f->{ts} >= $s{$id}{ts} or die "flow $id goes back in time\n";
}
keys %f == keys %s or die "finishes without starts\n";
printf "events=%d X=%d flows=%d C=%d i=%d\n", scalar @ev, $ph{X}//0, scalar keys %s, $ph{C}//0, $ph{i}//0;
PERL

# ShiViz: the regex line, a blank line, then host + clock / event pairs;
# each host's own component starts at 1 and rises by exactly 1 per event,
# and no clock knows more of another host than that host has logged.
cat >"$T/shiviz.pl" <<'PERL'
use strict; use warnings; use JSON::PP;
my @l = <STDIN>; chomp @l;
$l[0] eq '(?<host>\S+) (?<clock>{.*})\n(?<event>.*)' or die "bad regex line: $l[0]\n";
$l[1] eq '' or die "second line not blank\n";
my (%own, $events);
for (my $i = 2; $i < @l; $i += 2) {
    $l[$i] =~ /^(\S+) (\{.*\})$/ or die "line " . ($i+1) . ": not host + clock\n";
    my ($h, $c) = ($1, decode_json($2));
    defined $l[$i+1] && length $l[$i+1] or die "line " . ($i+2) . ": no event text\n";
    $c->{$h} == ($own{$h} // 0) + 1 or die "line " . ($i+1) . ": $h clock $c->{$h} after $own{$h}\n";
    $own{$h} = $c->{$h};
    for my $g (keys %$c) { $c->{$g} <= ($own{$g} // 0) or die "line " . ($i+1) . ": knows the future of $g\n" }
    $events++;
}
print "events=$events hosts=" . scalar(keys %own) . "\n";
PERL

# Jepsen/Porcupine history: one op per line; type invoke/ok/fail/info; f,
# process, time (ns, non-decreasing), index 0,1,2...; a process alternates
# invoke and completion; a process whose op ended info is never used again.
cat >"$T/history.pl" <<'PERL'
use strict; use warnings; use JSON::PP;
my ($i, $t, %open, %dead, %n) = (0, -1);
while (my $line = <STDIN>) {
    my $o = decode_json($line);
    $o->{type} =~ /^(invoke|ok|fail|info)$/ or die "bad type\n";
    defined $o->{f} && defined $o->{process} or die "no f or process\n";
    $o->{index} == $i++ or die "index $o->{index} out of order\n";
    $o->{time} >= $t or die "time goes back\n"; $t = $o->{time};
    my $p = $o->{process};
    die "process $p used after info\n" if $dead{$p};
    if ($o->{type} eq 'invoke') { die "process $p has two open ops\n" if $open{$p}; $open{$p} = $o->{f} }
    else { $open{$p} or die "completion without invoke for $p\n"; $open{$p} eq $o->{f} or die "f differs\n";
           delete $open{$p}; $dead{$p} = 1 if $o->{type} eq 'info' }
    $n{$o->{type}}++;
}
die "ops still open: " . join(",", keys %open) . "\n" if %open;
print join(" ", map { "$_=$n{$_}" } sort keys %n), "\n";
PERL

for tr in raft kv_lin kv_stale; do
    run "$CS" export $D/$tr.jsonl --to chrome -o "$T/$tr.json"
    check "chrome $tr: exit 0" '[ $rc -eq 0 ]'
    check "chrome $tr: valid Trace Event Format" 'perl "$T/chrome.pl" <"$T/$tr.json" >"$T/v" 2>&1 || { cat "$T/v" >&2; false; }'
done
check "chrome raft: a flow per delivery, counters and instants" \
    'perl "$T/chrome.pl" <"$T/raft.json" | grep -q "flows=92 C=[1-9][0-9]* i=[1-9]"'

run "$CS" export $D/raft.jsonl --to shiviz
check "shiviz: exit 0, to stdout by default" '[ $rc -eq 0 ] && [ -s "$T/out" ]'
check "shiviz: valid log, clocks step by one" 'perl "$T/shiviz.pl" <"$T/out" >"$T/v" 2>&1 || { cat "$T/v" >&2; false; }'
check "shiviz: receives merge the sender clock" 'grep -A1 "^node1 " "$T/out" | grep -q "\"node2\""'

for tr in raft kv_lin kv_stale; do
    run "$CS" export $D/$tr.jsonl --to history -o "$T/$tr.hist"
    check "history $tr: valid" '[ $rc -eq 0 ] && perl "$T/history.pl" <"$T/$tr.hist" >"$T/v" 2>&1 || { cat "$T/v" >&2; false; }'
done
check "history: a timed-out client continues as a fresh process" \
    'grep -q "\"type\":\"info\".*\"process\":2" "$T/kv_lin.hist" && grep -q "\"process\":5" "$T/kv_lin.hist"'
check "history: cas values are [expect, new], reads return their value" \
    'grep -q "\"f\":\"cas\",\"key\":\"x\",\"value\":\[\"1\",\"2\"\]" "$T/raft.hist" && grep -q "\"type\":\"ok\",\"f\":\"read\",\"key\":\"x\",\"value\":\"1\"" "$T/raft.hist"'

run "$CS" export $D/raft.jsonl --to csv
check "unknown format: 64, lists the formats" '[ $rc -eq 64 ] && grep -q "unknown format .csv.; accepted: chrome, shiviz, history" "$T/err"'
run "$CS" export $D/nonexistent.jsonl --to chrome
check "missing trace: 66" '[ $rc -eq 66 ]'
run "$CS" export $D/malformed.jsonl --to shiviz
check "malformed line: 65, names the line" '[ $rc -eq 65 ] && grep -q "malformed.jsonl:7:" "$T/err"'
run "$CS" export $D/raft.jsonl --to chrome -o /nonexistent-dir/x.json
check "unwritable output: 74" '[ $rc -eq 74 ]'
run "$CS" export $D/truncated.jsonl --to history
check "truncated trace: exported with a warning" '[ $rc -eq 0 ] && grep -q "no end record" "$T/err"'
