# plots/latency.gp: client operation latency over time: one point per
# completed operation (ok, failed, timed out), with rolling p50 and p99.
#
#   gnuplot [-e "title='T'"] [-e "xmin=0; xmax=5000"] \
#       -c plots/latency.gp ok.tsv fail.tsv info.tsv rolling.tsv OUT.(png|svg|pdf|-)
#
# `clustersim plot TRACE --kind latency --data DIR` writes these files.
# Tab-separated, one header row each (headers name the legend entries):
#   ok.tsv, fail.tsv, info.tsv   t_ms  latency_ms   (completion time, latency)
#   rolling.tsv                  t_ms  p50  p99     (over a trailing window)
# The y axis turns logarithmic when latencies span more than two decades.

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
if (!exists("title")) title = "Client operation latency"
if (ARGC != 5) {
    print "usage: gnuplot -c latency.gp ok fail info rolling OUT"
    exit status 64
}
okf = ARGV[1]; failf = ARGV[2]; infof = ARGV[3]; rollf = ARGV[4]

# log scale when the latencies span more than two decades
# (none ok, only failures and timeouts: stats sets nothing, keep a linear axis)
stats okf using 2 nooutput
if (exists("STATS_min") && STATS_min > 0 && STATS_max / STATS_min > 100) set logscale y 10

set title title font ",16"
set xlabel "time (ms)"
set ylabel "latency (ms)"
if (exists("xmin")) set xrange [xmin:xmax]
set grid lc rgb "#dddddd"
set autoscale xfix
set key outside right top vertical Left reverse width 1
set border 3
set xtics nomirror out
set ytics nomirror out

plot \
    okf using 1:2 with points pt 7 ps 0.7 lc rgb "#6baed6" title columnheader(2), \
    failf using 1:2 with points pt 2 ps 1.0 lw 2 lc rgb "#d62728" title columnheader(2), \
    infof using 1:2 with points pt 8 ps 1.0 lw 2 lc rgb "#ff7f0e" title columnheader(2), \
    rollf using 1:2 with lines lw 2.5 lc rgb "#08519c" title columnheader(2), \
    rollf using 1:3 with lines lw 2.5 dt 2 lc rgb "#a50f15" title columnheader(3)
