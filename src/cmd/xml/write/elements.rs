//! The few shapes every file `write` makes is built from, over quick-xml's Writer: an empty
//! element with attributes, an element with text, an element with children, an address, and a
//! whole file (declaration, root element with its namespaces, final line break).

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

pub type W = Writer<Vec<u8>>;

pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// `<name a="…"/>`
pub fn empty(w: &mut W, name: &str, attrs: &[(&str, &str)]) -> io::Result<()> {
    w.create_element(name).with_attributes(attrs.iter().copied()).write_empty()?;
    Ok(())
}

/// `<name>text</name>`, the text verbatim (escaped).
pub fn text(w: &mut W, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name).write_text_content(BytesText::new(value))?;
    Ok(())
}

/// `<name a="…">children</name>`
pub fn inner_with(
    w: &mut W,
    name: &str,
    attrs: &[(&str, &str)],
    children: impl FnOnce(&mut W) -> io::Result<()>,
) -> io::Result<()> {
    w.create_element(name).with_attributes(attrs.iter().copied()).write_inner_content(children)?;
    Ok(())
}

/// `<name>children</name>`
pub fn inner(w: &mut W, name: &str, children: impl FnOnce(&mut W) -> io::Result<()>) -> io::Result<()> {
    inner_with(w, name, &[], children)
}

/// `<addr>住所<postalCode>…</postalCode></addr>`, each part when known, nothing when neither is.
pub fn addr(w: &mut W, address: &str, postal: &str) -> io::Result<()> {
    if address.is_empty() && postal.is_empty() {
        return Ok(());
    }
    inner(w, "addr", |w| {
        if !address.is_empty() {
            w.write_event(Event::Text(BytesText::new(address)))?;
        }
        if !postal.is_empty() {
            text(w, "postalCode", postal)?;
        }
        Ok(())
    })
}

/// A whole file: the UTF-8 declaration, `root` in namespace `ns` with the schema at `schema`
/// (relative to the file), its children, a final line break.
pub fn file(
    root: &str,
    ns: &str,
    schema: &str,
    children: impl FnOnce(&mut W) -> io::Result<()>,
) -> io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::with_capacity(16 * 1024), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let location = format!("{ns} {schema}");
    inner_with(&mut w, root, &[("xmlns", ns), ("xmlns:xsi", XSI), ("xsi:schemaLocation", &location)], children)?;
    let mut bytes = w.into_inner();
    bytes.push(b'\n');
    Ok(bytes)
}
