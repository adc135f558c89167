#!/usr/bin/env bash
# kafka.sh: a real Apache Kafka (KRaft) cluster on loopback for tests, fault
# scenarios and benchmarks.
#
#   scripts/kafka.sh start  [--brokers N] [--dir DIR] [--sasl [--acl]] [--host ADDR]
#   scripts/kafka.sh stop   [--dir DIR]
#   scripts/kafka.sh status [--dir DIR]
#   scripts/kafka.sh kill-node I [--dir DIR] [--signal SIG]   (default KILL)
#   scripts/kafka.sh start-node I [--dir DIR]                 (same ports, data kept)
#   scripts/kafka.sh leader TOPIC PARTITION [--dir DIR]       (node id of the leader)
#   scripts/kafka.sh leaders TOPIC [--dir DIR]                ("partition leader" lines)
#   scripts/kafka.sh wait [--brokers N] [--dir DIR]           (N brokers answer metadata)
#   scripts/kafka.sh restart [--dir DIR]                      (stop all, start again, data kept)
#   scripts/kafka.sh delete-records TOPIC PARTITION OFFSET [--dir DIR]
#                    (Admin API DeleteRecords: the log start moves to OFFSET)
#   scripts/kafka.sh delete-topic TOPIC [--dir DIR]           (Admin API DeleteTopics)
#   scripts/kafka.sh grant USER OPERATION topic|group NAME [--dir DIR]
#                    (with --acl: an ACL allowing User:USER the OPERATION, e.g.
#                    Read, on that resource, through kafka-acls)
#   scripts/kafka.sh coordinator GROUP [--dir DIR]            ("ID STATE MEMBERS": the node
#                    id of the group's coordinator, the group's state and member
#                    count, from kafka-consumer-groups --describe --state)
#
# The broker is the Apache Kafka version pinned in scripts/kafka/pom.xml,
# resolved from Maven Central by `mvn dependency:copy-dependencies` into
# ~/.cache/marcpipe/kafka-VERSION (MP_KAFKA_CACHE overrides); nothing else is
# downloaded. `start` formats KRaft storage and starts N combined
# broker+controller nodes (node ids 1..N, a quorum of N) on 127.0.0.1 (or
# --host ADDR: every listener, advertised ones included, on that local
# address, e.g. the bridge of scripts/netns.bash) with ports the kernel
# hands out, so several clusters can run side by side; it
# waits until every broker answers metadata and prints the bootstrap list on
# stdout. DIR (default ${TMPDIR:-/tmp}/marcpipe-kafka-UID) keeps each node's
# config, data, server.log and pid file, and the files `bootstrap` (and, with
# --sasl, `bootstrap-sasl`, `sasl.user` and `sasl.password`, mode 600).
# `stop` stops exactly the processes whose pid files are in DIR (and checks
# that each pid still runs this DIR's config before signalling it).
#
# --sasl adds a SASL_PLAINTEXT listener with the PLAIN mechanism on every node
# (user `marcpipe`, password from MP_KAFKA_SASL_PASSWORD or a random one). The
# password lives only in DIR/sasl.password and the nodes' config files, never
# on a command line.
#
# --acl (with --sasl) turns authorization on: KRaft's StandardAuthorizer, no
# access where no ACL grants it, super users User:ANONYMOUS (the PLAINTEXT
# listener, which the nodes use among themselves and as controllers) and
# User:marcpipe. It adds a second SASL user, `norights`, granted nothing
# (password in DIR/sasl-norights.password, user in DIR/sasl-norights.user):
# a client that may not create or see topics.
#
# Environment: MP_KAFKA_HEAP (default -Xmx384m -Xms64m), MP_KAFKA_START_TIMEOUT
# (seconds, default 90), MP_KAFKA_CACHE.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
POM=$HERE/kafka/pom.xml
VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM")
CACHE=${MP_KAFKA_CACHE:-$HOME/.cache/marcpipe/kafka-$VERSION}
HEAP=${MP_KAFKA_HEAP:--Xmx384m -Xms64m}
START_TIMEOUT=${MP_KAFKA_START_TIMEOUT:-90}

die() { echo "kafka.sh: $*" >&2; exit 1; }
usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

cmd=${1:-}; [ -n "$cmd" ] || usage; shift
BROKERS=3 DIR=${TMPDIR:-/tmp}/marcpipe-kafka-$(id -u) SASL=0 ACL=0 SIGNAL=KILL HOST=127.0.0.1
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --brokers) BROKERS=${2:?}; shift 2 ;;
    --dir) DIR=${2:?}; shift 2 ;;
    --sasl) SASL=1; shift ;;
    --acl) ACL=1; shift ;;
    --host) HOST=${2:?}; shift 2 ;;
    --signal) SIGNAL=${2:?}; shift 2 ;;
    -h|--help) usage ;;
    -*) die "unknown option $1" ;;
    *) args+=("$1"); shift ;;
  esac
done
case $BROKERS in ''|*[!0-9]*) die "--brokers needs a number (1..9)" ;; esac
[ "$BROKERS" -ge 1 ] && [ "$BROKERS" -le 9 ] || die "--brokers must be 1..9"
[ "$ACL" = 0 ] || [ "$SASL" = 1 ] || die "--acl needs --sasl (the users it authorizes)"

# ---- the broker's jars -------------------------------------------------------
resolve() {
  [ -f "$CACHE/.complete" ] && return 0
  command -v java >/dev/null || die "java not found (scripts/deps.sh installs a JDK)"
  command -v mvn >/dev/null || die "mvn not found (scripts/deps.sh installs maven)"
  mkdir -p "$(dirname "$CACHE")"
  local tmp; tmp=$(mktemp -d "$CACHE.tmp.XXXXXX")
  echo "kafka.sh: resolving Apache Kafka $VERSION from Maven Central into $CACHE" >&2
  if ! mvn -q -B -f "$POM" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$tmp/libs" >"$tmp/mvn.log" 2>&1; then
    tail -n 20 "$tmp/mvn.log" >&2; rm -rf "$tmp"; die "maven could not resolve kafka $VERSION"
  fi
  touch "$tmp/.complete"
  # another resolver may have won the race: keep theirs
  [ -f "$CACHE/.complete" ] || rm -rf "$CACHE"
  mv -T "$tmp" "$CACHE" 2>/dev/null || rm -rf "$tmp"
  [ -f "$CACHE/.complete" ] || die "cache $CACHE incomplete"
}

java_cmd() { # log4j config, main class, args...
  local log4j=$1; shift
  # shellcheck disable=SC2086
  exec java $HEAP ${JAVA_EXTRA:-} -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$log4j" -cp "$CACHE/libs/*" "$@"
}

# ---- ports --------------------------------------------------------------------
free_ports() { # count: prints that many distinct free ports on HOST
  python3 - "$1" "$HOST" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind((sys.argv[2], 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# ---- per-node files -------------------------------------------------------------
node_dir() { echo "$DIR/node$1"; }
node_pid() { cat "$(node_dir "$1")/pid" 2>/dev/null || true; }
node_alive() { # i: the pid file's process runs this node's config
  local pid; pid=$(node_pid "$1")
  [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
    grep -qF "$(node_dir "$1")/server.properties"
}
nodes() { cat "$DIR/nodes" 2>/dev/null || echo 0; }

write_configs() { # brokers, sasl, acl: ports from free_ports
  local n=$1 sasl=$2 acl=$3 rf=$(( $1 < 3 ? $1 : 3 )) isr i voters="" ports
  local per=$(( sasl ? 3 : 2 ))
  read -r -a ports <<<"$(free_ports $(( n * per )))"
  for i in $(seq 1 "$n"); do
    voters+="${voters:+,}$i@$HOST:${ports[$(( (i - 1) * per + 1 ))]}"
  done
  isr=$(( rf < 2 ? 1 : 2 ))
  : >"$DIR/bootstrap.tmp"; : >"$DIR/bootstrap-sasl.tmp"
  for i in $(seq 1 "$n"); do
    local d; d=$(node_dir "$i")
    local bp=${ports[$(( (i - 1) * per ))]} cp=${ports[$(( (i - 1) * per + 1 ))]}
    local listeners="PLAINTEXT://$HOST:$bp,CONTROLLER://$HOST:$cp"
    local adv="PLAINTEXT://$HOST:$bp"
    mkdir -p "$d/data"
    if [ "$sasl" = 1 ]; then
      local sp=${ports[$(( (i - 1) * per + 2 ))]}
      listeners+=",SASL_PLAINTEXT://$HOST:$sp"; adv+=",SASL_PLAINTEXT://$HOST:$sp"
      printf '%s%s:%s' "$( [ -s "$DIR/bootstrap-sasl.tmp" ] && echo ,)" "$HOST" "$sp" >>"$DIR/bootstrap-sasl.tmp"
    fi
    printf '%s%s:%s' "$( [ -s "$DIR/bootstrap.tmp" ] && echo ,)" "$HOST" "$bp" >>"$DIR/bootstrap.tmp"
    ( umask 077; cat >"$d/server.properties" <<EOF
# node $i of $n: combined broker + controller (written by scripts/kafka.sh)
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$voters
listeners=$listeners
advertised.listeners=$adv
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
log.dirs=$d/data
# test settings: explicit, never the defaults by accident
auto.create.topics.enable=false
delete.topic.enable=true
group.initial.rebalance.delay.ms=0
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=1
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
unclean.leader.election.enable=false
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=2
log.segment.bytes=16777216
log.retention.check.interval.ms=5000
# a killed node is noticed in seconds, not tens of seconds
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=4000
replica.lag.time.max.ms=10000
EOF
    if [ "$sasl" = 1 ]; then
      cat >>"$d/server.properties" <<EOF
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$(cat "$DIR/sasl.user")="$(cat "$DIR/sasl.password")"$(
  [ "$acl" = 0 ] || printf ' user_%s="%s"' "$(cat "$DIR/sasl-norights.user")" "$(cat "$DIR/sasl-norights.password")");
EOF
    fi
    if [ "$acl" = 1 ]; then
      cat >>"$d/server.properties" <<EOF
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:ANONYMOUS;User:$(cat "$DIR/sasl.user")
EOF
    fi
    )
    cat >"$d/log4j2.properties" <<EOF
status = error
appender.file.type = File
appender.file.name = file
appender.file.fileName = $d/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
EOF
  done
  mv "$DIR/bootstrap.tmp" "$DIR/bootstrap"
  if [ "$sasl" = 1 ]; then mv "$DIR/bootstrap-sasl.tmp" "$DIR/bootstrap-sasl"; else rm -f "$DIR/bootstrap-sasl.tmp"; fi
  echo "$n" >"$DIR/nodes"
}

format_node() { # i
  local d; d=$(node_dir "$1")
  # a short-lived tool: the C1 compiler alone starts faster
  ( JAVA_EXTRA=-XX:TieredStopAtLevel=1 java_cmd "$d/log4j2.properties" kafka.tools.StorageTool format \
      --config "$d/server.properties" --cluster-id "$(cat "$DIR/cluster.id")" \
      --ignore-formatted ) >"$d/format.log" 2>&1
}

start_node() { # i
  local d; d=$(node_dir "$1")
  node_alive "$1" && return 0
  ( cd "$d" && java_cmd "$d/log4j2.properties" kafka.Kafka "$d/server.properties" ) \
    >>"$d/stdout.log" 2>&1 </dev/null &
  echo $! >"$d/pid"
}

brokers_up() { # how many brokers the metadata lists (0 when none answers)
  kcat -L -b "$(cat "$DIR/bootstrap")" -m 3 -J 2>/dev/null |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["brokers"]))' 2>/dev/null || echo 0
}

wait_up() { # want: brokers listed; fails after START_TIMEOUT
  local want=$1 deadline=$(( $(date +%s) + START_TIMEOUT )) i
  while :; do
    for i in $(seq 1 "$(nodes)"); do
      [ -f "$(node_dir "$i")/pid" ] || continue
      node_alive "$i" || { tail -n 30 "$(node_dir "$i")/server.log" "$(node_dir "$i")/stdout.log" >&2 2>/dev/null
                           return 1; }
    done
    [ "$(brokers_up)" -ge "$want" ] && return 0
    [ "$(date +%s)" -lt "$deadline" ] || { echo "kafka.sh: cluster not up after ${START_TIMEOUT}s" >&2; return 1; }
    sleep 0.3
  done
}

stop_all() {
  local i pid pids=()
  for i in $(seq 1 "$(nodes)"); do
    if node_alive "$i"; then pid=$(node_pid "$i"); kill -TERM "$pid" 2>/dev/null && pids+=("$pid"); fi
  done
  local t=0
  while [ ${#pids[@]} -gt 0 ] && [ $t -lt 100 ]; do
    local left=()
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left+=("$pid"); done
    pids=("${left[@]+"${left[@]}"}"); [ ${#pids[@]} -gt 0 ] || break
    sleep 0.1; t=$((t + 1))
  done
  # the last nodes of a combined quorum can wait for a controller that has gone
  for pid in "${pids[@]+"${pids[@]}"}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for i in $(seq 1 "$(nodes)"); do rm -f "$(node_dir "$i")/pid"; done
}

case $cmd in
  start)
    resolve
    command -v kcat >/dev/null || die "kcat not found (scripts/deps.sh installs it)"
    mkdir -p "$DIR"; DIR=$(cd "$DIR" && pwd)
    for i in $(seq 1 "$(nodes)"); do node_alive "$i" && die "a cluster already runs in $DIR (stop it first)"; done
    rm -rf "$DIR"/node* "$DIR"/bootstrap* "$DIR"/sasl.* "$DIR"/sasl-norights.*
    if [ "$SASL" = 1 ]; then
      ( umask 077; echo marcpipe >"$DIR/sasl.user"
        printf '%s\n' "${MP_KAFKA_SASL_PASSWORD:-$(python3 -c 'import secrets; print(secrets.token_hex(12))')}" >"$DIR/sasl.password" )
    fi
    if [ "$ACL" = 1 ]; then
      ( umask 077; echo norights >"$DIR/sasl-norights.user"
        python3 -c 'import secrets; print(secrets.token_hex(12))' >"$DIR/sasl-norights.password" )
    fi
    t0=$(date +%s.%N)
    tries=0
    while :; do
      tries=$((tries + 1))
      write_configs "$BROKERS" "$SASL" "$ACL"
      # (never starting with '-': the format tool would read it as an option)
      python3 -c 'import base64,uuid
while True:
    c = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not c.startswith("-"): break
print(c)' >"$DIR/cluster.id"
      fpids=()
      for i in $(seq 1 "$BROKERS"); do format_node "$i" & fpids+=($!); done
      for p in "${fpids[@]}"; do wait "$p" || { cat "$DIR"/node*/format.log >&2; die "storage format failed"; }; done
      for i in $(seq 1 "$BROKERS"); do start_node "$i"; done
      if wait_up "$BROKERS"; then break; fi
      stop_all
      # a port taken between choosing and binding: choose again
      if [ $tries -lt 3 ] && grep -qs "Address already in use" "$DIR"/node*/server.log "$DIR"/node*/stdout.log; then
        rm -rf "$DIR"/node*; continue
      fi
      die "cluster in $DIR did not start (logs: $DIR/node*/server.log)"
    done
    # The first idempotent producer of a fresh cluster makes the brokers load
    # the transaction coordinator, and librdkafka logs "Coordinator load in
    # progress" while they do: pay that here, once (the message itself goes
    # nowhere: the topic does not exist).
    for _ in 1 2 3; do
      echo warm-up | kcat -P -b "$(cat "$DIR/bootstrap")" -t __marcpipe_warm_up \
        -X enable.idempotence=true -X message.timeout.ms=1500 2>&1 | grep GETPID >/dev/null || break
    done
    t1=$(date +%s.%N)
    printf 'kafka.sh: %s node(s) of Apache Kafka %s up in %.1f s, logs in %s\n' \
      "$BROKERS" "$VERSION" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" "$DIR" >&2
    cat "$DIR/bootstrap"; echo
    ;;
  stop)
    [ -d "$DIR" ] || exit 0
    stop_all
    ;;
  status)
    [ -f "$DIR/bootstrap" ] || die "no cluster in $DIR"
    up=0
    for i in $(seq 1 "$(nodes)"); do
      if node_alive "$i"; then echo "node $i: running (pid $(node_pid "$i"))"; up=$((up + 1))
      else echo "node $i: stopped"; fi
    done
    echo "bootstrap: $(cat "$DIR/bootstrap")"
    [ -f "$DIR/bootstrap-sasl" ] && echo "bootstrap (SASL_PLAINTEXT, PLAIN): $(cat "$DIR/bootstrap-sasl")"
    grep -qs '^authorizer.class.name=' "$(node_dir 1)/server.properties" &&
      echo "authorization: StandardAuthorizer (super users ANONYMOUS, $(cat "$DIR/sasl.user"); $(cat "$DIR/sasl-norights.user") has no rights)"
    echo "brokers answering metadata: $(brokers_up)"
    [ "$up" -eq "$(nodes)" ]
    ;;
  kill-node)
    i=${args[0]:?node id}; node_alive "$i" || die "node $i is not running"
    kill -"$SIGNAL" "$(node_pid "$i")"
    # a killed node is stopped: wait/status must not wait for it
    [ "$SIGNAL" != KILL ] && [ "$SIGNAL" != 9 ] || rm -f "$(node_dir "$i")/pid"
    ;;
  start-node)
    i=${args[0]:?node id}; [ -f "$(node_dir "$i")/server.properties" ] || die "no node $i in $DIR"
    resolve; start_node "$i"
    ;;
  wait)
    [ -f "$DIR/bootstrap" ] || die "no cluster in $DIR"
    want=$(nodes)
    [ "$BROKERS" != 3 ] && want=$BROKERS
    wait_up "$want" || die "fewer than $want brokers answer after ${START_TIMEOUT}s"
    ;;
  restart)
    [ -f "$DIR/bootstrap" ] || die "no cluster in $DIR"
    resolve
    stop_all
    for i in $(seq 1 "$(nodes)"); do start_node "$i"; done
    wait_up "$(nodes)" || die "cluster in $DIR did not come back"
    ;;
  delete-records)
    t=${args[0]:?topic} p=${args[1]:?partition} o=${args[2]:?offset}
    resolve
    printf '{"version":1,"partitions":[{"topic":"%s","partition":%d,"offset":%d}]}\n' \
      "$t" "$p" "$o" >"$DIR/delete-records.json"
    ( JAVA_EXTRA=-XX:TieredStopAtLevel=1 HEAP=-Xmx128m java_cmd "$(node_dir 1)/log4j2.properties" \
        org.apache.kafka.tools.DeleteRecordsCommand --bootstrap-server "$(cat "$DIR/bootstrap")" \
        --offset-json-file "$DIR/delete-records.json" ) >"$DIR/delete-records.log" 2>&1 ||
      { cat "$DIR/delete-records.log" >&2; die "DeleteRecords failed"; }
    grep -q "low_watermark: $o" "$DIR/delete-records.log" ||
      { cat "$DIR/delete-records.log" >&2; die "DeleteRecords: low watermark not $o"; }
    ;;
  delete-topic)
    t=${args[0]:?topic}
    resolve
    ( JAVA_EXTRA=-XX:TieredStopAtLevel=1 HEAP=-Xmx128m java_cmd "$(node_dir 1)/log4j2.properties" \
        org.apache.kafka.tools.TopicCommand --bootstrap-server "$(cat "$DIR/bootstrap")" \
        --delete --topic "$t" ) >"$DIR/delete-topic.log" 2>&1 ||
      { cat "$DIR/delete-topic.log" >&2; die "DeleteTopics failed"; }
    # gone from the metadata of every broker before a client may re-create it
    deadline=$(( $(date +%s) + 30 ))
    # (grep reads all of kcat's output: with pipefail, grep -q's early exit
    # would fail the pipeline on kcat's SIGPIPE and end the wait too soon)
    while kcat -L -b "$(cat "$DIR/bootstrap")" -m 3 2>/dev/null | grep -F "topic \"$t\"" >/dev/null; do
      [ "$(date +%s)" -lt "$deadline" ] || die "topic $t still listed 30 s after its deletion"
      sleep 0.2
    done
    ;;
  grant)
    u=${args[0]:?user} op=${args[1]:?operation} kind=${args[2]:?topic or group} name=${args[3]:?name}
    case $kind in topic|group) ;; *) die "grant: topic or group, not $kind" ;; esac
    resolve
    ( JAVA_EXTRA=-XX:TieredStopAtLevel=1 HEAP=-Xmx128m java_cmd "$(node_dir 1)/log4j2.properties" \
        org.apache.kafka.tools.AclCommand --bootstrap-server "$(cat "$DIR/bootstrap")" \
        --add --allow-principal "User:$u" --operation "$op" --"$kind" "$name" ) >"$DIR/grant.log" 2>&1 ||
      { cat "$DIR/grant.log" >&2; die "grant failed"; }
    ;;
  coordinator)
    g=${args[0]:?group}
    resolve
    # GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS, where the
    # coordinator is "127.0.0.1:PORT  (ID)"
    ( JAVA_EXTRA=-XX:TieredStopAtLevel=1 HEAP=-Xmx128m java_cmd "$(node_dir 1)/log4j2.properties" \
        org.apache.kafka.tools.consumer.group.ConsumerGroupCommand \
        --bootstrap-server "$(cat "$DIR/bootstrap")" --describe --group "$g" --state \
        --timeout 10000 ) >"$DIR/coordinator.log" 2>&1 ||
      { cat "$DIR/coordinator.log" >&2; die "describe group $g failed"; }
    line=$(awk -v g="$g" '$1 == g && $3 ~ /^\([0-9]+\)$/ {gsub(/[()]/, "", $3); print $3, $5, $6}' \
      "$DIR/coordinator.log")
    [ -n "$line" ] || { cat "$DIR/coordinator.log" >&2; die "no coordinator for group $g"; }
    echo "$line"
    ;;
  leaders)
    t=${args[0]:?topic}
    kcat -L -b "$(cat "$DIR/bootstrap")" -t "$t" -J -m 5 2>/dev/null | python3 -c '
import json, sys
for t in json.load(sys.stdin)["topics"]:
    for p in sorted(t["partitions"], key=lambda p: p["partition"]):
        print(p["partition"], p["leader"])'
    ;;
  leader)
    t=${args[0]:?topic} p=${args[1]:?partition}
    kcat -L -b "$(cat "$DIR/bootstrap")" -t "$t" -J -m 5 2>/dev/null | python3 -c '
import json, sys
md = json.load(sys.stdin)
for t in md["topics"]:
    for p in t["partitions"]:
        if p["partition"] == int(sys.argv[1]): print(p["leader"]); sys.exit(0)
sys.exit(1)' "$p"
    ;;
  *) usage ;;
esac
