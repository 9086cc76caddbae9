# plots/queues.gp: queue length per server over time, as a heat map (one
# row per server, time across, colour = mean requests at the server in the
# time bin). From the load balancer's queue notes.
#
#   gnuplot [-e "title='T'"] [-e "xmin=0; xmax=5000"] -c plots/queues.gp queues.tsv OUT.(png|svg|pdf|-)
#
# queues.tsv: a header row  t_ms server queue, then one row per (server,
# time bin): the bin's middle in ms, the server, the time-weighted mean
# number in system. Rows come server by server, bins in time order: a
# regular grid, as `with image` needs.

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
if (!exists("title")) title = "Queue length per server"
if (ARGC != 2) {
    print "usage: gnuplot -c queues.gp queues.tsv OUT"
    exit status 64
}
data = ARGV[1]
stats data using 2 nooutput
smin = STATS_min; smax = STATS_max
stats data using 3 nooutput
qmax = STATS_max

if (exists("subtitle")) title = title."\n".subtitle
set title title font ",16"
set xlabel "time (ms)"
set ylabel "server"
if (exists("xmin")) set xrange [xmin:xmax]; else set autoscale xfix
set yrange [smin - 0.5:smax + 0.5]
set cblabel "requests at the server (mean over the bin)"
set cbrange [0:(qmax > 0 ? qmax : 1)]
set palette defined (0 "#ffffff", 1 "#c6dbef", 3 "#4292c6", 6 "#08306b", 10 "#d62728")
set border 3
set xtics nomirror out
set ytics nomirror out
if (smax - smin < 30) set ytics 1
unset key

plot data using 1:2:3 skip 1 with image
