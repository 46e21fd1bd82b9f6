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

best() { # best wall time of 5 runs of "$@", seconds
  local best=999999 t s e
  for _ in 1 2 3 4 5; do
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

lists=(--errors "$dir/errors.csv" --duplicates "$dir/dups.csv" -q)
# (1) both write their output to a file
iconv_file=$(best iconv -f CP932 -t UTF-8 -o "$dir/iconv.out" "$input")
kk_file=$(best "$bin/kk-import" master -i "$input" -o "$dir/master.csv" "${lists[@]}")
# (2) both write their output to /dev/null (kk's error and duplicate lists still go to files)
iconv_null=$(best iconv -f CP932 -t UTF-8 "$input")
kk_null=$(best "$bin/kk-import" master -i "$input" "${lists[@]}")
kk1_null=$(best env KK_THREADS=1 "$bin/kk-import" master -i "$input" "${lists[@]}")
kk_mem=$(peak "$bin/kk-import" master -i "$input" -o "$dir/master.csv" "${lists[@]}")

echo "入力: $((size / 1000000)) MB, $rows 行 (best of 5)"
echo "| 出力先 | iconv CP932→UTF-8 | kk-import master | 比 |"
echo "|---|---|---|---|"
echo "| ファイル | ${iconv_file} s | ${kk_file} s | $(echo "scale=2; $kk_file / $iconv_file" | bc)× |"
echo "| /dev/null | ${iconv_null} s | ${kk_null} s (1スレッド ${kk1_null} s) | $(echo "scale=2; $kk_null / $iconv_null" | bc)× |"
echo "最大メモリ ${kk_mem} MB; $(echo "$rows / $kk_file" | bc) 行/s, $(echo "$size / 1000000 / $kk_file" | bc) MB/s (ファイル出力)"
