#!/usr/bin/env bash
# The issues' yardsticks, on generated CP932 data: kk-import master on a PERSONS-row master,
# kk-limitcheck on PERSONS claims against 10,000 contracts with that master, and kk-unexamined list
# with 10 × PERSONS result rows, each against `iconv -f CP932 -t UTF-8` over the same input;
# kk-stratify on PERSONS checkups (about 10 × PERSONS rows) against iconv; kk-anonymize on the
# result rows against sha256sum; kk-backup create + verify of the generated
# files against zip -6 -r + age -r. Best of 5 runs each (backup: one run); peak memory from
# /usr/bin/time if present; kk-ticket issue with a ledger, and its PDF of 10,000 tickets; kk-sql
# (load and the 受診率 query) against iconv + sqlite3 and csvsql; kk-xml read/write on V08 archives
# of 10,000 and 100,000 checkups.
# Usage: scripts/bench.sh BIN_DIR [PERSONS]
set -euo pipefail
bin=${1:-target/release}
persons=${2:-1000000}
dir=${BENCH_DIR:-out/bench}
mkdir -p "$dir"
gen="$dir/gen-$persons"
if [ ! -f "$gen/claims.csv" ]; then
  "$bin/kk-gen" --persons "$persons" --claims "$persons" --contracts 10000 --no-results --seed 1 --out "$gen" >/dev/null
fi
input="$gen/insured.csv"
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
once() { # wall time of one run of "$@", seconds
  local s e
  s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
  printf '%.2f' "$(echo "$e - $s" | bc)"
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

# kk-import on a master full of people of one name and birthday (80 kana names, births in 40
# years: kk-gen --few-names), where the duplicate search has the most to do
few="$dir/few-$persons"
if [ ! -f "$few/insured.csv" ]; then
  "$bin/kk-gen" --persons "$persons" --few-names --no-results --claims 1 --contracts 10 --seed 1 --out "$few" -q
fi
few_input="$few/insured.csv"
iconv_few=$(best iconv -f CP932 -t UTF-8 -o "$dir/iconv.out" "$few_input")
kk_few=$(best "$bin/kk-import" master -i "$few_input" -o "$dir/master.csv" "${lists[@]}")
kk_few_mem=$(peak "$bin/kk-import" master -i "$few_input" -o "$dir/master.csv" "${lists[@]}")
dup_rows=$(($(wc -l < "$dir/dups.csv") - 1))
echo
echo "同姓同名・同生年月日の多いマスタ (kk-gen --few-names): $(($(stat -c %s "$few_input") / 1000000)) MB, 重複リスト $dup_rows 行"
echo "| 出力先 | iconv CP932→UTF-8 | kk-import master | 比 |"
echo "|---|---|---|---|"
echo "| ファイル | ${iconv_few} s | ${kk_few} s | $(echo "scale=2; $kk_few / $iconv_few" | bc)× |"
echo "最大メモリ ${kk_few_mem} MB"

# kk-limitcheck: the master and household files it reads are made first (not timed)
"$bin/kk-import" master -i "$input" -o "$gen/master.csv" -q
"$bin/kk-import" tax --master "$gen/master.csv" -i "$gen/household-tax.csv" -o "$gen/household.csv" -q
claims="$gen/claims.csv"
lc=("$bin/kk-limitcheck" --contracts "$gen/contracts.csv" --master "$gen/master.csv" --household "$gen/household.csv" -i "$claims" -q)
iconv_c=$(best iconv -f CP932 -t UTF-8 -o "$dir/iconv.out" "$claims")
lc_file=$(best "${lc[@]}" -o "$dir/checklist.csv")
lc_mem=$(peak "${lc[@]}" -o "$dir/checklist.csv")
crows=$(($(wc -l < "$claims") - 1))
echo
echo "kk-limitcheck: 請求 $crows 件 ($(($(stat -c %s "$claims") / 1000000)) MB), 契約 $(($(wc -l < "$gen/contracts.csv") - 1)) 件, マスタ $rows 行 (best of 5)"
echo "| iconv CP932→UTF-8 (請求ファイル) | kk-limitcheck | 比 | 最大メモリ |"
echo "|---|---|---|---|"
echo "| ${iconv_c} s | ${lc_file} s | $(echo "scale=2; $lc_file / $iconv_c" | bc)× | ${lc_mem} MB |"

# kk-ticket issue: the FY2026 受診券 of the PERSONS-person master with a ledger that
# already holds FY2025's and FY2026's numbers (about PERSONS lines: made first, not timed; a
# re-run leaves it as it is), against iconv over the master; then the PDF of 10,000 tickets.
tdir="$dir/ticket"
mkdir -p "$tdir"
if [ ! -f "$tdir/base.csv" ]; then
  for fy in 2025 2026; do
    "$bin/kk-ticket" issue --fy "$fy" --as-of "$fy-04-01" --master "$gen/master.csv" --ledger "$tdir/base.csv" \
      --issue-date "$fy-04-01" -o "$tdir/t.csv" -q
  done
fi
cp "$tdir/base.csv" "$tdir/numbers.csv"
tk=("$bin/kk-ticket" issue --fy 2026 --as-of 2026-04-01 --master "$gen/master.csv" --ledger "$tdir/numbers.csv" --issue-date 2026-04-01 -o "$tdir/t.csv" --summary-json "$tdir/s.json" -q)
iconv_t=$(best iconv -f CP932 -t UTF-8 -o "$dir/iconv.out" "$gen/master.csv")
tk_file=$(best "${tk[@]}")
tk_mem=$(peak "${tk[@]}")
cmp -s "$tdir/base.csv" "$tdir/numbers.csv" || echo "注意: 台帳が変わりました" >&2
head -n 20001 "$gen/master.csv" > "$tdir/m20k.csv"
rm -f "$tdir/n20k.csv"
pdf=("$bin/kk-ticket" issue --fy 2026 --as-of 2026-04-01 --master "$tdir/m20k.csv" --ledger "$tdir/n20k.csv" --issue-date 2026-04-01 -o "$tdir/t20k.csv" --pdf "$tdir/t.pdf" -q)
"${pdf[@]}"
pages=$(($(wc -l < "$tdir/n20k.csv") - 1))
tk_pdf=$(best "${pdf[@]}")
echo
echo "kk-ticket issue: マスタ $rows 行、台帳 $(($(wc -l < "$tdir/base.csv") - 1)) 行、受診券 $(grep -o '"written": [0-9]*' "$tdir/s.json" | grep -o '[0-9]*') 枚 (best of 5)"
echo "| iconv CP932→UTF-8 (マスタ) | kk-ticket issue | 比 | 最大メモリ |"
echo "|---|---|---|---|"
echo "| ${iconv_t} s | ${tk_file} s | $(echo "scale=2; $tk_file / $iconv_t" | bc)× | ${tk_mem} MB |"
echo "券面 PDF: $pages 枚 ${tk_pdf} s = $(echo "$pages / $tk_pdf" | bc) ページ/s"

# kk-unexamined list: a PERSONS-person master and 10 × PERSONS result rows (kk-gen's results
# repeated; the tool streams them and keeps only the examined persons), against iconv over the
# master, results and exclusions together.
ugen="$dir/gen-$persons-results"
if [ ! -f "$ugen/results10.csv" ]; then
  "$bin/kk-gen" --persons "$persons" --seed 1 --out "$ugen" >/dev/null
  "$bin/kk-import" master -i "$ugen/insured.csv" -o "$ugen/master.csv" -q
  want=$((persons * 10))
  body=$(($(wc -l < "$ugen/results.csv") - 1))
  copies=$(((want + body - 1) / body))
  { head -n 1 "$ugen/results.csv"
    for _ in $(seq "$copies"); do tail -n +2 "$ugen/results.csv"; done | head -n "$want" || true
  } > "$ugen/results10.csv"
fi
ufiles=("$ugen/master.csv" "$ugen/results10.csv" "$ugen/exclusions.csv")
ul=("$bin/kk-unexamined" list --fy 2026 --as-of 2026-11-01 --master "$ugen/master.csv"
  --results "$ugen/results10.csv" --exclusions "$ugen/exclusions.csv" -q)
iconv_u=$(best iconv -f CP932 -t UTF-8 -o "$dir/iconv.out" "${ufiles[@]}")
ul_file=$(best "${ul[@]}" -o "$dir/unexamined.csv")
ul_mem=$(peak "${ul[@]}" -o "$dir/unexamined.csv")
urows=$(($(wc -l < "$ugen/results10.csv") - 1))
echo
echo "kk-unexamined list: マスタ $persons 人 (生成), 結果 $urows 行 ($(($(stat -c %s "$ugen/results10.csv") / 1000000)) MB) (best of 5)"
echo "| iconv CP932→UTF-8 (マスタ+結果+除外) | kk-unexamined list | 比 | 最大メモリ |"
echo "|---|---|---|---|"
echo "| ${iconv_u} s | ${ul_file} s | $(echo "scale=2; $ul_file / $iconv_u" | bc)× | ${ul_mem} MB |"

# kk-stratify: PERSONS checkups (kk-gen --claims PERSONS: one checkup per claim) cut to the ten
# items 階層化 reads most (about 10 × PERSONS rows), against iconv over the same file (issue 14:
# within 1.5×, under 1 GB). kk-gen writes the rows of a checkup together, in claim order (not by
# person key): kk-stratify joins parts by key, so the order does not matter to it.
sgen="$dir/strat-$persons"
if [ ! -f "$sgen/results10.csv" ]; then
  "$bin/kk-gen" --persons "$persons" --claims "$persons" --seed 1 --out "$sgen" >/dev/null
  LC_ALL=C awk -F, 'NR == 1 || $10 ~ /^(9N016160100000001|9N011000000000001|9A751000000000001|9A761000000000001|3F015000002327101|3F070000002327101|3D010000001926101|3D046000001906202|9N701000000000011|9N736000000000011)$/' \
    "$sgen/results.csv" > "$sgen/results10.csv"
fi
st=("$bin/kk-stratify" -i "$sgen/results10.csv" -q)
iconv_s=$(best iconv -f CP932 -t UTF-8 -o "$dir/iconv.out" "$sgen/results10.csv")
st_file=$(best "${st[@]}" -o "$dir/levels.csv")
st_mem=$(peak "${st[@]}" -o "$dir/levels.csv")
srows=$(($(wc -l < "$sgen/results10.csv") - 1))
echo
echo "kk-stratify: 結果 $srows 行 ($(($(stat -c %s "$sgen/results10.csv") / 1000000)) MB)、健診 $(($(wc -l < "$dir/levels.csv") - 1)) 件 (best of 5)"
echo "| iconv CP932→UTF-8 | kk-stratify | 比 | 最大メモリ |"
echo "|---|---|---|---|"
echo "| ${iconv_s} s | ${st_file} s | $(echo "scale=2; $st_file / $iconv_s" | bc)× | ${st_mem} MB |"

# kk-anonymize: the same 10 × PERSONS result rows, against sha256sum over the file (issue 6:
# at least 50% of its throughput, under 200 MB). kk writes its output to a file and to /dev/null.
key="$dir/anon.key"
[ -f "$key" ] || { (umask 077; "$bin/kk-anonymize" keygen > "$key"); }
an=("$bin/kk-anonymize" --key "$key" -i "$ugen/results10.csv" -q)
sha=$(best sha256sum "$ugen/results10.csv")
an_null=$(best "${an[@]}" -o /dev/null)
an_file=$(best "${an[@]}" -o "$dir/anonymized.csv")
an_mem=$(peak "${an[@]}" -o "$dir/anonymized.csv")
echo
echo "kk-anonymize: 結果 $urows 行 ($(($(stat -c %s "$ugen/results10.csv") / 1000000)) MB) (best of 5)"
echo "| sha256sum | kk-anonymize → /dev/null | → ファイル | sha256sum 比の処理速度 (ファイル) | 最大メモリ |"
echo "|---|---|---|---|---|"
echo "| ${sha} s | ${an_null} s | ${an_file} s | $(echo "scale=0; 100 * $sha / $an_file" | bc)% | ${an_mem} MB |"

# kk-sql: the PERSONS-person master and the 10 × PERSONS result rows loaded and the saved 受診率
# query run (one run each: tens of seconds), against the route without kk — iconv both files to
# UTF-8, sqlite3 .import them into an in-memory database and run the same count in plain SQL (no
# kk functions: ages and years by substr) — and against csvkit's csvsql on the PERSONS-row
# master alone (a count by insurer; installed with pip when missing).
qdir="$dir/sql"
mkdir -p "$qdir"
cat > "$qdir/plain.sql" <<'SQL'
.mode csv
.import m.csv 被保険者
.import r.csv 健診結果
.output out.csv
WITH 対象 AS (
  SELECT 保険者番号 || '/' || 被保険者証記号 || '/' || 被保険者証番号 || '/' || 枝番 AS キー, 保険者番号 AS 保険者, 性別,
         2027 - CAST(substr(生年月日, 1, 4) AS INTEGER) - (substr(生年月日, 5, 4) > '0401') AS 年齢
  FROM 被保険者 WHERE 資格取得日 <= '20260401' AND (資格喪失日 = '' OR 資格喪失日 > '20270331')
),
受診 AS (
  SELECT DISTINCT 保険者番号 || '/' || 被保険者証記号 || '/' || 被保険者証番号 || '/' || 枝番 AS キー FROM 健診結果
  WHERE 受診日 BETWEEN '20260401' AND '20270331'
)
SELECT 保険者, 性別, 年齢 / 5 * 5 AS 階級, count(*) AS 対象者数, count(j.キー) AS 受診者数
FROM 対象 t LEFT JOIN 受診 j ON j.キー = t.キー WHERE 年齢 BETWEEN 40 AND 74 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
SQL
route() {
  iconv -f CP932 -t UTF-8 -o "$qdir/m.csv" "$ugen/master.csv" && iconv -f CP932 -t UTF-8 -o "$qdir/r.csv" "$ugen/results10.csv" &&
    (cd "$qdir" && sqlite3 -bail < plain.sql)
}
kq=("$bin/kk-sql" --query 受診率 --param fy=2026 -t "被保険者=$ugen/master.csv" -t "健診結果=$ugen/results10.csv"
  --audit "$qdir/audit.log" -q -o "$qdir/rate.csv")
kq_t=$(once "${kq[@]}")
kq_mem=$(peak "${kq[@]}")
route_t=$(once route)
echo
echo "kk-sql: マスタ $persons 人 + 結果 $urows 行を読み込み、受診率 (保存済みの問い合わせ) (1回)"
echo "| iconv + sqlite3 .import + 同じ集計 | kk-sql --query 受診率 | 比 | 最大メモリ |"
echo "|---|---|---|---|"
echo "| ${route_t} s | ${kq_t} s | $(echo "scale=2; $kq_t / $route_t" | bc)× | ${kq_mem} MB |"
command -v csvsql >/dev/null || pip install --quiet csvkit >/dev/null 2>&1 || true
if command -v csvsql >/dev/null; then
  count="SELECT 保険者番号, count(*) AS 人数 FROM m GROUP BY 1"
  cs_t=$(once csvsql --query "$count" --tables m "$qdir/m.csv")
  cs_mem=$(peak csvsql --query "$count" --tables m "$qdir/m.csv")
  k1_t=$(once "$bin/kk-sql" -t "m=$ugen/master.csv" "$count" --audit "$qdir/audit.log" -q)
  echo "| csvsql (csvkit, UTF-8 のマスタ $persons 行、保険者ごとの人数) ${cs_t} s, ${cs_mem} MB | kk-sql (CP932 のまま) ${k1_t} s | $(echo "scale=3; $k1_t / $cs_t" | bc)× | |"
fi

# kk-backup: create + verify of a folder of the generated CSV files, against zip -6 -r then age -r
# (target: create within 1.5×, under 200 MB). Needs zip and age; skipped without them.
if command -v zip >/dev/null && command -v age-keygen >/dev/null; then
  bdir="$dir/backup"
  rm -rf "$bdir" && mkdir -p "$bdir/src"
  cp "$gen"/*.csv "$bdir/src/"
  [ -f "$bdir/id.txt" ] || { (umask 077; age-keygen -o "$bdir/id.txt" 2>/dev/null); }
  pub=$(grep -o 'age1[0-9a-z]*' "$bdir/id.txt")
  zt=$(once zip -q -6 -r "$bdir/plain.zip" "$bdir/src")
  at=$(once age -r "$pub" -o "$bdir/plain.zip.age" "$bdir/plain.zip")
  ct=$(once "$bin/kk-backup" create -q --recipient "$pub" "$bdir/src" -o "$bdir/kk-bench.zip.age")
  vt=$(once "$bin/kk-backup" verify -q "$bdir/kk-bench.zip.age" --identity "$bdir/id.txt")
  cm=$(peak "$bin/kk-backup" create -q --recipient "$pub" "$bdir/src" -o "$bdir/kk-bench.zip.age")
  echo
  echo "kk-backup: $(du -sm "$bdir/src" | cut -f1) MB, $(ls "$bdir/src" | wc -l) ファイル"
  echo "| zip -6 -r + age -r | kk-backup create | 比 | verify | 最大メモリ (create) |"
  echo "|---|---|---|---|---|"
  echo "| ${zt} s + ${at} s | ${ct} s | $(echo "scale=2; $ct / ($zt + $at)" | bc)× | ${vt} s | ${cm} MB |"
  rm -f "$bdir/plain.zip" "$bdir/plain.zip.age"
fi

# kk-xml: read of a V08 archive of N checkups (kk-gen --xml: one DATA and one CLAIMS file
# each) against unzip -p (the decompression floor), and write of what read gave against zip -6 -r
# over the extracted files; 10,000 and 100,000 checkups (XML_SIZES) to show how memory grows.
# Best of 5 up to 10,000 checkups (one run is as noisy as the gaps measured), one run above
# (the 100,000 archive is about 290 MB). Needs zip.
if command -v zip >/dev/null; then
  echo
  echo "kk-xml: V08 アーカイブ (kk-gen --xml、健診1件 = DATA 1 + CLAIMS 1 ファイル)、10,000 件までは5回の最良値、それより多いときは1回"
  echo "| 健診 | zip | unzip -p | kk-xml read | 比 | 最大メモリ | zip -6 -r | kk-xml write | 比 | 最大メモリ |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for n in ${XML_SIZES:-10000 100000}; do
    xg="$dir/xml-$n"
    [ -f "$xg/insured.csv" ] || "$bin/kk-gen" --persons "$n" --claims "$n" --seed 1 --out "$xg" --xml -q
    z=$(cd "$xg/xml" && pwd)/$(cd "$xg/xml" && ls -- *.zip)
    name=$(basename "$z" .zip)
    IFS=_ read -r sender receiver stamp _ <<< "$name"
    rd=("$bin/kk-xml" read "$z" --claims "$xg/c.csv" --headers "$xg/h.csv" -o "$xg/r.csv" -q)
    wr=("$bin/kk-xml" write --results "$xg/r.csv" --headers "$xg/h.csv" --claims "$xg/c.csv" --sender "$sender"
      --receiver "$receiver" --date "${stamp:0:8}" --out-dir "$xg/w" -q)
    timed=once
    [ "$n" -le 10000 ] && timed=best
    ut=$($timed sh -c "unzip -p '$z' > /dev/null")
    rt=$($timed "${rd[@]}")
    rm_=$(peak "${rd[@]}")
    rm -rf "$xg/x" "$xg/z.zip" && mkdir -p "$xg/x" && (cd "$xg/x" && unzip -q "$z")
    zt=$($timed sh -c "cd '$xg/x' && rm -f ../z.zip && zip -6 -r -q ../z.zip .")
    wt=$($timed sh -c "rm -rf '$xg/w' && \"\$@\"" _ "${wr[@]}")
    cmp -s "$xg/w/$name.zip" "$z" || echo "(書き直したアーカイブが元と違います)"
    rm -rf "$xg/w"
    wm=$(peak "${wr[@]}")
    echo "| $n | $(($(stat -c %s "$z") / 1000000)) MB | ${ut} s | ${rt} s | $(echo "scale=2; $rt / $ut" | bc)× | ${rm_} MB | ${zt} s | ${wt} s | $(echo "scale=2; $wt / $zt" | bc)× | ${wm} MB |"
    rm -rf "$xg/x" "$xg/z.zip" "$xg/w"
  done
fi
