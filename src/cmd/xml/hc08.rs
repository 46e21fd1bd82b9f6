//! One 特定健診情報ファイル (hc08 ClinicalDocument) → rows of the canonical results layout, as
//! notes/MHLW-XML.md §3.1–3.2 says: every observation in document order (group containers skipped,
//! their children emitted), values verbatim by type, the doctor's name (an author of 9N511) as its
//! own row 9N516; plus the checks the schema does not make.

use roxmltree::{Document, Node};

use super::findings::{Finding, XCheck};
use super::master::master;
use crate::domain::{InstitutionNumber, InsurerNumber, parse_date};
use crate::error::{Error, Loc, Result};

const HL7: &str = "urn:hl7-org:v3";
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// The OID of the 以上/以下 qualifier value (`H`/`L` before the PQ).
const QUALIFIER: &str = "2.16.840.1.113883.5.83";

/// The person and checkup columns every row of a document repeats: 受診券整理番号, 保険者番号,
/// 記号, 番号, 枝番, 性別, 生年月日, 健診機関番号, 受診日.
pub type Person = [String; 9];

/// One observation row: the item code, name, value and unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observation {
    pub code: String,
    pub name: String,
    pub value: String,
    pub unit: String,
}

/// What one document holds.
pub struct Checkup {
    pub person: Person,
    /// what the long CSV cannot hold ([`crate::layout::XML_HEADERS`] after the key columns)
    pub header: Vec<String>,
    pub observations: Vec<Observation>,
    pub findings: Vec<Finding>,
}

/// The kind of a V08 XML file, from its root element (and, for CDA, its 報告区分).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// hc08: 特定健診 (報告区分 1x)
    Checkup,
    /// hg08: 特定保健指導 (報告区分 2x and others)
    Guidance,
    /// cc08 / gc08 決済
    Claim,
    /// ix08 交換用基本情報
    Index,
    /// su08 集計
    Summary,
}

pub(super) fn is(n: &Node<'_, '_>, local: &str) -> bool {
    n.is_element() && n.tag_name().name() == local && n.tag_name().namespace() == Some(HL7)
}

pub(super) fn child<'a, 'i>(n: Node<'a, 'i>, local: &str) -> Option<Node<'a, 'i>> {
    n.children().find(|c| is(c, local))
}

pub(super) fn children<'a, 'i>(n: Node<'a, 'i>, local: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children().filter(move |c| is(c, local))
}

/// The node at the end of `path` (element names in the HL7 namespace).
pub(super) fn at<'a, 'i>(n: Node<'a, 'i>, path: &[&str]) -> Option<Node<'a, 'i>> {
    path.iter().try_fold(n, |n, p| child(n, p))
}

pub(super) fn attr(n: Option<Node<'_, '_>>, name: &str) -> String {
    n.and_then(|n| n.attribute(name)).unwrap_or("").to_string()
}

/// The line of a node in its file.
pub(super) fn line(doc: &Document<'_>, n: Node<'_, '_>) -> u64 {
    u64::from(doc.text_pos_at(n.range().start).row)
}

/// Parses a file's text (BOM removed), or the fatal error naming the file and line (a file that
/// stops short is named at its last line). The parser's words name only positions and markup,
/// never the text of the file.
pub fn parse<'i>(name: &str, text: &'i str) -> Result<Document<'i>> {
    Document::parse(text).map_err(|e| {
        let (line, detail) = match e {
            roxmltree::Error::UnexpectedEndOfStream => {
                (text.lines().count().max(1) as u64, "ファイルが途中で終わっています".to_string())
            }
            other => (u64::from(other.pos().row), format!("整形式の XML ではありません ({other})")),
        };
        Error::Xml { loc: Loc::line(name, line), detail }
    })
}

/// The kind of a parsed file, or None for a root element that is no V08 file.
pub fn kind_of(doc: &Document<'_>) -> Option<FileKind> {
    let root = doc.root_element();
    match root.tag_name().name() {
        "ClinicalDocument" if root.tag_name().namespace() == Some(HL7) => {
            let report = attr(child(root, "code"), "code");
            Some(if report.starts_with('1') { FileKind::Checkup } else { FileKind::Guidance })
        }
        "checkupClaim" | "guidanceClaim" => Some(FileKind::Claim),
        "index" => Some(FileKind::Index),
        "summary" => Some(FileKind::Summary),
        _ => None,
    }
}

/// The id extension under `n` whose root is `oid`.
pub(super) fn id_with_root(n: Option<Node<'_, '_>>, oid: &str) -> Option<String> {
    n?.children().filter(|c| is(c, "id")).find(|c| c.attribute("root") == Some(oid)).map(|c| attr(Some(c), "extension"))
}

/// Reads an hc08 document.
pub fn read(name: &str, doc: &Document<'_>) -> Result<Checkup> {
    let root = doc.root_element();
    let missing =
        |element: &'static str, n: Node<'_, '_>| Error::XmlMissing { loc: Loc::line(name, line(doc, n)), element };
    let patient_role =
        at(root, &["recordTarget", "patientRole"]).ok_or_else(|| missing("recordTarget/patientRole", root))?;
    let event =
        at(root, &["documentationOf", "serviceEvent"]).ok_or_else(|| missing("documentationOf/serviceEvent", root))?;
    let body = at(root, &["component", "structuredBody"]).ok_or_else(|| missing("component/structuredBody", root))?;
    let ticket = root
        .children()
        .filter(|c| is(c, "participant") && c.attribute("typeCode") == Some("HLD"))
        .find(|p| attr(child(*p, "functionCode"), "code") == "1")
        .and_then(|p| child(p, "associatedEntity"))
        .map(|e| attr(child(e, "id"), "extension"))
        .unwrap_or_default();
    let org = |n: Option<Node<'_, '_>>| {
        id_with_root(n.and_then(|n| child(n, "representedOrganization")), "1.2.392.200119.6.102")
    };
    // the 実施機関 (performer), else the file-creating 機関 (author)
    let institution = org(at(event, &["performer", "assignedEntity"]))
        .filter(|s| !s.is_empty())
        .or_else(|| org(at(root, &["author", "assignedAuthor"])))
        .unwrap_or_default();
    let patient = child(patient_role, "patient");
    let person: Person = [
        ticket,
        id_with_root(Some(patient_role), "1.2.392.200119.6.101").unwrap_or_default(),
        id_with_root(Some(patient_role), "1.2.392.200119.6.204").unwrap_or_default(),
        id_with_root(Some(patient_role), "1.2.392.200119.6.205").unwrap_or_default(),
        id_with_root(Some(patient_role), "1.2.392.200119.6.211").unwrap_or_default(),
        attr(patient.and_then(|p| child(p, "administrativeGenderCode")), "code"),
        attr(patient.and_then(|p| child(p, "birthTime")), "value"),
        institution,
        attr(child(event, "effectiveTime"), "value"),
    ];
    let header = header(root, event, patient_role);
    let mut c = Checkup { person, header, observations: Vec::new(), findings: Vec::new() };
    c.findings = person_findings(&c.person, name, line(doc, patient_role));
    for section in children(body, "component").filter_map(|n| child(n, "section")) {
        for obs in children(section, "entry").flat_map(|e| children(e, "observation")) {
            observation(doc, name, obs, &mut c);
        }
    }
    Ok(c)
}

/// The text of an element, its own text nodes only (an `addr` without its `postalCode`), each
/// trimmed of the layout's line breaks and indentation.
fn own_text(n: Option<Node<'_, '_>>) -> String {
    n.map(|n| n.children().filter(|c| c.is_text()).filter_map(|c| c.text()).map(str::trim).collect())
        .unwrap_or_default()
}

/// An organisation's 番号, 名称, 郵便番号, 所在地, 電話 (`tel:` removed).
fn organisation(org: Option<Node<'_, '_>>) -> [String; 5] {
    let addr = org.and_then(|o| child(o, "addr"));
    [
        id_with_root(org, "1.2.392.200119.6.102").unwrap_or_default(),
        own_text(org.and_then(|o| child(o, "name"))),
        own_text(addr.and_then(|a| child(a, "postalCode"))),
        own_text(addr),
        attr(org.and_then(|o| child(o, "telecom")), "value").trim_start_matches("tel:").to_string(),
    ]
}

/// The header columns: 氏名カナ, 郵便番号, 住所, 受診券有効期限, the 実施機関 and 作成機関 (番号, 名称,
/// 郵便番号, 所在地, 電話 each), 報告区分, プログラム種別, 作成日.
fn header(root: Node<'_, '_>, event: Node<'_, '_>, patient_role: Node<'_, '_>) -> Vec<String> {
    let addr = child(patient_role, "addr");
    let expiry = root
        .children()
        .filter(|c| is(c, "participant") && c.attribute("typeCode") == Some("HLD"))
        .find(|p| attr(child(*p, "functionCode"), "code") == "1")
        .and_then(|p| at(p, &["time", "high"]));
    let mut h = vec![
        own_text(at(patient_role, &["patient", "name"])),
        own_text(addr.and_then(|a| child(a, "postalCode"))),
        own_text(addr),
        attr(expiry, "value"),
    ];
    h.extend(organisation(at(event, &["performer", "assignedEntity", "representedOrganization"])));
    h.extend(organisation(at(root, &["author", "assignedAuthor", "representedOrganization"])));
    h.extend([
        attr(child(root, "code"), "code"),
        attr(child(event, "code"), "code"),
        attr(child(root, "effectiveTime"), "value"),
    ]);
    h
}

/// The checks of the person columns the schema does not make (read lists them; write refuses).
pub(super) fn person_findings(p: &Person, name: &str, line: u64) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut find = |check: XCheck, value: &str| out.push(Finding::new(name, line, "", check, value));
    if !p[0].is_empty() && (p[0].len() != 11 || !p[0].bytes().all(|b| b.is_ascii_digit())) {
        find(XCheck::Ticket, &p[0]);
    }
    if InsurerNumber::check(&p[1]).is_err() {
        find(XCheck::InsurerDigit, &p[1]);
    }
    if !matches!(p[5].as_str(), "1" | "2") {
        find(XCheck::Sex, &p[5]);
    }
    for v in [&p[6], &p[8]] {
        if v.len() != 8 || parse_date(v).is_err() {
            find(XCheck::Date, v);
        }
    }
    if InstitutionNumber::check(&p[7]).is_err() {
        find(XCheck::InstitutionDigit, &p[7]);
    }
    out
}

/// The value of an observation by its type, and whether a 以上/以下 qualifier was dropped.
pub(super) fn value_of(obs: Node<'_, '_>) -> (String, String, Option<String>, bool) {
    if obs.attribute("negationInd") == Some("true") {
        return (String::new(), String::new(), None, false);
    }
    let values: Vec<Node<'_, '_>> = children(obs, "value").collect();
    let qualified = values.len() > 1 && values[0].attribute("codeSystem") == Some(QUALIFIER);
    let Some(v) = values.iter().rev().find(|v| v.attribute("codeSystem") != Some(QUALIFIER)).or(values.first()) else {
        return (String::new(), String::new(), None, qualified);
    };
    let kind = v.attribute((XSI, "type")).map(str::to_string);
    if v.attribute("nullFlavor").is_some() {
        return (String::new(), String::new(), kind, qualified);
    }
    let (value, unit) = match kind.as_deref() {
        Some("PQ") => (attr(Some(*v), "value"), attr(Some(*v), "unit")),
        Some("CD" | "CO") => (attr(Some(*v), "code"), String::new()),
        Some("INT") => (attr(Some(*v), "value"), String::new()),
        _ => (v.descendants().filter(|d| d.is_text()).filter_map(|d| d.text()).collect(), String::new()),
    };
    (value, unit, kind, qualified)
}

/// One observation (and, depth first, those of its entryRelationships).
fn observation(doc: &Document<'_>, name: &str, obs: Node<'_, '_>, c: &mut Checkup) {
    let code_el = child(obs, "code");
    let code = attr(code_el, "code");
    if !code.is_empty() {
        // The line is counted from the file's start, so only when a finding needs it.
        let line = || line(doc, obs);
        let (value, unit, kind, qualified) = value_of(obs);
        let item = master().get(&code);
        let item_name = match item {
            Some(i) => i.name.clone(),
            None => {
                c.findings.push(Finding::new(name, line(), &code, XCheck::UnknownItem, ""));
                attr(code_el, "displayName")
            }
        };
        if let (Some(i), Some(k)) = (item, &kind)
            && !i.kind.is_empty()
            && i.kind != *k
        {
            c.findings.push(Finding::new(name, line(), &code, XCheck::ValueType, k));
        }
        if qualified {
            c.findings.push(Finding::new(name, line(), &code, XCheck::Qualifier, &value));
        }
        if let Some(i) = item
            && kind.as_deref() == Some("PQ")
            && !i.fits(&value)
        {
            c.findings.push(Finding::new(name, line(), &code, XCheck::Range, &format!("{value} ({})", i.format)));
        }
        c.observations.push(Observation { code: code.clone(), name: item_name, value, unit });
        if let Some(i) = item.filter(|i| !i.author_item.is_empty()) {
            let doctor = at(obs, &["author", "assignedAuthor", "assignedPerson", "name"])
                .map(|n| n.descendants().filter(|d| d.is_text()).filter_map(|d| d.text()).collect::<String>());
            if let Some(doctor) = doctor {
                let author_name = master().get(&i.author_item).map(|a| a.name.clone()).unwrap_or_default();
                c.observations.push(Observation {
                    code: i.author_item.clone(),
                    name: author_name,
                    value: doctor,
                    unit: String::new(),
                });
            }
        }
    }
    for inner in children(obs, "entryRelationship").flat_map(|r| children(r, "observation")) {
        observation(doc, name, inner, c);
    }
}
