#!/usr/bin/env bash
# layering.sh: dependencies point one way. Every source file and public
# header belongs to one layer (the table below, lowest first); its
# #include "..." lines may name only headers of its own layer or of the
# layers its row allows, and the libraries in angle brackets that the
# table ties to a layer (libpq, librdkafka) only where its row allows
# them too. A file of no layer (a new folder under src/) fails as well, so
# the table grows with the tree. Fails naming file, line and include.
# Needs nothing but the sources (MP_SOURCE_DIR, else this checkout).
set -euo pipefail
set -f # the table's globs are patterns, never expanded against the tree
ROOT=${MP_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT"

# layer    files (globs from the source root; first matching row wins)
#          | layers it may include besides its own ("-": none)
TABLE='
util     src/util/* include/marcpipe/alloc.h include/marcpipe/buf.h include/marcpipe/error.h include/marcpipe/text.h include/marcpipe/utf8.h | -
record   include/marcpipe/record.h | -
marc     src/marc/* include/marcpipe/marc.h | util
mapping  src/mapping/* include/marcpipe/mapping.h | util marc
gen      src/gen/* include/marcpipe/gen.h | util marc
kafka    src/kafka/* include/marcpipe/kafka.h include/marcpipe/kafka_admin.h include/marcpipe/producer.h include/marcpipe/worker.h | util record rdkafka
pg       src/pg/conn.c src/pg/copy.* src/pg/migrate.c include/marcpipe/pg.h | util libpq
job      src/job/* include/marcpipe/job.h include/marcpipe/job_warnings.h include/marcpipe/joblog.h include/marcpipe/lease.h include/marcpipe/profile.h | util marc pg libpq
sink     src/pg/sink* include/marcpipe/sink.h | util record marc mapping pg job libpq
embed    src/embed/* include/marcpipe/broker.h include/marcpipe/pgmanaged.h | util kafka rdkafka
pipeline src/pipeline/* include/marcpipe/pipeline.h | util record marc mapping kafka pg job sink libpq rdkafka
circ     src/circ/* include/marcpipe/circ.h | util record kafka pg job pipeline libpq rdkafka
serve    src/serve/* include/marcpipe/serve.h | util pg job libpq
cli      src/cli/* | util record marc mapping gen kafka pg job sink embed pipeline circ serve libpq rdkafka
'
# libraries that belong to a layer: <prefix of the bracketed name> layer
LIBS='libpq-fe.h libpq
librdkafka/ rdkafka'

declare -a L_NAME L_GLOBS L_ALLOW
while IFS= read -r row; do
  [[ -z ${row// } ]] && continue
  files=${row%%|*}
  allow=${row#*|}
  read -r name globs <<<"$files"
  L_NAME+=("$name")
  L_GLOBS+=("$globs")
  L_ALLOW+=("$(echo $allow)")
done <<<"$TABLE"

# layer of a path relative to the root; "" when none
layer_of() {
  local f=$1 i g
  for i in "${!L_NAME[@]}"; do
    for g in ${L_GLOBS[$i]}; do
      # shellcheck disable=SC2053 # g is a glob
      [[ $f == $g ]] && { echo "${L_NAME[$i]}"; return; }
    done
  done
  echo ""
}

allowed() { # allowed FROM TO
  local i
  [[ $1 == "$2" ]] && return 0
  for i in "${!L_NAME[@]}"; do
    [[ ${L_NAME[$i]} == "$1" ]] || continue
    [[ " ${L_ALLOW[$i]} " == *" $2 "* ]] && return 0
  done
  return 1
}

# Check "FILE:LINE:#include ..." records on stdin; print each offence,
# return 1 when there is one.
check() {
  local bad=0 file line text from target to quoted
  while IFS= read -r rec; do
    file=${rec%%:*}
    rec=${rec#*:}
    line=${rec%%:*}
    text=${rec#*:}
    from=$(layer_of "$file")
    if [[ -z $from ]]; then
      echo "layering: $file: belongs to no layer (add it to the table in tests/cli/layering.sh)"
      bad=1
      continue
    fi
    to=""
    if [[ $text =~ \#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
      quoted=${BASH_REMATCH[1]}
      case $quoted in
      marcpipe/*) target=include/$quoted ;;
      */*) target=src/$quoted ;;
      *) target=$(dirname "$file")/$quoted ;;
      esac
      case $target in
      bench/* | src/bench/*) to=bench ;;
      *) to=$(layer_of "$target") ;;
      esac
      [[ -z $to ]] && to="?"
    elif [[ $text =~ \#[[:space:]]*include[[:space:]]*\<([^\>]+)\> ]]; then
      quoted=${BASH_REMATCH[1]}
      while read -r prefix lib; do
        [[ $quoted == "$prefix"* ]] && to=$lib
      done <<<"$LIBS"
      [[ -z $to ]] && continue # a library no layer owns: free to use
    else
      continue
    fi
    if ! allowed "$from" "$to"; then
      echo "layering: $file:$line: $text: $from may not depend on $to"
      bad=1
    fi
  done
  return $bad
}

# The check can fail: an include that points up, a file of no layer, a
# library a layer must not use.
out=$(printf '%s\n' 'src/kafka/x.c:3:#include "marcpipe/pg.h"' \
  'src/nolayer/y.c:1:#include "marcpipe/buf.h"' \
  'src/marc/z.c:9:#include <libpq-fe.h>' \
  'src/pg/copy.c:4:#include "bench/common.h"' | check) && {
  echo "layering: the check passed an upward include"
  exit 1
}
grep -qF 'src/kafka/x.c:3: #include "marcpipe/pg.h": kafka may not depend on pg' <<<"$out"
grep -qF 'src/nolayer/y.c: belongs to no layer' <<<"$out"
grep -qF 'src/marc/z.c:9: #include <libpq-fe.h>: marc may not depend on libpq' <<<"$out"
grep -qF 'src/pg/copy.c:4: #include "bench/common.h": pg may not depend on bench' <<<"$out"
# ... and passes what the table allows
printf '%s\n' 'src/pipeline/a.c:1:#include "marcpipe/sink.h"' \
  'src/pg/sink.c:2:#include "job/complete.h"' 'src/marc/b.c:1:#include "build.h"' | check

# The tree itself.
mapfile -t files < <(find src include -name '*.[ch]' | sort)
[[ ${#files[@]} -gt 100 ]] || { echo "layering: only ${#files[@]} files found under $ROOT"; exit 1; }
if ! grep -Hn '^[[:space:]]*#[[:space:]]*include' "${files[@]}" | check; then
  echo "layering: FAILED (layers, lowest first: ${L_NAME[*]})"
  exit 1
fi
echo "layering: ${#files[@]} files, ${#L_NAME[@]} layers, every include points down"
