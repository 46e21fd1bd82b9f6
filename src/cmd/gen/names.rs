//! Common names, places and the written forms a municipality's export uses (half-width kana,
//! era dates). No real person is in this data: names are drawn from common-name lists.

use jiff::civil::{Date, date};

pub const SURNAMES: &[(&str, &str)] = &[
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("山田", "ヤマダ"),
    ("佐々木", "ササキ"),
    ("山口", "ヤマグチ"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("林", "ハヤシ"),
    ("斎藤", "サイトウ"),
    ("清水", "シミズ"),
    ("山崎", "ヤマザキ"),
    ("森", "モリ"),
    ("池田", "イケダ"),
    ("橋本", "ハシモト"),
    ("阿部", "アベ"),
    ("石川", "イシカワ"),
    ("山下", "ヤマシタ"),
    ("中島", "ナカジマ"),
    ("石井", "イシイ"),
    ("小川", "オガワ"),
    ("前田", "マエダ"),
    ("岡田", "オカダ"),
    ("長谷川", "ハセガワ"),
    ("藤田", "フジタ"),
    ("後藤", "ゴトウ"),
    ("近藤", "コンドウ"),
    ("村上", "ムラカミ"),
    ("遠藤", "エンドウ"),
    ("青木", "アオキ"),
    ("坂本", "サカモト"),
    // IBM/NEC-selected kanji that real 国保 files hold (CP932 only)
    ("髙橋", "タカハシ"),
    ("山﨑", "ヤマザキ"),
    ("德永", "トクナガ"),
    ("濵田", "ハマダ"),
    // 外字 (user-defined area): a variant kanji registered locally, U+E000..
    ("渡\u{E000}", "ワタナベ"),
    ("\u{E001}田", "ヨシダ"),
];

pub const MALE: &[(&str, &str)] = &[
    ("太郎", "タロウ"),
    ("健一", "ケンイチ"),
    ("誠", "マコト"),
    ("大輔", "ダイスケ"),
    ("翔太", "ショウタ"),
    ("浩", "ヒロシ"),
    ("隆", "タカシ"),
    ("茂", "シゲル"),
    ("勇", "イサム"),
    ("達也", "タツヤ"),
    ("直樹", "ナオキ"),
    ("和也", "カズヤ"),
    ("修", "オサム"),
    ("清", "キヨシ"),
    ("拓也", "タクヤ"),
    ("健太", "ケンタ"),
    ("雄一", "ユウイチ"),
    ("正樹", "マサキ"),
    ("博之", "ヒロユキ"),
    ("剛", "ツヨシ"),
];

pub const FEMALE: &[(&str, &str)] = &[
    ("花子", "ハナコ"),
    ("恵子", "ケイコ"),
    ("陽子", "ヨウコ"),
    ("裕子", "ユウコ"),
    ("美咲", "ミサキ"),
    ("由美", "ユミ"),
    ("幸子", "サチコ"),
    ("久美子", "クミコ"),
    ("真由美", "マユミ"),
    ("愛", "アイ"),
    ("明美", "アケミ"),
    ("直子", "ナオコ"),
    ("京子", "キョウコ"),
    ("智子", "トモコ"),
    ("洋子", "ヨウコ"),
    ("典子", "ノリコ"),
    ("美穂", "ミホ"),
    ("綾", "アヤ"),
    ("千尋", "チヒロ"),
    ("静香", "シズカ"),
];

pub const WARDS: &[&str] = &[
    "千代田区",
    "中央区",
    "港区",
    "新宿区",
    "文京区",
    "台東区",
    "墨田区",
    "江東区",
    "品川区",
    "目黒区",
    "大田区",
    "世田谷区",
    "渋谷区",
    "中野区",
    "杉並区",
    "豊島区",
    "北区",
    "荒川区",
    "板橋区",
    "練馬区",
    "足立区",
    "葛飾区",
    "江戸川区",
    "八王子市",
    "立川市",
    "武蔵野市",
    "三鷹市",
    "青梅市",
    "府中市",
    "昭島市",
];

pub const TOWNS: &[&str] =
    &["本町", "中央", "緑町", "栄町", "旭町", "桜台", "若葉", "東町", "西町", "南台", "北野", "平和台"];

pub const BUILDINGS: &[&str] = &["", "", "", "", " コーポ山田Ⅱ 101", " ハイツ緑 202", " メゾン桜 305", " 第２ビル 4F"];

/// Half-width forms for the kana used above, to plant realistic half-width input.
pub fn to_halfwidth_kana(s: &str) -> String {
    const FULL: &str = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンァィゥェォャュョッー";
    const HALF: &str = "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝｧｨｩｪｫｬｭｮｯｰ";
    const VOICED: &str = "ガギグゲゴザジズゼゾダヂヅデドバビブベボ";
    const VOICED_BASE: &str = "カキクケコサシスセソタチツテトハヒフヘホ";
    const SEMI: &str = "パピプペポ";
    const SEMI_BASE: &str = "ハヒフヘホ";
    let half = |c: char| FULL.chars().position(|f| f == c).and_then(|i| HALF.chars().nth(i));
    let mut out = String::new();
    for c in s.chars() {
        if c == '\u{3000}' {
            out.push(' ');
        } else if let Some(h) = half(c) {
            out.push(h);
        } else if let Some(i) = VOICED.chars().position(|v| v == c) {
            out.extend(half(VOICED_BASE.chars().nth(i).unwrap_or(c)));
            out.push('ﾞ');
        } else if let Some(i) = SEMI.chars().position(|v| v == c) {
            out.extend(half(SEMI_BASE.chars().nth(i).unwrap_or(c)));
            out.push('ﾟ');
        } else {
            out.push(c);
        }
    }
    out
}

pub fn era_code_form(d: Date) -> String {
    let (code, first) = if d >= date(1989, 1, 8) { (4, 1989) } else { (3, 1926) };
    let (code, first) = if d >= date(2019, 5, 1) { (5, 2019) } else { (code, first) };
    format!("{code}{:02}{:02}{:02}", d.year() - first + 1, d.month(), d.day())
}

pub fn era_kanji_form(d: Date) -> String {
    let (era, first) = if d >= date(1989, 1, 8) { ("平成", 1989) } else { ("昭和", 1926) };
    let y = d.year() - first + 1;
    let y = if y == 1 { "元".to_string() } else { y.to_string() };
    format!("{era}{y}年{}月{}日", d.month(), d.day())
}
