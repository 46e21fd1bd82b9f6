#!/usr/bin/env bash
# kk-import master on a generated CP932 master against `iconv -f CP932 -t UTF-8` on the same
# file (the issue's yardstick). Best of 3 runs each; peak memory from /usr/bin/time if present.
# Usage: scripts/bench.sh BIN_DIR [PERSONS]
set -euo pipefail
bin=${1:-target/release}
persons=${2:-1000000}
dir=${BENCH_DIR:-out/bench}
mkdir -p "$dir"
if [ ! -f "$dir/insured-$persons.csv" ]; then
  "$bin/kk-gen" --persons "$persons" --seed 1 --out "$dir/gen" >/dev/null
  mv "$dir/gen/insured.csv" "$dir/insured-$persons.csv"
  rm -rf "$dir/gen"
fi
input="$dir/insured-$persons.csv"
rows=$(($(wc -l < "$input") - 1))
size=$(stat -c %s "$input")

best() { # best wall time of 3 runs of "$@", seconds
  local best=999999 t
  for _ in 1 2 3; do
    local s e
    s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc)
    best=$(echo "if ($t < $best) $t else $best" | bc)
  done
  printf '%.2f' "$best"
}
peak() { # peak RSS in MB of one run of "$@"
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%d", $1/1024}'
  else
    echo "-"
  fi
}

iconv_t=$(best iconv -f CP932 -t UTF-8 -o "$dir/iconv.out" "$input")
kk=("$bin/kk-import" master -i "$input" -o "$dir/master.csv" --errors "$dir/errors.csv" --duplicates "$dir/dups.csv" -q)
kk_t=$(best "${kk[@]}")
kk1_t=$(best env KK_THREADS=1 "${kk[@]}")
kk_mem=$(peak "${kk[@]}")
ratio=$(echo "scale=2; $kk_t / $iconv_t" | bc)

echo "| 入力 | 行数 | iconv CP932→UTF-8 | kk-import master (2スレッド) | 同 1スレッド | 比 | 最大メモリ |"
echo "|---|---|---|---|---|---|---|"
echo "| $((size / 1000000)) MB | $rows | ${iconv_t} s | ${kk_t} s | ${kk1_t} s | ${ratio}× | ${kk_mem} MB |"
echo "rows/s: $(echo "$rows / $kk_t" | bc) ; MB/s: $(echo "$size / 1000000 / $kk_t" | bc)"
