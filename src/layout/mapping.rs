//! The `--layout FILE.toml` mapping of a site's own headers or column positions onto a canonical
//! layout, and the resolution of a file's columns by header name.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Layout;
use super::names::column_label;
use crate::error::{Error, Result};

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
        let hint = "日本語の列名は \"保険者番号\" のように引用符で囲んでください: ";
        let lf: LayoutFile = crate::io::toml_file(path, hint, |detail| Error::Layout { path: path.into(), detail })?;
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
                    return Err(Error::DuplicateHeader { file: file.into(), column: column_label(name, i) });
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
            Some(h) => h
                .iter()
                .enumerate()
                .filter(|(i, _)| !columns.contains(&Some(*i)))
                .map(|(i, n)| column_label(n, i))
                .collect(),
            None => Vec::new(),
        };
        Ok(Columns { columns, unused })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{HOUSEHOLD_TAX, INSURED, INSURED_DIFF, insured};

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
