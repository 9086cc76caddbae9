# plots/load_hash.gp: a sharded store's load per server, two panels: keys
# held (the placement's spread) above, requests served (the workload's
# skew on top of it) below, each with its ideal (total / servers).
#
#   gnuplot [-e "title='T'"] -c plots/load_hash.gp load.tsv OUT.(png|svg|pdf|-)
#
# load.tsv: a header row  server keys requests ideal_keys ideal_requests,
# then one row per server.

out = ARGV[ARGC]
ext = strlen(out) > 4 ? out[strlen(out)-3:] : ""
term = out eq "-" ? "dumb size 120,48" : \
       ext eq ".png" ? "pngcairo size 1200,800 font 'DejaVu Sans,13'" : \
       ext eq ".svg" ? "svg size 1200,800 font 'DejaVu Sans,13' background rgb 'white'" : \
       ext eq ".pdf" ? "pdfcairo size 10in,7in font 'DejaVu Sans,10'" : ""
if (term eq "") {
    print "cannot tell the format of ".out." (.png, .svg, .pdf, or - for the terminal)"
    exit status 64
}
set terminal @term noenhanced
if (out ne "-") set output out
set datafile separator "\t"
if (!exists("title")) title = "Load per server"
if (ARGC != 2) {
    print "usage: gnuplot -c load_hash.gp load.tsv OUT"
    exit status 64
}
data = ARGV[1]
stats data using 2 skip 1 nooutput
n = STATS_records; topk = STATS_max
stats data using 3 skip 1 nooutput
topr = STATS_max
stats data using 4 skip 1 nooutput
idealk = STATS_max
stats data using 5 skip 1 nooutput
idealr = STATS_max

set multiplot layout 2,1 title title font ",16"
set grid ytics lc rgb "#dddddd"
set key outside right top vertical Left reverse width 1
set border 3
set xtics nomirror out
set ytics nomirror out
set style fill solid 0.85 noborder
set boxwidth 0.7
set xrange [-0.7:n-0.3]
step = n > 30 ? ceil(n / 30.0) : 1

set ylabel "keys held"
set yrange [0:(topk > idealk ? topk : idealk) * 1.15 + 1]
plot data skip 1 using 0:2:xticlabels(int(column(0)) % step == 0 ? stringcolumn(1) : "") with boxes lc rgb "#4292c6" title "keys", \
     idealk with lines lw 2 lc rgb "#238b45" title sprintf("ideal %.4g (max/ideal %.2f)", idealk, idealk > 0 ? topk / idealk : 0)

set xlabel "server"
set ylabel "requests served"
set yrange [0:(topr > idealr ? topr : idealr) * 1.15 + 1]
plot data skip 1 using 0:3:xticlabels(int(column(0)) % step == 0 ? stringcolumn(1) : "") with boxes lc rgb "#fd8d3c" title "requests", \
     idealr with lines lw 2 lc rgb "#238b45" title sprintf("ideal %.4g (max/ideal %.2f)", idealr, idealr > 0 ? topr / idealr : 0)
unset multiplot
