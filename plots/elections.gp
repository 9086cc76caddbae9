# plots/elections.gp: CDF of election durations: from a leader's crash to
# the next role=leader record, across many traces or one long run.
#
#   gnuplot [-e "title='T'"] -c plots/elections.gp elections.tsv OUT.(png|svg|pdf|-)
#
# elections.tsv: one block per curve (blocks separated by two blank lines),
# each a header row  duration_ms NAME  (NAME is the legend entry), then rows
# duration_ms fraction  sorted by duration.

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
if (!exists("title")) title = "Election time after a leader crash"
if (ARGC != 2) {
    print "usage: gnuplot -c elections.gp elections.tsv OUT"
    exit status 64
}
data = ARGV[1]
stats data using 1 nooutput
lo = STATS_min; hi = STATS_max; n = STATS_records; nb = STATS_blocks
colors = "#08519c #e6550d #31a354 #756bb1 #de2d26 #636363 #3182bd #fd8d3c #74c476 #9e9ac8"

set title title font ",16"
set xlabel "time from leader crash to new leader (ms)"
set ylabel "fraction of elections"
set yrange [0:1.02]
# Figure 16 of the Raft paper draws ranges that differ tenfold on a log axis
if (lo > 0 && hi / lo > 20) { set logscale x 10; set xrange [lo * 0.8 : hi * 1.25] } else { set xrange [0:hi * 1.1 + 1] }
set ytics 0.1
set grid lc rgb "#dddddd"
# several curves: the legend goes under the plot, where it hides none
if (nb > 1) { set key below vertical Left reverse width 1 maxrows 5 } else { set key inside right bottom vertical Left reverse width 1 box opaque }
set border 3
set xtics nomirror out
set ytics nomirror out

plot for [i=0:nb-1] data index i using 1:2 with steps lw 2.5 lc rgb word(colors, i % 10 + 1) title columnheader(2), \
     for [i=0:nb-1] data index i every ::1 using 1:2 with points pt 7 ps (n > 200 ? 0.3 : 0.8) \
         lc rgb word(colors, i % 10 + 1) notitle
