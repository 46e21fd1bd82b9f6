# Shared by scripts/monthly.sh and scripts/annual.sh (sourced, not run): settings, the lock,
# the step runner with its log, and the run report. Needs bash, coreutils, flock (util-linux), awk.

# Settings a kk.conf may hold (KEY=VALUE lines; `#` comments; no shell is run). The environment
# wins over the file, the file over the defaults.
KK_SETTINGS="KK_WORK KK_BIN KK_FINANCE_CONFIG KK_INVOICES KK_AS_OF KK_FY KK_BACKUP KK_BACKUP_DIR
KK_BACKUP_RECIPIENT KK_BACKUP_PASSPHRASE_FILE KK_BACKUP_IDENTITY KK_BACKUP_KEEP KK_ANON_KEY
KK_REPORT_RECIPIENT KK_REPORT_PASSPHRASE_FILE KK_FONT KK_ENCODING KK_DOCTOR_MIN_FREE_MB"

die() { # die CODE MESSAGE: one line on stderr, then exit
  echo "$prog: $2" >&2
  exit "$1"
}

# usage: the script's opening comment (after the shebang, up to the first line of code), as text.
usage() {
  awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"
}

# parse_options "$@": --config FILE, -q, --help; sets config, quiet and args (the rest).
parse_options() {
  config=""
  args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --config) [ $# -ge 2 ] || die 2 "--config にファイルを指定してください"; config=$2; shift 2 ;;
      --config=*) config=${1#*=}; shift ;;
      -q | --quiet) quiet=1; shift ;;
      -h | --help) usage; exit 0 ;;
      -*) die 2 "知らないオプション $1 です (--help)" ;;
      *) args+=("$1"); shift ;;
    esac
  done
}

load_config() { # load_config FILE
  local file=$1 line key value
  [ -f "$file" ] || die 2 "設定ファイル $file がありません"
  local lineno=0
  while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    line=${line%$'\r'}
    case "$line" in '' | '#'*) continue ;; esac
    case "$line" in *=*) ;; *) die 2 "$file:$lineno行目: KEY=VALUE の形ではありません" ;; esac
    key=${line%%=*}
    value=${line#*=}
    key=${key//[[:space:]]/}
    value=${value#"${value%%[![:space:]]*}"}
    value=${value%"${value##*[![:space:]]}"}
    value=${value#\"}
    value=${value%\"}
    case " $(echo $KK_SETTINGS) " in *" $key "*) ;; *) die 2 "$file:$lineno行目: 知らない設定 $key です" ;; esac
    # the environment wins
    if [ -z "${!key+x}" ]; then
      printf -v "$key" '%s' "$value"
      export "${key?}"
    fi
  done < "$file"
}

find_bin() { # sets KK_BIN to the folder holding the kk tools
  if [ -z "${KK_BIN:-}" ]; then
    if command -v kk-import >/dev/null 2>&1; then
      KK_BIN=$(dirname "$(command -v kk-import)")
    elif [ -x "$here/../../../bin/kk-import" ]; then
      # installed: PREFIX/share/kenshin-kit/scripts → PREFIX/bin
      KK_BIN=$(cd "$here/../../../bin" && pwd)
    else
      KK_BIN=$(cd "$here/.." && pwd)/target/release
    fi
  fi
  local t
  for t in "$@"; do
    [ -x "$KK_BIN/$t" ] || die 2 "$KK_BIN/$t がありません (make build、または KK_BIN を設定してください)"
  done
}

# Japan time without the tz database (JST-9 is a POSIX TZ: nine hours ahead, no summer time)
now() { TZ=JST-9 date +%Y-%m-%dT%H:%M:%S+09:00; }
epoch() { date +%s.%N; }

take_lock() { # take_lock DIR WHAT: one run at a time per month or year
  mkdir -p "$1" || die 2 "$1 を作れません"
  exec 9> "$1/.lock"
  flock -n 9 || die 75 "$2 は別の実行が処理中です (終わってから実行し直してください)"
}

# The run's record: log/steps.csv (for kk-report) and log/<script>.log (appended, kept).
# With `accumulate` (the annual steps, run one by one over weeks), steps.csv keeps the steps of
# earlier runs: a step run again replaces its own row only, and the rows stay in step order.
start_run() { # start_run LOGDIR TITLE [accumulate]
  logdir=$1
  run_title=$2
  steps_csv="$logdir/steps.csv"
  run_log="$logdir/${prog%.sh}.log"
  steps_accumulate=${3:-}
  if [ -z "$steps_accumulate" ] || [ ! -f "$steps_csv" ]; then
    echo "番号,手順,開始,終了,秒,終了コード,集計JSON,説明" > "$steps_csv"
  fi
  echo "$(now) 実行開始 $run_title (pid $$)" >> "$run_log"
  report_lists=()
  report_outputs=()
}

# run_step NO NAME DESCRIPTION -- COMMAND...: runs the command with its stderr in
# log/NO_NAME.log, and its summary JSON (if the command was given --summary-json
# log/NO_NAME.json) in the report. Stops the run on a nonzero exit with that exit code.
run_step() {
  local no=$1 name=$2 what=$3
  shift 4
  local json="$logdir/${no}_${name}.json" errlog="$logdir/${no}_${name}.log"
  local t0 t1 started ended code secs
  rm -f "$json"
  started=$(now)
  t0=$(epoch)
  echo "$started 開始 $no $name: $what" >> "$run_log"
  [ -n "${quiet:-}" ] || echo "== $no $what" >&2
  "$@" 2> "$errlog"
  code=$?
  t1=$(epoch)
  ended=$(now)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  [ -n "${quiet:-}" ] || sed 's/^/   /' "$errlog" >&2
  echo "$ended 終了 $no $name 終了コード $code ($secs 秒)" >> "$run_log"
  [ -f "$json" ] && sed 's/^/    /' "$json" >> "$run_log"
  local jcol=""
  [ -f "$json" ] && jcol=$json
  if [ -n "${steps_accumulate:-}" ]; then
    # this step's earlier row goes; the rows stay in step order (header first)
    { head -n 1 "$steps_csv"
      { tail -n +2 "$steps_csv" | awk -F, -v k="$no,$name" 'index($0, k ",") != 1'
        echo "$no,$name,$started,$ended,$secs,$code,$jcol,\"$what\""; } | sort -t, -k1,1n -s
    } > "$steps_csv.new" && mv "$steps_csv.new" "$steps_csv"
  else
    echo "$no,$name,$started,$ended,$secs,$code,$jcol,\"$what\"" >> "$steps_csv"
  fi
  if [ "$code" -ne 0 ]; then
    local reason
    reason=$(grep -v '^\s*$' "$errlog" | tail -n 1)
    echo "$(now) 中断 手順 $no $name (終了コード $code)" >> "$run_log"
    write_report
    die "$code" "$run_title: 手順 $no $name が終了コード $code で止まりました: ${reason:-(メッセージなし)} (記録 $errlog)"
  fi
}

write_report() { # log/report.md and log/report.csv for this run
  # a script may work out its lists at report time (the annual one: every step's so far)
  if declare -F refresh_lists >/dev/null; then refresh_lists; fi
  local args=(--title "$run_title" --steps "$steps_csv" --md "$logdir/report.md" --csv "$logdir/report.csv")
  local l o
  for l in "${report_lists[@]}"; do args+=(--list "$l"); done
  for o in "${report_outputs[@]}"; do args+=(--outputs "$o"); done
  # the attached report of the 業務完了報告書, when there is a font to write it in
  if font_found; then
    args+=(--pdf "$logdir/report.pdf" --log "$run_log")
    [ -f "$logdir/00_doctor.txt" ] && args+=(--doctor "$logdir/00_doctor.txt")
  fi
  "$KK_BIN/kk-report" "${args[@]}" 2>> "$run_log" || echo "$prog: 実行報告を書けませんでした (記録 $run_log)" >&2
}

# font_found: whether a Japanese font for the PDFs is there (KK_FONT, else the Debian paths the
# tools look in)
font_found() {
  local font
  for font in "${KK_FONT:-}" /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf \
    /usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc; do
    [ -n "$font" ] && [ -f "$font" ] && return 0
  done
  return 1
}

finish_run() {
  # the run has ended before its report is written: the report's history shows it ended
  echo "$(now) 実行終了 $run_title 正常終了" >> "$run_log"
  write_report
}
