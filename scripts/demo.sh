#!/usr/bin/env bash
# `make demo`: the monthly and annual workflows on the bundled demo month (fixtures/demo:
# 国保 3 保険者 + 健保組合, 約300人, Shift_JIS, 異常を仕込み済み). Usage: scripts/demo.sh BIN_DIR OUT_DIR
# Sets up OUT_DIR/work like an operator would (in/ per month, keys, kk.conf), then runs
# scripts/monthly.sh 202604 and scripts/annual.sh 2026 (with a simulated receipt for reconcile).
set -euo pipefail
bin=$(cd "${1:-target/release}" && pwd)
out=${2:-out/demo}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
work="$out/work"
keys="$out/keys"
mkdir -p "$work/202604/in" "$work/annual/2026/in" "$keys"
chmod 700 "$keys"
cp "$here/../fixtures/demo/"*.csv "$work/202604/in/"
rm -f "$work/202604/in/anomalies.csv"
# the month's results and claims arrive as the institutions send them: a V08 archive (monthly.sh
# step 00 checks and reads it); the CSV copies stay out of in/
mkdir -p "$work/202604/in/xml"
cp "$here/../fixtures/demo/xml/"*.zip "$work/202604/in/xml/"
rm -f "$work/202604/in/results.csv" "$work/202604/in/claims.csv"
cp "$here/../fixtures/finance.toml" "$work/finance.toml"
[ -f "$keys/backup.key" ] || "$bin/kk-backup" keygen -o "$keys/backup.key" > "$keys/backup.pub"
[ -f "$keys/anon.key" ] || { (umask 077; "$bin/kk-anonymize" keygen > "$keys/anon.key"); }
cat > "$out/kk.conf" <<CONF
# デモ用の設定 (scripts/demo.sh が作成)。書き方は docs/workflows.md
KK_WORK=$work
KK_BIN=$bin
KK_FINANCE_CONFIG=$work/finance.toml
KK_BACKUP_DIR=$work/backup
KK_BACKUP_RECIPIENT=$(cat "$keys/backup.pub")
KK_BACKUP_IDENTITY=$keys/backup.key
KK_BACKUP_KEEP=12
KK_ANON_KEY=$keys/anon.key
KK_REPORT_RECIPIENT=$(cat "$keys/backup.pub")
CONF

echo "=== 月次処理 202604 (scripts/monthly.sh)"
bash "$here/monthly.sh" --config "$out/kk.conf" 202604

echo
echo "=== 年次処理 2026年度 (scripts/annual.sh): 除外者・抹消者・集計表・匿名化"
cp "$work/202604/out/master.csv" "$work/202604/out/results.csv" "$work/202604/in/exclusions.csv" "$work/annual/2026/in/"
bash "$here/annual.sh" --config "$out/kk.conf" 2026
# the recipient's answer, simulated: every file sent was received with its count
awk -F, 'NR == 1 { print "ファイル名,件数,受領日,受領結果,返戻理由"; next } { print $1 "," $2 ",20260701,1," }' \
  "$work/annual/2026/out/MANIFEST.csv" > "$work/annual/2026/in/receipt.csv"
echo
echo "=== 受領確認 (scripts/annual.sh 2026 reconcile)"
bash "$here/annual.sh" --config "$out/kk.conf" 2026 reconcile

cat <<DONE

デモが終わりました。
  月次の出力:   $work/202604/out/   (一覧・マスタ・財務連動・請求書・未受診者)
  月次の報告:   $work/202604/log/report.md (と report.csv)。仕込んだ異常: fixtures/demo/anomalies.csv
  年次の出力:   $work/annual/2026/out/ (除外者・抹消者・集計表・暗号化した報告 zip・受領確認)
  バックアップ: $work/backup/kk-202604.zip.age (鍵 $keys/backup.key)
  設定:         $out/kk.conf
DONE
