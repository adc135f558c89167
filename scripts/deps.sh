#!/usr/bin/env bash
# deps.sh: install marcpipe's build and run-time dependencies on Debian 12.
# Quiet, idempotent: only missing packages are installed, and `apt-get
# update` runs only when something is missing. Needs root (or sudo).
set -euo pipefail

PKGS=(build-essential cmake ninja-build pkg-config clang libclang-rt-dev
      librdkafka-dev libuv1-dev libpq-dev libxml2-dev libjansson-dev
      libyaz-dev yaz libcmocka-dev postgresql kcat gnuplot-nox jq
      libmicrohttpd-dev libssl-dev chromium)
# The real Kafka cluster of the tests (scripts/kafka.sh) runs on a JDK with
# the broker resolved by Maven: install them where the commands are missing.
command -v java >/dev/null 2>&1 || PKGS+=(default-jdk-headless)
command -v mvn >/dev/null 2>&1 || PKGS+=(maven)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$p")
done
# node and npm run the web console's browser tests (tests/browser: npm ci of
# playwright-core, which drives the chromium above); a node already on the
# machine (another distribution of it) is kept
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
