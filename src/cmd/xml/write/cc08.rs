//! The MHLW-namespace files of an archive: a 健診決済情報ファイル (cc08) from one row of the
//! claims CSV ([`super::super::claims`] is its reader), the 交換用基本情報 (ix08) and the
//! 集計情報 (su08), each element in its XSD's sequence order. Only the MHLW URL is written as the
//! namespace (notes/MHLW-XML.md §2).

use std::io;

use super::super::claims::{CHARGE_ELEMENTS, PAYMENT_ELEMENTS, col};
use super::elements::{W, addr, empty, inner, inner_with, text};

pub const MHLW: &str = "https://www.mhlw.go.jp/stf/seisakunitsuite/bunya/0000161103.html";

/// A file in the MHLW namespace with its schema's location.
fn file(root: &str, schema: &str, children: impl FnOnce(&mut W) -> io::Result<()>) -> io::Result<Vec<u8>> {
    super::elements::file(root, MHLW, schema, children)
}

/// What a claim needs from the checkup: 氏名カナ, 住所, 郵便番号, 生年月日, 性別.
pub struct Subject<'a> {
    pub name: &'a str,
    pub address: &'a str,
    pub postal: &'a str,
    pub birth: &'a str,
    pub sex: &'a str,
}

/// A charge (窓口負担) element: its code, and the amount (or the rate for 定率, code 3).
fn charge(w: &mut W, name: &str, code: &str, value: &str) -> io::Result<()> {
    if code.is_empty() {
        return Ok(());
    }
    if value.is_empty() {
        return empty(w, name, &[("code", code)]);
    }
    let inner_name = if code == "3" { "rate" } else { "amount" };
    inner_with(w, name, &[("code", code)], |w| empty(w, inner_name, &[("value", value)]))
}

fn price(w: &mut W, name: &str, amount: &str, observation: Option<&[(&str, &str)]>) -> io::Result<()> {
    inner(w, name, |w| {
        empty(w, "amount", &[("value", amount)])?;
        match observation {
            Some(attrs) => empty(w, "observation", attrs),
            None => Ok(()),
        }
    })
}

/// The prices of a claim's 詳細 and 追加 items: (code, amount) each, as checked by the caller.
pub struct Prices<'a> {
    pub detail: Vec<(&'a str, &'a str)>,
    pub other: Vec<(&'a str, &'a str)>,
    /// 単価合計額 (unitAmount)
    pub cost: String,
}

/// One claim (`r` is a claims row, [`col`]) for the checkup of `s`.
pub fn claim<'r>(r: &'r [String], s: &Subject<'_>, kind: &'r str, prices: &Prices<'_>) -> io::Result<Vec<u8>> {
    let f = |i: usize| r[i].as_str();
    let or = |i: usize, default: &'r str| if r[i].is_empty() { default } else { r[i].as_str() };
    file("checkupClaim", "../XSD/cc08_V08.xsd", |w| {
        inner(w, "encounter", |w| empty(w, "serviceEventType", &[("code", or(col::EVENT, kind))]))?;
        inner(w, "subjectPerson", |w| {
            inner(w, "performerOrganization", |w| {
                empty(w, "id", &[("root", "1.2.392.200119.6.102"), ("extension", f(col::INSTITUTION))])
            })?;
            inner(w, "insuranceCard", |w| {
                empty(w, "insurerNumber", &[("root", "1.2.392.200119.6.101"), ("extension", f(col::INSURER))])?;
                if !f(col::KIGO).is_empty() {
                    empty(w, "symbol", &[("root", "1.2.392.200119.6.204"), ("extension", f(col::KIGO))])?;
                }
                empty(w, "number", &[("root", "1.2.392.200119.6.205"), ("extension", f(col::BANGO))])?;
                if !f(col::EDABAN).is_empty() {
                    empty(w, "branchCode", &[("root", "1.2.392.200119.6.211"), ("extension", f(col::EDABAN))])?;
                }
                Ok(())
            })?;
            text(w, "name", s.name)?;
            // the postal code is required here (and checked before)
            addr(w, s.address, s.postal)?;
            empty(w, "birthTime", &[("value", s.birth)])?;
            empty(w, "administrativeGender", &[("code", s.sex)])
        })?;
        inner(w, "checkupCard", |w| {
            if !f(col::TICKET).is_empty() {
                empty(w, "id", &[("root", "1.2.392.200119.6.209"), ("extension", f(col::TICKET))])?;
            }
            if !f(col::EXPIRY).is_empty() {
                inner(w, "effectiveTime", |w| empty(w, "high", &[("value", f(col::EXPIRY))]))?;
            }
            for (i, name) in CHARGE_ELEMENTS.iter().enumerate() {
                charge(w, name, f(col::CHARGES + 2 * i), f(col::CHARGES + 2 * i + 1))?;
            }
            let (dock_code, dock_value, limit) = (f(col::CHARGES + 6), f(col::CHARGES + 7), f(col::DOCK_LIMIT));
            if !dock_code.is_empty() || !limit.is_empty() {
                inner(w, "chargeTypeHumanDryDock", |w| {
                    charge(w, "copayment", dock_code, dock_value)?;
                    if limit.is_empty() {
                        return Ok(());
                    }
                    inner_with(w, "maxInsuranceLimit", &[("code", "4")], |w| empty(w, "amount", &[("value", limit)]))
                })?;
            }
            Ok(())
        })?;
        inner(w, "settlement", |w| {
            empty(w, "claimType", &[("code", or(col::CLAIM_TYPE, "1"))])?;
            empty(w, "commissionType", &[("code", or(col::COMMISSION, "1"))])?;
            if !f(col::BASE).is_empty() {
                price(w, "unitPriceBasic", f(col::BASE), None)?;
            }
            for (code, amount) in &prices.detail {
                price(w, "unitPriceDetail", amount, Some(&[("code", code)]))?;
            }
            for (code, amount) in &prices.other {
                let observation: &[(&str, &str)] = &[("code", code), ("codeSystem", "1.2.392.200119.6.1005")];
                price(w, "unitPriceOther", amount, (!code.is_empty()).then_some(observation))?;
            }
            for (i, name) in PAYMENT_ELEMENTS.iter().enumerate() {
                if !f(col::PAYMENTS + i).is_empty() {
                    inner(w, name, |w| empty(w, "amount", &[("value", f(col::PAYMENTS + i))]))?;
                }
            }
            empty(w, "unitAmount", &[("value", &prices.cost)])?;
            empty(w, "paymentAmount", &[("value", f(col::COPAY))])?;
            if !f(col::OTHER_PROGRAM).is_empty() {
                empty(w, "paymentByOtherProgram", &[("value", f(col::OTHER_PROGRAM))])?;
            }
            empty(w, "claimAmount", &[("value", f(col::CLAIM))])
        })
    })
}

/// What the index says of the archive.
pub struct Index<'a> {
    pub interaction: &'a str,
    pub created: &'a str,
    pub sender: &'a str,
    pub receiver: &'a str,
    pub kind: &'a str,
    pub records: u64,
}

/// `ix08_V08.xml`. The sender is a 機関 (10 digits, OID …102) or an 8-digit number (保険者
/// …101); the receiver is the 代行機関 (…103) when the archive goes to one (種別 1), else a 保険者.
pub fn index(x: &Index<'_>) -> io::Result<Vec<u8>> {
    let sender_root = if x.sender.len() == 10 { "1.2.392.200119.6.102" } else { "1.2.392.200119.6.101" };
    let receiver_root = match (x.receiver.len(), x.interaction) {
        (10, _) => "1.2.392.200119.6.102",
        (_, "1") => "1.2.392.200119.6.103",
        _ => "1.2.392.200119.6.101",
    };
    file("index", "XSD/ix08_V08.xsd", |w| {
        empty(w, "interactionType", &[("code", x.interaction)])?;
        empty(w, "creationTime", &[("value", x.created)])?;
        inner(w, "sender", |w| empty(w, "id", &[("root", sender_root), ("extension", x.sender)]))?;
        inner(w, "receiver", |w| empty(w, "id", &[("root", receiver_root), ("extension", x.receiver)]))?;
        empty(w, "serviceEventType", &[("code", x.kind)])?;
        empty(w, "totalRecordCount", &[("value", &x.records.to_string())])
    })
}

/// The su08 totals: claims, Σ unitAmount, Σ paymentAmount, Σ paymentByOtherProgram (None when no
/// claim has one), Σ claimAmount.
#[derive(Debug, Default, Clone, Copy)]
pub struct Totals {
    pub subjects: i64,
    pub cost: i64,
    pub payment: i64,
    pub other_program: Option<i64>,
    pub claim: i64,
}

/// `su08_V08.xml`.
pub fn summary(kind: &str, t: &Totals) -> io::Result<Vec<u8>> {
    file("summary", "XSD/su08_V08.xsd", |w| {
        empty(w, "serviceEventType", &[("code", kind)])?;
        empty(w, "totalSubjectCount", &[("value", &t.subjects.to_string())])?;
        empty(w, "totalCostAmount", &[("value", &t.cost.to_string())])?;
        empty(w, "totalPaymentAmount", &[("value", &t.payment.to_string())])?;
        if let Some(v) = t.other_program {
            empty(w, "totalPaymentByOtherProgram", &[("value", &v.to_string())])?;
        }
        empty(w, "totalClaimAmount", &[("value", &t.claim.to_string())])
    })
}
