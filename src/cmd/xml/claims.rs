//! One 健診決済情報ファイル (cc08 checkupClaim) ↔ one row of the claims CSV: the canonical claims
//! layout ([`crate::layout::CLAIMS`]) followed by [`crate::layout::XML_CLAIMS_EXTRA`]. Both
//! namespaces are read (`http://tokuteikenshin.jp/checkup/2007` of older vendors and the MHLW
//! URL): elements are matched by local name. A claim does not carry the 受診日; the reader takes
//! it from the DATA file it pairs with (same name but the prefix).

use roxmltree::{Document, Node};

/// The number of columns of a claims row: 17 canonical + 21 extra.
pub const WIDTH: usize = 38;

/// Columns of a row: the canonical ones ([`crate::layout::claims`]), then the cc08 ones.
pub mod col {
    pub use crate::layout::claims::*;

    // the extra columns
    pub const EVENT: usize = 17;
    pub const CLAIM_TYPE: usize = 18;
    pub const COMMISSION: usize = 19;
    pub const EXPIRY: usize = 20;
    /// 基本, 詳細, 追加, ドック: (種別, 値) pairs from here
    pub const CHARGES: usize = 21;
    pub const DOCK_LIMIT: usize = 29;
    pub const DETAIL_CODES: usize = 30;
    pub const DETAIL_PRICES: usize = 31;
    pub const ADDITIONAL_PRICES: usize = 32;
    /// 基本, 詳細, 追加 窓口負担額 (paymentFor…)
    pub const PAYMENTS: usize = 33;
    pub const COST: usize = 36;
    pub const OTHER_PROGRAM: usize = 37;
}

/// The charge elements, in the order of their columns.
pub const CHARGE_ELEMENTS: [&str; 3] = ["chargeTypeBasic", "chargeTypeDetail", "chargeTypeOther"];
pub const PAYMENT_ELEMENTS: [&str; 3] = ["paymentForBasic", "paymentForDetail", "paymentForOther"];

fn named<'a, 'i>(n: Node<'a, 'i>, local: &str) -> Option<Node<'a, 'i>> {
    n.children().find(|c| c.is_element() && c.tag_name().name() == local)
}

fn all_named<'a, 'i>(n: Node<'a, 'i>, local: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children().filter(move |c| c.is_element() && c.tag_name().name() == local)
}

fn path<'a, 'i>(n: Node<'a, 'i>, steps: &[&str]) -> Option<Node<'a, 'i>> {
    steps.iter().try_fold(n, |n, s| named(n, s))
}

fn attr(n: Option<Node<'_, '_>>, name: &str) -> String {
    n.and_then(|n| n.attribute(name)).unwrap_or("").to_string()
}

/// The `value` of the `amount` (or `rate`) under a node.
fn amount(n: Option<Node<'_, '_>>) -> String {
    let n = n.and_then(|n| named(n, "amount").or_else(|| named(n, "rate")));
    attr(n, "value")
}

/// A charge type's (code, value); both empty when the element is absent.
fn charge(n: Option<Node<'_, '_>>) -> (String, String) {
    (attr(n, "code"), amount(n))
}

/// The row of one claim, 受診日 left empty for the caller to fill.
pub fn row(doc: &Document<'_>) -> Vec<String> {
    let root = doc.root_element();
    let mut r = vec![String::new(); WIDTH];
    let person = named(root, "subjectPerson");
    let card = person.and_then(|p| named(p, "insuranceCard"));
    let ext = |n: Option<Node<'_, '_>>, local: &str| attr(n.and_then(|c| named(c, local)), "extension");
    r[col::INSTITUTION] = attr(person.and_then(|p| path(p, &["performerOrganization", "id"])), "extension");
    r[col::INSURER] = ext(card, "insurerNumber");
    r[col::KIGO] = ext(card, "symbol");
    r[col::BANGO] = ext(card, "number");
    r[col::EDABAN] = ext(card, "branchCode");
    let checkup_card = named(root, "checkupCard");
    r[col::TICKET] = attr(checkup_card.and_then(|c| named(c, "id")), "extension");
    r[col::EXPIRY] = attr(checkup_card.and_then(|c| path(c, &["effectiveTime", "high"])), "value");
    r[col::EVENT] = attr(path(root, &["encounter", "serviceEventType"]), "code");
    for (i, element) in CHARGE_ELEMENTS.iter().enumerate() {
        (r[col::CHARGES + 2 * i], r[col::CHARGES + 2 * i + 1]) = charge(checkup_card.and_then(|c| named(c, element)));
    }
    let dock = checkup_card.and_then(|c| named(c, "chargeTypeHumanDryDock"));
    (r[col::CHARGES + 6], r[col::CHARGES + 7]) = charge(dock.and_then(|d| named(d, "copayment")));
    r[col::DOCK_LIMIT] = amount(dock.and_then(|d| named(d, "maxInsuranceLimit")));
    let Some(s) = named(root, "settlement") else { return r };
    r[col::CLAIM_TYPE] = attr(named(s, "claimType"), "code");
    r[col::COMMISSION] = attr(named(s, "commissionType"), "code");
    r[col::BASE] = amount(named(s, "unitPriceBasic"));
    let joined = |local: &'static str, f: &dyn Fn(Node<'_, '_>) -> String| {
        all_named(s, local).map(f).collect::<Vec<_>>().join(";")
    };
    let sum = |local: &'static str| {
        all_named(s, local).map(|n| amount(Some(n)).trim().parse::<i64>().unwrap_or(0)).sum::<i64>().to_string()
    };
    r[col::DETAIL_COUNT] = all_named(s, "unitPriceDetail").count().to_string();
    r[col::DETAIL_TOTAL] = sum("unitPriceDetail");
    r[col::DETAIL_CODES] = joined("unitPriceDetail", &|n| attr(named(n, "observation"), "code"));
    r[col::DETAIL_PRICES] = joined("unitPriceDetail", &|n| amount(Some(n)));
    r[col::ADDITIONAL_COUNT] = all_named(s, "unitPriceOther").count().to_string();
    r[col::ADDITIONAL_TOTAL] = sum("unitPriceOther");
    r[col::ADDITIONAL_CODES] = joined("unitPriceOther", &|n| attr(named(n, "observation"), "code"));
    r[col::ADDITIONAL_PRICES] = joined("unitPriceOther", &|n| amount(Some(n)));
    for (i, element) in PAYMENT_ELEMENTS.iter().enumerate() {
        r[col::PAYMENTS + i] = amount(named(s, element));
    }
    r[col::COST] = attr(named(s, "unitAmount"), "value");
    r[col::COPAY] = attr(named(s, "paymentAmount"), "value");
    r[col::OTHER_PROGRAM] = attr(named(s, "paymentByOtherProgram"), "value");
    r[col::CLAIM] = attr(named(s, "claimAmount"), "value");
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLAIM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<checkupClaim xmlns="http://tokuteikenshin.jp/checkup/2007">
  <encounter><serviceEventType code="1"/></encounter>
  <subjectPerson>
    <performerOrganization><id root="1.2.392.200119.6.102" extension="1310000010"/></performerOrganization>
    <insuranceCard>
      <insurerNumber root="1.2.392.200119.6.101" extension="00280081"/>
      <number root="1.2.392.200119.6.205" extension="12345"/>
    </insuranceCard>
    <name>テスト</name><addr>どこか<postalCode>100-0001</postalCode></addr>
    <birthTime value="19600101"/><administrativeGender code="1"/>
  </subjectPerson>
  <checkupCard>
    <id root="1.2.392.200119.6.209" extension="24100000011"/>
    <chargeTypeBasic code="2"><amount value="001000"/></chargeTypeBasic>
    <chargeTypeDetail code="3"><rate value="000030"/></chargeTypeDetail>
  </checkupCard>
  <settlement>
    <claimType code="1"/><commissionType code="1"/>
    <unitPriceBasic><amount value="7000"/></unitPriceBasic>
    <unitPriceDetail><amount value="1500"/><observation code="1"/></unitPriceDetail>
    <unitPriceDetail><amount value="1300"/><observation code="3"/></unitPriceDetail>
    <unitPriceOther><amount value="500"/><observation code="3F050000002327101" codeSystem="1.2.392.200119.6.1005"/></unitPriceOther>
    <paymentForBasic><amount value="001000"/></paymentForBasic>
    <unitAmount value="10300"/><paymentAmount value="1000"/><claimAmount value="9300"/>
  </settlement>
</checkupClaim>"#;

    #[test]
    fn a_claim_in_the_old_namespace_becomes_one_row() {
        let doc = Document::parse(CLAIM).unwrap();
        let r = row(&doc);
        let canonical = &r[..17];
        assert_eq!(
            canonical,
            [
                "",
                "1310000010",
                "00280081",
                "24100000011",
                "",
                "12345",
                "",
                "",
                "",
                "7000",
                "2",
                "2800",
                "1",
                "3F050000002327101",
                "500",
                "1000",
                "9300"
            ]
        );
        assert_eq!(&r[col::CHARGES..col::CHARGES + 4], ["2", "001000", "3", "000030"]);
        assert_eq!((r[col::DETAIL_CODES].as_str(), r[col::DETAIL_PRICES].as_str()), ("1;3", "1500;1300"));
        assert_eq!((r[col::PAYMENTS].as_str(), r[col::COST].as_str()), ("001000", "10300"));
    }
}
