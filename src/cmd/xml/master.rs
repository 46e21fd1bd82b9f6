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
    /// `XMLITEM_CASE01`, what 特定健診 asks of the item: `1` required, `2` 詳細, `3` printed only,
    /// a letter (`A`, `B`, `b` …) one of the items sharing it, `5`–`7` written when present,
    /// `0` not a 特定健診 item (section 01990)
    pub case01: String,
    /// `XMLITEM_UNIT`: the UCUM unit of a PQ
    pub unit: String,
    /// `XMLITEM_OBS`: false for items carried by something else (the doctor's name)
    pub observation: bool,
    /// `XMLITEM_BAT`: the group (一連検査グループ) the item belongs to, empty for none
    pub group: String,
    /// `XMLITEM_BATREL`: `COMP`, `RSON` or `RSON1` inside its group
    pub relation: String,
    /// `XMLITEM_DEPEND`: the item whose answer makes this one needed (他覚症状 → 所見)
    pub depends_on: String,
    /// `XMLITEM_METHOD`: the method code (codeSystem …1007)
    pub method: String,
    /// `XMLITEM_CODEOID`: the code system of a CD/CO result
    pub code_oid: String,
    /// `XMLITEM_ABNORMAL`: the answer that means "there is a finding"
    pub abnormal: String,
    /// `XMLITEM_FORMAT`: the digits of a PQ value (`NNN.N`), or a length for text (`256`)
    pub format: String,
}

impl Item {
    /// Whether a PQ value fits the item's format: a decimal number with no more whole digits
    /// than the format has, and no more decimals unless the extra ones are zeros (`16.00` for
    /// `NN.N` is the value as the sender wrote it). Other types and formats are not checked.
    pub fn fits(&self, value: &str) -> bool {
        if self.kind != "PQ" || value.is_empty() || !self.format.starts_with('N') {
            return true;
        }
        let (whole_n, decimal_n) = self.format.split_once('.').unwrap_or((&self.format, ""));
        let v = value.strip_prefix('-').unwrap_or(value);
        let (whole, decimals) = v.split_once('.').unwrap_or((v, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        !whole.is_empty()
            && digits(whole)
            && digits(decimals)
            && whole.len() <= whole_n.len()
            && decimals.bytes().skip(decimal_n.len()).all(|b| b == b'0')
    }
}

static TAB: &[u8] = include_bytes!("../../../data/mhlw/master/XMLhc24tab.csv");
static EXT: &[u8] = include_bytes!("../../../data/mhlw/master/XMLhc24ext.csv");

/// Column indices of the master files (the first line numbers them, the second names them).
const CASE01: usize = 3;
const CODE: usize = 15;
const NAME: usize = 16;
const KIND: usize = 18;
const UNIT: usize = 20;
const OBS: usize = 21;
const AUTHOR: usize = 22;
const GROUP: usize = 23;
const RELATION: usize = 24;
const DEPEND: usize = 25;
const METHOD: usize = 26;
const CODE_OID: usize = 29;
const ABNORMAL: usize = 31;
const FORMAT: usize = 17;

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
                let item = Item {
                    name: field(NAME),
                    kind: field(KIND),
                    author_item: field(AUTHOR),
                    case01: field(CASE01),
                    unit: field(UNIT),
                    observation: field(OBS) != "0",
                    group: field(GROUP),
                    relation: field(RELATION),
                    depends_on: field(DEPEND),
                    method: field(METHOD),
                    code_oid: field(CODE_OID),
                    abnormal: field(ABNORMAL),
                    format: field(FORMAT),
                };
                items.insert(code, item);
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
        let finding = &m["9N066160800000049"];
        assert_eq!((finding.case01.as_str(), finding.depends_on.as_str()), ("1", "9N066000000000011"));
        assert_eq!(m["9N066000000000011"].abnormal, "1");
        assert_eq!(m["9N066000000000011"].code_oid, "1.2.392.200119.6.2001");
        assert!(!m["9N516000000000049"].observation);
        let hb = &m["2A030000001930101"];
        assert_eq!((hb.group.as_str(), hb.relation.as_str(), hb.unit.as_str()), ("2A020161001930149", "COMP", "g/dL"));
        assert_eq!(m["9N016160100000001"].method, "9N01610000");
        let waist = &m["9N016160100000001"];
        assert_eq!(waist.format, "NNN.N");
        for (v, ok) in [
            ("85.0", true),
            ("120", true),
            ("85.00", true),
            ("1000", false),
            ("85.05", false),
            ("abc", false),
            (".5", false),
        ] {
            assert_eq!(waist.fits(v), ok, "{v}");
        }
        assert!(m["9N511000000000049"].fits("any text"));
    }
}
