//! The 2024 item master (XML用特定健診項目情報 V4.0, `data/mhlw/master/`), built into the binary:
//! for each 17-character item code its name, value type and the item an author carries
//! (9N511 → 9N516).

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

/// One item of the master.
#[derive(Debug, Clone)]
pub struct Item {
    pub name: String,
    /// `PQ`, `CD`, `CO`, `ST`, `INT` …
    pub kind: String,
    /// `XMLITEM_AUTHORITEM`: the code whose value an `author` of this observation carries
    pub author_item: String,
}

static TAB: &[u8] = include_bytes!("../../../data/mhlw/master/XMLhc24tab.csv");
static EXT: &[u8] = include_bytes!("../../../data/mhlw/master/XMLhc24ext.csv");

/// Column indices of the master files (the first line numbers them, the second names them).
const CODE: usize = 15;
const NAME: usize = 16;
const KIND: usize = 18;
const AUTHOR: usize = 22;

/// The master, read once.
pub fn master() -> &'static FxHashMap<String, Item> {
    static MASTER: OnceLock<FxHashMap<String, Item>> = OnceLock::new();
    MASTER.get_or_init(|| {
        let mut items = FxHashMap::default();
        let ext = encoding_rs::SHIFT_JIS.decode(EXT).0;
        let tab = String::from_utf8_lossy(TAB.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(TAB)).into_owned();
        // the main master first: an extension row never replaces it
        for text in [tab.as_str(), ext.as_ref()] {
            let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
            for rec in r.records().skip(3).flatten() {
                let field = |i: usize| rec.get(i).unwrap_or("").trim().to_string();
                let code = field(CODE);
                if code.len() != 17 || items.contains_key(&code) {
                    continue;
                }
                items.insert(code, Item { name: field(NAME), kind: field(KIND), author_item: field(AUTHOR) });
            }
        }
        items
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_master_knows_the_items_of_the_rule_and_the_doctor() {
        let m = master();
        assert!(m.len() > 300, "{}", m.len());
        assert_eq!(m["9N011000000000001"].name, "BMI");
        assert_eq!(m["9N011000000000001"].kind, "PQ");
        assert_eq!(m["9N501000000000011"].kind, "CD");
        assert_eq!(m["9N511000000000049"].author_item, "9N516000000000049");
        assert_eq!(m["9A751000000000001"].name, "収縮期血圧(1回目)");
    }
}
