#!/usr/bin/perl
# doctest.pl: the documentation's quoted output, numbers and messages, kept
# true by running the commands that produce them.
#
#   tools/doctest.pl --check  [FILE...]   run every marked command; print a
#                                         unified diff and exit 1 on any change
#   tools/doctest.pl --update [FILE...]   rewrite every marked output block
#                                         from a fresh run (`make docs`)
#
# Without FILE it reads README.md, docs/*.md and docs/clustersim.1. The
# binary under test is $CLUSTERSIM (default ./clustersim).
#
# Markers are comments, invisible in the rendered page: in Markdown
# <!-- doc-KIND [ATTR...]: COMMAND ... -->, in the man page consecutive
# `.\" ` lines, the first `.\" doc-KIND [ATTR...]: COMMAND`.
#
#   doc-run: CMD     the code block that follows (fenced, four-space
#                    indented, or .EX/.EE in the man page) is exactly what
#                    CMD writes to stdout and stderr together (sh -c 'CMD'
#                    2>&1), trailing blanks and blank lines aside. Lines at
#                    the top of the block that start with "$ " show the
#                    command and are kept as they are (unless the output
#                    itself starts with "$ "). --update rewrites the block.
#   doc-check: CMD   each further line of the marker is a string that must
#     STRING         appear in CMD's output (stdout and stderr) AND in the
#     ...            document between this marker and the next marker or
#                    heading; white space is folded, nothing else is. So a
#                    number or message quoted in prose is tied to a run.
#                    With no strings it only checks the exit status.
#                    --update cannot rewrite prose: it lists what is stale.
#   doc-setup: CMD   runs CMD (e.g. to write a trace later markers read);
#                    its output is not compared.
#
# A `^` in CMD stands for the code block just above the marker (a "$ "
# prompt stripped); the whole then runs as one script under `set -e`.
# Attributes: exit=N (the status CMD must end with, default 0; exit=any);
# case=no (doc-check: compare strings ignoring case); slow=1 (a command of
# seconds, e.g. hundreds of seeds: skipped when DOCTEST_FAST is set, as
# tests/docs.t sets it; `make docs` and `make docs-check` run it).
# A command that uses jq is skipped, with a note, when jq is not installed.
#
# Every file runs in its own scratch directory: the source tree's top-level
# entries are linked in, ./clustersim (and `clustersim` on PATH) is
# $CLUSTERSIM, and out/ is empty. So the doc shows `./clustersim run
# scenarios/x.lua --trace out/x.jsonl` and that is what runs. Commands of
# one file run in order, and an identical command runs once per file.
use strict;
use warnings;
use Cwd qw(abs_path getcwd);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use POSIX qw(WNOHANG);

my $mode = shift @ARGV // '';
my $verbose = 0;
if ($mode ne '--check' && $mode ne '--update') {
    print STDERR "usage: tools/doctest.pl --check|--update [-v] [FILE...]\n";
    exit 64;
}
if (@ARGV && $ARGV[0] eq '-v') { $verbose = 1; shift @ARGV; }

my $top = abs_path(dirname(abs_path($0)) . '/..');
chdir $top or die "doctest: cannot cd to $top: $!\n";
my $bin = $ENV{CLUSTERSIM} // "$top/clustersim";
$bin = abs_path($bin) // $bin;
-x $bin or die "doctest: no clustersim binary at $bin (set CLUSTERSIM or build it)\n";
my $have_jq = system('command -v jq >/dev/null 2>&1') == 0;
my $timeout = $ENV{DOCTEST_TIMEOUT} // 120;

my @files = @ARGV ? @ARGV : ('README.md', glob('docs/*.md'), 'docs/clustersim.1');
my $failed = 0;
for my $f (@files) { $failed += do_file($f); }
exit($failed ? 1 : 0);

# ---------------------------------------------------------------------------

sub is_troff { return $_[0] =~ /\.\d$/; }

# troff text as a reader sees it, for matching prose and output blocks
sub untroff {
    my ($s) = @_;
    $s =~ s/\\f[BIRP]//g;
    $s =~ s/\\f\(\w\w//g;
    $s =~ s/\\\(aq/'/g;
    $s =~ s/\\\(dq/"/g;
    $s =~ s/\\&//g;
    $s =~ s/\\-/-/g;
    $s =~ s/\\e/\\/g;
    return $s;
}

# One man-page source line as the text it renders: font macros lose their
# name (.B a b -> "a b"; .BR a b -> "ab"), other requests vanish.
sub troff_text {
    my ($l) = @_;
    return untroff($l) unless $l =~ /^\.(\w+)\s*(.*)$/;
    my ($req, $args) = ($1, $2);
    my @a;
    push @a, defined $1 ? $1 : $2 while $args =~ /"([^"]*)"|(\S+)/g;
    return untroff(join(' ', @a)) if $req =~ /^[BI]$/;
    return untroff(join('', @a)) if $req =~ /^[BIR][BIR]$/;
    return '';
}

sub troff_escape {
    my ($s) = @_;
    $s =~ s/\\/\\e/g;
    $s =~ s/-/\\-/g;
    $s =~ s/^([.'])/\\&$1/;
    return $s;
}

sub fold { my ($s) = @_; $s =~ s/\s+/ /g; $s =~ s/^ | $//g; return $s; }

# Parse FILE into markers: {kind, attrs, cmd, strings, line, end (index of
# the marker's last line), block => {from, to, prompt} for doc-run}.
sub parse {
    my ($file, $lines) = @_;
    my $troff = is_troff($file);
    my @m;
    for (my $i = 0; $i < @$lines; $i++) {
        my ($body, $end);
        if ($troff) {
            next unless $lines->[$i] =~ /^\.\\"\s*doc-(?:run|check|setup)\b/;
            my @b;
            $end = $i;
            while ($end < @$lines && $lines->[$end] =~ /^\.\\"\s?(.*)$/) {
                last if $end > $i && $1 =~ /^\s*doc-(?:run|check|setup)\b/;
                push @b, $1; $end++;
            }
            $end--;
            $body = join("\n", @b);
        } else {
            next unless $lines->[$i] =~ /<!--\s*doc-(?:run|check|setup)\b/;
            my $text = $lines->[$i];
            $end = $i;
            while ($text !~ /-->/ && $end + 1 < @$lines) { $end++; $text .= "\n" . $lines->[$end]; }
            die "$file:" . ($i + 1) . ": marker without -->\n" unless $text =~ /-->/;
            ($body) = $text =~ /<!--\s*(.*?)\s*-->/s;
        }
        my ($first, @rest) = split /\n/, $body;
        $first =~ /^doc-(run|check|setup)((?:\s+\w+=\S+)*)\s*:\s*(.*)$/
            or die "$file:" . ($i + 1) . ": cannot read marker: $first\n";
        my ($kind, $attrs, $cmd) = ($1, $2, $3);
        my %a = (exit => 0);
        while ($attrs =~ /(\w+)=(\S+)/g) { $a{$1} = $2; }
        my @strings = grep { /\S/ } map { my $s = $_; $s =~ s/^\s+|\s+$//g; $s } @rest;
        if ($cmd =~ /(?:^|\s)\^(?:\s|$)/) {
            my $prev = prev_block($lines, $i - 1, $troff)
                or die "$file:" . ($i + 1) . ": '^' but no code block before the marker\n";
            my $text = join("\n", map { my $s = $_; $s =~ s/^\$ //; $s } @$prev);
            $cmd =~ s/(^|\s)\^(\s|$)/$1\n$text$2/;
            $cmd = "set -e\n$cmd";
        }
        my $mk = { kind => $kind, attrs => \%a, cmd => $cmd, strings => \@strings,
                   line => $i + 1, start => $i, end => $end };
        if ($kind eq 'run') {
            $mk->{block} = find_block($file, $lines, $end + 1, $troff)
                or die "$file:" . ($i + 1) . ": doc-run without a code block after it\n";
        }
        push @m, $mk;
        $i = $end;
    }
    return \@m;
}

# The code block after line index J: {from, to} are the content lines.
sub find_block {
    my ($file, $lines, $j, $troff) = @_;
    $j++ while $j < @$lines && $lines->[$j] =~ /^\s*$/;
    return undef if $j >= @$lines;
    if ($troff) {
        $j++ while $j < @$lines && $lines->[$j] =~ /^\.(RS|PP|IP|TP)\b/;
        return undef unless $j < @$lines && $lines->[$j] =~ /^\.EX\b/;
        my $k = $j + 1;
        $k++ while $k < @$lines && $lines->[$k] !~ /^\.EE\b/;
        return { from => $j + 1, to => $k - 1, style => 'troff' };
    }
    if ($lines->[$j] =~ /^(\s*)(```+|~~~+)/) {
        my ($ind, $fence) = ($1, $2);
        my $k = $j + 1;
        $k++ while $k < @$lines && $lines->[$k] !~ /^\s*\Q$fence\E\s*$/;
        return { from => $j + 1, to => $k - 1, style => 'fence', indent => $ind };
    }
    if ($lines->[$j] =~ /^    /) {
        my $k = $j;
        $k++ while $k < @$lines && $lines->[$k] =~ /^    /;
        return { from => $j, to => $k - 1, style => 'indent', indent => '    ' };
    }
    return undef;
}

# The lines of the code block that ends just above line index J.
sub prev_block {
    my ($lines, $j, $troff) = @_;
    $j-- while $j >= 0 && $lines->[$j] =~ /^\s*$/;
    return undef if $j < 0;
    my @l;
    if ($troff) {
        return undef unless $lines->[$j] =~ /^\.EE\b/;
        my $k = $j - 1;
        $k-- while $k >= 0 && $lines->[$k] !~ /^\.EX\b/;
        return [map { untroff($_) } @$lines[$k + 1 .. $j - 1]];
    }
    if ($lines->[$j] =~ /^(\s*)(```+|~~~+)\s*$/) {
        my ($ind, $fence) = ($1, $2);
        my $k = $j - 1;
        $k-- while $k >= 0 && $lines->[$k] !~ /^\s*\Q$fence\E/;
        return [map { my $s = $_; $s =~ s/^\Q$ind\E//; $s } @$lines[$k + 1 .. $j - 1]];
    }
    if ($lines->[$j] =~ /^    /) {
        my $k = $j;
        $k-- while $k >= 0 && $lines->[$k] =~ /^    |^\s*$/;
        my @b = @$lines[$k + 1 .. $j];
        shift @b while @b && $b[0] =~ /^\s*$/;
        return [map { my $s = $_; $s =~ s/^    //; $s } @b];
    }
    return undef;
}

# The block's lines as text: prompt lines ("$ ...") at its top split off.
sub block_text {
    my ($lines, $b) = @_;
    my @l = @$lines[$b->{from} .. $b->{to}];
    my $ind = $b->{indent} // '';
    @l = map { my $s = $_; $s =~ s/^\Q$ind\E//; $b->{style} eq 'troff' ? untroff($s) : $s } @l;
    my @prompt;
    push @prompt, shift @l while @l && $l[0] =~ /^\$ /;
    return (\@prompt, \@l);
}

sub sandbox {
    my $d = tempdir('clustersim-doc.XXXXXX', TMPDIR => 1, CLEANUP => 1);
    opendir(my $dh, $top) or die "doctest: $top: $!\n";
    for my $e (readdir $dh) {
        next if $e =~ /^\.{1,2}$/ || $e eq '.git' || $e eq 'out' || $e eq 'clustersim' || $e =~ /^build/;
        symlink("$top/$e", "$d/$e") or die "doctest: symlink $e: $!\n";
    }
    closedir $dh;
    mkdir "$d/out";
    mkdir "$d/.bin";
    symlink($bin, "$d/clustersim") or die "doctest: symlink clustersim: $!\n";
    symlink($bin, "$d/.bin/clustersim");
    return $d;
}

# Run CMD in DIR: (output, exit status). stdout and stderr are one stream.
sub run_cmd {
    my ($dir, $cmd) = @_;
    my $pid = open(my $fh, '-|') // die "doctest: fork: $!\n";
    if (!$pid) {
        chdir $dir or die "cd $dir: $!\n";
        open(STDERR, '>&', \*STDOUT);
        open(STDIN, '<', '/dev/null');
        $ENV{PATH} = "$dir/.bin:$ENV{PATH}";
        $ENV{LC_ALL} = 'C';
        $ENV{CLUSTERSIM_PLOTS} //= "$top/plots";
        setpgrp(0, 0);
        exec('/bin/sh', '-c', $cmd) or exit 127;
    }
    my $out = '';
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm $timeout;
        local $/;
        $out = <$fh> // '';
        alarm 0;
    };
    if ($@) { kill 'KILL', -$pid; $out .= "\n[doctest: killed after $timeout s]\n"; }
    close $fh;
    my $st = $?;
    my $code = $st & 127 ? 128 + ($st & 127) : $st >> 8;
    $out =~ s/\Q$dir\E\///g;
    $out =~ s/\Q$dir\E/./g;
    $out =~ s/\Q$top\E\///g;
    return ($out, $code);
}

sub clean_lines {
    my @l = map { my $s = $_; $s =~ s/\s+$//; $s } @_;
    pop @l while @l && $l[-1] eq '';
    shift @l while @l && $l[0] eq '';
    return @l;
}

sub udiff {
    my ($name, $want, $got) = @_;
    my $d = tempdir('doctest-diff.XXXXXX', TMPDIR => 1, CLEANUP => 1);
    open(my $fa, '>', "$d/doc") or die; print $fa map { "$_\n" } @$want; close $fa;
    open(my $fb, '>', "$d/run") or die; print $fb map { "$_\n" } @$got; close $fb;
    my $diff = `cd $d && diff -u --label '$name (in the doc)' --label '$name (from the run)' doc run`;
    return $diff;
}

# Check or update one file; returns the number of failures.
sub do_file {
    my ($file) = @_;
    open(my $fh, '<', $file) or die "doctest: $file: $!\n";
    my @lines = map { chomp; $_ } <$fh>;
    close $fh;
    my $troff = is_troff($file);
    my $markers = parse($file, \@lines);
    my $dir = sandbox();
    my (%cache, @fail, @skip, %newblock);
    my $n = 0;
    for my $i (0 .. $#$markers) {
        my $m = $markers->[$i];
        my $where = "$file:$m->{line}";
        if ($m->{cmd} =~ /(^|[\s|;(])jq\s/ && !$have_jq) { push @skip, "$where (needs jq)"; next; }
        if ($m->{attrs}{slow} && $ENV{DOCTEST_FAST}) { push @skip, "$where (slow; DOCTEST_FAST is set)"; next; }
        $n++;
        my $r = $cache{$m->{cmd}} //= [run_cmd($dir, $m->{cmd})];
        my ($out, $code) = @$r;
        print STDERR "$where: exit $code: $m->{cmd}\n" if $verbose;
        my $want = $m->{attrs}{exit};
        my @outl = clean_lines(split /\n/, $out);
        if ($want ne 'any' && $code != $want) {
            my @tail = @outl > 15 ? @outl[-15 .. -1] : @outl;
            push @fail, "$where: exit status $code, the doc expects $want: $m->{cmd}\n"
                . join('', map { "  | $_\n" } @tail);
        }
        if ($m->{kind} eq 'run') {
            my ($prompt, $doc) = block_text(\@lines, $m->{block});
            if (@$prompt && @outl && $outl[0] =~ /^\$ /) { unshift @$doc, @$prompt; $prompt = []; }
            my @doc = clean_lines(@$doc);
            if (join("\n", @doc) ne join("\n", @outl)) {
                if ($mode eq '--update') {
                    $newblock{$i} = [@$prompt, @outl];
                    print "$where: updated the output of: $m->{cmd}\n";
                } else {
                    push @fail, "$where: the output of `$m->{cmd}` differs from the doc:\n"
                        . udiff($where, \@doc, \@outl);
                }
            }
        } elsif ($m->{kind} eq 'check') {
            my $fo = fold($out);
            # Markers written one after another share the text after the last.
            my ($k, $from) = ($i, $m->{end} + 1);
            while ($k < $#$markers && $markers->[$k + 1]{start} == $markers->[$k]{end} + 1) {
                $k++; $from = $markers->[$k]{end} + 1;
            }
            my $to = $#lines;
            for my $j ($from .. $#lines) {
                my $l = $lines[$j];
                if (($troff && $l =~ /^\.(SH|SS)\b|^\.\\"\s*doc-/) ||
                    (!$troff && $l =~ /^#{1,6}\s|<!--\s*doc-/)) { $to = $j - 1; last; }
            }
            my @region = @lines[$from .. $to];
            @region = map { troff_text($_) } @region if $troff;
            my $text = join("\n", @region);
            $text =~ s/\\\n/ /g;           # a shell line continued with a backslash
            my $fp = fold($text);
            if (($m->{attrs}{case} // '') eq 'no') { $fo = lc $fo; $fp = lc $fp; }
            for my $s (@{$m->{strings}}) {
                my $fs = fold($s);
                $fs = lc $fs if ($m->{attrs}{case} // '') eq 'no';
                if (index($fo, $fs) < 0) {
                    push @fail, "$where: `$m->{cmd}` no longer prints: $s\n"
                        . near(\@outl, $s);
                }
                if (index($fp, $fs) < 0) {
                    push @fail, "$where: the text after the marker (lines " . ($from + 1) . "-" . ($to + 1)
                        . ") does not quote: $s\n";
                }
            }
        }
    }
    if (%newblock) {
        my @outf;
        my %at = map { $markers->[$_]{block}{from} => $_ } keys %newblock;
        for (my $j = 0; $j < @lines; $j++) {
            if (exists $at{$j}) {
                my $idx = delete $at{$j};     # an empty block ends where it starts
                my $m = $markers->[$idx];
                my $b = $m->{block};
                my $ind = $b->{indent} // '';
                push @outf, map { $troff ? troff_escape($_) : ($_ eq '' && $b->{style} eq 'indent' ? '' : "$ind$_") }
                    @{$newblock{$idx}};
                $j = $b->{to};
                next;
            }
            push @outf, $lines[$j];
        }
        open(my $w, '>', "$file.tmp") or die "doctest: $file.tmp: $!\n";
        print $w map { "$_\n" } @outf;
        close $w or die "doctest: $file.tmp: $!\n";
        rename "$file.tmp", $file or die "doctest: rename $file: $!\n";
    }
    print "# $file: $n commands" . (@skip ? ", " . scalar(@skip) . " skipped" : "") . "\n";
    print "#   skipped $_\n" for @skip;
    print $_ for @fail;
    return scalar @fail;
}

# The output lines that look most like S, to show what it says now.
sub near {
    my ($outl, $s) = @_;
    my @w = grep { length > 2 } split /[^A-Za-z_]+/, $s;
    my @best;
    for my $l (@$outl) {
        my $score = grep { index($l, $_) >= 0 } @w;
        push @best, [$score, $l] if $score;
    }
    @best = sort { $b->[0] <=> $a->[0] } @best;
    my @show = map { $_->[1] } @best[0 .. ($#best < 2 ? $#best : 2)];
    @show = @$outl[0 .. ($#$outl < 4 ? $#$outl : 4)] unless @show;
    return join('', map { "  | $_\n" } @show);
}
