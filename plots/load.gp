# plots/load.gp: load per server (keys for hashing, requests for load
# balancing) as bars, with the mean and the ideal (total / servers).
#
#   gnuplot [-e "title='T'"] -c plots/load.gp load.tsv OUT.(png|svg|pdf|-)
#
# load.tsv: a header row  server NAME ideal  (NAME, e.g. "keys", labels the
# y axis), then rows  server load ideal  (ideal is the same on every row).

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
if (!exists("title")) title = "Load per server"
if (ARGC != 2) {
    print "usage: gnuplot -c load.gp load.tsv OUT"
    exit status 64
}
data = ARGV[1]
stats data using 2 nooutput
mean = STATS_mean; n = STATS_records; top = STATS_max
stats data using 3 nooutput
ideal = STATS_max

set title title font ",16"
set xlabel "server"
set ylabel "load"
set yrange [0:(top > ideal ? top : ideal) * 1.15]
set xrange [-0.7:n-0.3]
set grid ytics lc rgb "#dddddd"
set key outside right top vertical Left reverse width 1
set border 3
set xtics nomirror out
set ytics nomirror out
set style fill solid 0.85 noborder
set boxwidth 0.7
step = n > 30 ? ceil(n / 30.0) : 1

plot \
    data using 0:2:xticlabels(int(column(0)) % step == 0 ? stringcolumn(1) : "") with boxes lc rgb "#4292c6" title columnheader(2), \
    (abs(mean - ideal) > 1e-9 * ideal ? mean : NaN) with lines lw 2 dt 2 lc rgb "#d62728" \
        title (abs(mean - ideal) > 1e-9 * ideal ? sprintf("mean %.4g", mean) : ""), \
    ideal with lines lw 2 lc rgb "#238b45" title sprintf(abs(mean - ideal) > 1e-9 * ideal ? "ideal %.4g" : "mean = ideal %.4g", ideal)
