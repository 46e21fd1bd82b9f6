//! `read`: hc08 documents → the canonical results CSV, streamed file by file.

use super::findings::Finding;
use super::hc08::{self, FileKind};
use super::sources::each_xml;
use super::{ReadArgs, TOOL};
use crate::cmd::shared::check_outputs;
use crate::console::{Console, Tally, thousands};
use crate::error::{Error, Loc, Result};
use crate::io::{CsvOut, Encoding};
use crate::layout::{RESULTS, XML_FINDINGS};

pub fn read(a: &ReadArgs) -> Result<u8> {
    let console = Console { tool: TOOL, quiet: a.run.quiet };
    check_outputs(&[a.output.output.as_deref(), a.errors.as_deref(), a.run.summary_json.as_deref()])?;
    let spec = a.output.spec(Encoding::Utf8)?;
    let mut out = CsvOut::create(&spec)?;
    out.write_header(&RESULTS.names().collect::<Vec<_>>())?;
    let mut findings: Vec<Finding> = Vec::new();
    let (mut rows, mut checkups, mut other) = (0u64, 0u64, 0u64);
    let files = each_xml(&a.inputs, |name, text| {
        let doc = hc08::parse(name, text)?;
        match hc08::kind_of(&doc) {
            Some(FileKind::Checkup) => {
                let c = hc08::read(name, &doc)?;
                checkups += 1;
                for o in &c.observations {
                    let fields = c
                        .person
                        .iter()
                        .map(String::as_str)
                        .chain([&o.code, &o.name, &o.value, &o.unit].map(String::as_str));
                    let fields: Vec<&str> = fields.collect();
                    // 健診機関番号 sits between 生年月日 and 受診日 in the layout, as in the person columns
                    out.write_texts(&fields, |i| Loc::cell(name, 0, RESULTS.fields[i].name))?;
                    rows += 1;
                }
                findings.extend(c.findings);
            }
            Some(_) => other += 1,
            None => {
                let root = doc.root_element();
                return Err(Error::XmlRoot {
                    loc: Loc::line(name, u64::from(doc.text_pos_at(root.range().start).row)),
                    found: root.tag_name().name().to_string(),
                });
            }
        }
        Ok(())
    })?;
    let mut replaced = 0;
    if let Some(path) = &a.errors {
        let mut e = CsvOut::create(&spec.to(path))?;
        e.write_header(&XML_FINDINGS)?;
        for f in &findings {
            e.write_texts(&f.fields(), |i| Loc::cell(&f.file, f.line, XML_FINDINGS[i]))?;
        }
        replaced += e.finish()?;
    }
    replaced += out.finish()?;
    let mut tally = Tally::new(TOOL, "read", Encoding::Utf8, spec.encoding);
    tally.rows_in = rows;
    tally.rows_out = rows;
    tally.findings = findings.len() as u64;
    tally.replaced = replaced;
    tally.set("files", files).set("checkups", checkups).set("other_files", other);
    let line = format!(
        "XML {} ファイル (特定健診 {} 件、その他 {} 件) → 結果 {} 行; 指摘 {} 件",
        thousands(files),
        thousands(checkups),
        thousands(other),
        thousands(rows),
        thousands(findings.len() as u64)
    );
    let code = u8::from(a.run.strict && !findings.is_empty());
    tally.finish(&console, line, a.run.summary_json.as_deref(), code)
}
