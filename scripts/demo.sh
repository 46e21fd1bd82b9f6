#!/usr/bin/env bash
# The monthly batch on the bundled demo month (fixtures/demo: 国保 3 保険者 + 健保組合, 約300人,
# Shift_JIS). Usage: scripts/demo.sh BIN_DIR OUT_DIR
# The steps of later tools join as they are built (see README); each step stops the script on
# failure with that step's exit code.
set -euo pipefail
bin=${1:-target/release}
out=${2:-out/demo}
in=fixtures/demo
mkdir -p "$out"
step() { echo; echo "== $1"; }

step "1. 被保険者マスタ取込 (全件ファイルの検証・正規化)"
"$bin/kk-import" master -i "$in/insured.csv" -o "$out/master.csv" \
  --errors "$out/errors_insured.csv" --duplicates "$out/duplicates_insured.csv" \
  --summary-json "$out/import_master.json"

step "2. 異動データの反映 (新規・変更・喪失)"
"$bin/kk-import" master --base "$out/master.csv" -i "$in/diff.csv" -o "$out/master_new.csv" \
  --errors "$out/errors_diff.csv" --duplicates "$out/duplicates_diff.csv" \
  --summary-json "$out/import_diff.json"

step "3. 世帯課税状況の登録更新"
"$bin/kk-import" tax --master "$out/master_new.csv" -i "$in/household-tax.csv" -o "$out/household.csv" \
  --errors "$out/errors_tax.csv" --summary-json "$out/import_tax.json"

step "4. 金額・項目上限チェックリスト (請求と契約の照合)"
"$bin/kk-limitcheck" --contracts "$in/contracts.csv" --master "$out/master_new.csv" --household "$out/household.csv" \
  --results "$in/results.csv" -i "$in/claims.csv" -o "$out/checklist_limit.csv" --summary-json "$out/limitcheck.json"

step "5. 財務連動ファイルと請求書 (PDF)"
finance=("$bin/kk-finance" --insurers "$in/insurers.csv" --config fixtures/finance.toml -i "$in/decided.csv"
  --issue-date 2026-05-10 --ledger "$out/ledger.csv")
if [ -n "${KK_FONT:-}" ] || [ -f /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf ] ||
   [ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ]; then
  "${finance[@]}" --invoices "$out/invoices"
else
  "${finance[@]}"
  echo "(日本語フォントがないため請求書 PDF は作りません: apt-get install fonts-ipaexfont-gothic)"
fi

step "6. 健診未受診者リスト"
"$bin/kk-unexamined" list --fy 2026 --as-of 2026-04-30 --master "$out/master_new.csv" --results "$in/results.csv" \
  --exclusions "$in/exclusions.csv" -o "$out/unexamined.csv"

step "7. 未受診者のマスタ等チェックリスト"
"$bin/kk-unexamined" check --master "$out/master_new.csv" --results "$in/results.csv" -i "$in/info-status.csv" \
  -o "$out/checklist_unexamined.csv"

step "8. 補助金対象者リスト"
"$bin/kk-subsidy" --items "$in/subsidy-items.csv" -i "$in/results.csv" -o "$out/subsidy.csv" --summary "$out/subsidy_summary.csv"

echo
echo "== 出力 ($out)"
ls -l "$out"
echo
echo "仕込んだ異常の一覧: $in/anomalies.csv (fixtures/README.md 参照)"
