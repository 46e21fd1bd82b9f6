#!/usr/bin/env bash
# 月次バッチ: scripts/monthly.sh [--config kk.conf] YYYYMM
#
# 作業フォルダ $KK_WORK/YYYYMM/ の in/ を読み、out/ に書き、log/ に記録します (docs/workflows.md)。
# 手順: (in/xml/ に V08 アーカイブ *.zip があれば) アーカイブの検査と読み込み → 被保険者マスタ取込 → 異動反映 → 世帯課税状況 → 上限チェック → 財務連動・請求書 → 補助金 →
# 未受診者リスト → 未受診者チェック → バックアップ。最初に失敗した手順の終了コードで止まり、標準エラーに
# 理由を1行出します。同じ月を同時に2つ実行することはできません (終了コード 75)。同じ入力で実行し直すと
# out/ は同じバイト列になります。
#
# 終了コード: 0 正常終了 / 1〜3 止まった手順の終了コード (docs/errors.md) / 2 入力・設定の不足 /
# 75 同じ月を別の実行が処理中
set -uo pipefail
prog=monthly.sh
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

parse_options "$@"
set -- "${args[@]}"
[ $# -eq 1 ] || die 2 "処理年月 (YYYYMM) を1つ指定してください (--help)"
ym=$1
[[ "$ym" =~ ^(20[0-9]{2})(0[1-9]|1[0-2])$ ]] || die 2 "処理年月 $ym は YYYYMM (例 202604) ではありません"
year=${BASH_REMATCH[1]}
month=${BASH_REMATCH[2]}
[ -n "$config" ] && load_config "$config"

work=${KK_WORK:-work}
month_dir="$work/$ym"
in="$month_dir/in"
out="$month_dir/out"
log="$month_dir/log"
find_bin kk-import kk-limitcheck kk-finance kk-subsidy kk-unexamined kk-stratify kk-backup kk-report kk-xml kk-doctor

# defaults that follow from the month
m=$((10#$month))
if [ "$m" -ge 4 ]; then fy=${KK_FY:-$year}; else fy=${KK_FY:-$((year - 1))}; fi
as_of=${KK_AS_OF:-$(date -d "$year-$month-01 +1 month -1 day" +%Y-%m-%d)}
prev=$(date -d "$year-$month-01 -1 month" +%Y%m)
finance_config=${KK_FINANCE_CONFIG:-$work/finance.toml}
backup=${KK_BACKUP:-on}
backup_dir=${KK_BACKUP_DIR:-$work/backup}

# everything the run needs is checked before the first step
[ -d "$in" ] || die 2 "入力フォルダ $in がありません"
# the month's results and claims: from the V08 archives in in/xml/ when there are any (step 00
# reads them into out/), else the CSVs in in/
xml_archives=()
if [ -d "$in/xml" ]; then
  while IFS= read -r -d '' z; do xml_archives+=("$z"); done < <(find "$in/xml" -maxdepth 1 -name '*.zip' -print0 | sort -z)
fi
results="$in/results.csv"
claims="$in/claims.csv"
needed=(household-tax.csv contracts.csv claims.csv results.csv decided.csv insurers.csv info-status.csv subsidy-items.csv)
if [ ${#xml_archives[@]} -gt 0 ]; then
  results="$out/results.csv"
  claims="$out/claims.csv"
  needed=(household-tax.csv contracts.csv decided.csv insurers.csv info-status.csv subsidy-items.csv)
fi
missing=()
for f in "${needed[@]}"; do
  [ -f "$in/$f" ] || missing+=("$in/$f")
done
base_master=""
if [ ! -f "$in/insured.csv" ]; then
  base_master="$work/$prev/out/master.csv"
  [ -f "$base_master" ] || missing+=("$in/insured.csv (または前月の $base_master)")
fi
[ -f "$finance_config" ] || missing+=("$finance_config (KK_FINANCE_CONFIG)")
# every problem of the set-up at once, not one per attempt
problems=()
[ ${#missing[@]} -gt 0 ] && problems+=("入力がありません: ${missing[*]}")
case "$backup" in
  on)
    [ -n "${KK_BACKUP_RECIPIENT:-}" ] || [ -n "${KK_BACKUP_PASSPHRASE_FILE:-}" ] ||
      problems+=("バックアップの鍵がありません: KK_BACKUP_RECIPIENT (age1…) か KK_BACKUP_PASSPHRASE_FILE を設定してください (KK_BACKUP=off で省略)")
    ;;
  off) ;;
  *) problems+=("KK_BACKUP は on か off です ($backup)") ;;
esac
if [ ${#problems[@]} -gt 0 ]; then
  for p in "${problems[@]}"; do echo "$prog: $ym: $p" >&2; done
  die 2 "$ym: 設定・入力の問題が ${#problems[@]} 件あります (上の各行)"
fi
invoices=${KK_INVOICES:-auto}
if [ "$invoices" = auto ]; then
  invoices=no
  font_found && invoices=yes
fi

take_lock "$log" "$ym"
mkdir -p "$out" || die 2 "$out を作れません"
start_run "$log" "月次処理 $ym"
report_outputs=("$out")

# the 定期点検, quick: a problem (a key others can read, a missing tool or font) stops the month
# before anything is read; warnings (an old backup, a stray temporary file) are in its list
doctor_quick() {
  "$KK_BIN/kk-doctor" --quick ${config:+--config "$config"} > "$log/00_doctor.txt"
  local code=$?
  [ "$code" -eq 1 ] && return 0
  return "$code"
}
run_step 00 doctor "定期点検 (kk-doctor --quick、結果は log/00_doctor.txt)" -- doctor_quick

if [ ${#xml_archives[@]} -gt 0 ]; then
  run_step 00 xml_check "受け取った V08 アーカイブの検査 (${#xml_archives[@]} 件)" -- "$KK_BIN/kk-xml" check "${xml_archives[@]}" \
    -o "$out/xml_check.csv" --summary-json "$log/00_xml_check.json"
  report_lists+=("xml=$out/xml_check.csv")
  run_step 00 xml_read "V08 アーカイブの読み込み (健診結果・請求)" -- "$KK_BIN/kk-xml" read "${xml_archives[@]}" \
    -o "$out/results.csv" --claims "$out/claims.csv" --headers "$out/xml_headers.csv" --errors "$out/xml_errors.csv" \
    --summary-json "$log/00_xml_read.json"
  report_lists+=("xml=$out/xml_errors.csv")
fi

if [ -z "$base_master" ]; then
  run_step 01 import_master "被保険者マスタ取込 (全件)" -- "$KK_BIN/kk-import" master -i "$in/insured.csv" \
    -o "$out/master_base.csv" --errors "$out/errors_insured.csv" --duplicates "$out/duplicates_insured.csv" --summary-json "$log/01_import_master.json"
  report_lists+=("insured.csv=$out/errors_insured.csv" "insured.csv=$out/duplicates_insured.csv")
else
  run_step 01 carry_master "前月のマスタを引き継ぐ ($base_master)" -- cp "$base_master" "$out/master_base.csv"
fi

if [ -f "$in/diff.csv" ]; then
  run_step 02 import_diff "異動データの反映" -- "$KK_BIN/kk-import" master --base "$out/master_base.csv" -i "$in/diff.csv" \
    -o "$out/master.csv" --errors "$out/errors_diff.csv" --duplicates "$out/duplicates_diff.csv" --summary-json "$log/02_import_diff.json"
  report_lists+=("diff.csv=$out/errors_diff.csv" "diff.csv=$out/duplicates_diff.csv")
else
  run_step 02 no_diff "異動データなし (マスタはそのまま)" -- cp "$out/master_base.csv" "$out/master.csv"
fi

run_step 03 import_tax "世帯課税状況の登録更新" -- "$KK_BIN/kk-import" tax --master "$out/master.csv" \
  -i "$in/household-tax.csv" -o "$out/household.csv" --errors "$out/errors_tax.csv" --summary-json "$log/03_import_tax.json"
report_lists+=("household-tax.csv=$out/errors_tax.csv")

run_step 04 limitcheck "金額・項目上限チェックリスト" -- "$KK_BIN/kk-limitcheck" --contracts "$in/contracts.csv" \
  --master "$out/master.csv" --household "$out/household.csv" --results "$results" -i "$claims" \
  -o "$out/checklist_limit.csv" --summary-json "$log/04_limitcheck.json"
report_lists+=("claims.csv=$out/checklist_limit.csv")

finance=("$KK_BIN/kk-finance" --insurers "$in/insurers.csv" --config "$finance_config" -i "$in/decided.csv"
  --ledger "$out/ledger.csv" --summary-json "$log/05_finance.json")
if [ "$invoices" = yes ]; then
  run_step 05 finance "財務連動ファイルと請求書 (PDF)" -- "${finance[@]}" --invoices "$out/invoices"
else
  echo "$(now) 注意: 日本語フォントがないため請求書 PDF は作りません (KK_FONT か fonts-ipaexfont-gothic)" >> "$run_log"
  run_step 05 finance "財務連動ファイル (フォントがないため請求書 PDF なし)" -- "${finance[@]}"
fi

run_step 06 subsidy "補助金対象者リスト" -- "$KK_BIN/kk-subsidy" --items "$in/subsidy-items.csv" -i "$results" \
  -o "$out/subsidy.csv" --summary "$out/subsidy_summary.csv" --summary-json "$log/06_subsidy.json"

exclusions=()
[ -f "$in/exclusions.csv" ] && exclusions=(--exclusions "$in/exclusions.csv")
run_step 07 unexamined_list "健診未受診者リスト" -- "$KK_BIN/kk-unexamined" list --fy "$fy" --as-of "$as_of" \
  --master "$out/master.csv" --results "$results" "${exclusions[@]}" -o "$out/unexamined.csv" --summary-json "$log/07_unexamined_list.json"

run_step 08 unexamined_check "未受診者のマスタ等チェックリスト" -- "$KK_BIN/kk-unexamined" check --fy "$fy" \
  --as-of "$as_of" --master "$out/master.csv" --results "$results" -i "$in/info-status.csv" \
  -o "$out/checklist_unexamined.csv" --summary-json "$log/08_unexamined_check.json"
report_lists+=("info-status.csv=$out/checklist_unexamined.csv")

run_step 09 stratify "階層化 (特定保健指導の対象者)" -- "$KK_BIN/kk-stratify" --fy "$fy" --master "$out/master.csv" \
  -i "$results" -o "$out/stratify.csv" --errors "$out/errors_stratify.csv" --summary-json "$log/09_stratify.json"
report_lists+=("results.csv=$out/errors_stratify.csv")

if [ "$backup" = on ]; then
  mkdir -p "$backup_dir" || die 2 "$backup_dir を作れません"
  seal=()
  [ -n "${KK_BACKUP_RECIPIENT:-}" ] && seal=(--recipient "$KK_BACKUP_RECIPIENT")
  [ -n "${KK_BACKUP_PASSPHRASE_FILE:-}" ] && seal=(--passphrase-file "$KK_BACKUP_PASSPHRASE_FILE")
  archive="$backup_dir/kk-$ym.zip.age"
  run_step 10 backup "バックアップ (in/ と out/ を暗号化)" -- "$KK_BIN/kk-backup" create "${seal[@]}" "$month_dir" -o "$archive"
  if [ -n "${KK_BACKUP_IDENTITY:-}" ]; then
    run_step 11 backup_verify "バックアップの検証" -- "$KK_BIN/kk-backup" verify "$archive" --identity "$KK_BACKUP_IDENTITY"
  fi
  if [ -n "${KK_BACKUP_KEEP:-}" ]; then
    run_step 12 backup_prune "古いバックアップの削除 (${KK_BACKUP_KEEP} 世代を残す)" -- "$KK_BIN/kk-backup" prune "$backup_dir" --keep "$KK_BACKUP_KEEP"
  fi
fi

finish_run
[ -n "${quiet:-}" ] || {
  echo >&2
  echo "$ym の月次処理が終わりました。出力: $out/  記録: $log/  実行報告: $log/report.md" >&2
}
exit 0
