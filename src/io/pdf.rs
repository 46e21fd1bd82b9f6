//! PDF building blocks shared by every printed output (invoices, tickets, reports): finding a
//! Japanese font, measuring text, and a pen that draws text and lines on a krilla surface.
//! krilla does not measure text, so widths come from ttf-parser (STACK.md §3d).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};

use crate::error::{Error, Result};

/// A4 in points.
pub const A4: (f32, f32) = (595.28, 841.89);

/// Where a Japanese font is looked for after `--font` and `KK_FONT` (Debian packages
/// fonts-ipaexfont-gothic and fonts-noto-cjk).
pub const FONT_PATHS: [&str; 3] = [
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
];

/// The font file: `--font`, else `KK_FONT`, else the Debian paths.
pub fn find_font(flag: Option<&Path>) -> Result<PathBuf> {
    find_font_in(flag, std::env::var_os("KK_FONT").map(PathBuf::from), &FONT_PATHS)
}

fn find_font_in(flag: Option<&Path>, env: Option<PathBuf>, standard: &[&str]) -> Result<PathBuf> {
    let candidates = flag.map(Path::to_path_buf).into_iter().chain(env).chain(standard.iter().map(PathBuf::from));
    for p in candidates {
        if p.is_file() {
            return Ok(p);
        }
        if flag.is_some_and(|f| f == p) {
            return Err(Error::io(&p, std::io::Error::from(std::io::ErrorKind::NotFound)));
        }
    }
    Err(Error::NoFont)
}

/// A font for drawing and measuring.
pub struct Typeface {
    font: Font,
    data: Arc<Vec<u8>>,
}

impl Typeface {
    pub fn load(path: &Path) -> Result<Typeface> {
        let data = Arc::new(std::fs::read(path).map_err(|e| Error::io(path, e))?);
        let font = Font::new(data.clone().into(), 0)
            .ok_or_else(|| Error::io(path, std::io::Error::other("フォントとして読めません")))?;
        ttf_parser::Face::parse(&data, 0).map_err(|e| Error::io(path, std::io::Error::other(e.to_string())))?;
        Ok(Typeface { font, data })
    }

    /// Width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let Ok(face) = ttf_parser::Face::parse(&self.data, 0) else { return 0.0 };
        let units = f32::from(face.units_per_em());
        text.chars()
            .map(|c| face.glyph_index(c).and_then(|g| face.glyph_hor_advance(g)).map_or(0.0, f32::from))
            .sum::<f32>()
            * size
            / units
    }
}

pub struct Pen<'a, 'b> {
    pub s: &'a mut Surface<'b>,
    pub t: &'a Typeface,
}

impl Pen<'_, '_> {
    pub fn text(&mut self, x: f32, y: f32, size: f32, text: &str) {
        if !text.is_empty() {
            self.s.draw_text(Point::from_xy(x, y), self.t.font.clone(), size, text, false, TextDirection::Auto);
        }
    }
    pub fn right(&mut self, right: f32, y: f32, size: f32, text: &str) {
        let w = self.t.width(text, size);
        self.text(right - w, y, size, text);
    }
    pub fn centre(&mut self, centre: f32, y: f32, size: f32, text: &str) {
        let w = self.t.width(text, size);
        self.text(centre - w / 2.0, y, size, text);
    }
    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, fill: Option<(u8, u8, u8)>, line: f32) {
        let Some(rect) = Rect::from_xywh(x, y, w, h) else { return };
        let mut pb = PathBuilder::new();
        pb.push_rect(rect);
        let Some(path) = pb.finish() else { return };
        self.s.set_fill(fill.map(|(r, g, b)| Fill { paint: rgb::Color::new(r, g, b).into(), ..Fill::default() }));
        self.s.set_stroke((line > 0.0).then(|| Stroke { width: line, ..Stroke::default() }));
        self.s.draw_path(&path);
        self.s.set_fill(Some(Fill::default()));
        self.s.set_stroke(None);
    }
    pub fn hline(&mut self, x1: f32, x2: f32, y: f32, width: f32) {
        self.line((x1, y), (x2, y), width);
    }
    pub fn vline(&mut self, x: f32, y1: f32, y2: f32, width: f32) {
        self.line((x, y1), (x, y2), width);
    }
    fn line(&mut self, from: (f32, f32), to: (f32, f32), width: f32) {
        let mut pb = PathBuilder::new();
        pb.move_to(from.0, from.1);
        pb.line_to(to.0, to.1);
        let Some(path) = pb.finish() else { return };
        self.s.set_fill(None);
        self.s.set_stroke(Some(Stroke { width, ..Stroke::default() }));
        self.s.draw_path(&path);
        self.s.set_stroke(None);
        self.s.set_fill(Some(Fill::default()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fonts_are_looked_for_in_order_and_their_absence_is_e019() {
        let dir = tempfile::tempdir().unwrap();
        let font = dir.path().join("f.ttf");
        std::fs::write(&font, b"x").unwrap();
        let missing = dir.path().join("missing.ttf");
        assert_eq!(find_font_in(None, Some(font.clone()), &[]).unwrap(), font);
        assert_eq!(find_font_in(None, None, &[font.to_str().unwrap()]).unwrap(), font);
        // a --font that does not exist is an error, not a silent fallback
        assert_eq!(find_font_in(Some(&missing), None, &[font.to_str().unwrap()]).unwrap_err().code(), "E001");
        let e = find_font_in(None, Some(missing), &["/nonexistent/x.ttf"]).unwrap_err();
        assert_eq!(e.code(), "E019");
        assert!(e.to_string().contains("apt-get install fonts-ipaexfont-gothic"));
    }
}
