#!/usr/bin/env bash
# 年次 (法定報告): scripts/annual.sh [--config kk.conf] FY [手順...]
#
# 作業フォルダ $KK_WORK/annual/FY/ の in/ (master.csv, results.csv, exclusions.csv, guidance.csv, receipt.csv) を読み、
# out/ に書き、log/ に記録します (docs/workflows.md)。手順は1つずつ実行できます:
#   exclusions  法定報告対象者除外者情報 → out/jogaisha.csv
#   erasures    抹消者リスト → out/massho.csv、報告するデータ → out/houkoku.csv
#   summary     集計表 (階層化した特定保健指導の対象者数、guidance.csv があれば終了者数・実施率も) → out/shukei.csv と out/shukei.xlsx
#   anonymize   houkoku.csv と jogaisha.csv を匿名化して zip (age で暗号化) → out/houkoku_FY.zip(.age), out/MANIFEST.csv
#   reconcile   受領結果 in/receipt.csv と MANIFEST の突き合わせ → out/juryo.csv (受領以外があれば終了コード 1)
# 手順を省くと exclusions erasures summary anonymize を順に実行します (reconcile は受領結果が届いてから)。
#
# 終了コード: 0 正常終了 / 止まった手順の終了コード / 2 入力・設定の不足 / 75 同じ年度を別の実行が処理中
set -uo pipefail
prog=annual.sh
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
source "$here/lib.sh"

parse_options "$@"
set -- "${args[@]}"
[ $# -ge 1 ] || die 2 "年度 (例 2025) を指定してください (--help)"
fy=$1
shift
[[ "$fy" =~ ^20[0-9]{2}$ ]] || die 2 "年度 $fy は西暦4桁 (例 2025) ではありません"
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(exclusions erasures summary anonymize)
for s in "${steps[@]}"; do
  case "$s" in exclusions | erasures | summary | anonymize | reconcile) ;; *) die 2 "知らない手順 $s です (--help)" ;; esac
done
[ -n "$config" ] && load_config "$config"

work=${KK_WORK:-work}
year_dir="$work/annual/$fy"
in="$year_dir/in"
out="$year_dir/out"
log="$year_dir/log"
find_bin kk-statutory kk-anonymize kk-report

wants() { local s; for s in "${steps[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
missing=()
need() { [ -f "$1" ] || missing+=("$1${2:+ ($2)}"); }
if wants exclusions || wants erasures || wants summary; then need "$in/master.csv"; fi
if wants erasures || wants summary; then need "$in/results.csv"; fi
if wants anonymize; then
  [ -n "${KK_ANON_KEY:-}" ] || missing+=("KK_ANON_KEY (匿名化の鍵ファイル)")
  [ -n "${KK_ANON_KEY:-}" ] && need "$KK_ANON_KEY" "KK_ANON_KEY"
  wants erasures || need "$out/houkoku.csv" "erasures の出力"
fi
if wants reconcile; then
  need "$in/receipt.csv" "受領結果"
  wants anonymize || need "$out/MANIFEST.csv" "anonymize の出力"
fi
[ ${#missing[@]} -eq 0 ] || die 2 "$fy年度: 入力がありません: ${missing[*]}"
exclusions=()
[ -f "$in/exclusions.csv" ] && exclusions=(--exclusions "$in/exclusions.csv")
year_args=(--fy "$fy" --master "$in/master.csv" "${exclusions[@]}")
# 特定保健指導の実施状況があれば、集計表に終了者数・実施率が加わる
guidance=()
[ -f "$in/guidance.csv" ] && guidance=(--guidance "$in/guidance.csv")

take_lock "$log" "$fy年度"
mkdir -p "$out" || die 2 "$out を作れません"
# one report for the year, built up step by step (a step run again replaces its own part)
start_run "$log" "年次処理 (法定報告) $fy年度" accumulate
report_outputs=("$out")
# the lists of every step run so far this year (each the latest run's): write_report asks for
# them (also when a step fails)
refresh_lists() {
  report_lists=()
  local l
  for l in "master.csv=$out/jogaisha.csv" "results.csv=$out/massho.csv" "MANIFEST.csv=$out/juryo.csv"; do
    [ -f "${l#*=}" ] && report_lists+=("$l")
  done
}

for s in "${steps[@]}"; do
  case "$s" in
    exclusions)
      run_step 1 exclusions "法定報告対象者除外者情報" -- "$KK_BIN/kk-statutory" exclusions "${year_args[@]}" \
        -o "$out/jogaisha.csv" --summary-json "$log/1_exclusions.json"
      ;;
    erasures)
      run_step 2 erasures "抹消者リストと報告データ" -- "$KK_BIN/kk-statutory" erasures "${year_args[@]}" \
        -i "$in/results.csv" -o "$out/massho.csv" --kept "$out/houkoku.csv" --summary-json "$log/2_erasures.json"
      ;;
    summary)
      run_step 3 summary "集計表 (CSV と Excel)" -- "$KK_BIN/kk-statutory" summary "${year_args[@]}" \
        --results "$in/results.csv" "${guidance[@]}" -o "$out/shukei.csv" --xlsx "$out/shukei.xlsx" --summary-json "$log/3_summary.json"
      ;;
    anonymize)
      seal=()
      [ -n "${KK_REPORT_RECIPIENT:-}" ] && seal=(--recipient "$KK_REPORT_RECIPIENT")
      [ -n "${KK_REPORT_PASSPHRASE_FILE:-}" ] && seal=(--passphrase-file "$KK_REPORT_PASSPHRASE_FILE")
      [ ${#seal[@]} -gt 0 ] || echo "$(now) 注意: KK_REPORT_RECIPIENT も KK_REPORT_PASSPHRASE_FILE もないため zip は暗号化しません" >> "$run_log"
      files=("$out/houkoku.csv")
      [ -f "$out/jogaisha.csv" ] && files+=("$out/jogaisha.csv")
      rm -f "$out/houkoku_$fy.zip" "$out/houkoku_$fy.zip.age"
      run_step 4 anonymize "匿名化・zip・暗号化" -- "$KK_BIN/kk-anonymize" --key "$KK_ANON_KEY" --zip "$out/houkoku_$fy.zip" \
        "${seal[@]}" --manifest "$out/MANIFEST.csv" --summary-json "$log/4_anonymize.json" "${files[@]}"
      ;;
    reconcile)
      run_step 5 reconcile "受領確認" -- "$KK_BIN/kk-statutory" reconcile --manifest "$out/MANIFEST.csv" \
        --receipt "$in/receipt.csv" -o "$out/juryo.csv" --strict --summary-json "$log/5_reconcile.json"
      ;;
  esac
done

finish_run
[ -n "${quiet:-}" ] || {
  echo >&2
  echo "$fy年度の ${steps[*]} が終わりました。出力: $out/  記録: $log/  実行報告: $log/report.md" >&2
}
exit 0
