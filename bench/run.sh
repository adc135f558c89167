#!/usr/bin/env bash
# run.sh: the standard end-to-end benchmark set; rewrites the "End to end"
# sections of bench/README.md (other sections are left alone).
#
#   bench/run.sh [STEP...]     steps: rates scaling pushpull window (all)
#
# 1. rates     parse (bench/parse.sh), map (bench_map), produce and
#              end-to-end records/s for N records, with the ratios to
#              yaz-marcdump -n and to the COPY ceiling; end to end with 1,
#              2 and 4 workers for N/10 and N records, and the worker RSS
#              of N/10 against N (equal within 10%)
# 2. scaling   workers 1, 2, 4, 8 on 8 partitions, sink latency 0 and 20 ms
# 3. pushpull  worker RSS in pull and push mode for three input sizes with
#              a slow sink (20 ms): pull must stay flat within 10% (no
#              COPY ceiling: the figure here is memory, not speed)
# 4. window    records/s and RSS for windows of 100, 1,000 and 10,000
#
# Environment:
#   MP_BENCH_SCALE  full (default: 1M and 100k records for rates, 100k for scaling,
#                   20k for the window sweep (a window of 100 runs at a few
#                   hundred records/s), 10k/100k/1M for push vs pull) or
#                   small (10k; 5k; 2k/10k/50k: minutes instead of hours)
#   MP_BENCH_REPEAT runs per configuration (default 3 full, 1 small)
#   BUILD_DIR       build tree (default build); MARCPIPE overrides the binary
#   MP_BENCH_OUT    results directory (default bench/results)
#   MP_TEST_DATA    real MARC files (for bench/parse.sh)
#   MP_BENCH_ARGS   more `marcpipe bench` options for every step, e.g.
#                   "--state-dir DIR" or "--db CONNINFO" (split on spaces)
# The database is what `marcpipe bench` finds: PG* variables, else the
# managed local PostgreSQL. Every figure and plot lands in
# $MP_BENCH_OUT/<step>/ (results.md, results.json, *.png).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${BUILD_DIR:-$root/build}
mp=${MARCPIPE:-$build/marcpipe}
out=${MP_BENCH_OUT:-$here/results}
readme=$here/README.md
scale=${MP_BENCH_SCALE:-full}
case $scale in
  full)  repeat=${MP_BENCH_REPEAT:-3}; n_rates=1000000; n_rates_small=100000; n_scaling=100000
         n_pushpull=10000,100000,1000000; n_window=20000; parse_runs=5 ;;
  small) repeat=${MP_BENCH_REPEAT:-1}; n_rates=10000; n_rates_small=1000; n_scaling=5000
         n_pushpull=2000,10000,50000; n_window=10000; parse_runs=1 ;;
  *) echo "run.sh: MP_BENCH_SCALE is full or small, not '$scale'" >&2; exit 2 ;;
esac
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(rates scaling pushpull window)
for s in "${steps[@]}"; do
  case $s in rates|scaling|pushpull|window) ;;
    *) echo "run.sh: unknown step '$s' (rates scaling pushpull window)" >&2; exit 2 ;;
  esac
done
[ -x "$mp" ] || { echo "run.sh: no marcpipe at $mp (build first)" >&2; exit 1; }
command -v jq >/dev/null || { echo "run.sh: jq is needed (scripts/deps.sh)" >&2; exit 1; }
mkdir -p "$out"

# Replace the README section whose heading starts with $1 by the file $2
# (appended when there is none). A section runs to the next "## " heading.
put_section() {
  local tmp
  tmp=$(mktemp)
  awk -v head="$1" -v body="$2" '
    function emit() { while ((getline l < body) > 0) print l; close(body); done = 1 }
    /^## / { skip = 0
             if (index($0, head) == 1) { emit(); skip = 1; next } }
    !skip { print; last = $0 }
    END { if (!done) { if (last != "") print ""; emit() } }' "$readme" >"$tmp"
  cat "$tmp" >"$readme"
  rm -f "$tmp"
}

machine() { # the description of this machine and of the database used,
  # and the 1-minute load average before and after the step (other load on
  # the machine inflates every time)
  local pg load
  pg=$(jq -r '.machine' "$1" | sed -n 's/.*, PostgreSQL /PostgreSQL /p')
  load=$(paste -sd' ' "$(dirname "$1").load" | sed 's/ / and /')
  printf '%s cores (nproc), %s memory, kernel %s, %s; load average %s\nat the start and the end' \
    "$(nproc)" "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)" \
    "$(uname -r)" "${pg:-PostgreSQL unknown}" "$load"
}

# bench NAME ARGS...: run marcpipe bench into $out/NAME, echo the command
bench() {
  local name=$1
  shift
  local extra=()
  read -r -a extra <<<"${MP_BENCH_ARGS:-}"
  local cmd=("$mp" bench --repeat "$repeat" -o "$out/$name" "$@" "${extra[@]}")
  echo "run.sh: ${cmd[*]}" >&2
  rm -f "$out/$name/results.json" "$out/$name/results.md"
  cut -d' ' -f1 /proc/loadavg >"$out/$name.load"
  "${cmd[@]}" >/dev/null || echo "run.sh: warning: some runs of $name did not count (see $out/$name/results.md)" >&2
  [ -s "$out/$name/results.json" ] || { echo "run.sh: $name: marcpipe bench wrote no results" >&2; exit 1; }
  cut -d' ' -f1 /proc/loadavg >>"$out/$name.load"
  printf 'marcpipe bench --repeat %s -o %s/%s %s' "$repeat" "${out#"$root"/}" "$name" "$*"
}

table() { sed -n '/^|/p' "$1/results.md"; }  # the results table
notes() { sed -n '/^Runs that do not count/,$p' "$1/results.md"; }
fig() { # label file: the plot's path when it was drawn (bench/results/ is
  # not committed, so the README names the files instead of showing them)
  [ -s "$out/$2" ] && printf -- '- %s: `%s`\n' "$1" "${out#"$root"/}/$2" || true
}
num() { awk -v v="$1" 'BEGIN { if (v == "" || v == "null") print "n/a"; else printf "%.0f", v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.3f", a / b; else print "n/a" }'; }
# a ratio the harness computed (each run against its own round's ceiling)
frac() { awk -v v="$1" 'BEGIN { if (v + 0 > 0) printf "%.3f", v; else print "n/a" }'; }
today=$(date -u +%Y-%m-%d)

# One line per worker count: median worker peak RSS for the smaller and
# the larger record count of the rates step, and the growth between them.
rss_growth() {
  jq -r --argjson a "$n_rates_small" --argjson b "$n_rates" '
    [.configs[] | {w: .workers, n: .records, kb: .median.worker_peak_rss_kb}]
    | group_by(.w)[]
    | (map(select(.n == $a))[0].kb) as $x | (map(select(.n == $b))[0].kb) as $y
    | if $x and $y then
        ((($y - $x) / $x * 100) * 10 | round / 10) as $g
        | "- \(.[0].w) worker(s): \($x / 1024 * 10 | round / 10) MiB -> \($y / 1024 * 10 | round / 10) MiB, \(if $g >= 0 then "+" else "" end)\($g)% (\(if ($g | fabs) <= 10 then "within 10%" else "NOT within 10%" end))"
      else "- \(.[0].w) worker(s): n/a" end' "$1"
}

step_rates() {
  local cmd r e2e prod copy parse_log yaz raw mapr
  cmd=$(bench rates --records "$n_rates_small,$n_rates" -w 1,2,4 --partitions 8)
  r=$out/rates/results.json
  # the headline row: n_rates records, 2 workers
  pick() { jq -r --argjson n "$n_rates" "[.configs[] | select(.records == \$n and .workers == 2)][0].median.$1" "$r"; }
  e2e=$(pick records_per_s)
  prod=$(pick producer_records_per_s)
  # the import rows' "/ COPY": the harness's paired ratios (a stage run
  # outside the harness has only the median ceiling to go by)
  e2e_c=$(pick rate_of_copy)
  prod_c=$(pick producer_rate_of_copy)
  copy=$(jq -r --argjson n "$n_rates" '[.copy[] | select(.records == $n)][0].records_per_s' "$r")
  parse_log=$out/rates/parse.txt
  echo "run.sh: bench/parse.sh (RUNS=$parse_runs)" >&2
  RUNS=$parse_runs bash "$here/parse.sh" "$build" >"$parse_log" 2>&1 || true
  rate_of() { sed -n "s/^$1 *wall .*( *\\([0-9]*\\) records\\/s).*/\\1/p" "$parse_log"; }
  raw=$(rate_of 'bench_parse --keep-charset:')
  yaz=$(rate_of 'yaz-marcdump -n:')
  echo "run.sh: bench_map" >&2
  "$mp" gen -q -n 20000 -o "$out/rates/map-input.mrc"
  "$build/bench_map" "$out/rates/map-input.mrc" >"$out/rates/map.txt" 2>&1 || true
  mapr=$(sed -n 's/^map: *\([0-9]*\) records\/s.*/\1/p' "$out/rates/map.txt")
  {
    echo "## End to end: rates"
    echo
    echo "Measured $today on $(machine "$r"); MP_BENCH_SCALE=$scale."
    echo "Commands: \`bench/run.sh rates\`, which runs \`$cmd\`,"
    echo "\`RUNS=$parse_runs bench/parse.sh\` (1,000,000 real records) and \`bench_map\` on 20,000"
    echo "generated records. Ratios are to \`yaz-marcdump -n\` (parse only) and to the COPY"
    echo "ceiling (bench_copy: the same tables written by COPY alone, database time only)."
    echo
    echo "| stage | records/s | / yaz-marcdump -n | / COPY ceiling |"
    echo "|---|---:|---:|---:|"
    echo "| parse (\`bench_parse --keep-charset\`) | $(num "$raw") | $(ratio "$raw" "$yaz") | $(ratio "$raw" "$copy") |"
    echo "| parse (\`yaz-marcdump -n\`) | $(num "$yaz") | 1 | $(ratio "$yaz" "$copy") |"
    echo "| map (\`bench_map\`, one core) | $(num "$mapr") | $(ratio "$mapr" "$yaz") | $(ratio "$mapr" "$copy") |"
    echo "| produce (in \`import\`, $n_rates records) | $(num "$prod") | $(ratio "$prod" "$yaz") | $(frac "$prod_c") |"
    echo "| COPY ceiling ($n_rates rows) | $(num "$copy") | $(ratio "$copy" "$yaz") | 1 |"
    echo "| end to end (\`import\`, 2 workers, 8 partitions) | $(num "$e2e") | $(ratio "$e2e" "$yaz") | $(frac "$e2e_c") |"
    echo
    echo "Worker peak RSS, $n_rates_small against $n_rates records (default window and"
    echo "batch; the target is equal within 10%):"
    echo
    rss_growth "$r"
    echo
    echo "The \`marcpipe bench\` table (medians of $repeat), with 1, 2 and 4 workers:"
    echo
    table "$out/rates"
    notes "$out/rates"
    echo
  } >"$out/rates/section.md"
  put_section "## End to end: rates" "$out/rates/section.md"
}

# section NAME HEADING INTRO EXTRA FIGURES...: the README section of a
# sweep: intro text, machine and command ($cmd), EXTRA (Markdown, may be
# empty), the table, then the "label:file.png" figures.
section() {
  local name=$1 heading=$2 intro=$3 extra=$4 f
  shift 4
  {
    echo "## End to end: $heading"
    echo
    echo "$intro"
    echo "Measured $today on $(machine "$out/$name/results.json")."
    echo "Command: \`$cmd\`."
    echo
    [ -z "$extra" ] || printf '%s\n\n' "$extra"
    table "$out/$name"
    notes "$out/$name"
    echo
    if [ $# -gt 0 ]; then
      echo "Plots:"
      echo
      for f in "$@"; do fig "${f%%:*}" "$name/${f#*:}"; done
      echo
    fi
  } >"$out/$name/section.md"
  put_section "## End to end: $heading" "$out/$name/section.md"
}

step_scaling() {
  cmd=$(bench scaling --records "$n_scaling" -w 1,2,4,8 --partitions 8 --sink-latency-ms 0,20)
  section scaling scaling "Workers 1, 2, 4 and 8 on 8 partitions, $n_scaling records, sink latency 0
and 20 ms per batch." "" "records/s against workers:rate-workers.png" \
    "worker RSS against workers:rss-workers.png"
}

# "flat" or "grows": (largest - smallest) / smallest worker RSS over the
# record counts of one mode, against a 10% bound.
flatness() {
  jq -r --arg m "$2" '[.configs[] | select(.mode == $m) | .median.worker_peak_rss_kb | select(. != null)]
    | if length < 2 then "n/a"
      else ((max - min) / min * 100) as $g
      | "\($g | floor)% (\(if $g <= 10 then "flat within 10%" else "grows" end))" end' "$1"
}

step_pushpull() {
  local r=$out/pushpull/results.json
  # a fifth of the smallest input: each of the 2 workers fills the window
  # 2.5 times even then; a window the input never fills measures the input
  local pull_window=$((${n_pushpull%%,*} / 5))
  cmd=$(bench pushpull --records "$n_pushpull" -w 2 --partitions 8 --sink-latency-ms 20 \
    --window "$pull_window" --mode pull,push --no-copy)
  section pushpull "push vs pull" "Worker peak RSS for $n_pushpull records with a slow sink (20 ms per
batch), 2 workers, 8 partitions; pull = a window of $pull_window records (a fifth of
the smallest input, so each worker fills it 2.5 times even then), push = an unbounded
window (\`--window\` is ignored; the producer's backlog bound, import's
\`--max-backlog\`, still applies)." \
    "$(printf -- '- pull: worker RSS from the smallest to the largest input: %s\n- push: %s' \
        "$(flatness "$r" pull)" "$(flatness "$r" push)")" \
    "worker RSS against records:rss-records.png" "lag against time:lag.png"
}

step_window() {
  cmd=$(bench window --records "$n_window" -w 2 --partitions 8 --window 100,1000,10000)
  section window "window size" "Records/s and worker RSS for windows of 100, 1,000 and 10,000 records,
$n_window records, 2 workers, 8 partitions." "" "records/s against window:rate-window.png" \
    "worker RSS against window:rss-window.png"
}

for s in "${steps[@]}"; do
  "step_$s"
done
echo "run.sh: bench/README.md updated (${steps[*]}); results in $out" >&2
