#!/usr/bin/env bash
# Benchmark of `rdnsprov build` (ingest + build + write) on a generated registry-scale data set.
# The figures belong in docs/BENCHMARKS.md, with the command line that produced them.
#
#   bench/build_bench.sh                       # 1M objects, 3 runs, data in a temporary directory removed at exit
#   bench/build_bench.sh --keep /tmp/rdb       # keep the data set and the last run's output there (and reuse the
#                                              # data set next time if it was made with the same generator options)
#   bench/build_bench.sh --objects 100000 --runs 5 -- --some-build-option   # after --: passed to rdnsprov build
#
# Steps: build rdnsprov and rdnsprov-gen-registry in Release into ROOT/build-bench; generate the data set with
# rdnsprov-gen-registry (RPSL split dump, config, expected counts); time `gzip -dcf DUMP | wc -l` as a reference
# for the I/O alone; run `rdnsprov --config CONF build --out OUT` --runs times under /usr/bin/time -v; print wall
# time, CPU and peak RSS of every run and the medians. Exit 0 when every run exited 0, 1 otherwise, 2 on usage.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
objects=1000000
seed=1
profile=registry
runs=3
jobs=2
keep=""
build=1
gen_extra=()
build_extra=()

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
  cat <<'EOF'
Options:
  --objects N      objects in the generated dump (default 1000000)
  --seed S         generator seed (default 1)
  --profile P      generator profile: registry | inaddr8 | ip6 (default registry)
  --gen-arg ARG    one more generator option (repeatable), e.g. --gen-arg=--modified-remarks
  --runs N         timed runs of rdnsprov build (default 3)
  --jobs N         parallel compile jobs (default 2)
  --keep DIR       put data and output in DIR and keep them
  --no-build       use the binaries already in ROOT/build-bench
  --root DIR       the rdnsprov source tree (default: this script's parent)
  -- ARGS...       passed to `rdnsprov build` after --config and --out
EOF
}

die() { echo "build_bench: $*" >&2; exit 2; }

while (($#)); do
  case $1 in
    --objects) objects=${2:?}; shift 2 ;;
    --objects=*) objects=${1#*=}; shift ;;
    --seed) seed=${2:?}; shift 2 ;;
    --seed=*) seed=${1#*=}; shift ;;
    --profile) profile=${2:?}; shift 2 ;;
    --profile=*) profile=${1#*=}; shift ;;
    --gen-arg) gen_extra+=("${2:?}"); shift 2 ;;
    --gen-arg=*) gen_extra+=("${1#*=}"); shift ;;
    --runs) runs=${2:?}; shift 2 ;;
    --runs=*) runs=${1#*=}; shift ;;
    --jobs) jobs=${2:?}; shift 2 ;;
    --jobs=*) jobs=${1#*=}; shift ;;
    --keep) keep=${2:?}; shift 2 ;;
    --keep=*) keep=${1#*=}; shift ;;
    --no-build) build=0; shift ;;
    --root) root=$(cd "${2:?}" && pwd); shift 2 ;;
    --root=*) root=$(cd "${1#*=}" && pwd); shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; build_extra=("$@"); break ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done
[[ $objects =~ ^[0-9]+$ && $runs =~ ^[1-9][0-9]*$ && $jobs =~ ^[1-9][0-9]*$ ]] ||
  die "--objects, --runs and --jobs take positive whole numbers"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (Debian package 'time')"

builddir=$root/build-bench
rdnsprov=$builddir/cli/rdnsprov
generator=$builddir/bench/rdnsprov-gen-registry

# ---- build
if ((build)); then
  grep -Eq '^[[:space:]]*add_subdirectory\([[:space:]]*bench[[:space:]]*\)' "$root/CMakeLists.txt" ||
    die "$root/CMakeLists.txt has no add_subdirectory(bench): the generator target does not exist"
  echo "== building rdnsprov and rdnsprov-gen-registry (Release, -j$jobs) in $builddir" >&2
  mkdir -p "$builddir"
  build_log=$builddir/build-bench.log
  if ! { cmake -S "$root" -B "$builddir" -DCMAKE_BUILD_TYPE=Release -DRDNSPROV_TESTS=OFF &&
         cmake --build "$builddir" --target rdnsprov rdnsprov-gen-registry -j "$jobs"; } >"$build_log" 2>&1; then
    tail -n 30 "$build_log" >&2
    die "the build failed (whole log: $build_log)"
  fi
fi
[[ -x $rdnsprov && -x $generator ]] || die "missing $rdnsprov or $generator (build them, or drop --no-build)"

# ---- data
if [[ -n $keep ]]; then
  mkdir -p "$keep"
  work=$(cd "$keep" && pwd)
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/rdnsprov-bench.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
dump=$work/registry.db.domain.gz
conf=$work/rdnsprov.conf
expected=$work/expected.json
gen_args=(--profile "$profile" --objects "$objects" --seed "$seed" ${gen_extra[@]+"${gen_extra[@]}"})
gen_stamp="$(printf '%s\n' "${gen_args[@]}")
$(sha256sum "$generator" | cut -d' ' -f1)"
if [[ -f $dump && -f $conf && -f $expected && -f $work/generator.args && $(<"$work/generator.args") == "$gen_stamp" ]]
then
  echo "== reusing the data set in $work" >&2
else
  echo "== generating: rdnsprov-gen-registry ${gen_args[*]}" >&2
  rm -f "$work/generator.args"
  "$generator" "${gen_args[@]}" --out "$dump" --config "$conf" --summary-json "$expected" 2>"$work/generator.log" ||
    { cat "$work/generator.log" >&2; die "the generator failed"; }
  sed -n '1p' "$work/generator.log" >&2
  printf '%s\n' "$gen_stamp" >"$work/generator.args"
fi

# ---- helpers
# seconds from /usr/bin/time's "h:mm:ss" or "m:ss.ss"
to_seconds() { awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }' <<<"$1"; }
field() { sed -n "s/^[[:space:]]*$1: //p" "$2" | head -n1; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
json_number() {  # json_number FILE KEY...: the value at that path, or "?" without jq
  local file=$1; shift
  if command -v jq >/dev/null; then jq -r ".$(printf '["%s"]' "$@") // \"?\"" "$file" 2>/dev/null || echo "?"; else echo "?"; fi
}

# ---- machine and reference
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
echo
echo "rdnsprov build benchmark ($(date -u +%Y-%m-%d), $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo "machine:    $(nproc) cores, ${cpu:-unknown CPU}, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "data:       $dump ($(du -m "$dump" | cut -f1) MiB), $(json_number "$expected" objects) objects," \
  "profile $profile, seed $seed"
echo "expected:   $(json_number "$expected" placed delegations) delegations + $(json_number "$expected" placed classless)" \
  "dash ranges placed; $(json_number "$expected" ingest rejected) rejected by ingest," \
  "$(json_number "$expected" placed placement_errors) placement errors"
ref_time=$work/reference.time
# shellcheck disable=SC2016  # $1 expands in the inner shell
lines=$(/usr/bin/time -v -o "$ref_time" bash -c 'gzip -dcf -- "$1" | wc -l' _ "$dump")
echo "reference:  gzip -dcf DUMP | wc -l   wall $(to_seconds "$(field 'Elapsed (wall clock) time (h:mm:ss or m:ss)' "$ref_time")") s" \
  "($lines lines; I/O and decompression alone)"
echo "command:    $rdnsprov --config $conf build --out $work/out ${build_extra[*]}"

# ---- runs
walls=()
rsss=()
failed=0
for ((run = 1; run <= runs; run++)); do
  out=$work/out
  rm -rf "$out"
  time_file=$work/run-$run.time
  log=$work/run-$run.log
  set +e
  /usr/bin/time -v -o "$time_file" "$rdnsprov" --config "$conf" build --out "$out" ${build_extra[@]+"${build_extra[@]}"} \
    >"$log" 2>&1
  status=$?
  set -e
  if [[ ! -s $time_file ]] || ! grep -q 'Elapsed (wall clock)' "$time_file"; then
    echo "run $run: rdnsprov did not run (exit $status)"; cat "$log" "$time_file" 2>/dev/null | tail -n 20; exit 1
  fi
  wall=$(to_seconds "$(field 'Elapsed (wall clock) time (h:mm:ss or m:ss)' "$time_file")")
  rss=$(field 'Maximum resident set size (kbytes)' "$time_file")
  printf 'run %d:      wall %6.2f s   user %6.2f s   sys %5.2f s   cpu %5s   max RSS %7s MiB   exit %d\n' \
    "$run" "$wall" "$(field 'User time (seconds)' "$time_file")" "$(field 'System time (seconds)' "$time_file")" \
    "$(field 'Percent of CPU this job got' "$time_file")" "$(mib "$rss")" "$status"
  walls+=("$wall")
  rsss+=("$rss")
  if ((status != 0)); then
    failed=1
    echo "            rdnsprov build exited $status; the end of its output ($log):"
    tail -n 15 "$log" | sed 's/^/            | /'
  elif [[ ! -f $out/summary.json ]]; then
    failed=1
    echo "            exit 0 but no $out/summary.json: does this rdnsprov have a working 'build' command?"
  fi
done

wall_median=$(printf '%s\n' "${walls[@]}" | median)
wall_min=$(printf '%s\n' "${walls[@]}" | sort -n | head -n1)
rss_median=$(printf '%s\n' "${rsss[@]}" | median)
rss_max=$(printf '%s\n' "${rsss[@]}" | sort -n | tail -n1)
echo "median:     wall ${wall_median} s (fastest ${wall_min} s)   max RSS $(mib "$rss_median") MiB (largest $(mib "$rss_max") MiB)" \
  "  [targets: < 10 s, < 2048 MiB]"

# ---- what the last run wrote
if [[ -d $out ]]; then
  zone_files=$(find "$out" -maxdepth 1 -name '*.zone' | wc -l)
  rejects=$( [[ -f $out/rejects.txt ]] && wc -l <"$out/rejects.txt" || echo "no")
  echo "output:     $zone_files zone files ($(du -sm "$out" | cut -f1) MiB), rejects.txt: $rejects lines," \
    "summary.json: $([[ -f $out/summary.json ]] && echo present || echo missing)"
  expected_zones=$(jq '.zones | length' "$expected" 2>/dev/null || echo "?")
  [[ $zone_files == "$expected_zones" ]] || echo "            note: the generated config serves $expected_zones zones"
fi

# ---- does the output hold what the generator put in? (a fast build of the wrong thing proves nothing)
if [[ -f $out/summary.json ]] && command -v jq >/dev/null; then
  differences=0
  compare() {  # compare LABEL JQ-ON-SUMMARY JQ-ON-EXPECTED
    local got want
    got=$(jq -r "$2" "$out/summary.json" 2>/dev/null || echo "?")
    want=$(jq -r "$3" "$expected" 2>/dev/null || echo "?")
    if [[ $got != "$want" ]]; then
      ((differences += 1))
      echo "            differs: $1: summary.json $got, generator expects $want"
    fi
  }
  compare "ingest delegations" '.ingest.delegations' '.ingest.delegations'
  compare "ingest dash ranges" '.ingest.classless' '.ingest.classless'
  compare "e164.arpa skipped" '.ingest.enum_skipped' '.ingest.enum_skipped'
  compare "without nserver" '.ingest.without_nserver' '.ingest.without_nserver'
  compare "rejected by ingest" '.ingest.rejected' '.ingest.rejected'
  compare "placement errors" '.placement_errors.total' '.placed.placement_errors'
  # a dash range is a delegation point of its own (A-B.Z.Y.X) beside its CNAMEs
  compare "delegation points in zones" '[.zones[].delegations] | add' '.placed.delegations + .placed.classless'
  compare "dash ranges in zones" '[.zones[].classless] | add' '.placed.classless'
  compare "DS records in zones" '[.zones[].ds] | add' '.placed.ds_records'
  if ((differences == 0)); then
    echo "counts:     summary.json matches the generator's expected counts (ingest, placement, per-zone sums)"
  fi
fi
[[ -n $keep ]] && echo "kept:       $work (expected.json holds the counts summary.json should show)"
exit "$failed"
