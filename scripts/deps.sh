#!/usr/bin/env bash
# テストとデモが使うコマンドとフォントを確かめ、足りない Debian パッケージを入れます。
# root なら apt-get で、sudo がパスワードなしで使えれば sudo apt-get で入れます。
# どちらもできなければ、入れるための apt-get の1行を表示して終わります (終了コード 1)。
# `make test` と `make demo` が最初に実行し、.ci/run も同じものを使います (一覧はここだけ)。
#
# 使い方: scripts/deps.sh [--check]
#   --check   確かめるだけで、入れません (足りなければ終了コード 1)
# 終了コード: 0 そろっている (または入れた)、1 足りない、2 使い方の誤り
set -uo pipefail

# what is checked, and the Debian package that provides it: a command, or a file (a path)
needs=(
  "make make"
  "iconv libc-bin"
  "unzip unzip"
  "zipinfo unzip"
  "pdftotext poppler-utils"
  "pdffonts poppler-utils"
  "pdftoppm poppler-utils"
  "age age"
  "age-keygen age"
  "xmllint libxml2-utils"
  "bc bc"
  "zip zip"
  "flock util-linux"
  "script bsdutils"
  "sqlite3 sqlite3"
  "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf fonts-ipaexfont-gothic"
)

check_only=false
case "${1:-}" in
  "") ;;
  --check) check_only=true ;;
  -h | --help)
    awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"
    exit 0
    ;;
  *)
    echo "deps.sh: E011 知らない引数です: $1 (--help で使い方を表示します)" >&2
    exit 2
    ;;
esac

missing=()
for entry in "${needs[@]}"; do
  what=${entry% *}
  package=${entry#* }
  case $what in
    /*) [ -e "$what" ] && continue ;;
    *) command -v "$what" >/dev/null 2>&1 && continue ;;
  esac
  echo "deps.sh: ${what##*/} がありません (Debian パッケージ $package)" >&2
  case " ${missing[*]} " in
    *" $package "*) ;;
    *) missing+=("$package") ;;
  esac
done
[ ${#missing[@]} -eq 0 ] && exit 0

line="apt-get install -y ${missing[*]}"
if $check_only; then
  echo "deps.sh: 入れるには: sudo $line" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "deps.sh: apt-get がありません。次のパッケージ(Debian の名前)を入れてください: ${missing[*]}" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  run=(sudo)
else
  echo "deps.sh: 入れる権限がありません。次の1行を実行してから、もう一度どうぞ:" >&2
  echo "  sudo $line" >&2
  exit 1
fi
echo "deps.sh: 入れます: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! "${run[@]}" apt-get update -qq || ! "${run[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null; then
  echo "deps.sh: apt-get が失敗しました。手で入れるには: sudo $line" >&2
  exit 1
fi
echo "deps.sh: 入れました: ${missing[*]}" >&2
