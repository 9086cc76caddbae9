# plots/messages.gp: a space-time (Lamport) diagram of a window of a run:
# one lane per node, an arrow per delivered message from (send time, sender)
# to (delivery time, receiver), coloured by message type; drops end in a cross.
#
#   gnuplot [-e "title='T'"] [-e "xmin=150; xmax=450"] \
#       -c plots/messages.gp lanes.tsv events.tsv drops.tsv labels.tsv messages.tsv \
#       marks.tsv OUT.(png|svg|pdf|-)
#
# `clustersim plot TRACE --kind messages --data DIR` writes these files.
# Tab-separated, one header row each:
#   lanes.tsv     lane  name                  (y position, tick label; clients below nodes)
#   events.tsv    t_ms  lane  text  label_t_ms  label_lane   (role changes, crashes,
#                 ... on a lane; the text goes at (label_t_ms, label_lane))
#   drops.tsv     t_ms  lane  dt_ms  dlane  msg  -   (a stub toward the receiver)
#   labels.tsv    t_ms  lane  text  rgb       (arrow labels, placed so none overlap)
#   messages.tsv  one data block per message type, blocks separated by two
#                 blank lines; each: a header row  t_ms lane dt_ms dlane TYPE rgb
#                 (TYPE names the legend entry), then one row per message:
#                 send time, sender lane, flight time, receiver lane - sender
#                 lane, the type, the colour as an integer
#   marks.tsv     two data blocks, each row  t_ms lane label label_t_ms label_lane:
#                 block 0 the clock changes on a lane, block 1 the violations
#                 (a line across all lanes); " " for a label that did not fit
# Optional -e variables: title; subtitle (a line under the title: what the
# picture leaves out); xmin, xmax (ms); has_drops, has_clock, has_violation
# (0 leaves that legend entry out).

out = ARGV[ARGC]
if (!exists("title")) title = "Messages"
if (!exists("has_drops")) has_drops = 1
if (!exists("has_clock")) has_clock = 1
if (!exists("has_violation")) has_violation = 1
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

if (ARGC != 7) {
    print "usage: gnuplot -c messages.gp lanes events drops labels messages marks OUT"
    exit status 64
}
lanes = ARGV[1]; events = ARGV[2]; drops = ARGV[3]; labelf = ARGV[4]; msgs = ARGV[5]; marks = ARGV[6]

stats lanes using 1 nooutput
ymin = STATS_min; ymax = STATS_max
stats msgs using 1 nooutput
ntypes = STATS_blocks
array rgb[ntypes]
do for [i=1:ntypes] {
    stats msgs index (i-1) using 6 nooutput
    rgb[i] = int(STATS_max)
}
if (!exists("xmin")) {
    stats msgs using 1 nooutput
    xmin = STATS_min
    stats msgs using ($1+$3) nooutput
    xmax = STATS_max
}

set title title font ",16"
if (exists("subtitle")) set title title."\n" font ",16"
if (exists("subtitle")) set label 100 subtitle at graph 0.5, graph 1.025 center font ",10" tc rgb "#444444"
set xlabel "time (ms)"
set xrange [xmin:xmax]
set yrange [ymax + 0.5 : ymin - 0.5]
set ytics scale 0
set xtics nomirror out
set border 3
set grid xtics lc rgb "#eeeeee"
set key outside right top vertical Left reverse width 1
set style textbox opaque noborder margins 0.5,0.5
set clip two

plot \
    lanes using (xmin):1:(xmax-xmin):(0) with vectors nohead lc rgb "#aaaaaa" lw 1 notitle, \
    for [i=1:ntypes] msgs index (i-1) using 1:2:3:4 with vectors head filled size screen 0.009,18 \
        lw 1.6 lc rgb rgb[i] title columnheader(5), \
    drops using 1:2:3:4 with vectors nohead dt 2 lw 1.6 lc rgb "#d62728" notitle, \
    drops using ($1+$3):($2+$4) with points pt 2 ps 1.6 lw 2 lc rgb "#d62728" \
        title (has_drops ? "dropped" : ""), \
    labelf using 1:2:3:4 with labels boxed font ",8" tc rgb variable notitle, \
    events using 1:2 with points pt 7 ps 0.9 lc rgb "#000000" notitle, \
    events using 4:5:3 with labels left font ",9" tc rgb "#000000" notitle, \
    marks index 0 using 1:2 with points pt 13 ps 1.3 lc rgb "#54278f" \
        title (has_clock ? "clock step / drift change" : ""), \
    marks index 0 using 4:5:3 with labels left boxed font ",9" tc rgb "#54278f" notitle, \
    marks index 1 using 1:(ymin-0.5):(0):(ymax-ymin+1) with vectors nohead lw 2.5 lc rgb "#d62728" \
        title (has_violation ? "violation" : ""), \
    marks index 1 using 4:5:3 with labels center boxed font ",10" tc rgb "#d62728" notitle, \
    lanes using (NaN):1:ytic(2) notitle
