#!/usr/bin/env bash
# Benchmark of DNSSEC signing and verification: `rdnsprov sign` and `rdnsprov verify-zone` side by side with the
# tools an operator would otherwise use, on the same generated zones, with the same keys, in one run.
#
#   bench/sign_bench.sh                         # both zones, NSEC and NSEC3 opt-out, data in a temporary directory
#   bench/sign_bench.sh --keep /tmp/sb          # keep data, keys and signed files (reused when made the same way)
#   bench/sign_bench.sh --zones inaddr8 --runs 3
#
# Zones (rdnsprov-gen-registry, then `rdnsprov build`): `inaddr8` is 193.in-addr.arpa with all 65,536 /24s
# delegated, `ip6` is 0.a.2.ip6.arpa with --ip6-objects delegations (default 1,000,000); 15% of delegations have
# DS. The same zones with 0.1% of the delegations changed (--change 0.001) are the input of the incremental run.
# Keys: one KSK and one ZSK, ECDSAP256SHA256, made by dnssec-keygen; rdnsprov reads them with --keys, Knot imports
# them with `keymgr import-bind`, ldns-signzone reads the same files.
#
# Per zone and denial mode (NSEC; NSEC3 with opt-out, no salt, no extra iterations), each timed with
# /usr/bin/time (wall, CPU, peak RSS):
#   rdnsprov sign --no-verify          file in, signed file out (written and fsynced atomically)
#   rdnsprov sign                      the same, verified independently before it is written
#   dnssec-signzone -n 2 -P            BIND, 2 threads, without its own verification
#   dnssec-signzone -n 2               BIND, 2 threads, verifying what it signed (its default)
#   ldns-signzone                      ldns (one thread)
#   kzonesign                          Knot DNS, policy signing-threads: NPROC, and again with its default of 1
#   rdnsprov sign (incremental)        the changed zone, re-signed over the full signed file (signatures reused)
# and the verifiers on one file that BIND signed (so no verifier reads its own signer's output):
#   rdnsprov verify-zone, dnssec-verify, ldns-verify-zone, kzonecheck -d on
# The signing phase alone comes from `rdnsprov --log-level debug` ("signing took", of the fastest run), beside
# `openssl speed -multi NPROC ecdsap256`, the raw signing rate of the machine, measured just before and just
# after each zone's runs (the higher of the two counts: a shared machine's speed drifts).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
zones=inaddr8,ip6
ip6_objects=1000000
runs=1
keep=""
build=1
jobs=2

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; cat <<'EOF'
Options:
  --zones LIST       inaddr8, ip6 or both (default inaddr8,ip6)
  --ip6-objects N    delegations of the ip6 zone (default 1000000)
  --runs N           timed runs of each command; the table shows the fastest (default 1)
  --keep DIR         data, keys and outputs in DIR, kept
  --no-build         use the binaries already in ROOT/build-bench
EOF
}
die() { echo "sign_bench: $*" >&2; exit 2; }
while (($#)); do
  case $1 in
    --zones) zones=${2:?}; shift 2 ;;
    --ip6-objects) ip6_objects=${2:?}; shift 2 ;;
    --runs) runs=${2:?}; shift 2 ;;
    --keep) keep=${2:?}; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ && $ip6_objects =~ ^[1-9][0-9]*$ ]] || die "--runs and --ip6-objects take positive numbers"
for tool in /usr/bin/time dnssec-keygen dnssec-signzone dnssec-verify ldns-signzone ldns-verify-zone kzonesign \
            kzonecheck keymgr openssl; do
  command -v "$tool" >/dev/null || die "$tool is missing (ops/setup installs it)"
done

builddir=$root/build-bench
rdnsprov=$builddir/cli/rdnsprov
generator=$builddir/bench/rdnsprov-gen-registry
if ((build)); then
  echo "== building rdnsprov and rdnsprov-gen-registry (Release) in $builddir" >&2
  { cmake -S "$root" -B "$builddir" -DCMAKE_BUILD_TYPE=Release -DRDNSPROV_TESTS=OFF &&
    cmake --build "$builddir" --target rdnsprov rdnsprov-gen-registry -j "$jobs"; } >"$builddir.log" 2>&1 ||
    { tail -n 30 "$builddir.log" >&2; die "the build failed (log: $builddir.log)"; }
fi
[[ -x $rdnsprov && -x $generator ]] || die "missing $rdnsprov or $generator"

if [[ -n $keep ]]; then
  mkdir -p "$keep"; work=$(cd "$keep" && pwd)
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/rdnsprov-sign-bench.XXXXXX"); trap 'rm -rf "$work"' EXIT
fi

# timed NAME CMD...: runs CMD --runs times; keeps the fastest wall time in $work/NAME.best ("wall user sys rss")
# and the output of that fastest run in $work/NAME.log. A failing command is reported and gives "failed".
timed() {
  local name=$1; shift
  local best="" status
  for ((run = 1; run <= runs; run++)); do
    [[ -n ${before_each:-} ]] && eval "$before_each"
    # Nothing written before (the last tool's output, a copy made for this run) is still being written back
    # while this run is timed.
    sync
    set +e
    /usr/bin/time -f '%e %U %S %M' -o "$work/$name.time" "$@" >"$work/$name.run.log" 2>&1
    status=$?
    set -e
    if ((status != 0)); then
      echo "failed" >"$work/$name.best"
      mv "$work/$name.run.log" "$work/$name.log"
      echo "   $name: exit $status: $(tail -n 3 "$work/$name.log" | tr '\n' ' ')" >&2
      return 0
    fi
    local t; t=$(tail -n 1 "$work/$name.time")
    if [[ -z $best ]] || awk -v a="${t%% *}" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then
      best=$t
      mv "$work/$name.run.log" "$work/$name.log"
    fi
  done
  rm -f "$work/$name.run.log"
  echo "$best" >"$work/$name.best"
}
wall() { local b; b=$(<"$work/$1.best"); [[ $b == failed ]] && echo failed || echo "${b%% *}"; }
rss_mib() { local b; b=$(<"$work/$1.best"); [[ $b == failed ]] && echo - || awk '{ printf "%.0f", $4 / 1024 }' <<<"$b"; }
cpu() { local b; b=$(<"$work/$1.best"); [[ $b == failed ]] && echo - || awk '{ printf "%.2f", $2 + $3 }' <<<"$b"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "failed" || b == "failed" || b == 0) print "-"; else printf "%.2f", a / b }'; }
# signing_phase NAME: the "signing took X s" of an rdnsprov debug log
signing_phase() { sed -n 's/.*signing took \([0-9.]*\) s.*/\1/p' "$work/$1.log" | tail -n 1; }
# freeing_phase NAME: the "freeing the input took X s" of the same log (after a patch, the new zone's records of the
# owners kept as they were are freed there)
freeing_phase() { sed -n 's/.*freeing the input took \([0-9.]*\) s.*/\1/p' "$work/$1.log" | tail -n 1; }
created() { sed -n 's/.* \([0-9]*\) signatures created, \([0-9]*\) reused.*/\1 \2/p' "$work/$1.log" | tail -n 1; }

echo
echo "rdnsprov signing benchmark ($(date -u +%Y-%m-%d), $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'))"
echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)," \
  "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
# openssl_speed: the machine's raw ECDSA P-256 signing rate on all cores, signatures/s
openssl_speed() { openssl speed -seconds 3 -multi "$(nproc)" ecdsap256 2>/dev/null | awk '/nistp256/ { print $(NF-1) }' | tail -n 1; }
declare -A speed  # per zone: the higher of the rates measured just before and just after its runs

IFS=, read -r -a zone_list <<<"$zones"
for profile in "${zone_list[@]}"; do
  case $profile in
    inaddr8) apex=193.in-addr.arpa; gen=(--profile inaddr8) ;;
    ip6) apex=0.a.2.ip6.arpa; gen=(--profile ip6 --objects "$ip6_objects") ;;
    *) die "unknown zone '$profile' (inaddr8 or ip6)" ;;
  esac
  dir=$work/$profile
  mkdir -p "$dir"
  stamp="${gen[*]} $(sha256sum "$generator" "$rdnsprov" | cut -d' ' -f1 | tr '\n' ' ')"
  if [[ ! -f $dir/stamp || $(<"$dir/stamp") != "$stamp" ]]; then
    echo "== generating and building $apex (${gen[*]})" >&2
    rm -rf "$dir"; mkdir -p "$dir/keys"
    "$generator" "${gen[@]}" --seed 1 --out "$dir/db.domain.gz" --config "$dir/rdnsprov.conf" 2>/dev/null
    "$generator" "${gen[@]}" --seed 1 --change 0.001 --change-seed 2 --out "$dir/changed/db.domain.gz" \
      --config "$dir/changed/rdnsprov.conf" 2>/dev/null
    built=$(date +%s)
    "$rdnsprov" -c "$dir/rdnsprov.conf" --now "$built" --log-level warn build --out "$dir/zones" >/dev/null
    "$rdnsprov" -c "$dir/changed/rdnsprov.conf" --now "$((built + 3600))" --log-level warn build \
      --out "$dir/changed/zones" >/dev/null
    (cd "$dir/keys" && dnssec-keygen -q -a ECDSAP256SHA256 -f KSK "$apex" >/dev/null &&
                       dnssec-keygen -q -a ECDSAP256SHA256 "$apex" >/dev/null)
    echo "$stamp" >"$dir/stamp"
  fi
  speed_before=$(openssl_speed)
  # The keys are active from when dnssec-keygen made them: every tool signs at a time after that, with those two
  # keys only (rdnsprov would make keys of its own for a time before them).
  now=$(date +%s)
  unsigned=$dir/zones/$apex.zone
  changed=$dir/changed/zones/$apex.zone
  keyfiles=()
  for k in "$dir"/keys/K*.key; do keyfiles+=("${k%.key}"); done
  {
    cat "$dir/rdnsprov.conf"
    printf '\n[policy.nsec]\ndenial = nsec\n\n[policy.nsec3-optout]\ndenial = nsec3\nnsec3-opt-out = yes\n'
  } >"$dir/bench.conf"

  for mode in nsec nsec3-optout; do
    m=$dir/$mode
    rm -rf "$m"; mkdir -p "$m/knot"
    if [[ $mode == nsec ]]; then bind_denial=(); ldns_denial=(); knot_denial=""
    else bind_denial=(-3 - -H 0 -A); ldns_denial=(-n -p -t 0); knot_denial=$'    nsec3: on\n    nsec3-opt-out: on\n    nsec3-iterations: 0\n    nsec3-salt-length: 0'
    fi
    # Knot twice: with as many signing threads as cores (the fair comparison), and with its default of one.
    for knot in knot:$(nproc) knot1:1; do
      kd=$m/${knot%%:*}
      mkdir -p "$kd"
      cat >"$kd/knot.conf" <<EOF
server:
  rundir: $kd
database:
  storage: $kd/db
  kasp-db: $kd/kasp
policy:
  - id: bench
    algorithm: ecdsap256sha256
    manual: on
    signing-threads: ${knot#*:}
$knot_denial
zone:
  - domain: $apex
    file: $unsigned
    dnssec-signing: on
    dnssec-policy: bench
EOF
      for k in "${keyfiles[@]}"; do keymgr -c "$kd/knot.conf" "$apex" import-bind "$k.private" >/dev/null 2>&1; done
    done
    echo "== $apex, $mode" >&2
    sign=("$rdnsprov" -c "$dir/bench.conf" --now "$now" --log-level debug sign --zone "$apex" --keys "$dir/keys"
          --policy "$mode")
    before_each="rm -f '$m/rdnsprov.zone'"
    timed "$profile-$mode-rdnsprov" "${sign[@]}" --no-verify --in "$unsigned" --out "$m/rdnsprov.zone"
    before_each="rm -f '$m/rdnsprov-verified.zone'"
    timed "$profile-$mode-rdnsprov-verified" "${sign[@]}" --in "$unsigned" --out "$m/rdnsprov-verified.zone"
    before_each="cp '$m/rdnsprov.zone' '$m/incremental.zone'"
    timed "$profile-$mode-incremental" "${sign[@]}" --no-verify --in "$changed" --out "$m/incremental.zone"
    before_each=""
    timed "$profile-$mode-bindP" dnssec-signzone -q -P -n "$(nproc)" -S -K "$dir/keys" -d "$m" -o "$apex" \
      -f "$m/bind-noverify.zone" "${bind_denial[@]}" "$unsigned"
    timed "$profile-$mode-bind" dnssec-signzone -q -n "$(nproc)" -S -K "$dir/keys" -d "$m" -o "$apex" \
      -f "$m/bind.zone" "${bind_denial[@]}" "$unsigned"
    timed "$profile-$mode-ldns" ldns-signzone "${ldns_denial[@]}" -f "$m/ldns.zone" "$unsigned" "${keyfiles[@]}"
    timed "$profile-$mode-knot" kzonesign -c "$m/knot/knot.conf" -o "$m/knot" "$apex"
    timed "$profile-$mode-knot1" kzonesign -c "$m/knot1/knot.conf" -o "$m/knot1" "$apex"
    # Every signed file must verify, or its time means nothing.
    for f in rdnsprov incremental bind-noverify ldns; do
      [[ -f $m/$f.zone ]] || continue
      kzonecheck -d on -o "$apex" "$m/$f.zone" >/dev/null 2>&1 || echo "   $m/$f.zone does NOT verify (kzonecheck)" >&2
    done
    timed "$profile-$mode-verify-rdnsprov" "$rdnsprov" -c "$dir/bench.conf" --now "$now" --log-level debug \
      verify-zone --zone "$apex" --policy "$mode" --in "$m/bind-noverify.zone"
    timed "$profile-$mode-verify-bind" dnssec-verify -q -o "$apex" "$m/bind-noverify.zone"
    timed "$profile-$mode-verify-ldns" ldns-verify-zone "$m/bind-noverify.zone"
    timed "$profile-$mode-verify-knot" kzonecheck -d on -o "$apex" "$m/bind-noverify.zone"
  done
  keys_now=$(find "$dir/keys" -name 'K*.key' | wc -l)
  ((keys_now == 2)) || die "$dir/keys holds $keys_now keys instead of the 2 every tool was to use"
  speed_after=$(openssl_speed)
  speed[$profile]=$(awk -v a="$speed_before" -v b="$speed_after" 'BEGIN { print (a > b ? a : b) }')
  echo "openssl speed -seconds 3 -multi $(nproc) ecdsap256 around the $profile runs: $speed_before and" \
    "$speed_after signatures/s" >&2
done
for profile in "${zone_list[@]}"; do
  echo "openssl speed -seconds 3 -multi $(nproc) ecdsap256 around the $profile runs: ${speed[$profile]} signatures/s" \
    "(the higher of the rates before and after them)"
done

# table TITLE PREFIX BASE ENTRY...: one row per zone, denial mode and ENTRY ("key:label"), with the ratio of
# each entry's wall time to that of BASE.
table() {
  local title=$1 prefix=$2 base_key=$3; shift 3
  echo
  echo "$title"
  printf '%-16s %-14s %-34s %9s %8s %9s %8s\n' zone denial tool wall CPU 'RSS MiB' ratio
  for profile in "${zone_list[@]}"; do
    for mode in nsec nsec3-optout; do
      local base; base=$(wall "$profile-$mode-$prefix$base_key")
      for t in "$@"; do
        local name=$profile-$mode-$prefix${t%%:*}
        printf '%-16s %-14s %-34s %9s %8s %9s %8s\n' "$profile" "$mode" "${t#*:}" "$(wall "$name")" "$(cpu "$name")" \
          "$(rss_mib "$name")" "$(ratio "$(wall "$name")" "$base")"
      done
    done
  done
}

table "Signing, file to file (fastest of $runs run(s); ratio = the tool's time / rdnsprov sign --no-verify's):" \
  "" rdnsprov rdnsprov:"rdnsprov sign --no-verify" rdnsprov-verified:"rdnsprov sign (verifying)" \
  bindP:"dnssec-signzone -n $(nproc) -P" bind:"dnssec-signzone -n $(nproc) (verifying)" ldns:"ldns-signzone" \
  knot:"kzonesign (signing-threads $(nproc))" knot1:"kzonesign (default: 1 thread)" \
  incremental:"rdnsprov sign, 0.1% changed"

echo
echo "Signing phase alone (rdnsprov --log-level debug \"signing took\" of the fastest run), against the raw rate of"
echo "openssl speed around that zone's runs:"
printf '%-16s %-14s %12s %12s %14s %12s %18s\n' zone denial 'full s' created 'signatures/s' 'of openssl' 'incremental s'
for profile in "${zone_list[@]}"; do
  for mode in nsec nsec3-optout; do
    full=$(signing_phase "$profile-$mode-rdnsprov"); read -r made _ <<<"$(created "$profile-$mode-rdnsprov")"
    inc=$(signing_phase "$profile-$mode-incremental"); read -r inc_made inc_reused <<<"$(created "$profile-$mode-incremental")"
    inc_free=$(freeing_phase "$profile-$mode-incremental")
    awk -v z="$profile" -v d="$mode" -v f="$full" -v n="$made" -v s="${speed[$profile]}" -v i="$inc" -v im="$inc_made" -v ir="$inc_reused" -v fr="${inc_free:-0}" \
      'BEGIN { printf "%-16s %-14s %12.3f %12d %14.0f %11.0f%% %10.4f (%.0fx; with freeing the input %.4f, %.0fx; %d made, %d reused)\n", z, d, f, n, n / f, 100 * n / f / s, i, f / i, i + fr, f / (i + fr), im, ir }'
  done
done

table "Verification of the file dnssec-signzone -P wrote (ratio = the tool's time / rdnsprov verify-zone's):" \
  verify- rdnsprov rdnsprov:"rdnsprov verify-zone" bind:"dnssec-verify" ldns:"ldns-verify-zone" knot:"kzonecheck -d on"
[[ -n $keep ]] && echo "kept: $work"
exit 0
