//! Which column becomes what: every known column has a rule, `--pass`/`--drop` name the others,
//! and the plan for a file is decided from its header before any row is read.

use super::{BirthMode, Cli};
use crate::domain::person::identity_kana;
use crate::error::{Error, Result};
use crate::layout::{Field, Layout, column_label};

/// What a known column becomes by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Not identifying: kept as it is.
    Keep,
    /// Part of ID1 or ID2, then dropped.
    Hash,
    /// Identifying: dropped.
    Drop,
    /// 生年月日: per `--birth`.
    Birth,
}

/// Every column name kk knows, with its default rule. Identifying columns can only be hashed,
/// dropped or cut; `--pass` cannot keep them.
const KNOWN: &[(&str, Rule)] = &[
    ("保険者番号", Rule::Keep),
    ("性別", Rule::Keep),
    ("郵便番号", Rule::Keep),
    ("健診機関番号", Rule::Keep),
    ("受診日", Rule::Keep),
    ("項目コード", Rule::Keep),
    ("項目名", Rule::Keep),
    ("結果値", Rule::Keep),
    ("単位", Rule::Keep),
    ("被保険者証記号", Rule::Hash),
    ("被保険者証番号", Rule::Hash),
    ("枝番", Rule::Hash),
    ("氏名カナ", Rule::Hash),
    ("氏名", Rule::Drop),
    ("住所", Rule::Drop),
    ("世帯番号", Rule::Drop),
    ("受診券整理番号", Rule::Drop),
    ("利用券整理番号", Rule::Drop),
    ("生年月日", Rule::Birth),
    // other result and report columns of the canonical layouts (SPEC §2) and of kk's lists
    ("資格取得日", Rule::Keep),
    ("資格喪失日", Rule::Keep),
    ("異動区分", Rule::Keep),
    ("異動日", Rule::Keep),
    ("年度", Rule::Keep),
    ("課税区分", Rule::Keep),
    ("更新日", Rule::Keep),
    ("除外事由", Rule::Keep),
    ("開始日", Rule::Keep),
    ("終了日", Rule::Keep),
    ("資格状態", Rule::Keep),
    ("結果登録状態", Rule::Keep),
    ("基準日", Rule::Keep),
    ("処理年月", Rule::Keep),
    ("契約区分", Rule::Keep),
    ("基本単価", Rule::Keep),
    ("詳細項目数", Rule::Keep),
    ("詳細単価合計", Rule::Keep),
    ("追加項目数", Rule::Keep),
    ("追加項目コード", Rule::Keep),
    ("追加単価合計", Rule::Keep),
    ("窓口負担額", Rule::Keep),
    ("請求金額", Rule::Keep),
    ("年度末年齢", Rule::Keep),
    ("年齢階級", Rule::Keep),
    ("除外事由コード", Rule::Keep),
    ("除外事由名", Rule::Keep),
    ("告示区分", Rule::Keep),
    ("除外開始日", Rule::Keep),
    ("除外終了日", Rule::Keep),
    ("行番号", Rule::Keep),
    ("対象者数", Rule::Keep),
    ("受診者数", Rule::Keep),
    ("受診率", Rule::Keep),
    // other spellings of identifying columns: whatever a site calls them, they never pass
    ("カナ氏名", Rule::Drop),
    ("氏名(カナ)", Rule::Drop),
    ("フリガナ", Rule::Drop),
    ("シメイ", Rule::Drop),
    ("漢字氏名", Rule::Drop),
    ("被保険者氏名", Rule::Drop),
    ("被保険者名", Rule::Drop),
    ("受診者氏名", Rule::Drop),
    ("受診者名", Rule::Drop),
    ("名前", Rule::Drop),
    ("姓名", Rule::Drop),
    ("現住所", Rule::Drop),
    ("住所1", Rule::Drop),
    ("住所2", Rule::Drop),
    ("方書", Rule::Drop),
    ("電話番号", Rule::Drop),
    ("電話", Rule::Drop),
    ("TEL", Rule::Drop),
    ("携帯電話番号", Rule::Drop),
    ("メールアドレス", Rule::Drop),
    ("記号番号", Rule::Drop),
    ("被保険者証記号番号", Rule::Drop),
    ("被保険者番号", Rule::Drop),
    ("世帯主氏名", Rule::Drop),
];

/// A column name as rules compare it: NFKC (full-width letters and half-width kana folded),
/// hiragana as katakana, every space removed, ASCII lower case. `氏　名`, `ｼﾒｲ` and `しめい` are
/// the same name as `氏名` and `シメイ`.
pub fn column_key(name: &str) -> String {
    identity_kana(name).to_lowercase()
}

/// Whether a column of this name identifies a person (hashed, dropped or cut by kk-anonymize:
/// names, kana, addresses, 記号・番号, 生年月日 in full, and their other spellings).
pub fn is_identifying(name: &str) -> bool {
    matches!(rule_of(name), Some(Rule::Hash | Rule::Drop | Rule::Birth))
}

fn rule_of(name: &str) -> Option<Rule> {
    let key = column_key(name);
    KNOWN.iter().find(|(n, _)| column_key(n) == key).map(|(_, r)| *r)
}

/// E020 for the file's column `index` headed `name`: quoted with the options that would take
/// it when it is plainly a header, else named by its position (a value is never shown).
fn unknown_column(file: &str, name: &str, index: usize) -> Error {
    let label = column_label(name, index);
    let hint = if name.trim().is_empty() {
        "見出しを付けてから --pass か --drop で指定してください".to_string()
    } else if label == name {
        format!("残すなら --pass \"{name}\"、削除するなら --drop \"{name}\" を指定してください")
    } else {
        "見出しの名前が値のように見えるため表示しません。見出し行を確認してください".to_string()
    };
    let column = if name.trim().is_empty() { format!("{label} (見出しなし)") } else { label };
    Error::UnknownColumn { file: file.into(), column, hint }
}

/// The file has no fixed layout: every column is read by its position in the header.
pub static ANY: Layout = Layout { name: "匿名化の入力", fields: &[] as &[Field] };

/// What one output column is made of.
#[derive(Debug, Clone, Copy)]
pub enum Out {
    /// The input column's bytes (re-encoded when the output encoding differs).
    Column(usize),
    /// 生年月日 cut per `--birth`.
    Birth(usize),
}

/// How one file is anonymized, decided from its header before any row is read.
#[derive(Debug)]
pub struct Plan {
    /// Columns of 保険者番号, 記号, 番号, 枝番 (記号 and 枝番 may be absent).
    pub id1: [Option<usize>; 4],
    /// Columns of 氏名カナ, 生年月日, 性別, when the file has 氏名カナ.
    pub id2: Option<[usize; 3]>,
    pub out: Vec<Out>,
    pub header: Vec<String>,
    pub birth: BirthMode,
}

impl Plan {
    pub fn new(file: &str, header: &[String], cli: &Cli) -> Result<Plan> {
        if header.is_empty() {
            return Err(Error::Empty { file: file.into() });
        }
        let col = |name: &str| {
            let key = column_key(name);
            header.iter().position(|h| column_key(h) == key)
        };
        let required =
            |name: &str| col(name).ok_or_else(|| Error::MissingColumn { file: file.into(), column: name.into() });
        let id1 =
            [Some(required("保険者番号")?), col("被保険者証記号"), Some(required("被保険者証番号")?), col("枝番")];
        let id2 = match col("氏名カナ") {
            Some(kana) => Some([kana, required("生年月日")?, required("性別")?]),
            None => None,
        };
        let mut out_header = vec!["ID1".to_string()];
        if id2.is_some() {
            out_header.push("ID2".into());
        }
        let mut out = Vec::new();
        for (i, name) in header.iter().enumerate() {
            let known = rule_of(name);
            let key = column_key(name);
            let rule = if cli.drop.iter().any(|d| column_key(d) == key) {
                Rule::Drop
            } else if cli.pass.iter().any(|p| column_key(p) == key) {
                match known {
                    None | Some(Rule::Keep) => Rule::Keep,
                    Some(_) => {
                        return Err(Error::Usage {
                            option: "--pass",
                            detail: format!("「{name}」は識別情報の列なので残せません"),
                        });
                    }
                }
            } else {
                known.ok_or_else(|| unknown_column(file, name, i))?
            };
            match (rule, cli.birth) {
                (Rule::Keep, _) | (Rule::Birth, BirthMode::Keep) => {
                    out.push(Out::Column(i));
                    out_header.push(name.clone());
                }
                (Rule::Birth, BirthMode::Ym) => {
                    out.push(Out::Birth(i));
                    out_header.push("生年月".into());
                }
                (Rule::Birth, BirthMode::Year) => {
                    out.push(Out::Birth(i));
                    out_header.push("生年".into());
                }
                (Rule::Hash | Rule::Drop, _) | (Rule::Birth, BirthMode::Drop) => {}
            }
        }
        Ok(Plan { id1, id2, out, header: out_header, birth: cli.birth })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_column_has_one_rule() {
        for (i, (name, _)) in KNOWN.iter().enumerate() {
            assert!(!KNOWN[..i].iter().any(|(n, _)| column_key(n) == column_key(name)), "{name} twice");
        }
    }

    #[test]
    fn spellings_of_a_column_are_one_column() {
        assert_eq!(rule_of("氏　名"), Some(Rule::Drop));
        assert_eq!(rule_of(" 氏名 "), Some(Rule::Drop));
        assert_eq!(rule_of("ｼﾒｲ"), Some(Rule::Drop));
        assert_eq!(rule_of("しめい"), Some(Rule::Drop));
        assert_eq!(rule_of("ﾌﾘｶﾞﾅ"), Some(Rule::Drop));
        assert_eq!(rule_of("氏名ｶﾅ"), Some(Rule::Hash));
        assert_eq!(rule_of("ＴＥＬ"), Some(Rule::Drop));
        assert_eq!(rule_of("tel"), Some(Rule::Drop));
        assert_eq!(rule_of("備考"), None);
    }
}
