# series.gp: one PNG of several x/y series, from a data file written by
# `marcpipe bench` (bench/harness/plot.c). Each series is a block: a first line
# holding its quoted title, then "x y" lines; blocks are separated by two
# blank lines. Variables (gnuplot -e "data='...'; out='...'; ..."):
#   data, out        input data file, output PNG
#   title, xlabel, ylabel
#   logx             1 = logarithmic x axis (default 0)
#   style            'linespoints' (default) or 'lines'
if (!exists("data") || !exists("out")) {
  print "series.gp: set data and out"; exit status 2
}
if (!exists("title")) title = ""
if (!exists("xlabel")) xlabel = ""
if (!exists("ylabel")) ylabel = ""
if (!exists("logx")) logx = 0
if (!exists("style")) style = "linespoints"

if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
  set terminal pngcairo size 960,600 noenhanced font ",10"
} else {
  set terminal png size 960,600 noenhanced
}
set output out
set title title
set xlabel xlabel
set ylabel ylabel
set grid
set key outside right top
set yrange [0:*]
if (logx) { set logscale x }

set key autotitle columnheader
stats data nooutput
n = STATS_blocks
if (style eq "lines") {
  plot for [i=0:n-1] data index i using 1:2 with lines lw 2 title columnheader(1)
} else {
  plot for [i=0:n-1] data index i using 1:2 with linespoints lw 2 pt 7 title columnheader(1)
}
