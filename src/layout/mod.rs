//! Canonical layouts (SPEC §2) and the `--layout FILE.toml` mapping of a site's own headers or
//! column positions onto them. Columns are found by header name, in any order.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// One canonical column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    /// A required column must be present (its values may still be allowed to be empty).
    pub required: bool,
}

const fn req(name: &'static str) -> Field {
    Field { name, required: true }
}
const fn opt(name: &'static str) -> Field {
    Field { name, required: false }
}

/// A canonical layout: its name (for messages) and its columns in output order.
#[derive(Debug)]
pub struct Layout {
    pub name: &'static str,
    pub fields: &'static [Field],
}

impl Layout {
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.fields.iter().map(|f| f.name)
    }
    fn index_of(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }
}

/// 被保険者マスタ. Field indices are the constants in [`insured`].
pub static INSURED: Layout = Layout { name: "被保険者マスタ", fields: INSURED_DIFF_FIELDS.split_at(13).0 };

const INSURED_DIFF_FIELDS: &[Field] = &[
    req("保険者番号"),
    opt("被保険者証記号"),
    req("被保険者証番号"),
    opt("枝番"),
    req("氏名カナ"),
    req("氏名"),
    req("性別"),
    req("生年月日"),
    req("資格取得日"),
    opt("資格喪失日"),
    opt("世帯番号"),
    opt("郵便番号"),
    opt("住所"),
    req("異動区分"),
    req("異動日"),
];

/// 異動データ: the insured columns plus 異動区分 and 異動日.
pub static INSURED_DIFF: Layout = Layout { name: "異動データ", fields: INSURED_DIFF_FIELDS };

/// Column indices of [`INSURED`] and [`INSURED_DIFF`].
pub mod insured {
    pub const INSURER: usize = 0;
    pub const KIGO: usize = 1;
    pub const BANGO: usize = 2;
    pub const EDABAN: usize = 3;
    pub const KANA: usize = 4;
    pub const NAME: usize = 5;
    pub const SEX: usize = 6;
    pub const BIRTH: usize = 7;
    pub const ACQUIRED: usize = 8;
    pub const LOST: usize = 9;
    pub const HOUSEHOLD: usize = 10;
    pub const POSTCODE: usize = 11;
    pub const ADDRESS: usize = 12;
    pub const CHANGE_KIND: usize = 13;
    pub const CHANGE_DATE: usize = 14;
}

/// 世帯課税状況.
pub static HOUSEHOLD_TAX: Layout = Layout {
    name: "世帯課税状況",
    fields: &[req("保険者番号"), req("世帯番号"), req("年度"), req("課税区分"), req("更新日")],
};

/// Column indices of [`HOUSEHOLD_TAX`].
pub mod household_tax {
    pub const INSURER: usize = 0;
    pub const HOUSEHOLD: usize = 1;
    pub const YEAR: usize = 2;
    pub const STATUS: usize = 3;
    pub const UPDATED: usize = 4;
}

/// The part of a master that `kk-import tax` needs: which households exist.
pub static MASTER_HOUSEHOLDS: Layout =
    Layout { name: "被保険者マスタ", fields: &[req("保険者番号"), req("世帯番号")] };

/// 契約. `*` in 健診機関番号 or 保険者番号 matches any.
pub static CONTRACTS: Layout = Layout {
    name: "契約",
    fields: &[
        req("健診機関番号"),
        req("保険者番号"),
        req("契約区分"),
        req("開始日"),
        req("終了日"),
        req("基本単価"),
        req("詳細単価"),
        req("追加単価"),
        req("追加項目上限数"),
        opt("追加項目コード"),
        req("窓口負担種別"),
        req("窓口負担値"),
        opt("端数単位"),
        opt("非課税世帯免除"),
    ],
};

/// Column indices of [`CONTRACTS`].
pub mod contracts {
    pub const INSTITUTION: usize = 0;
    pub const INSURER: usize = 1;
    pub const KIND: usize = 2;
    pub const START: usize = 3;
    pub const END: usize = 4;
    pub const BASE: usize = 5;
    pub const DETAIL: usize = 6;
    pub const ADDITIONAL: usize = 7;
    pub const MAX_ADDITIONAL: usize = 8;
    pub const ADDITIONAL_CODES: usize = 9;
    pub const COPAY_TYPE: usize = 10;
    pub const COPAY_VALUE: usize = 11;
    pub const ROUNDING: usize = 12;
    pub const EXEMPT: usize = 13;
}

/// 請求データ.
pub static CLAIMS: Layout = Layout {
    name: "請求データ",
    fields: &[
        opt("処理年月"),
        req("健診機関番号"),
        req("保険者番号"),
        req("受診券整理番号"),
        opt("被保険者証記号"),
        req("被保険者証番号"),
        opt("枝番"),
        req("受診日"),
        req("契約区分"),
        req("基本単価"),
        req("詳細項目数"),
        req("詳細単価合計"),
        req("追加項目数"),
        opt("追加項目コード"),
        req("追加単価合計"),
        req("窓口負担額"),
        req("請求金額"),
    ],
};

/// Column indices of [`CLAIMS`].
pub mod claims {
    pub const MONTH: usize = 0;
    pub const INSTITUTION: usize = 1;
    pub const INSURER: usize = 2;
    pub const TICKET: usize = 3;
    pub const KIGO: usize = 4;
    pub const BANGO: usize = 5;
    pub const EDABAN: usize = 6;
    pub const DATE: usize = 7;
    pub const KIND: usize = 8;
    pub const BASE: usize = 9;
    pub const DETAIL_COUNT: usize = 10;
    pub const DETAIL_TOTAL: usize = 11;
    pub const ADDITIONAL_COUNT: usize = 12;
    pub const ADDITIONAL_CODES: usize = 13;
    pub const ADDITIONAL_TOTAL: usize = 14;
    pub const COPAY: usize = 15;
    pub const CLAIM: usize = 16;
}

/// 健診結果 (long form, one row per observed item).
pub static RESULTS: Layout = Layout {
    name: "健診結果",
    fields: &[
        opt("受診券整理番号"),
        req("保険者番号"),
        opt("被保険者証記号"),
        req("被保険者証番号"),
        opt("枝番"),
        req("性別"),
        req("生年月日"),
        req("健診機関番号"),
        req("受診日"),
        req("項目コード"),
        opt("項目名"),
        req("結果値"),
        opt("単位"),
    ],
};

/// Column indices of [`RESULTS`].
pub mod results {
    pub const TICKET: usize = 0;
    pub const INSURER: usize = 1;
    pub const KIGO: usize = 2;
    pub const BANGO: usize = 3;
    pub const EDABAN: usize = 4;
    pub const SEX: usize = 5;
    pub const BIRTH: usize = 6;
    pub const INSTITUTION: usize = 7;
    pub const DATE: usize = 8;
    pub const CODE: usize = 9;
    pub const NAME: usize = 10;
    pub const VALUE: usize = 11;
    pub const UNIT: usize = 12;
}

/// anomalies.csv (kk-gen): what was planted, where, and the code a tool must report.
pub const ANOMALIES: [&str; 5] = ["ファイル", "行番号", "列名", "期待コード", "説明"];

/// The part of 健診結果 that kk-limitcheck needs: which items a ticket's results hold.
pub static RESULT_ITEMS: Layout =
    Layout { name: "健診結果", fields: &[req("受診券整理番号"), req("項目コード")] };

/// The part of a master that maps a person to a household.
pub static MASTER_PERSON_HOUSEHOLD: Layout = Layout {
    name: "被保険者マスタ",
    fields: &[req("保険者番号"), opt("被保険者証記号"), req("被保険者証番号"), opt("枝番"), req("世帯番号")],
};

/// チェックリスト (kk-limitcheck).
pub const LIMIT_CHECKLIST: [&str; 10] = [
    "行番号",
    "受診券整理番号",
    "健診機関番号",
    "保険者番号",
    "受診日",
    "チェックコード",
    "チェック内容",
    "期待値",
    "実際値",
    "差額",
];

/// 決定データ (monthly, per insurer × institution × category).
pub static DECIDED: Layout = Layout {
    name: "決定データ",
    fields: &[
        req("処理年月"),
        req("保険者番号"),
        req("健診機関番号"),
        req("区分"),
        req("件数"),
        req("請求金額"),
        req("窓口負担額"),
        req("保険者負担額"),
        req("事務手数料"),
    ],
};

/// Column indices of [`DECIDED`].
pub mod decided {
    pub const MONTH: usize = 0;
    pub const INSURER: usize = 1;
    pub const INSTITUTION: usize = 2;
    pub const CATEGORY: usize = 3;
    pub const COUNT: usize = 4;
    pub const BILLED: usize = 5;
    pub const COPAY: usize = 6;
    pub const INSURER_SHARE: usize = 7;
    pub const FEE: usize = 8;
}

/// 保険者一覧.
pub static INSURERS: Layout = Layout {
    name: "保険者一覧",
    fields: &[req("保険者番号"), req("保険者名"), opt("郵便番号"), opt("住所"), opt("担当部署")],
};

/// 請求書一覧 (kk-finance `invoices.csv`).
pub const INVOICE_LIST: [&str; 11] = [
    "請求書番号",
    "保険者番号",
    "保険者名",
    "処理年月",
    "発行日",
    "支払期限",
    "件数",
    "保険者負担額",
    "事務手数料",
    "消費税",
    "請求額",
];

/// The part of 健診結果 that tells who was examined when.
pub static RESULT_PERSONS: Layout = Layout {
    name: "健診結果",
    fields: &[req("保険者番号"), opt("被保険者証記号"), req("被保険者証番号"), opt("枝番"), req("受診日")],
};

/// 除外事由.
pub static EXCLUSIONS: Layout = Layout {
    name: "除外事由",
    fields: &[
        req("保険者番号"),
        opt("被保険者証記号"),
        req("被保険者証番号"),
        opt("枝番"),
        req("除外事由"),
        req("開始日"),
        opt("終了日"),
    ],
};

/// 情報提供票等データ管理システム出力.
pub static INFO_STATUS: Layout = Layout {
    name: "情報提供票等データ管理システム出力",
    fields: &[
        req("保険者番号"),
        opt("被保険者証記号"),
        req("被保険者証番号"),
        opt("枝番"),
        req("氏名カナ"),
        req("生年月日"),
        req("資格状態"),
        req("結果登録状態"),
        opt("基準日"),
    ],
};

/// チェックリスト (kk-unexamined check).
pub const UNEXAMINED_CHECKLIST: [&str; 9] = [
    "行番号",
    "保険者番号",
    "被保険者証記号",
    "被保険者証番号",
    "枝番",
    "チェックコード",
    "チェック内容",
    "当システム値",
    "連携先値",
];

/// 補助対象項目.
pub static SUBSIDY_ITEMS: Layout = Layout {
    name: "補助対象項目",
    fields: &[req("項目コード"), req("項目名"), req("補助区分"), req("補助単価")],
};

/// The part of 健診結果 that kk-subsidy needs.
pub static RESULT_ITEMS_FULL: Layout = Layout {
    name: "健診結果",
    fields: &[
        req("保険者番号"),
        opt("被保険者証記号"),
        req("被保険者証番号"),
        opt("枝番"),
        req("受診日"),
        req("健診機関番号"),
        req("項目コード"),
    ],
};

/// 補助金対象者リスト (kk-subsidy, one row per subsidised item received).
pub const SUBSIDY_LIST: [&str; 12] = [
    "行番号",
    "保険者番号",
    "被保険者証記号",
    "被保険者証番号",
    "枝番",
    "受診日",
    "健診機関番号",
    "項目コード",
    "項目名",
    "補助区分",
    "補助単価",
    "集計",
];

/// 補助金集計 (kk-subsidy --summary, per insurer × item).
pub const SUBSIDY_SUMMARY: [&str; 7] = ["保険者番号", "項目コード", "項目名", "補助区分", "件数", "補助単価", "金額"];

/// 連携エラーリスト (SPEC §2 "Output layouts").
pub const ERROR_LIST: [&str; 9] =
    ["行番号", "保険者番号", "被保険者証記号", "被保険者証番号", "枝番", "列名", "エラーコード", "エラー内容", "値"];

/// 重複リスト.
pub const DUPLICATE_LIST: [&str; 11] = [
    "グループ番号",
    "重複種別",
    "行番号",
    "保険者番号",
    "被保険者証記号",
    "被保険者証番号",
    "枝番",
    "氏名カナ",
    "生年月日",
    "性別",
    "資格喪失日",
];

/// The part of 健診結果 that kk-statutory erasures needs: whose record, which ticket, when.
pub static RESULT_RECORDS: Layout = Layout {
    name: "健診結果",
    fields: &[
        req("保険者番号"),
        opt("被保険者証記号"),
        req("被保険者証番号"),
        opt("枝番"),
        req("受診日"),
        opt("受診券整理番号"),
    ],
};

/// MANIFEST.csv (kk-anonymize `--zip`): what was sent.
pub static MANIFEST: Layout = Layout {
    name: "送付ファイル一覧(MANIFEST)",
    fields: &[req("ファイル名"), req("件数"), opt("SHA-256")],
};

/// 受領結果, returned by the recipient of the statutory report.
pub static RECEIPT: Layout = Layout {
    name: "受領結果",
    fields: &[req("ファイル名"), req("件数"), opt("受領日"), req("受領結果"), opt("返戻理由")],
};

/// 法定報告対象者除外者情報 (kk-statutory exclusions).
pub const STATUTORY_EXCLUSIONS: [&str; 15] = [
    "行番号",
    "保険者番号",
    "被保険者証記号",
    "被保険者証番号",
    "枝番",
    "性別",
    "生年月日",
    "年度末年齢",
    "資格取得日",
    "資格喪失日",
    "除外事由コード",
    "除外事由名",
    "告示区分",
    "除外開始日",
    "除外終了日",
];

/// 抹消者リスト (kk-statutory erasures, one row per result record = person × ticket × 受診日).
pub const ERASURES: [&str; 10] = [
    "行番号",
    "受診券整理番号",
    "保険者番号",
    "被保険者証記号",
    "被保険者証番号",
    "枝番",
    "受診日",
    "結果行数",
    "抹消事由コード",
    "抹消事由名",
];

/// 法定報告 集計表 (kk-statutory summary).
pub const STATUTORY_SUMMARY: [&str; 6] = ["保険者番号", "性別", "年齢階級", "対象者数", "受診者数", "受診率"];

/// 受領済リスト (kk-statutory reconcile).
pub const RECONCILE_LIST: [&str; 7] =
    ["ファイル名", "送付件数", "受領件数", "受領日", "判定コード", "判定", "返戻理由"];

/// A `--layout FILE.toml`: how a site's file maps onto a canonical layout.
///
/// ```toml
/// header = true                   # false: no header row; then every column is a position
/// [columns]                       # TOML needs Japanese keys in quotes
/// "保険者番号" = "保険者番号(8桁)"    # canonical name = the file's header name
/// "氏名カナ" = 3                     # or a 1-based column position
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayoutFile {
    #[serde(default = "yes")]
    pub header: bool,
    #[serde(default)]
    pub columns: HashMap<String, ColumnRef>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum ColumnRef {
    Name(String),
    Position(usize),
}

impl LayoutFile {
    pub fn load(path: &Path) -> Result<LayoutFile> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let lf: LayoutFile = toml::from_str(&text).map_err(|e| {
            let mut detail = e.to_string().trim_end().replace('\n', " ");
            if detail.contains("unquoted key") {
                detail.insert_str(0, "日本語の列名は \"保険者番号\" のように引用符で囲んでください: ");
            }
            Error::Layout { path: path.into(), detail }
        })?;
        for (name, col) in &lf.columns {
            if let ColumnRef::Position(0) = col {
                return Err(Error::Layout {
                    path: path.into(), detail: format!("「{name}」の列番号は1から数えます")
                });
            }
            if !lf.header && matches!(col, ColumnRef::Name(_)) {
                return Err(Error::Layout {
                    path: path.into(),
                    detail: format!("header = false のとき「{name}」は列番号(1から)で指定してください"),
                });
            }
        }
        Ok(lf)
    }
}

/// Where each canonical field is in one file: `columns[i]` is the 0-based column of field `i`.
#[derive(Debug, Clone)]
pub struct Columns {
    pub columns: Vec<Option<usize>>,
    /// Names of the file's columns the layout does not use (for a note on stderr).
    pub unused: Vec<String>,
}

impl Columns {
    /// Resolves `layout` against a file. `header` is the file's header row (None for a
    /// header-less file, which needs a layout file with positions); `width` is its column count.
    pub fn resolve(
        layout: &Layout,
        file: &str,
        header: Option<&[String]>,
        width: usize,
        mapping: Option<(&LayoutFile, &PathBuf)>,
    ) -> Result<Columns> {
        if let Some(h) = header {
            for (i, name) in h.iter().enumerate() {
                if !name.is_empty() && h[..i].contains(name) {
                    return Err(Error::DuplicateHeader { file: file.into(), column: name.clone() });
                }
            }
        }
        let mut columns = vec![None; layout.fields.len()];
        if let Some((lf, path)) = mapping {
            for (name, col) in &lf.columns {
                let Some(i) = layout.index_of(name) else {
                    let known = layout.names().collect::<Vec<_>>().join("、");
                    return Err(Error::Layout {
                        path: path.clone(),
                        detail: format!("「{name}」は{}の列ではありません (列: {known})", layout.name),
                    });
                };
                columns[i] = match col {
                    ColumnRef::Position(p) if *p <= width => Some(p - 1),
                    ColumnRef::Position(p) => {
                        return Err(Error::Layout {
                            path: path.clone(),
                            detail: format!("「{name}」の列番号 {p} はファイルの列数 {width} を超えています"),
                        });
                    }
                    ColumnRef::Name(n) => header.and_then(|h| h.iter().position(|x| x == n)),
                };
                if columns[i].is_none() && layout.fields[i].required {
                    return Err(Error::MissingColumn {
                        file: file.into(),
                        column: format!("{name} (レイアウト定義: {col:?})"),
                    });
                }
            }
        }
        for (i, f) in layout.fields.iter().enumerate() {
            let mapped = mapping.is_some_and(|(lf, _)| lf.columns.contains_key(f.name));
            if columns[i].is_none() && !mapped {
                columns[i] = header.and_then(|h| h.iter().position(|x| x == f.name));
            }
            if columns[i].is_none() && f.required {
                return Err(Error::MissingColumn { file: file.into(), column: f.name.into() });
            }
        }
        let unused = match header {
            Some(h) => {
                h.iter().enumerate().filter(|(i, _)| !columns.contains(&Some(*i))).map(|(_, n)| n.clone()).collect()
            }
            None => Vec::new(),
        };
        Ok(Columns { columns, unused })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn columns_are_found_by_name_in_any_order() {
        let h = strings(&["世帯番号", "保険者番号", "備考", "課税区分", "更新日", "年度"]);
        let c = Columns::resolve(&HOUSEHOLD_TAX, "t.csv", Some(&h), h.len(), None).unwrap();
        assert_eq!(c.columns, vec![Some(1), Some(0), Some(5), Some(3), Some(4)]);
        assert_eq!(c.unused, vec!["備考".to_string()]);
    }

    #[test]
    fn missing_and_duplicate_columns() {
        let h = strings(&["保険者番号", "世帯番号", "年度", "課税区分"]);
        let e = Columns::resolve(&HOUSEHOLD_TAX, "t.csv", Some(&h), 4, None).unwrap_err();
        assert_eq!(e.to_string(), "E003 t.csv: 必須の列「更新日」がありません");
        let h = strings(&["保険者番号", "世帯番号", "年度", "課税区分", "更新日", "年度"]);
        let e = Columns::resolve(&HOUSEHOLD_TAX, "t.csv", Some(&h), 6, None).unwrap_err();
        assert_eq!(e.code(), "E010");
    }

    #[test]
    fn a_layout_file_maps_names_and_positions() {
        let lf: LayoutFile = toml::from_str("[columns]\n\"年度\" = \"対象年度\"\n\"課税区分\" = 5\n").unwrap();
        let h = strings(&["保険者番号", "世帯番号", "対象年度", "更新日", "区分"]);
        let p = PathBuf::from("l.toml");
        let c = Columns::resolve(&HOUSEHOLD_TAX, "t.csv", Some(&h), 5, Some((&lf, &p))).unwrap();
        assert_eq!(c.columns, vec![Some(0), Some(1), Some(2), Some(4), Some(3)]);
    }

    #[test]
    fn header_less_files_need_positions() {
        let lf: LayoutFile = toml::from_str(
            "header = false\n[columns]\n\"保険者番号\" = 1\n\"世帯番号\" = 2\n\"年度\" = 3\n\"課税区分\" = 4\n\"更新日\" = 5\n",
        )
        .unwrap();
        let p = PathBuf::from("l.toml");
        let c = Columns::resolve(&HOUSEHOLD_TAX, "t.csv", None, 5, Some((&lf, &p))).unwrap();
        assert_eq!(c.columns, vec![Some(0), Some(1), Some(2), Some(3), Some(4)]);
        let e = Columns::resolve(&HOUSEHOLD_TAX, "t.csv", None, 4, Some((&lf, &p))).unwrap_err();
        assert_eq!(e.code(), "E007");
        let lf: LayoutFile = toml::from_str("[columns]\n\"氏名\" = 1\n").unwrap();
        let e = Columns::resolve(&HOUSEHOLD_TAX, "t.csv", None, 4, Some((&lf, &p))).unwrap_err();
        assert!(e.to_string().contains("「氏名」は世帯課税状況の列ではありません"), "{e}");
    }

    #[test]
    fn insured_is_a_prefix_of_insured_diff() {
        assert_eq!(INSURED.fields.len(), 13);
        assert_eq!(INSURED.fields[insured::ADDRESS].name, "住所");
        assert_eq!(INSURED_DIFF.fields[insured::CHANGE_KIND].name, "異動区分");
    }
}
