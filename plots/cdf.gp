# plots/cdf.gp: latency CDF of successful client operations; one curve per
# trace, for comparison (`clustersim plot a.jsonl b.jsonl --kind cdf`).
#
#   gnuplot [-e "title='T'"] -c plots/cdf.gp cdf.tsv OUT.(png|svg|pdf|-)
#
# cdf.tsv: one data block per trace, blocks separated by two blank lines;
# each block: a header row  latency_ms NAME  (NAME is its legend entry), then
# rows  latency_ms fraction  sorted by latency (fraction of operations <= it).
# The x axis turns logarithmic when latencies span more than two decades.

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
if (!exists("title")) title = "Latency CDF"
if (ARGC != 2) {
    print "usage: gnuplot -c cdf.gp cdf.tsv OUT"
    exit status 64
}
data = ARGV[1]
stats data using 1 nooutput
n = STATS_blocks
colors = "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf"
lo = STATS_min; hi = STATS_max
if (lo > 0 && hi / lo > 100) set logscale x 10

set title title font ",16"
set xlabel "latency (ms)"
set ylabel "fraction of operations"
set yrange [0:1.02]
set ytics 0.1
set grid lc rgb "#dddddd"
set key inside right bottom vertical Left reverse width 1 box opaque
set border 3
set xtics nomirror out
set ytics nomirror out
set arrow from graph 0, first 0.99 to graph 1, first 0.99 nohead dt 3 lc rgb "#888888"
set label "p99" at graph 0.995, first 0.99 right offset 0,0.6 font ",10" tc rgb "#888888"
set label "p50" at graph 0.995, first 0.5 right offset 0,0.6 font ",10" tc rgb "#888888"
set arrow from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 3 lc rgb "#888888"

plot for [i=0:n-1] data index i using 1:2 with steps lw 2.5 lc rgb word(colors, i % 10 + 1) title columnheader(2)
