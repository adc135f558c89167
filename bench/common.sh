# common.sh: settings and helpers shared by the bench/*.sh scripts (sourced).
# Sets here (bench/), build (BUILD_DIR: $1 or build/), runs (env RUNS,
# default 5), data (env MP_TEST_DATA, default tests/data/marc) and src
# (the solrmarc uva file both benchmarks are made of); defines median.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
build=${1:-$here/../build}
runs=${RUNS:-5}
data=${MP_TEST_DATA:-$here/../tests/data/marc}
src=$data/iso2709/solrmarc--uva_001_2000.mrc
mkdir -p "$here/data"
median() { sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
