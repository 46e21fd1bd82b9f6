//! kk-gen — deterministic synthetic data for demos, tests and benchmarks.
//!
//! Writes every canonical file of SPEC §2 for one month: several insurers (国保 municipalities
//! and one 健保組合) and institutions, persons with realistic names, addresses and dates,
//! contracts, claims, results, decided totals and the rest. The same seed and size always give
//! the same bytes. Anomalies are planted on purpose and listed in `anomalies.csv` (file, line,
//! column, expected code), so tests can check that every tool finds exactly them.
//!
//! No real person is in this data: names are drawn from common-name lists, numbers are random.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use clap::Parser;
use jiff::civil::{Date, date};
use jiff::{Span, ToSpan};

use crate::domain::{Copay, FiscalYear, age_at_fiscal_year_end, expected_copayment, format_date, luhn_check_digit};
use crate::error::{Error, Loc, Result};
use crate::io::{CsvOut, Encoding};
use crate::layout::{HOUSEHOLD_TAX, INSURED, INSURED_DIFF};

pub const TOOL: &str = "kk-gen";

/// 合成データ(架空の1か月分)を決まった乱数の種から生成する
#[derive(Debug, Parser)]
#[command(
    name = "kk-gen",
    version,
    after_help = "\
例:
  # デモ用の小さな1か月分 (fixtures/ と同じもの)
  kk-gen --persons 300 --seed 1 --month 202604 --out fixtures/demo

  # ベンチマーク用に100万人分 (約150MB、Shift_JIS)
  kk-gen --persons 1000000 --out /tmp/bench

出力: insurers.csv insured.csv diff.csv household-tax.csv contracts.csv claims.csv results.csv
      decided.csv exclusions.csv info-status.csv subsidy-items.csv receipt.csv anomalies.csv
仕込んだ異常は anomalies.csv (ファイル, 行番号, 列名, 期待コード, 説明) に一覧されます。"
)]
pub struct Cli {
    /// 被保険者数 (insured.csv の正常行の数)
    #[arg(long, default_value_t = 300)]
    pub persons: usize,

    /// 乱数の種 (同じ種・同じ人数なら同じバイト列)
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// 対象月 (YYYYMM)
    #[arg(long, default_value = "202604", value_parser = parse_month)]
    pub month: Date,

    /// 出力フォルダ
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// 出力の文字コード (sjis, utf8, utf8-bom)
    #[arg(long, default_value = "sjis")]
    pub encoding: Encoding,

    /// 異常を仕込まない
    #[arg(long)]
    pub clean: bool,

    /// 請求の件数 (省略時は対象者の約1/12。指定すると対象者から重複ありで選ぶ)
    #[arg(long, value_name = "N")]
    pub claims: Option<usize>,

    /// 健診機関×保険者の個別契約の数 (省略時は1件。ベンチマーク用に 10000 など)
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub contracts: usize,

    /// results.csv を見出しだけにする (大量の請求のベンチマーク用)
    #[arg(long)]
    pub no_results: bool,
}

fn parse_month(s: &str) -> std::result::Result<Date, String> {
    let bad = || format!("{s}: YYYYMM で指定してください");
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let y: i16 = s[..4].parse().map_err(|_| bad())?;
    let m: i8 = s[4..].parse().map_err(|_| bad())?;
    Date::new(y, m, 1).map_err(|_| bad())
}

const SURNAMES: &[(&str, &str)] = &[
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
const MALE: &[(&str, &str)] = &[
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
const FEMALE: &[(&str, &str)] = &[
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
const WARDS: &[&str] = &[
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
const TOWNS: &[&str] =
    &["本町", "中央", "緑町", "栄町", "旭町", "桜台", "若葉", "東町", "西町", "南台", "北野", "平和台"];
const BUILDINGS: &[&str] = &["", "", "", "", " コーポ山田Ⅱ 101", " ハイツ緑 202", " メゾン桜 305", " 第２ビル 4F"];

/// Half-width forms for the kana used above, to plant realistic half-width input.
fn to_halfwidth_kana(s: &str) -> String {
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

fn with_check_digit(body: &str) -> String {
    format!("{body}{}", luhn_check_digit(body.as_bytes()))
}

/// The last digit changed so the check digit fails.
fn break_check_digit(n: &str) -> String {
    let (body, last) = n.split_at(n.len() - 1);
    let d = (last.as_bytes()[0] - b'0' + 1) % 10;
    format!("{body}{d}")
}

#[derive(Debug, Clone)]
struct Insurer {
    number: String,
    name: String,
    ward: &'static str,
    kigo: String,
}

#[derive(Debug, Clone)]
struct Person {
    insurer: usize,
    kigo: String,
    bango: String,
    edaban: String,
    kana: String,
    name: String,
    sex: u8,
    birth: Date,
    acquired: Date,
    lost: Option<Date>,
    household: String,
    postcode: String,
    address: String,
}

impl Person {
    fn fields(&self, insurers: &[Insurer]) -> Vec<String> {
        vec![
            insurers[self.insurer].number.clone(),
            self.kigo.clone(),
            self.bango.clone(),
            self.edaban.clone(),
            self.kana.clone(),
            self.name.clone(),
            self.sex.to_string(),
            format_date(self.birth),
            format_date(self.acquired),
            self.lost.map(format_date).unwrap_or_default(),
            self.household.clone(),
            self.postcode.clone(),
            self.address.clone(),
        ]
    }
    fn identity(&self) -> String {
        format!("{}|{}|{}", self.kana.replace('\u{3000}', ""), format_date(self.birth), self.sex)
    }
}

/// One planted anomaly: where it is and what a tool must report.
struct Anomaly {
    file: &'static str,
    line: u64,
    column: &'static str,
    code: &'static str,
    what: &'static str,
}

/// A CSV being written with the physical line of each record tracked (quoted line breaks
/// push later records down).
struct Writer {
    out: CsvOut,
    next_line: u64,
}

impl Writer {
    fn create(dir: &Path, name: &str, enc: Encoding, header: &[&str]) -> Result<Writer> {
        let mut out = CsvOut::new(Some(&dir.join(name)), enc, false, enc.is_sjis())?;
        out.write_header(header)?;
        Ok(Writer { out, next_line: 2 })
    }
    /// Writes a record and returns the line it starts on.
    fn row<S: AsRef<str>>(&mut self, fields: &[S]) -> Result<u64> {
        let line = self.next_line;
        let name = self.out.name().to_string();
        self.out.write_texts(fields, |_| Loc::line(name.clone(), line))?;
        self.next_line += 1 + fields.iter().map(|f| f.as_ref().matches('\n').count() as u64).sum::<u64>();
        Ok(line)
    }
    fn finish(self) -> Result<()> {
        self.out.finish().map(|_| ())
    }
}

struct Gen {
    rng: fastrand::Rng,
    month: Date,
    fy: FiscalYear,
    insurers: Vec<Insurer>,
    /// Identities in use, so no duplicate appears by chance.
    identities: HashSet<String>,
    next_bango: Vec<u64>,
    next_household: Vec<u64>,
}

impl Gen {
    fn days_between(&mut self, from: Date, to: Date) -> Date {
        let days = (to - from).get_days().max(1);
        from.checked_add(Span::new().days(self.rng.i32(0..days))).unwrap_or(from)
    }

    /// A new person at `insurer` with an identity no one else has.
    fn person(&mut self, insurer: usize, household: Option<&Person>) -> Person {
        loop {
            let sex = if self.rng.bool() { 1 } else { 2 };
            let (sn, sk) = match household {
                Some(h) => {
                    let (n, _) = h.name.split_once('\u{3000}').unwrap_or((&h.name, ""));
                    let (k, _) = h.kana.split_once('\u{3000}').unwrap_or((&h.kana, ""));
                    (n.to_string(), k.to_string())
                }
                None => {
                    let (n, k) = SURNAMES[self.rng.usize(..SURNAMES.len())];
                    (n.to_string(), k.to_string())
                }
            };
            let given = if sex == 1 { MALE } else { FEMALE };
            let (gn, gk) = given[self.rng.usize(..given.len())];
            let birth = self.days_between(date(1940, 4, 2), date(2004, 4, 1));
            let acquired = if self.rng.u8(..10) < 6 {
                date(2008, 4, 1).max(birth)
            } else {
                self.days_between(date(2008, 4, 1).max(birth), self.month)
            };
            let lost =
                (self.rng.u8(..100) < 6).then(|| self.days_between(acquired, self.month)).filter(|l| *l > acquired);
            let ins = &self.insurers[insurer];
            let (household_no, postcode, address) = match household {
                Some(h) => (h.household.clone(), h.postcode.clone(), h.address.clone()),
                None => {
                    self.next_household[insurer] += 1;
                    let hh = format!("{:08}", self.next_household[insurer]);
                    let pc = format!("1{:02}-{:04}", self.rng.u16(..100), self.rng.u16(..10000));
                    let addr = format!(
                        "東京都{}{}{}丁目{}番{}号{}",
                        ins.ward,
                        TOWNS[self.rng.usize(..TOWNS.len())],
                        self.rng.u8(1..6),
                        self.rng.u8(1..30),
                        self.rng.u8(1..20),
                        BUILDINGS[self.rng.usize(..BUILDINGS.len())]
                    );
                    (hh, pc, addr)
                }
            };
            self.next_bango[insurer] += 1;
            let edaban = match household {
                Some(_) => format!("{:02}", self.rng.u8(2..5)),
                None => "01".to_string(),
            };
            let p = Person {
                insurer,
                kigo: ins.kigo.clone(),
                bango: self.next_bango[insurer].to_string(),
                edaban,
                kana: format!("{sk}\u{3000}{gk}"),
                name: format!("{sn}\u{3000}{gn}"),
                sex,
                birth,
                acquired,
                lost,
                household: household_no,
                postcode,
                address,
            };
            if self.identities.insert(p.identity()) {
                return p;
            }
        }
    }

    /// Writes a person the way a municipality's export might: mostly canonical, sometimes with
    /// era dates, half-width kana or full-width 記号 (all of which kk-import normalizes).
    fn as_exported(&mut self, p: &Person, insurers: &[Insurer]) -> Vec<String> {
        let mut f = p.fields(insurers);
        match self.rng.u8(..40) {
            0 => f[4] = to_halfwidth_kana(&p.kana),
            1 => f[7] = era_code_form(p.birth),
            2 => f[7] = era_kanji_form(p.birth),
            3 => f[8] = format!("{}/{}/{}", p.acquired.year(), p.acquired.month(), p.acquired.day()),
            4 => f[1] = p.kigo.chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)).collect(),
            5 => f[12] = p.address.replacen("丁目", "丁目\n", 1),
            6 => f[5] = format!(" {} ", p.name.replace('\u{3000}', "  ")),
            _ => {}
        }
        f
    }
}

fn era_code_form(d: Date) -> String {
    let (code, first) = if d >= date(1989, 1, 8) { (4, 1989) } else { (3, 1926) };
    let (code, first) = if d >= date(2019, 5, 1) { (5, 2019) } else { (code, first) };
    format!("{code}{:02}{:02}{:02}", d.year() - first + 1, d.month(), d.day())
}

fn era_kanji_form(d: Date) -> String {
    let (era, first) = if d >= date(1989, 1, 8) { ("平成", 1989) } else { ("昭和", 1926) };
    let y = d.year() - first + 1;
    let y = if y == 1 { "元".to_string() } else { y.to_string() };
    format!("{era}{y}年{}月{}日", d.month(), d.day())
}

pub fn run(cli: &Cli) -> Result<u8> {
    let dir = &cli.out;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let n_kokuho = (3 + cli.persons / 25_000).min(WARDS.len());
    let mut insurers: Vec<Insurer> = (0..n_kokuho)
        .map(|i| Insurer {
            number: with_check_digit(&format!("13{:03}", i + 1)),
            name: format!("{}国民健康保険", WARDS[i]),
            ward: WARDS[i],
            kigo: format!("{}", 101 + i),
        })
        .collect();
    insurers.push(Insurer {
        number: "06132013".into(),
        name: "東京都架空健康保険組合".into(),
        ward: "新宿区",
        kigo: "ケンポ".into(),
    });
    let kenpo = insurers.len() - 1;
    let month = cli.month;
    let mut g = Gen {
        rng: fastrand::Rng::with_seed(cli.seed),
        month,
        fy: FiscalYear::of(month),
        next_bango: vec![1000; insurers.len()],
        next_household: vec![0; insurers.len()],
        insurers: insurers.clone(),
        identities: HashSet::new(),
    };
    let enc = cli.encoding;
    let mut anomalies: Vec<Anomaly> = Vec::new();

    // insurers.csv
    let mut w = Writer::create(dir, "insurers.csv", enc, &["保険者番号", "保険者名", "郵便番号", "住所", "担当部署"])?;
    for (i, ins) in insurers.iter().enumerate() {
        w.row(&[
            &ins.number,
            &ins.name,
            &format!("16{}-00{:02}", i % 10, i),
            &format!("東京都{}役所1-1", ins.ward),
            &"保険年金課".to_string(),
        ])?;
    }
    w.finish()?;

    // Persons: households of 1–4 at 国保 insurers.
    let mut persons: Vec<Person> = Vec::with_capacity(cli.persons);
    while persons.len() < cli.persons {
        let ins = g.rng.usize(..n_kokuho);
        let head = g.person(ins, None);
        let members = g.rng.usize(0..3);
        persons.push(head.clone());
        for _ in 0..members.min(cli.persons - persons.len()) {
            let mut m = g.person(ins, Some(&head));
            m.edaban =
                format!("{:02}", persons.iter().rev().take(4).filter(|p| p.household == head.household).count() + 1);
            persons.push(m);
        }
    }

    // insured.csv: the full monthly export, with planted anomalies. Rows that must be rejected
    // are tracked so later files refer only to persons the master will hold.
    let mut w = Writer::create(dir, "insured.csv", enc, &INSURED.names().collect::<Vec<_>>())?;
    let mut clean: Vec<bool> = vec![true; persons.len()];
    let mut extra_master: Vec<Person> = Vec::new();
    let every = if cli.clean { usize::MAX } else { (persons.len() / 24).clamp(8, 100) };
    let name_of = |i: usize| INSURED.fields[i].name;
    for (i, p) in persons.iter().enumerate() {
        let mut f = g.as_exported(p, &insurers);
        let planted = i % every == every / 2;
        let kind = (i / every) % 13;
        if !planted {
            w.row(&f)?;
            continue;
        }
        // the column kk-import names for a problem of the whole person key
        const KEY: usize = usize::MAX;
        let mut note = |line: u64, column: usize, code: &'static str, what: &'static str| {
            let column = if column == KEY { "被保険者キー" } else { name_of(column) };
            anomalies.push(Anomaly { file: "insured.csv", line, column, code, what })
        };
        use crate::layout::insured as c;
        match kind {
            0 => {
                f[c::INSURER] = break_check_digit(&f[c::INSURER]);
                note(w.row(&f)?, c::INSURER, "E103", "保険者番号の検証番号誤り");
            }
            1 => {
                f[c::BIRTH] = format!("{}0230", p.birth.year());
                note(w.row(&f)?, c::BIRTH, "E104", "存在しない日付(2月30日)");
            }
            2 => {
                f[c::BIRTH] = "平成31年5月1日".into();
                note(w.row(&f)?, c::BIRTH, "E105", "元号の期間外(平成31年5月1日)");
            }
            3 => {
                f[c::SEX] = "3".into();
                note(w.row(&f)?, c::SEX, "E106", "性別コード誤り");
            }
            4 => {
                f[c::KANA] = "やまだ\u{3000}たろう".into();
                note(w.row(&f)?, c::KANA, "E107", "カナ氏名がひらがな");
            }
            5 => {
                f[c::LOST] = format_date(p.acquired.checked_sub(1.day()).unwrap_or(p.acquired));
                note(w.row(&f)?, c::LOST, "E108", "資格喪失日が資格取得日より前");
            }
            6 => {
                f[c::BANGO] = String::new();
                note(w.row(&f)?, c::BANGO, "E101", "被保険者証番号が空");
            }
            7 => {
                f[c::EDABAN] = "1".into();
                note(w.row(&f)?, c::EDABAN, "E102", "枝番が1桁");
            }
            8 => {
                f[c::POSTCODE] = "12-3456".into();
                note(w.row(&f)?, c::POSTCODE, "E102", "郵便番号の形式誤り");
            }
            9 => {
                // the same key twice: both rows withheld (重複種別1)
                let l1 = w.row(&f)?;
                let l2 = w.row(&p.fields(&insurers))?;
                note(l1, KEY, "E201", "同一キーが2行(重複種別1)");
                note(l2, KEY, "E201", "同一キーが2行(重複種別1)");
            }
            10 => {
                // one person under a second key of the same insurer, qualified at once (種別2)
                clean[i] = true;
                let l1 = w.row(&f)?;
                let mut twin = p.clone();
                g.next_bango[p.insurer] += 1;
                twin.bango = g.next_bango[p.insurer].to_string();
                twin.lost = None;
                twin.acquired = p.acquired.max(date(2020, 4, 1)).min(month);
                let twin_acquired_before_loss = p.lost.is_none_or(|l| twin.acquired < l);
                let l2 = w.row(&twin.fields(&insurers))?;
                if twin_acquired_before_loss {
                    note(l1, c::INSURER, "DUP2", "同一保険者内の同一人物(重複種別2)");
                    note(l2, c::INSURER, "DUP2", "同一保険者内の同一人物(重複種別2)");
                }
                extra_master.push(twin);
                continue;
            }
            11 => {
                // the same person also insured at the 健保組合, periods overlapping (種別3)
                let l1 = w.row(&f)?;
                let mut other = p.clone();
                other.insurer = kenpo;
                other.kigo = insurers[kenpo].kigo.clone();
                g.next_bango[kenpo] += 1;
                other.bango = g.next_bango[kenpo].to_string();
                other.edaban = "00".into();
                other.acquired = p.acquired;
                other.lost = None;
                let l2 = w.row(&other.fields(&insurers))?;
                note(l1, c::INSURER, "DUP3", "保険者間の資格重複(重複種別3)");
                note(l2, c::INSURER, "DUP3", "保険者間の資格重複(重複種別3)");
                extra_master.push(other);
                continue;
            }
            _ => {
                f[c::ACQUIRED] = "R8.2.30".into();
                note(w.row(&f)?, c::ACQUIRED, "E104", "存在しない日付(R8.2.30)");
            }
        }
        clean[i] = false;
    }
    w.finish()?;

    // The master the tools will hold after importing insured.csv.
    let mut master: Vec<Person> = persons.iter().zip(&clean).filter(|(_, c)| **c).map(|(p, _)| p.clone()).collect();
    master.extend(extra_master);
    let active = |p: &Person, d: Date| p.acquired <= d && p.lost.is_none_or(|l| d < l);

    // diff.csv: this month's 異動 (新規, 変更, 喪失) against that master, with planted errors.
    let mut w = Writer::create(dir, "diff.csv", enc, &INSURED_DIFF.names().collect::<Vec<_>>())?;
    let month_end = month.last_of_month();
    let n_changes = (master.len() / 50).max(6);
    let mut diff_used: HashSet<usize> = HashSet::new();
    for k in 0..n_changes {
        let when = g.days_between(month, month_end);
        let mut i = g.rng.usize(..master.len());
        while diff_used.contains(&i) || master[i].insurer == kenpo {
            i = (i + 1) % master.len();
        }
        diff_used.insert(i);
        let p = master[i].clone();
        let mut f = p.fields(&insurers);
        let d = format_date(when);
        match k % 3 {
            0 => {
                let mut n = g.person(p.insurer, None);
                n.acquired = when;
                n.lost = None;
                let mut f = g.as_exported(&n, &insurers);
                f.extend(["1".into(), d]);
                w.row(&f)?;
                master.push(n);
                // a new person is not picked again for a planted error below
                diff_used.insert(master.len() - 1);
            }
            1 if active(&p, month) => {
                let moved = format!(
                    "東京都{}{}{}丁目{}番{}号",
                    insurers[p.insurer].ward,
                    TOWNS[k % TOWNS.len()],
                    1 + k % 5,
                    1 + k % 20,
                    1 + k % 9
                );
                f[12] = moved.clone();
                f.extend(["2".into(), d]);
                w.row(&f)?;
                master[i].address = moved;
            }
            _ if active(&p, month) && p.acquired <= when => {
                f[9] = String::new();
                f.extend(["3".into(), d]);
                w.row(&f)?;
                master[i].lost = Some(when);
            }
            _ => {}
        }
    }
    if !cli.clean {
        use crate::layout::insured as c;
        let mut note = |line: u64, column: &'static str, code: &'static str, what: &'static str| {
            anomalies.push(Anomaly { file: "diff.csv", line, column, code, what })
        };
        // a person not touched by another diff row (else two rows would share a key)
        let pick = |g: &mut Gen, used: &mut HashSet<usize>, master: &[Person], want_lost: bool| -> Option<usize> {
            let start = g.rng.usize(..master.len());
            let found = (0..master.len())
                .map(|j| (start + j) % master.len())
                .find(|&j| !used.contains(&j) && master[j].insurer != kenpo && master[j].lost.is_some() == want_lost);
            used.extend(found);
            found
        };
        let d = format_date(g.days_between(month, month_end));
        if let Some(i) = pick(&mut g, &mut diff_used, &master, false) {
            let mut f = master[i].fields(&insurers);
            f.extend(["1".into(), d.clone()]);
            note(w.row(&f)?, "被保険者キー", "E202", "既存キーへの新規");
        }
        let mut ghost = g.person(0, None);
        ghost.bango = "99999999".into();
        let mut f = ghost.fields(&insurers);
        f.extend(["2".into(), d.clone()]);
        note(w.row(&f)?, "被保険者キー", "E203", "マスタにないキーの変更");
        if let Some(i) = pick(&mut g, &mut diff_used, &master, true) {
            let mut f = master[i].fields(&insurers);
            f.extend(["3".into(), d.clone()]);
            note(w.row(&f)?, "資格喪失日", "E204", "喪失済みキーへの喪失");
        }
        if let Some(i) = pick(&mut g, &mut diff_used, &master, false) {
            let mut f = master[i].fields(&insurers);
            f[12] = format!("{}（転居）", f[12]);
            let mut f2 = master[i].fields(&insurers);
            f.extend(["2".into(), d.clone()]);
            f2.extend(["3".into(), d.clone()]);
            note(w.row(&f)?, "被保険者キー", "E201", "同一キーの異動が2行(重複種別1)");
            note(w.row(&f2)?, "被保険者キー", "E201", "同一キーの異動が2行(重複種別1)");
        }
        if let Some(i) = pick(&mut g, &mut diff_used, &master, false) {
            let mut f = master[i].fields(&insurers);
            let before = master[i].acquired.checked_sub(1.day()).unwrap_or(master[i].acquired);
            f.extend(["3".into(), format_date(before)]);
            note(w.row(&f)?, "異動日", "E108", "資格取得日より前の喪失");
        }
        let mut n = g.person(1 % n_kokuho, None);
        n.acquired = month;
        let mut f = n.fields(&insurers);
        f[c::SEX] = "男".into();
        f.extend(["4".into(), d.clone()]);
        let line = w.row(&f)?;
        note(line, "性別", "E106", "性別コード誤り");
        note(line, "異動区分", "E106", "異動区分コード誤り");
    }
    w.finish()?;

    // household-tax.csv: FY status of every household, a few updated twice, planted errors.
    let mut w = Writer::create(dir, "household-tax.csv", enc, &HOUSEHOLD_TAX.names().collect::<Vec<_>>())?;
    let mut households: Vec<(usize, String)> = master.iter().map(|p| (p.insurer, p.household.clone())).collect();
    households.sort();
    households.dedup();
    let fy = g.fy;
    let mut exempt: HashSet<(usize, String)> = HashSet::new();
    for (n, (ins, hh)) in households.iter().enumerate() {
        let status = if g.rng.u8(..10) < 3 { "2" } else { "1" };
        if status == "2" {
            exempt.insert((*ins, hh.clone()));
        }
        // at least a day after the superseded row written below, so this one is the latest
        let updated =
            format_date(fy.first_day().checked_add(Span::new().days(1 + g.rng.i32(0..60))).unwrap_or(fy.first_day()));
        w.row(&[&insurers[*ins].number, hh, &fy.to_string(), &status.to_string(), &updated])?;
        if n % 40 == 7 {
            // an earlier, superseded status from the previous update
            w.row(&[&insurers[*ins].number, hh, &fy.to_string(), &"1".to_string(), &format_date(fy.first_day())])?;
        }
    }
    if !cli.clean {
        let l = w.row(&[
            &insurers[0].number,
            &"99999999".to_string(),
            &fy.to_string(),
            &"1".to_string(),
            &format_date(fy.first_day()),
        ])?;
        anomalies.push(Anomaly {
            file: "household-tax.csv",
            line: l,
            column: "世帯番号",
            code: "E205",
            what: "マスタにない世帯",
        });
        if let Some((ins, hh)) = households.first() {
            let l =
                w.row(&[&insurers[*ins].number, hh, &fy.to_string(), &"3".to_string(), &format_date(fy.first_day())])?;
            anomalies.push(Anomaly {
                file: "household-tax.csv",
                line: l,
                column: "課税区分",
                code: "E106",
                what: "課税区分コード誤り",
            });
            let l = w.row(&[
                &insurers[*ins].number,
                hh,
                &"R8".to_string(),
                &"1".to_string(),
                &format_date(fy.first_day()),
            ])?;
            anomalies.push(Anomaly {
                file: "household-tax.csv",
                line: l,
                column: "年度",
                code: "E102",
                what: "年度が西暦4桁でない",
            });
        }
    }
    w.finish()?;

    write_checkup_files(&mut g, dir, enc, &insurers, &master, &exempt, cli, &mut anomalies)?;

    let mut w = Writer::create(dir, "anomalies.csv", enc, &["ファイル", "行番号", "列名", "期待コード", "説明"])?;
    for a in &anomalies {
        w.row(&[a.file, &a.line.to_string(), a.column, a.code, a.what])?;
    }
    w.finish()?;
    Ok(0)
}

/// A contract row of contracts.csv, as the generator uses it.
struct Contract {
    institution: String,
    insurer: String,
    base: i64,
    detail: i64,
    additional: i64,
    max_additional: usize,
    copay_type: u8,
    copay_value: &'static str,
    exempt_low_income: bool,
}

/// 窓口負担 for a 基本 price, by the one rule kk-limitcheck checks against.
fn copayment(c: &Contract, price: i64) -> i64 {
    let copay = Copay::parse(&c.copay_type.to_string(), c.copay_value).unwrap_or(Copay::None);
    expected_copayment(copay, price, 0, 1)
}

const ADDITIONAL_ITEMS: &[(&str, &str, &str, i64)] = &[
    ("3C020000002327101", "尿酸", "1", 400),
    ("2A030000001930101", "血色素量(ヘモグロビン値)", "1", 300),
    ("9A110160700000011", "心電図(所見の有無)", "2", 1300),
];

#[allow(clippy::too_many_arguments)]
fn write_checkup_files(
    g: &mut Gen,
    dir: &Path,
    enc: Encoding,
    insurers: &[Insurer],
    master: &[Person],
    exempt: &HashSet<(usize, String)>,
    cli: &Cli,
    anomalies: &mut Vec<Anomaly>,
) -> Result<()> {
    let clean = cli.clean;
    let month = g.month;
    let fy = g.fy;
    // enough institutions for the exact contracts asked for (one per institution × insurer)
    let n_inst = (3 + master.len() / 20_000).min(200).max(cli.contracts.div_ceil(insurers.len()) + 2);
    let institutions: Vec<String> = (0..n_inst).map(|i| with_check_digit(&format!("131{:06}", 100 + i * 37))).collect();

    // contracts.csv: a collective contract for everyone, institution-wide ones, and exact ones.
    let mut contracts = vec![Contract {
        institution: "*".into(),
        insurer: "*".into(),
        base: 7700,
        detail: 1980,
        additional: 440,
        max_additional: 3,
        copay_type: 2,
        copay_value: "1000",
        exempt_low_income: true,
    }];
    contracts.push(Contract {
        institution: institutions[0].clone(),
        insurer: "*".into(),
        base: 8800,
        detail: 2200,
        additional: 550,
        max_additional: 2,
        copay_type: 3,
        copay_value: "10",
        exempt_low_income: true,
    });
    // exact contracts, one per institution × insurer, from the second institution on
    let pairs = institutions.iter().skip(1).flat_map(|i| insurers.iter().map(move |s| (i, s)));
    for (n, (inst, ins)) in pairs.take(cli.contracts).enumerate() {
        let (copay_type, copay_value) = [(1, "0"), (2, "500"), (3, "30"), (4, "6000")][n % 4];
        contracts.push(Contract {
            institution: inst.clone(),
            insurer: ins.number.clone(),
            base: 9900 - 110 * (n % 9) as i64,
            detail: 2200,
            additional: 660,
            max_additional: 3,
            copay_type,
            copay_value,
            exempt_low_income: false,
        });
    }
    let contract_at: HashMap<(&str, &str), usize> =
        contracts.iter().enumerate().map(|(i, c)| ((c.institution.as_str(), c.insurer.as_str()), i)).collect();
    let mut w = Writer::create(
        dir,
        "contracts.csv",
        enc,
        &[
            "健診機関番号",
            "保険者番号",
            "契約区分",
            "開始日",
            "終了日",
            "基本単価",
            "詳細単価",
            "追加単価",
            "追加項目上限数",
            "追加項目コード",
            "窓口負担種別",
            "窓口負担値",
            "端数単位",
            "非課税世帯免除",
        ],
    )?;
    let codes = ADDITIONAL_ITEMS.iter().map(|a| a.0).collect::<Vec<_>>().join(";");
    for c in &contracts {
        w.row(&[
            c.institution.clone(),
            c.insurer.clone(),
            "1".into(),
            format_date(fy.first_day()),
            format_date(fy.last_day()),
            c.base.to_string(),
            c.detail.to_string(),
            c.additional.to_string(),
            c.max_additional.to_string(),
            if c.institution == "*" { String::new() } else { codes.clone() },
            c.copay_type.to_string(),
            c.copay_value.into(),
            "1".into(),
            u8::from(c.exempt_low_income).to_string(),
        ])?;
    }
    w.finish()?;

    // Examinees this month: targets of the fiscal year, qualified, about 1 in 12 (or as many
    // claims as asked for, drawn from them with repeats).
    let eligible: Vec<&Person> = master
        .iter()
        .filter(|p| p.acquired <= month && p.lost.is_none_or(|l| month < l))
        .filter(|p| (40..=74).contains(&age_at_fiscal_year_end(p.birth, fy)))
        .collect();
    let examinees: Vec<&Person> = match cli.claims {
        Some(n) if !eligible.is_empty() => (0..n).map(|_| eligible[g.rng.usize(..eligible.len())]).collect(),
        _ => eligible.into_iter().filter(|_| g.rng.u8(..12) == 0).collect(),
    };

    let mut claims = Writer::create(
        dir,
        "claims.csv",
        enc,
        &[
            "処理年月",
            "健診機関番号",
            "保険者番号",
            "受診券整理番号",
            "被保険者証記号",
            "被保険者証番号",
            "枝番",
            "受診日",
            "契約区分",
            "基本単価",
            "詳細項目数",
            "詳細単価合計",
            "追加項目数",
            "追加項目コード",
            "追加単価合計",
            "窓口負担額",
            "請求金額",
        ],
    )?;
    let mut results = Writer::create(
        dir,
        "results.csv",
        enc,
        &[
            "受診券整理番号",
            "保険者番号",
            "被保険者証記号",
            "被保険者証番号",
            "枝番",
            "性別",
            "生年月日",
            "健診機関番号",
            "受診日",
            "項目コード",
            "項目名",
            "結果値",
            "単位",
        ],
    )?;
    // decided totals per insurer × institution
    let mut decided: std::collections::BTreeMap<(String, String), (u64, i64, i64)> = std::collections::BTreeMap::new();
    let processing = format!("{:04}{:02}", month.year(), month.month());
    let mut last_ticket = String::new();
    let every = (examinees.len() / 6).clamp(3, 50);
    for (n, p) in examinees.iter().enumerate() {
        let inst = &institutions[g.rng.usize(..n_inst)];
        let ins = &insurers[p.insurer];
        let at = |i: &str, s: &str| contract_at.get(&(i, s)).map(|&k| &contracts[k]);
        let contract = at(inst, &ins.number).or_else(|| at(inst, "*")).unwrap_or(&contracts[0]);
        let day = g.days_between(month, month.last_of_month());
        let ticket = format!("{:02}1{:08}", fy.0 % 100, n + 1);
        let n_add = g.rng.usize(0..=contract.max_additional.min(2));
        let adds: Vec<&(&str, &str, &str, i64)> = ADDITIONAL_ITEMS.iter().take(n_add).collect();
        let n_detail = usize::from(g.rng.u8(..5) == 0);
        let mut base = contract.base;
        let mut copay = if contract.exempt_low_income && exempt.contains(&(p.insurer, p.household.clone())) {
            0
        } else {
            copayment(contract, contract.base)
        };
        let detail_total = contract.detail * n_detail as i64;
        let add_total = contract.additional * n_add as i64;
        let mut ticket_written = ticket.clone();
        let planted = !clean && n % every == every / 2 + 1;
        if planted {
            match (n / every) % 3 {
                0 => base -= 1100,
                1 => copay += 500,
                _ => ticket_written = last_ticket.clone(),
            }
        }
        let claim = base + detail_total + add_total - copay;
        let line = claims.row(&[
            processing.clone(),
            inst.clone(),
            ins.number.clone(),
            ticket_written.clone(),
            p.kigo.clone(),
            p.bango.clone(),
            p.edaban.clone(),
            format_date(day),
            "1".into(),
            base.to_string(),
            n_detail.to_string(),
            detail_total.to_string(),
            n_add.to_string(),
            adds.iter().map(|a| a.0).collect::<Vec<_>>().join(";"),
            add_total.to_string(),
            copay.to_string(),
            claim.to_string(),
        ])?;
        if planted {
            let (column, code, what) = match (n / every) % 3 {
                0 => ("基本単価", "L103", "基本単価が契約より低い"),
                1 => ("窓口負担額", "L108", "窓口負担額が契約と違う"),
                _ => ("受診券整理番号", "L110", "同じ受診券整理番号の二重請求"),
            };
            anomalies.push(Anomaly { file: "claims.csv", line, column, code, what });
        }
        last_ticket = ticket.clone();
        let e = decided.entry((ins.number.clone(), inst.clone())).or_default();
        e.0 += 1;
        e.1 += base + detail_total + add_total;
        e.2 += copay;

        let h = 150.0 + f64::from(g.rng.u8(..35));
        let wgt = 45.0 + f64::from(g.rng.u8(..50));
        let bmi = wgt / (h / 100.0) / (h / 100.0);
        let items: Vec<(&str, &str, String, &str)> = vec![
            ("9N001000000000001", "身長", format!("{h:.1}"), "cm"),
            ("9N006000000000001", "体重", format!("{wgt:.1}"), "kg"),
            ("9N011000000000001", "BMI", format!("{bmi:.1}"), "kg/m2"),
            ("9N016160100000001", "腹囲(実測)", format!("{:.1}", 70.0 + f64::from(g.rng.u8(..35))), "cm"),
            ("9A751000000000001", "収縮期血圧(1回目)", (105 + g.rng.u16(..50)).to_string(), "mmHg"),
            ("9A761000000000001", "拡張期血圧(1回目)", (60 + g.rng.u16(..35)).to_string(), "mmHg"),
            ("3F015000002327101", "空腹時中性脂肪", (50 + g.rng.u16(..200)).to_string(), "mg/dl"),
            ("3F070000002327101", "HDLコレステロール", (35 + g.rng.u16(..50)).to_string(), "mg/dl"),
            ("3F077000002327101", "LDLコレステロール", (70 + g.rng.u16(..110)).to_string(), "mg/dl"),
            ("3B035000002327201", "GOT(AST)", (12 + g.rng.u16(..30)).to_string(), "U/l"),
            ("3B045000002327201", "GPT(ALT)", (8 + g.rng.u16(..40)).to_string(), "U/l"),
            ("3B090000002327101", "γ-GT(γ-GTP)", (10 + g.rng.u16(..80)).to_string(), "U/l"),
            ("3D010000001926101", "空腹時血糖", (80 + g.rng.u16(..50)).to_string(), "mg/dl"),
            ("3D046000001906202", "HbA1c(NGSP値)", format!("{:.1}", 4.8 + f64::from(g.rng.u8(..20)) / 10.0), "%"),
            ("1A020000000191111", "尿糖", "1".into(), ""),
            ("1A010000000191111", "尿蛋白", (1 + g.rng.u8(..2)).to_string(), ""),
        ];
        let adds_in_results = adds.iter().map(|a| (a.0, a.1, (3 + g.rng.u8(..5)).to_string(), ""));
        if cli.no_results {
            continue;
        }
        for (code, name, value, unit) in items.into_iter().chain(adds_in_results) {
            results.row(&[
                ticket.clone(),
                ins.number.clone(),
                p.kigo.clone(),
                p.bango.clone(),
                p.edaban.clone(),
                p.sex.to_string(),
                format_date(p.birth),
                inst.clone(),
                format_date(day),
                code.into(),
                name.into(),
                value,
                unit.into(),
            ])?;
        }
    }
    claims.finish()?;
    results.finish()?;

    let mut w = Writer::create(
        dir,
        "decided.csv",
        enc,
        &[
            "処理年月",
            "保険者番号",
            "健診機関番号",
            "区分",
            "件数",
            "請求金額",
            "窓口負担額",
            "保険者負担額",
            "事務手数料",
        ],
    )?;
    for ((ins, inst), (count, total, copay)) in &decided {
        w.row(&[
            processing.clone(),
            ins.clone(),
            inst.clone(),
            "1".into(),
            count.to_string(),
            total.to_string(),
            copay.to_string(),
            (total - copay).to_string(),
            (*count as i64 * 110).to_string(),
        ])?;
    }
    w.finish()?;

    let key_cols = ["保険者番号", "被保険者証記号", "被保険者証番号", "枝番"];
    let mut w =
        Writer::create(dir, "exclusions.csv", enc, &[&key_cols[..], &["除外事由", "開始日", "終了日"]].concat())?;
    for (n, p) in master.iter().enumerate().filter(|(n, _)| n % 97 == 5) {
        let reason = [1, 2, 3, 4, 5, 9][n % 6];
        let start = fy.first_day().checked_add(Span::new().days((n % 200) as i32)).unwrap_or(fy.first_day());
        w.row(&[
            insurers[p.insurer].number.clone(),
            p.kigo.clone(),
            p.bango.clone(),
            p.edaban.clone(),
            reason.to_string(),
            format_date(start),
            String::new(),
        ])?;
    }
    w.finish()?;

    let mut w = Writer::create(
        dir,
        "info-status.csv",
        enc,
        &[&key_cols[..], &["氏名カナ", "生年月日", "資格状態", "結果登録状態", "基準日"]].concat(),
    )?;
    let examined: HashSet<(usize, &str)> = examinees.iter().map(|p| (p.insurer, p.bango.as_str())).collect();
    for p in master.iter().filter(|p| (40..=74).contains(&age_at_fiscal_year_end(p.birth, fy))) {
        let qualified = if p.lost.is_none_or(|l| month < l) { "1" } else { "2" };
        let registered = if examined.contains(&(p.insurer, p.bango.as_str())) { "1" } else { "0" };
        w.row(&[
            insurers[p.insurer].number.clone(),
            p.kigo.clone(),
            p.bango.clone(),
            p.edaban.clone(),
            p.kana.clone(),
            format_date(p.birth),
            qualified.into(),
            registered.into(),
            format_date(month),
        ])?;
    }
    w.finish()?;

    let mut w = Writer::create(dir, "subsidy-items.csv", enc, &["項目コード", "項目名", "補助区分", "補助単価"])?;
    for (code, name, kind, price) in ADDITIONAL_ITEMS {
        w.row(&[code.to_string(), name.to_string(), kind.to_string(), price.to_string()])?;
    }
    w.finish()?;

    let mut w = Writer::create(dir, "receipt.csv", enc, &["ファイル名", "件数", "受領日", "受領結果", "返戻理由"])?;
    let received = format_date(month.checked_add(Span::new().days(10)).unwrap_or(month));
    w.row(&["summary.csv".to_string(), "1".into(), received.clone(), "1".into(), String::new()])?;
    w.row(&["results.csv".to_string(), examinees.len().to_string(), received, "1".into(), String::new()])?;
    w.finish()?;
    Ok(())
}
