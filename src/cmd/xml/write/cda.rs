//! One checkup → one 特定健診情報ファイル (hc08 ClinicalDocument), as notes/MHLW-XML.md §3.4 says:
//! the header in the XSD's sequence order, section 01010 (特定健診 items, master `CASE01` ≠ 0)
//! then 01990 (the others), a group's items inside one observation with `code nullFlavor="NA"`
//! (COMP, and RSON for 実施理由・対象者), value types, units, result code systems and method codes
//! from the master, the doctor's name (9N516) as the author of 9N511. Reading the file back
//! gives the same rows: that is the test of this module.

use std::io;

use quick_xml::events::BytesText;

use super::super::master::{Item, master};
use super::Unit;
use super::elements::{W, addr, empty, file, inner, inner_with, text};
use super::header as h;

const HL7: &str = "urn:hl7-org:v3";

/// One observation to write: its code, value and unit as the results CSV has them.
struct Obs<'a> {
    code: &'a str,
    value: &'a str,
    unit: &'a str,
    item: Option<&'static Item>,
}

/// What a section's entries are: a lone observation, or a group and its members.
enum Entry<'a> {
    One(Obs<'a>),
    Group(Vec<Obs<'a>>),
}

/// An organisation from five header columns (番号, 名称, 郵便番号, 所在地, 電話).
fn organisation(w: &mut W, o: [&str; 5]) -> io::Result<()> {
    inner(w, "representedOrganization", |w| {
        if !o[0].is_empty() {
            empty(w, "id", &[("extension", o[0]), ("root", "1.2.392.200119.6.102")])?;
        }
        if !o[1].is_empty() {
            text(w, "name", o[1])?;
        }
        if !o[4].is_empty() {
            empty(w, "telecom", &[("value", &format!("tel:{}", o[4]))])?;
        }
        addr(w, o[3], o[2])
    })
}

/// The file's bytes.
pub fn document(u: &Unit, created: &str) -> io::Result<Vec<u8>> {
    let p = &u.person;
    let hd = |i: usize| u.header.get(i).map_or("", String::as_str);
    let report = if hd(h::REPORT).is_empty() { "10" } else { hd(h::REPORT) };
    let created = if hd(h::CREATED).is_empty() { created } else { hd(h::CREATED) };
    file("ClinicalDocument", HL7, "../XSD/hc08_V08.xsd", |w| {
        empty(w, "typeId", &[("extension", "POCD_HD000040"), ("root", "2.16.840.1.113883.1.3")])?;
        empty(w, "id", &[("nullFlavor", "NI")])?;
        empty(w, "code", &[("code", report), ("codeSystem", "1.2.392.200119.6.1001")])?;
        empty(w, "effectiveTime", &[("value", created)])?;
        empty(w, "confidentialityCode", &[("code", "N"), ("codeSystem", "2.16.840.1.113883.5.25")])?;
        record_target(w, u)?;
        let org = |first: usize| [hd(first), hd(first + 1), hd(first + 2), hd(first + 3), hd(first + 4)];
        let author_org = org(h::AUTHOR);
        let mut performer = org(h::PERFORMER);
        if performer[0].is_empty() && author_org[0].is_empty() {
            performer[0] = &p[7];
        }
        inner(w, "author", |w| {
            empty(w, "time", &[("value", created)])?;
            inner(w, "assignedAuthor", |w| {
                empty(w, "id", &[("nullFlavor", "NI")])?;
                if author_org.iter().any(|s| !s.is_empty()) {
                    organisation(w, author_org)?;
                }
                Ok(())
            })
        })?;
        inner(w, "custodian", |w| {
            inner(w, "assignedCustodian", |w| {
                inner(w, "representedCustodianOrganization", |w| empty(w, "id", &[("nullFlavor", "NI")]))
            })
        })?;
        if !p[0].is_empty() {
            ticket(w, &p[0], &p[1], hd(h::EXPIRY))?;
        }
        service_event(w, &p[8], if hd(h::PROGRAM).is_empty() { "010" } else { hd(h::PROGRAM) }, performer)?;
        body(w, u)
    })
}

/// `documentationOf/serviceEvent`: the program, the day and the 実施機関.
fn service_event(w: &mut W, day: &str, program: &str, performer: [&str; 5]) -> io::Result<()> {
    inner(w, "documentationOf", |w| {
        inner(w, "serviceEvent", |w| {
            empty(w, "code", &[("code", program), ("codeSystem", "1.2.392.200119.6.1002")])?;
            empty(w, "effectiveTime", &[("value", day)])?;
            inner_with(w, "performer", &[("typeCode", "PRF")], |w| {
                inner(w, "assignedEntity", |w| {
                    empty(w, "id", &[("nullFlavor", "NI")])?;
                    organisation(w, performer)
                })
            })
        })
    })
}

/// `recordTarget/patientRole`: the insurance ids, address and the person.
fn record_target(w: &mut W, u: &Unit) -> io::Result<()> {
    let p = &u.person;
    let hd = |i: usize| u.header.get(i).map_or("", String::as_str);
    inner(w, "recordTarget", |w| {
        inner(w, "patientRole", |w| {
            for (value, oid) in [(&p[1], "101"), (&p[2], "204"), (&p[3], "205"), (&p[4], "211")] {
                if !value.is_empty() || oid == "101" || oid == "205" {
                    let root = format!("1.2.392.200119.6.{oid}");
                    empty(w, "id", &[("extension", value), ("root", &root)])?;
                }
            }
            addr(w, hd(h::ADDRESS), hd(h::POSTAL))?;
            inner(w, "patient", |w| {
                if !hd(h::NAME).is_empty() {
                    text(w, "name", hd(h::NAME))?;
                }
                empty(w, "administrativeGenderCode", &[("code", &p[5]), ("codeSystem", "1.2.392.200119.6.1104")])?;
                empty(w, "birthTime", &[("value", &p[6])])
            })
        })
    })
}

/// The 受診券 participant.
fn ticket(w: &mut W, number: &str, insurer: &str, expiry: &str) -> io::Result<()> {
    inner_with(w, "participant", &[("typeCode", "HLD")], |w| {
        empty(w, "functionCode", &[("code", "1"), ("codeSystem", "1.2.392.200119.6.208")])?;
        if !expiry.is_empty() {
            inner(w, "time", |w| empty(w, "high", &[("value", expiry)]))?;
        }
        inner_with(w, "associatedEntity", &[("classCode", "IDENT")], |w| {
            let root = format!("1.2.392.200119.6.209.1{insurer}");
            empty(w, "id", &[("extension", number), ("root", &root)])?;
            inner(w, "scopingOrganization", |w| {
                empty(w, "id", &[("extension", insurer), ("root", "1.2.392.200119.6.101")])
            })
        })
    })
}

/// Whether an item goes in section 01010 (特定健診) rather than 01990 (任意追加).
fn in_checkup_section(o: &Obs<'_>) -> bool {
    o.item.is_some_and(|i| !i.case01.is_empty() && i.case01 != "0")
}

/// The entries of one section, in the rows' order, a group at the place of its first member.
fn entries<'a>(obs: impl Iterator<Item = Obs<'a>>) -> Vec<Entry<'a>> {
    let mut out: Vec<Entry<'a>> = Vec::new();
    let mut groups: Vec<(&str, usize)> = Vec::new();
    for o in obs {
        match o.item.map(|i| i.group.as_str()).filter(|g| !g.is_empty()) {
            Some(g) => match groups.iter().find(|(name, _)| *name == g) {
                Some(&(_, at)) => {
                    if let Entry::Group(members) = &mut out[at] {
                        members.push(o);
                    }
                }
                None => {
                    groups.push((g, out.len()));
                    out.push(Entry::Group(vec![o]));
                }
            },
            None => out.push(Entry::One(o)),
        }
    }
    out
}

fn body(w: &mut W, u: &Unit) -> io::Result<()> {
    let doctor = |code: &str| u.observations.iter().find(|o| o.code == code).map(|o| o.value.as_str());
    let all: Vec<Obs<'_>> = u
        .observations
        .iter()
        .map(|o| Obs { code: &o.code, value: &o.value, unit: &o.unit, item: master().get(&o.code) })
        // an item carried by another (the doctor's name) is not an observation of its own
        .filter(|o| o.item.is_none_or(|i| i.observation))
        .collect();
    let (checkup, other): (Vec<Obs<'_>>, Vec<Obs<'_>>) = all.into_iter().partition(in_checkup_section);
    inner(w, "component", |w| {
        inner(w, "structuredBody", |w| {
            for (code, title, obs) in
                [("01010", "検査・問診結果セクション", checkup), ("01990", "任意追加項目セクション", other)]
            {
                if obs.is_empty() {
                    continue;
                }
                inner(w, "component", |w| {
                    inner(w, "section", |w| {
                        empty(w, "code", &[("code", code), ("codeSystem", "1.2.392.200119.6.1010")])?;
                        text(w, "title", title)?;
                        for e in entries(obs.into_iter()) {
                            inner(w, "entry", |w| match &e {
                                Entry::One(o) => observation(w, o, &doctor),
                                Entry::Group(members) => group(w, members, &doctor),
                            })?;
                        }
                        Ok(())
                    })
                })?;
            }
            Ok(())
        })
    })
}

/// A group container and its members (COMP, or RSON for 実施理由 and 対象者).
fn group<'a>(w: &mut W, members: &[Obs<'_>], doctor: &dyn Fn(&str) -> Option<&'a str>) -> io::Result<()> {
    inner_with(w, "observation", &[("classCode", "OBS"), ("moodCode", "EVN")], |w| {
        empty(w, "code", &[("nullFlavor", "NA")])?;
        for o in members {
            let relation = o.item.map_or("COMP", |i| if i.relation.starts_with("RSON") { "RSON" } else { "COMP" });
            inner_with(w, "entryRelationship", &[("typeCode", relation)], |w| observation(w, o, doctor))?;
        }
        Ok(())
    })
}

/// The value's type: the master's, else guessed from the value (a code the master lacks).
fn kind_of(o: &Obs<'_>) -> &'static str {
    match o.item.map(|i| i.kind.as_str()) {
        Some("PQ") => "PQ",
        Some("CD") => "CD",
        Some("CO") => "CO",
        Some("INT") => "INT",
        Some(_) => "ST",
        None if !o.unit.is_empty() => "PQ",
        None => "ST",
    }
}

/// One observation: code, value by type, method code, and the doctor as the author of 9N511.
fn observation<'a>(w: &mut W, o: &Obs<'_>, doctor: &dyn Fn(&str) -> Option<&'a str>) -> io::Result<()> {
    let mut attrs = vec![("classCode", "OBS"), ("moodCode", "EVN")];
    if o.value.is_empty() {
        attrs.push(("negationInd", "true"));
    }
    inner_with(w, "observation", &attrs, |w| {
        empty(w, "code", &[("code", o.code)])?;
        if !o.value.is_empty() {
            value(w, o)?;
            if let Some(method) = o.item.map(|i| i.method.as_str()).filter(|s| !s.is_empty()) {
                empty(w, "methodCode", &[("code", method), ("codeSystem", "1.2.392.200119.6.1007")])?;
            }
        }
        match o.item.map(|i| i.author_item.as_str()).filter(|s| !s.is_empty()).and_then(doctor) {
            Some(name) => inner(w, "author", |w| {
                empty(w, "time", &[("nullFlavor", "NI")])?;
                inner(w, "assignedAuthor", |w| {
                    empty(w, "id", &[("nullFlavor", "NI")])?;
                    inner(w, "assignedPerson", |w| text(w, "name", name))
                })
            }),
            None => Ok(()),
        }
    })
}

/// The `value` element by the item's type.
fn value(w: &mut W, o: &Obs<'_>) -> io::Result<()> {
    let kind = kind_of(o);
    let v = w.create_element("value").with_attribute(("xsi:type", kind));
    match kind {
        "PQ" => {
            let mut v = v.with_attribute(("value", o.value));
            // the unit as the CSV has it (read → write → read keeps it), else the master's
            let unit = if o.unit.is_empty() { o.item.map_or("", |i| i.unit.as_str()) } else { o.unit };
            if !unit.is_empty() {
                v = v.with_attribute(("unit", unit));
            }
            v.write_empty()?;
        }
        "CD" | "CO" => {
            let mut v = v.with_attribute(("code", o.value));
            if let Some(oid) = o.item.map(|i| i.code_oid.as_str()).filter(|s| !s.is_empty()) {
                v = v.with_attribute(("codeSystem", oid));
            }
            v.write_empty()?;
        }
        "INT" => {
            v.with_attribute(("value", o.value)).write_empty()?;
        }
        _ => {
            v.write_text_content(BytesText::new(o.value))?;
        }
    }
    Ok(())
}
