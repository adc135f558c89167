# netns.bash: simulated hosts on this machine, for fault scenarios and
# benchmarks that need a real network between a client and its servers.
# Sourced, never run. Needs root and iproute2 (`ip netns`, veth, bridge,
# `tc qdisc ... netem`).
#
#   ns_setup                 the link: a bridge in the root namespace with
#                            NS_ADDR (10.A.B.1/24, A.B from the pid, moved on
#                            while any route or address of this machine
#                            overlaps it); servers listen on NS_ADDR
#   ns_host NAME [DELAY_MS]  a host: namespace NS_NAME_<NAME> with lo, a veth
#                            pair whose root end is a port of the bridge, the
#                            address 10.A.B.(10+i)/24 (i: 1, 2, ... in order
#                            of creation) and a route to the /24 only; with
#                            DELAY_MS, `netem delay DELAY_MS ms` on both ends
#                            (a round trip of twice that)
#   ns_exec NAME CMD...      CMD in the host's namespace
#   ns_netns NAME            the host's namespace name: for a background job
#                            whose $! must be CMD's own pid, run
#                            `ip netns exec "$(ns_netns NAME)" CMD &` (ip
#                            execs CMD; ns_exec, a function, would fork)
#   ns_link NAME down|up     the host's cable: its bridge port goes down, so
#                            the host keeps its address and routes and its
#                            packets go nowhere (TCP stalls, nothing resets);
#                            up heals it
#   ns_delay NAME MS         the netem delay of both ends (0: none)
#   ns_host_addr NAME        the host's address
#   ns_cleanup               kill what runs in the namespaces, delete them,
#                            the veth pairs and the bridge (idempotent)
#
# Traffic stays on this machine: the /24 is private, routed only over the
# bridge, and nothing forwards it anywhere. ns_setup runs ns_cleanup at exit
# after the EXIT trap already set (set yours first). ns_available says
# whether this process may create namespaces (root, `ip netns` works);
# ns_netem_available whether the kernel has netem (ns_delay fails without).

NS_ID=$$            # names: mp<pid>b (bridge), mp<pid>r<i> / mp<pid>n<i> (veth ends)
NS_NET=             # 10.A.B
NS_ADDR=            # 10.A.B.1: the servers' address on the bridge
NS_BR=
NS_NAME=mp$$        # namespaces: ${NS_NAME}_<host name>
NS_PREV_EXIT=
declare -A NS_IDX=()  # host name -> i

ns_available() {
  [ "$(id -u)" -eq 0 ] || return 1
  command -v ip >/dev/null && command -v tc >/dev/null || return 1
  local probe=mp$$probe
  ip netns add "$probe" 2>/dev/null || return 1
  ip netns del "$probe" 2>/dev/null
}

ns__clash() { # 10.A.B: some route or address of this machine overlaps it
  [ -n "$(ip -4 -o route show table all match "$1.0/24" 2>/dev/null | grep -v '^default ')" ] ||
    [ -n "$(ip -4 -o route show table all root "$1.0/24" 2>/dev/null)" ] ||
    ip -4 -o addr show | grep -qF " inet $1."
}

ns__on_exit() {
  eval "${NS_PREV_EXIT:-:}"
  ns_cleanup
}

ns_setup() {
  local a=$(( (NS_ID >> 8) % 256 )) b=$(( NS_ID % 256 )) k
  for k in $(seq 0 255); do
    ns__clash "10.$a.$b" || break
    b=$(( (b + 1) % 256 )); [ "$b" -ne 0 ] || a=$(( (a + 1) % 256 ))
  done
  ns__clash "10.$a.$b" && { echo "netns: no free 10.x.y.0/24" >&2; return 1; }
  NS_NET=10.$a.$b NS_ADDR=10.$a.$b.1 NS_BR=mp${NS_ID}b
  # chain the EXIT trap: whatever the caller set runs first, then ns_cleanup
  local prev; prev=$(trap -p EXIT)
  if [ -n "$prev" ]; then eval "set -- ${prev#trap -- }"; NS_PREV_EXIT=$1; fi
  trap ns__on_exit EXIT
  ip link add "$NS_BR" type bridge || return 1
  ip addr add "$NS_ADDR/24" dev "$NS_BR" || return 1
  ip link set "$NS_BR" up || return 1
}

ns_host() { # NAME [DELAY_MS]
  local name=$1 delay=${2:-0} i
  [ -n "$NS_BR" ] || { echo "netns: ns_setup first" >&2; return 1; }
  i=$(( ${#NS_IDX[@]} + 1 ))
  NS_IDX[$name]=$i
  local ns=${NS_NAME}_$name r=mp${NS_ID}r$i n=mp${NS_ID}n$i
  ip netns add "$ns" || return 1
  ip link add "$r" type veth peer name "$n" netns "$ns" || return 1
  ip link set "$r" master "$NS_BR" || return 1
  ip link set "$r" up || return 1
  ip -n "$ns" link set lo up || return 1
  ip -n "$ns" addr add "$NS_NET.$((10 + i))/24" dev "$n" || return 1
  ip -n "$ns" link set "$n" up || return 1
  [ "$delay" = 0 ] || ns_delay "$name" "$delay"
}

ns_host_addr() { echo "$NS_NET.$((10 + NS_IDX[$1]))"; }

ns_netns() { echo "${NS_NAME}_$1"; }

ns_exec() { local name=$1; shift; ip netns exec "${NS_NAME}_$name" "$@"; }

ns_link() { # NAME down|up
  ip link set "mp${NS_ID}r${NS_IDX[$1]}" "$2"
}

ns_delay() { # NAME MS: netem delay on both ends (0: none)
  local i=${NS_IDX[$1]} ns=${NS_NAME}_$1
  tc qdisc del dev "mp${NS_ID}r$i" root 2>/dev/null || true
  ip netns exec "$ns" tc qdisc del dev "mp${NS_ID}n$i" root 2>/dev/null || true
  [ "$2" = 0 ] && return 0
  if ! tc qdisc add dev "mp${NS_ID}r$i" root netem delay "${2}ms" limit 100000 2>"/tmp/mp$$.tc"; then
    grep -q 'qdisc kind is unknown' "/tmp/mp$$.tc" &&
      echo "netns: this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM): no delay" >&2
    cat "/tmp/mp$$.tc" >&2; rm -f "/tmp/mp$$.tc"; return 1
  fi
  rm -f "/tmp/mp$$.tc"
  ip netns exec "$ns" tc qdisc add dev "mp${NS_ID}n$i" root netem delay "${2}ms" limit 100000
}

ns_netem_available() { # the kernel offers netem (ns_delay works)
  local ok=1 probe=mp${NS_ID}netem
  ip netns add "$probe" 2>/dev/null || return 1
  ip netns exec "$probe" tc qdisc add dev lo root netem delay 1ms 2>/dev/null && ok=0
  ip netns del "$probe" 2>/dev/null
  return $ok
}

ns_cleanup() {
  local name ns pid
  for name in "${!NS_IDX[@]}"; do
    ns=${NS_NAME}_$name
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip link del "mp${NS_ID}r${NS_IDX[$name]}" 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
    unset "NS_IDX[$name]"
  done
  [ -z "$NS_BR" ] || ip link del "$NS_BR" 2>/dev/null || true
  NS_BR=
}
