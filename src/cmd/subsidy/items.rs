//! 補助対象項目: the subsidised items, by 17-character code.

use std::path::Path;

use rustc_hash::FxHashMap;

use crate::cmd::shared::{code_text, read_rows, reference_error};
use crate::domain::parse_yen;
use crate::error::{FieldError, Result};
use crate::io::InputEncoding;
use crate::layout::SUBSIDY_ITEMS;

/// One subsidised item.
#[derive(Debug, Clone)]
pub struct Item {
    pub name: String,
    pub kind: String,
    pub price: i64,
}

/// A 17-character JLAC10-style item code.
pub fn is_item_code(code: &str) -> bool {
    code.len() == 17 && code.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Reads the item file; a bad code or price is fatal (E012).
pub fn read(path: &Path, requested: InputEncoding) -> Result<FxHashMap<String, Item>> {
    let l = &SUBSIDY_ITEMS;
    let mut items: FxHashMap<String, Item> = FxHashMap::default();
    read_rows(
        path,
        requested,
        l,
        |row, _| {
            let code = code_text(row, l, 0)?.into_owned();
            if !is_item_code(&code) {
                return Err(reference_error(row, l, 0, "補助対象項目", FieldError::Format));
            }
            let price = parse_yen(&code_text(row, l, 3)?).map_err(|e| reference_error(row, l, 3, "補助対象項目", e))?;
            let name = row.text(1, l)?.trim().to_string();
            Ok(Some((code, Item { name, kind: code_text(row, l, 2)?.into_owned(), price })))
        },
        |(code, item)| {
            items.insert(code, item);
        },
    )?;
    Ok(items)
}
