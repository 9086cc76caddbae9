# plots/timeline.gp: one lane per node, its role over time in colour.
#
#   gnuplot [-e "title='T'"] [-e "xmin=0; xmax=3000"] -c plots/timeline.gp \
#       lanes.tsv down.tsv paused.tsv faults.tsv suspect.tsv trust.tsv roles.tsv \
#       marks.tsv OUT.(png|svg|pdf|-)
#
# `clustersim plot TRACE --kind timeline --data DIR` writes these files.
# Tab-separated, one header row each (the header names legend entries):
#   lanes.tsv     lane  name                      (y position, tick label)
#   down.tsv      from_ms  to_ms  lane            (crashed or removed)
#   paused.tsv    from_ms  to_ms  lane
#   faults.tsv    from_ms  to_ms  label           (partitions and blocks, all lanes)
#   suspect.tsv   t_ms  lane  label               (failure detector: lane suspects label)
#   trust.tsv     t_ms  lane  label
#   roles.tsv     one data block per role, blocks separated by two blank lines;
#                 each block: a header row  from_ms to_ms lane ROLE label rgb
#                 (ROLE names the legend entry), then its segments; label is
#                 the term (or empty), rgb the colour as an integer (0x238b45)
#   marks.tsv     two data blocks, each row  t_ms lane label label_t_ms label_lane:
#                 block 0 the clock changes (a step, a drift or offset set) and
#                 leadership transfers on a lane, block 1 the violations (a line
#                 across all lanes); the
#                 label goes at (label_t_ms, label_lane), " " for none
# OUT "-" draws on the terminal. Optional -e variables: title; subtitle (a line
# under the title); xmin, xmax (ms); has_faults, has_down, has_paused,
# has_suspect, has_trust, has_clock, has_violation (0 leaves that legend entry
# out; has_clock 1: clock marks, 2: leadership transfers, 3: both).

out = ARGV[ARGC]
if (!exists("title")) title = "Roles over time"
if (!exists("has_faults")) has_faults = 1
if (!exists("has_down")) has_down = 1
if (!exists("has_paused")) has_paused = 1
if (!exists("has_suspect")) has_suspect = 1
if (!exists("has_trust")) has_trust = 1
if (!exists("has_clock")) has_clock = 1
if (!exists("has_violation")) has_violation = 1
# lock_marks = 1: the marks are a storage's writes, not suspicions
if (!exists("lock_marks")) lock_marks = 0
suspect_title = lock_marks ? "write rejected (client:token)" : "suspects node ?N"
trust_title = lock_marks ? "write accepted (client:token)" : "trusts node N again"
# output format from OUT's extension; "-" is the terminal
ext = strlen(out) > 4 ? out[strlen(out)-3:] : ""
term = out eq "-" ? "dumb size 120,36" : \
       ext eq ".png" ? "pngcairo size 1200,600 font 'DejaVu Sans,13'" : \
       ext eq ".svg" ? "svg size 1200,600 font 'DejaVu Sans,13' background rgb 'white'" : \
       ext eq ".pdf" ? "pdfcairo size 10in,5in font 'DejaVu Sans,10'" : ""
if (term eq "") {
    print "cannot tell the format of ".out." (.png, .svg, .pdf, or - for the terminal)"
    exit status 64
}
set terminal @term noenhanced
if (out ne "-") set output out
set datafile separator "\t"

if (ARGC != 9) {
    print "usage: gnuplot -c timeline.gp lanes down paused faults suspect trust roles marks OUT"
    exit status 64
}
lanes = ARGV[1]; down = ARGV[2]; paused = ARGV[3]; faults = ARGV[4]
suspect = ARGV[5]; trust = ARGV[6]; roles = ARGV[7]; marks = ARGV[8]
stats roles using 1 nooutput
nroles = STATS_blocks

stats lanes using 1 nooutput
ymin = STATS_min; ymax = STATS_max
array rgb[nroles]
do for [i=1:nroles] {
    stats roles index (i-1) using 6 nooutput
    rgb[i] = int(STATS_max)
}

if (!exists("xmin")) {
    stats roles using 1 nooutput
    xmin = STATS_min
    stats roles using 2 nooutput
    xmax = STATS_max
}

set title title font ",16"
if (exists("subtitle")) set title title."\n" font ",16"
if (exists("subtitle")) set label 100 subtitle at graph 0.5, graph 1.025 center font ",10" tc rgb "#444444"
set xlabel "time (ms)"
set yrange [ymax + 0.75 : ymin - 1.0]
set ytics scale 0
set grid xtics lc rgb "#dddddd"
set xrange [xmin:xmax]
set offsets 0, 0, 0, 0
set key outside right top vertical Left reverse width 1
set border 3
set xtics nomirror out
set style fill solid 1.0 noborder
set style textbox opaque noborder margins 0.5,0.3

plot \
    faults using 1:(ymin-0.5):1:2:(ymin-0.95):(ymax+0.5) with boxxyerror \
        fs transparent solid 0.18 noborder fc rgb "#e31a1c" title (has_faults ? "partition / block" : ""), \
    for [i=1:nroles] roles index (i-1) using (($1+$2)/2):3:1:2:($3-0.3):($3+0.3) with boxxyerror \
        fs solid 1.0 noborder fc rgb rgb[i] title columnheader(4), \
    down using (($1+$2)/2):3:1:2:($3-0.36):($3+0.36) with boxxyerror \
        fs solid 0.85 noborder fc rgb "#404040" title (has_down ? "down" : ""), \
    paused using (($1+$2)/2):3:1:2:($3-0.36):($3+0.36) with boxxyerror \
        fs transparent pattern 5 border lc rgb "#6a3d9a" fc rgb "#6a3d9a" title (has_paused ? "paused" : ""), \
    for [i=1:nroles] roles index (i-1) using 1:3:5 with labels left offset 0.4,0 font ",10" tc rgb "#111111" notitle, \
    faults using 1:(ymin-0.85):3 with labels left offset 0.3,0 font ",10" tc rgb "#b10026" notitle, \
    suspect using 1:($2-0.3) with points pt 11 ps 1.2 lc rgb "#d62728" title (has_suspect ? suspect_title : ""), \
    suspect using 1:($2-0.3):3 with labels offset 0,0.8 font ",9" tc rgb "#d62728" notitle, \
    trust using 1:($2+0.3) with points pt 9 ps 1.2 lc rgb "#1a9850" title (has_trust ? trust_title : ""), \
    trust using 1:($2+0.3):3 with labels offset 0,-0.8 font ",9" tc rgb "#1a9850" notitle, \
    marks index 0 using 1:($2+0.18) with points pt 13 ps 1.3 lc rgb "#54278f" \
        title (has_clock == 1 ? "clock step / drift change" : has_clock == 2 ? "leadership transfer" : \
               has_clock == 3 ? "clock change / leadership transfer" : ""), \
    marks index 0 using 4:5:3 with labels left offset 0.6,0 boxed font ",9" tc rgb "#54278f" notitle, \
    marks index 1 using 1:(ymin-0.95):(0):(ymax-ymin+1.7) with vectors nohead lw 2.5 lc rgb "#d62728" \
        title (has_violation ? "violation" : ""), \
    marks index 1 using 4:5:3 with labels center font ",10" tc rgb "#d62728" notitle, \
    lanes using (NaN):1:ytic(2) notitle
