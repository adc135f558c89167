#!/usr/bin/env bash
# work_options.sh: `marcpipe work` option handling without a broker: --help
# documents every option with its default, bad values are usage errors
# (exit 2) naming the option, managed Kafka properties are refused.
# Env (from ctest): MARCPIPE.
set -u
M=${MARCPIPE:?}
. "$(dirname "$0")/../lib/prelude.bash"
tl_tmpdir T
tl_keep_going # fail counts; tl_finish at the end

expect_rc 0 "$M" work --help
for opt in --brokers --topic --group --property --tenant --db --window \
           --window-bytes --low-water --batch --batch-ms --sinks \
           --sink-latency-ms --exit-when-idle --max-records --stats-json \
           --status-ms --stall-ms; do
  grep -q -- "$opt" "$T/out" || fail "--help does not mention $opt"
done
grep -q "default 20000" "$T/out" || fail "--help lacks the window default"
grep -q "default marcpipe.inventory" "$T/out" || fail "--help lacks the group default"

# usage errors: exit 2 and a message naming the option
while IFS='|' read -r args want; do
  # shellcheck disable=SC2086
  expect_rc 2 env -u MARCPIPE_BROKERS "$M" work $args
  grep -q -- "$want" "$T/err" || fail "'$args': stderr lacks '$want': $(cat "$T/err")"
done <<'LIST'
-b 127.0.0.1:1 --window ten|--window wants a count
-b 127.0.0.1:1 --window-bytes 12Q|--window-bytes wants a size
-b 127.0.0.1:1 --low-water 100|--low-water wants 0..99
-b 127.0.0.1:1 --batch 0|--batch wants 1..1000000
-b 127.0.0.1:1 --sinks 65|--sinks wants 1..64
-b 127.0.0.1:1 --exit-when-idle -3|--exit-when-idle wants
-b 127.0.0.1:1 --stall-ms soon|--stall-ms wants 0..3600000
-b 127.0.0.1:1 -X nonsense|-X wants name=value
-b 127.0.0.1:1 --tenant Bad-Tenant|--tenant wants
-b 127.0.0.1:1 --frobnicate|unknown option
-b 127.0.0.1:1 extra|unexpected argument
--window 5|no brokers
LIST

# properties the worker manages cannot be overridden
expect_rc 2 "$M" work -b 127.0.0.1:1 -X enable.auto.commit=true
grep -q "enable.auto.commit' is managed by the worker" "$T/err" ||
  fail "managed property not refused: $(cat "$T/err")"

expect_rc 2 "$M" work -b 127.0.0.1:1 -X partition.assignment.strategy=cooperative-sticky
grep -q "cooperative assignors are not supported" "$T/err" ||
  fail "cooperative assignor not refused: $(cat "$T/err")"

tl_finish
echo "work_options: ok"
