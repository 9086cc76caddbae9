# plots/moved.gp: keys moved by a membership change, one bar per placement
# (scheme and change), beside the ideal: the fraction that must move
# (1/(n+1) when a server joins). Log scale: modulo's n/(n+1) and the
# consistent schemes' 1/(n+1) differ by a factor n.
#
#   gnuplot [-e "title='T'"] -c plots/moved.gp moved.tsv OUT.(png|svg|pdf|-)
#
# moved.tsv: a header row  label moved ideal, then one row per change.

out = ARGV[ARGC]
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
if (!exists("title")) title = "Keys moved on a membership change"
if (ARGC != 2) {
    print "usage: gnuplot -c moved.gp moved.tsv OUT"
    exit status 64
}
data = ARGV[1]
stats data using 2 skip 1 nooutput
n = STATS_records; top = STATS_max; low = STATS_min
stats data using 3 skip 1 nooutput
low = STATS_min < low ? STATS_min : low

set title title font ",16"
set ylabel "fraction of keys moved"
set logscale y
set yrange [(low > 0 ? low / 3 : 1e-4):(top < 1 ? 1.5 : top * 1.5)]
set xrange [-0.7:n-0.3]
set grid ytics lc rgb "#dddddd"
set key outside right top vertical Left reverse width 1
set border 3
set xtics nomirror out rotate by -30 left
set ytics nomirror out
set style fill solid 0.85 noborder
set boxwidth 0.6
set bmargin 8

plot \
    data skip 1 using 0:2:xticlabels(stringcolumn(1)) with boxes lc rgb "#4292c6" title "measured", \
    data skip 1 using 0:3 with points pt 7 ps 1.6 lc rgb "#238b45" title "ideal (must move)", \
    data skip 1 using 0:2:(sprintf("%.4f", column(2))) with labels offset 0,0.8 notitle
