# plots/commit.gp: commit index per node over time (a lagging or crashed
# node shows as a flat line).
#
#   gnuplot [-e "title='T'"] [-e "xmin=0; xmax=5000"] -c plots/commit.gp commit.tsv OUT.(png|svg|pdf|-)
#
# commit.tsv: one data block per node, blocks separated by two blank lines;
# each block: a header row  t_ms NAME  (e.g. "node 3", its legend entry),
# then rows  t_ms commit_index  in time order.

out = ARGV[ARGC]
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
if (!exists("title")) title = "Commit index"
if (ARGC != 2) {
    print "usage: gnuplot -c commit.gp commit.tsv OUT"
    exit status 64
}
data = ARGV[1]
stats data using 1 nooutput
n = STATS_blocks
stats data using 2 nooutput
if (STATS_max <= 12) set ytics 1
colors = "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf"

set title title font ",16"
set xlabel "time (ms)"
set ylabel "commit index"
if (exists("xmin")) set xrange [xmin:xmax]
set grid lc rgb "#dddddd"
set autoscale xfix
set offsets 0, 0, graph 0.05, 0
set key outside right top vertical Left reverse width 1
set border 3
set xtics nomirror out
set ytics nomirror out

plot for [i=0:n-1] data index i using 1:2 with steps lw 2.5 lc rgb word(colors, i % 10 + 1) title columnheader(2)
