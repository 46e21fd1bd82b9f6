//! One 特定保健指導情報ファイル (hg08 ClinicalDocument) → rows of the long guidance layout
//! ([`crate::layout::XML_GUIDANCE`]): every observation of every act, in document order, with the
//! act's date (else the serviceEvent's). Guidance item codes (codeSystem …6.1006) are not in the
//! checkup master: names come from `displayName`, empty where the file has none.

use roxmltree::{Document, Node};

use super::hc08::{at, attr, child, children, id_with_root, is, value_of};

/// The rows of one hg08 document: 15 columns each.
pub fn rows(doc: &Document<'_>) -> Vec<[String; 15]> {
    let root = doc.root_element();
    let card = |function: &str| {
        root.children()
            .filter(|c| is(c, "participant") && c.attribute("typeCode") == Some("HLD"))
            .find(|p| attr(child(*p, "functionCode"), "code") == function)
            .and_then(|p| child(p, "associatedEntity"))
            .map(|e| attr(child(e, "id"), "extension"))
            .unwrap_or_default()
    };
    let role = at(root, &["recordTarget", "patientRole"]);
    let patient = role.and_then(|r| child(r, "patient"));
    let event = at(root, &["documentationOf", "serviceEvent"]);
    let institution = event
        .and_then(|e| at(e, &["performer", "assignedEntity", "representedOrganization"]))
        .and_then(|o| id_with_root(Some(o), "1.2.392.200119.6.102"))
        .unwrap_or_default();
    let day = attr(event.and_then(|e| child(e, "effectiveTime")), "value");
    let person = [
        card("2"),
        card("1"),
        id_with_root(role, "1.2.392.200119.6.101").unwrap_or_default(),
        id_with_root(role, "1.2.392.200119.6.204").unwrap_or_default(),
        id_with_root(role, "1.2.392.200119.6.205").unwrap_or_default(),
        id_with_root(role, "1.2.392.200119.6.211").unwrap_or_default(),
        attr(patient.and_then(|p| child(p, "administrativeGenderCode")), "code"),
        attr(patient.and_then(|p| child(p, "birthTime")), "value"),
        institution,
    ];
    let report = attr(child(root, "code"), "code");
    let mut out = Vec::new();
    let body = at(root, &["component", "structuredBody"]);
    for section in body.into_iter().flat_map(|b| children(b, "component")).filter_map(|c| child(c, "section")) {
        for act in
            children(section, "entry").flat_map(|e| e.children().filter(|c| is(c, "act") || is(c, "observation")))
        {
            let act_day = attr(child(act, "effectiveTime"), "value");
            let when = if act_day.is_empty() { day.clone() } else { act_day };
            let mut push = |obs: Node<'_, '_>| {
                let code_el = child(obs, "code");
                let code = attr(code_el, "code");
                if code.is_empty() {
                    return;
                }
                let (mut value, mut unit, _, _) = value_of(obs);
                if value.is_empty()
                    && let Some(width) = at(obs, &["effectiveTime", "width"])
                {
                    (value, unit) = (attr(Some(width), "value"), attr(Some(width), "unit"));
                }
                let mut row: [String; 15] = Default::default();
                row[..9].clone_from_slice(&person);
                row[9] = when.clone();
                row[10] = report.clone();
                row[11] = code;
                row[12] = attr(code_el, "displayName");
                row[13] = value;
                row[14] = unit;
                out.push(row);
            };
            if is(&act, "observation") {
                push(act);
            }
            for obs in act.descendants().filter(|d| is(d, "observation") && *d != act) {
                push(obs);
            }
        }
    }
    out
}
