#!/usr/bin/env bash
# read.sh: `marcpipe dump --count` (every check on: structure, leader,
# directory, UTF-8 validation) against `yaz-marcdump -n` on a mix of the
# real UTF-8 ISO 2709 files of tests/data/marc, and against
# `yaz-marcdump -i marcxml -n` on a mix of its MARCXML files, through both
# MARCXML parsers (the fast scanner reads a regular file; a pipe goes to
# libxml2).
#
# Data (bench/data/, not committed; made once):
#   utf8_mix_x$ISO_COPIES.mrc  every iso2709/ file SOURCES.md lists as UTF-8
#                              (27 files, 902 records, 2,018,860 bytes),
#                              concatenated, the whole repeated ISO_COPIES
#                              times (default 500: 451,000 records, 1.0 GB)
#   xml_mix_x$XML_COPIES.xml   the records of the 21 marcxml/ files (each
#                              file's content inside its root collection, or
#                              its root record element, as written),
#                              in one collection that declares the MARC21
#                              namespace as default and as `marc:`, repeated
#                              XML_COPIES times (default 150: 45,000 records,
#                              569 MB)
# Runs, alternately, RUNS times (default 5), each under /usr/bin/time:
#   marcpipe dump --count ISO        yaz-marcdump -n ISO
#   marcpipe dump --count XML        cat XML | marcpipe dump --count -
#   yaz-marcdump -i marcxml -n XML
# and, with BASE=path/to/another/marcpipe, the same marcpipe commands with
# that binary as well (before/after in one invocation). Prints the medians
# of wall time, CPU time (user + sys; the figure to compare on a shared
# machine) and peak RSS, and the ratios yaz / marcpipe.
# The libxml2 path (4x yaz's time) is run in the first LIBXML2_RUNS runs
# only (default 3).
# Usage: bench/read.sh [BUILD_DIR] (default build); env RUNS, ISO_COPIES,
# XML_COPIES, BASE, LIBXML2_RUNS, MP_TEST_DATA.
source "$(dirname "$0")/common.sh"
iso_copies=${ISO_COPIES:-500}
xml_copies=${XML_COPIES:-150}
iso=$here/data/utf8_mix_x$iso_copies.mrc
xml=$here/data/xml_mix_x$xml_copies.xml
mp=$build/marcpipe
base=${BASE:-}

utf8_files() { # the iso2709/ rows of SOURCES.md whose encoding is UTF-8
  awk -F'|' '$2 ~ /`iso2709\// && $5 ~ /^ *UTF-8/ {gsub(/[ `]/, "", $2); print $2}' \
    "$data/SOURCES.md"
}
if [ ! -s "$iso" ]; then
  utf8_files | sed "s#^#$data/#" | xargs cat > "$iso.one"
  for _ in $(seq "$iso_copies"); do cat "$iso.one"; done > "$iso.tmp"
  rm -f "$iso.one"
  mv "$iso.tmp" "$iso"
fi
if [ ! -s "$xml" ]; then
  python3 - "$data/marcxml" "$xml_copies" > "$xml.tmp" <<'EOF'
import glob, re, sys
parts = []
for path in sorted(glob.glob(sys.argv[1] + '/*.xml')):
    t = open(path, encoding='utf-8').read().lstrip('\ufeff')
    t = re.sub(r'^\s*<\?xml[^>]*\?>', '', t)
    m = re.search(r'<((?:\w+:)?collection)\b[^>]*>(.*)</\1>\s*$', t, re.S)
    parts.append(m.group(2) if m else re.sub(r'^(\s*<!--.*?-->)*', '', t, flags=re.S))
one = '\n'.join(parts) + '\n'
out = sys.stdout
out.write('<?xml version="1.0" encoding="UTF-8"?>\n<collection '
          'xmlns="http://www.loc.gov/MARC21/slim" '
          'xmlns:marc="http://www.loc.gov/MARC21/slim" '
          'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n')
for _ in range(int(sys.argv[2])):
    out.write(one)
out.write('</collection>\n')
EOF
  mv "$xml.tmp" "$xml"
fi
cat "$iso" "$xml" > /dev/null # warm the page cache

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# name command... -> appends "wall cpu peak_rss_kb" to $tmp/name
measure() {
  local name=$1
  shift
  /usr/bin/time -f '%e %U %S %M' -o "$tmp/t" "$@" > /dev/null 2>&1 || true
  last >> "$tmp/$name"
}
# the last line of time's output ("Command exited with non-zero status"
# comes first when the command fails: yaz-marcdump -i marcxml exits 1 on
# the MARCXML mix, having read it all) as "wall cpu rss"
last() { tail -n 1 "$tmp/t" | awk '{printf "%s %.3f %s\n", $1, $2 + $3, $4}'; }
# the libxml2 path: marcpipe reads a pipe (only marcpipe is timed)
piped() {
  cat "$2" | /usr/bin/time -f '%e %U %S %M' -o "$tmp/t" "$1" dump --count - \
    > /dev/null 2>&1 || true
  last >> "$tmp/$3"
}

for run in $(seq "$runs"); do
  measure iso "$mp" dump --count "$iso"
  measure iso_yaz yaz-marcdump -n "$iso"
  [ -n "$base" ] && measure iso_base "$base" dump --count "$iso"
  measure xml "$mp" dump --count "$xml"
  measure xml_yaz yaz-marcdump -i marcxml -n "$xml"
  [ -n "$base" ] && measure xml_base "$base" dump --count "$xml"
  # the libxml2 path takes 4x yaz's time: its first LIBXML2_RUNS runs only
  if [ "$run" -le "${LIBXML2_RUNS:-3}" ]; then
    piped "$mp" "$xml" xml_libxml2
    [ -n "$base" ] && piped "$base" "$xml" xml_libxml2_base
  fi
done

med() { cut -d' ' -f"$2" < "$tmp/$1" | median; } # file column
line() { # label file
  printf '%-46s wall %7.3f s  cpu %7.3f s  peak rss %7d KB\n' "$1" \
    "$(med "$2" 1)" "$(med "$2" 2)" "$(med "$2" 3)"
}
ratio() { # label yaz_file ours_file
  printf '%-46s wall %.2fx, cpu %.2fx\n' "$1" \
    "$(echo "$(med "$2" 1) / $(med "$3" 1)" | bc -l)" \
    "$(echo "$(med "$2" 2) / $(med "$3" 2)" | bc -l)"
}
echo "records (marcpipe dump --count):"
"$mp" dump --count "$iso" 2> /dev/null || true
"$mp" dump --count "$xml" 2> /dev/null || true
printf 'median of %d runs; load average now: %s\n' "$runs" "$(cut -d' ' -f1-3 /proc/loadavg)"
line "marcpipe dump --count ISO" iso
[ -n "$base" ] && line "BASE dump --count ISO" iso_base
line "yaz-marcdump -n ISO" iso_yaz
line "marcpipe dump --count XML (fast scanner)" xml
line "marcpipe dump --count - < pipe XML (libxml2)" xml_libxml2
[ -n "$base" ] && line "BASE dump --count XML (fast scanner)" xml_base
[ -n "$base" ] && line "BASE dump --count - < pipe XML (libxml2)" xml_libxml2_base
line "yaz-marcdump -i marcxml -n XML" xml_yaz
ratio "ratio yaz / marcpipe, ISO 2709:" iso_yaz iso
[ -n "$base" ] && ratio "ratio yaz / BASE, ISO 2709:" iso_yaz iso_base
ratio "ratio yaz / marcpipe, MARCXML fast scanner:" xml_yaz xml
ratio "ratio yaz / marcpipe, MARCXML libxml2:" xml_yaz xml_libxml2
if [ -n "$base" ]; then
  ratio "ratio yaz / BASE, MARCXML fast scanner:" xml_yaz xml_base
  ratio "ratio yaz / BASE, MARCXML libxml2:" xml_yaz xml_libxml2_base
fi
