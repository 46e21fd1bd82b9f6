//! Character encodings: CP932 (Windows-31J, what 国保 systems write), UTF-8, UTF-8 with BOM.
//! DOMAIN.md "Encodings" and STACK.md §3a explain every rule here.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use encoding_rs::{EncoderResult, SHIFT_JIS};

/// What `--encoding` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputEncoding {
    Auto,
    Sjis,
    Utf8,
}

impl FromStr for InputEncoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(InputEncoding::Auto),
            "sjis" | "shift_jis" | "cp932" | "windows-31j" => Ok(InputEncoding::Sjis),
            "utf8" | "utf-8" | "utf8-bom" => Ok(InputEncoding::Utf8),
            _ => Err(format!("{s} (auto, sjis, utf8 のいずれか)")),
        }
    }
}

/// An encoding as read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Sjis,
    Utf8,
    Utf8Bom,
}

impl Encoding {
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Sjis => "Shift_JIS",
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8(BOM付き)",
        }
    }
    /// For `--summary-json` and the like.
    pub fn id(self) -> &'static str {
        match self {
            Encoding::Sjis => "sjis",
            Encoding::Utf8 => "utf8",
            Encoding::Utf8Bom => "utf8-bom",
        }
    }
    /// Same byte representation of text (BOM aside): raw field bytes may be copied through.
    pub fn same_bytes_as(self, other: Encoding) -> bool {
        self.is_sjis() == other.is_sjis()
    }
    pub fn is_sjis(self) -> bool {
        self == Encoding::Sjis
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Encoding {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "sjis" | "shift_jis" | "cp932" | "windows-31j" => Ok(Encoding::Sjis),
            "utf8" | "utf-8" => Ok(Encoding::Utf8),
            "utf8-bom" | "utf-8-bom" => Ok(Encoding::Utf8Bom),
            _ => Err(format!("{s} (sjis, utf8, utf8-bom のいずれか)")),
        }
    }
}

pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decides the encoding of an input from its first bytes (SPEC §1: a UTF-8 BOM → UTF-8; valid
/// UTF-8 → UTF-8; otherwise CP932). `prefix` should reach past the first non-ASCII bytes; a
/// multi-byte sequence cut off at its end is not held against UTF-8.
pub fn sniff(prefix: &[u8]) -> Encoding {
    if prefix.starts_with(UTF8_BOM) {
        return Encoding::Utf8Bom;
    }
    match std::str::from_utf8(prefix) {
        Ok(_) => Encoding::Utf8,
        Err(e) if e.error_len().is_none() => Encoding::Utf8,
        Err(_) => Encoding::Sjis,
    }
}

/// An encoding kk does not read, recognised from a file's first bytes so the refusal can say what
/// the file is and how to convert it: UTF-16 (a BOM, or NUL bytes on every other position of
/// ASCII text) and EUC-JP (not UTF-8, not CP932, but valid EUC-JP). Returns its name and the
/// iconv option that reads it.
pub fn foreign(prefix: &[u8]) -> Option<(&'static str, &'static str)> {
    if prefix.starts_with(&[0xFF, 0xFE]) || prefix.starts_with(&[0xFE, 0xFF]) {
        return Some(("UTF-16", "UTF-16"));
    }
    let head = &prefix[..prefix.len().min(1024)];
    let nul_at = |parity: usize| head.iter().skip(parity).step_by(2).filter(|&&b| b == 0).count();
    let half = head.len() / 2;
    if half >= 8 {
        // ASCII in UTF-16 (commas, digits, line ends) has a 0 high byte: NULs on one parity
        // only (LE: odd positions), far more than a stray NUL in a CSV (which E112 names)
        let (odd, even) = (nul_at(1), nul_at(0));
        if odd * 10 >= half && even * 100 <= half {
            return Some(("UTF-16LE", "UTF-16LE"));
        }
        if even * 10 >= half && odd * 100 <= half {
            return Some(("UTF-16BE", "UTF-16BE"));
        }
    }
    // EUC-JP: judged on whole lines (the prefix may end inside a character)
    let lines = &prefix[..memchr::memrchr(b'\n', prefix).map_or(prefix.len(), |i| i + 1)];
    let euc = !lines.is_ascii()
        && std::str::from_utf8(lines).is_err()
        && !is_valid(Encoding::Sjis, lines)
        && encoding_rs::EUC_JP.decode_without_bom_handling_and_without_replacement(lines).is_some();
    euc.then_some(("EUC-JP", "EUC-JP"))
}

/// Decodes one field; `None` when the bytes are not valid in `enc`. The BOM is never sniffed
/// here: the encoding is already decided (DOMAIN.md).
pub fn decode(enc: Encoding, bytes: &[u8]) -> Option<Cow<'_, str>> {
    // ASCII (codes, dates, amounts: most fields) reads the same in every encoding
    if enc.is_sjis() && !bytes.is_ascii() {
        SHIFT_JIS.decode_without_bom_handling_and_without_replacement(bytes)
    } else {
        std::str::from_utf8(bytes).ok().map(Cow::Borrowed)
    }
}

/// Whether `bytes` decode in `enc`, by a validity scan (nothing is decoded). A whole chunk of
/// a CSV file can be scanned at once: no CP932 or UTF-8 character holds a comma, a quote or a
/// line break, so the bytes are valid exactly when every field is.
pub fn is_valid(enc: Encoding, bytes: &[u8]) -> bool {
    if !enc.is_sjis() {
        return std::str::from_utf8(bytes).is_ok();
    }
    let t = sjis_table();
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        if c < 0x80 {
            // a run of ASCII, sixteen bytes at a time
            i += 1;
            while let Some((w, _)) = bytes[i..].split_first_chunk::<16>()
                && u128::from_ne_bytes(*w) & 0x8080_8080_8080_8080_8080_8080_8080_8080 == 0
            {
                i += 16;
            }
        } else if t.single[usize::from(c - 0x80)] {
            i += 1;
        } else if bytes.get(i + 1).is_some_and(|&trail| t.pair(c, trail)) {
            i += 2;
        } else {
            return false;
        }
    }
    true
}

/// What a CP932 text holds that a normalizer would change (see [`sjis_shape`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SjisShape {
    /// a half-width katakana (bytes A1–DF standing alone)
    pub halfwidth_kana: bool,
    /// a space, tab or ideographic space (81 40) as the first or the last character
    pub edge_blank: bool,
    /// a space or tab anywhere
    pub ascii_blank: bool,
    /// two ideographic spaces in a row
    pub double_wide_space: bool,
}

/// The [`SjisShape`] of CP932 `bytes`, by the same validity scan as [`is_valid`] (nothing is
/// decoded); None when they do not decode. Lets a field that would come out of its normalizer
/// unchanged be copied through without a decode.
pub fn sjis_shape(bytes: &[u8]) -> Option<SjisShape> {
    let t = sjis_table();
    let mut shape = SjisShape::default();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c < 0x80 {
            let blank = c == b' ' || c == b'\t';
            shape.ascii_blank |= blank;
            shape.edge_blank |= blank && (i == 0 || i + 1 == bytes.len());
            i += 1;
        } else if t.single[usize::from(c - 0x80)] {
            shape.halfwidth_kana |= (0xA1..=0xDF).contains(&c);
            i += 1;
        } else if i + 1 < bytes.len() && t.pair(c, bytes[i + 1]) {
            if c == 0x81 && bytes[i + 1] == 0x40 {
                shape.edge_blank |= i == 0 || i + 2 == bytes.len();
                shape.double_wide_space |= bytes.get(i + 2..i + 4) == Some(&[0x81, 0x40][..]);
            }
            i += 2;
        } else {
            return None;
        }
    }
    Some(shape)
}

/// Which CP932 bytes and byte pairs encoding_rs decodes (WHATWG Shift_JIS), worked out once.
struct SjisTable {
    /// bytes 0x80–0xFF that are a character alone
    single: [bool; 128],
    /// lead 0x80–0xFF × trail 0x00–0xFF, one bit each
    pairs: [u64; 128 * 256 / 64],
}

impl SjisTable {
    fn pair(&self, lead: u8, trail: u8) -> bool {
        let bit = usize::from(lead - 0x80) * 256 + usize::from(trail);
        self.pairs[bit / 64] & (1 << (bit % 64)) != 0
    }
}

fn sjis_table() -> &'static SjisTable {
    static TABLE: std::sync::OnceLock<SjisTable> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let decodes = |b: &[u8]| SHIFT_JIS.decode_without_bom_handling_and_without_replacement(b).is_some();
        let mut t = SjisTable { single: [false; 128], pairs: [0; 128 * 256 / 64] };
        for lead in 0x80u8..=0xFF {
            t.single[usize::from(lead - 0x80)] = decodes(&[lead]);
            if t.single[usize::from(lead - 0x80)] {
                continue;
            }
            for trail in 0x40u8..=0xFC {
                if decodes(&[lead, trail]) {
                    let bit = usize::from(lead - 0x80) * 256 + usize::from(trail);
                    t.pairs[bit / 64] |= 1 << (bit % 64);
                }
            }
        }
        t
    })
}

/// Like [`decode`], but a CP932 field with non-ASCII bytes is decoded into `buf` (reused from
/// row to row) instead of a new allocation.
pub fn decode_into<'b>(enc: Encoding, bytes: &'b [u8], buf: &'b mut String) -> Option<&'b str> {
    if !enc.is_sjis() || bytes.is_ascii() {
        return std::str::from_utf8(bytes).ok();
    }
    let mut decoder = SHIFT_JIS.new_decoder_without_bom_handling();
    buf.clear();
    buf.reserve(decoder.max_utf8_buffer_length_without_replacement(bytes.len())?);
    let (result, _) = decoder.decode_to_string_without_replacement(bytes, buf, true);
    match result {
        encoding_rs::DecoderResult::InputEmpty => Some(buf.as_str()),
        _ => None,
    }
}

/// First 外字 (user-defined area) code point: CP932 F040–F9FC decode to U+E000–U+E757.
const GAIJI_FIRST: u32 = 0xE000;
const GAIJI_COUNT: u32 = 10 * 188;

/// The CP932 bytes of a 外字 code point (U+E000–U+E757), which encoding_rs refuses to encode.
/// 188 codes per lead byte F0–F9; trail bytes 40–7E then 80–FC.
pub fn gaiji_bytes(c: char) -> Option<[u8; 2]> {
    let n = (c as u32).checked_sub(GAIJI_FIRST).filter(|n| *n < GAIJI_COUNT)?;
    let lead = 0xF0 + (n / 188) as u8;
    let idx = (n % 188) as u8;
    let trail = if idx < 63 { 0x40 + idx } else { 0x80 + (idx - 63) };
    Some([lead, trail])
}

/// JIS-mapped twins (Mac, nkf, JIS tables) of the characters Windows maps, and the CP932 bytes
/// of the Windows form they stand for. encoding_rs cannot encode the twins (DOMAIN.md).
fn jis_twin_bytes(c: char) -> Option<[u8; 2]> {
    Some(match c {
        '\u{301C}' => [0x81, 0x60], // 〜 → ～ U+FF5E
        '\u{2016}' => [0x81, 0x61], // ‖ → ∥ U+2225
        '\u{2014}' => [0x81, 0x5C], // — → ― U+2015
        '\u{2212}' => [0x81, 0x7C], // − → － U+FF0D
        '\u{00A2}' => [0x81, 0x91], // ¢ → ￠ U+FFE0
        '\u{00A3}' => [0x81, 0x92], // £ → ￡ U+FFE1
        '\u{00AC}' => [0x81, 0xCA], // ¬ → ￢ U+FFE2
        _ => return None,
    })
}

/// The customary substitute for a character Shift_JIS cannot hold: 〓 (U+3013).
pub const GETA: char = '\u{3013}';
const GETA_SJIS: [u8; 2] = [0x81, 0xAC];

/// A character the output encoding cannot hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unmappable(pub char);

impl Unmappable {
    /// E008: this character, read at `loc`, has no form in `encoding` (the one helper every
    /// writer uses for it).
    pub fn error(self, loc: crate::error::Loc, encoding: Encoding) -> crate::error::Error {
        crate::error::Error::Unencodable { loc, encoding: encoding.label(), code: u32::from(self.0) }
    }
}

/// Encodes text for output. With `replace`, unmappable characters become 〓 and are counted.
#[derive(Debug)]
pub struct TextEncoder {
    pub encoding: Encoding,
    pub replace: bool,
    /// How many characters were replaced by 〓 so far.
    pub replaced: u64,
}

impl TextEncoder {
    pub fn new(encoding: Encoding, replace: bool) -> TextEncoder {
        TextEncoder { encoding, replace, replaced: 0 }
    }

    /// Appends the encoded form of `s` to `out`.
    pub fn encode(&mut self, s: &str, out: &mut Vec<u8>) -> Result<(), Unmappable> {
        if !self.encoding.is_sjis() || s.is_ascii() {
            out.extend_from_slice(s.as_bytes());
            return Ok(());
        }
        let mut enc = SHIFT_JIS.new_encoder();
        let mut rest = s;
        let mut buf = [0u8; 256];
        loop {
            let (res, read, written) = enc.encode_from_utf8_without_replacement(rest, &mut buf, true);
            out.extend_from_slice(&buf[..written]);
            rest = &rest[read..];
            match res {
                EncoderResult::InputEmpty => return Ok(()),
                EncoderResult::OutputFull => {}
                EncoderResult::Unmappable(c) => {
                    if let Some(b) = gaiji_bytes(c).or_else(|| jis_twin_bytes(c)) {
                        out.extend_from_slice(&b);
                    } else if self.replace {
                        self.replaced += 1;
                        out.extend_from_slice(&GETA_SJIS);
                    } else {
                        return Err(Unmappable(c));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sjis(s: &str) -> Result<Vec<u8>, Unmappable> {
        let mut out = Vec::new();
        TextEncoder::new(Encoding::Sjis, false).encode(s, &mut out)?;
        Ok(out)
    }

    fn dec(b: &[u8]) -> String {
        decode(Encoding::Sjis, b).expect("valid CP932").into_owned()
    }

    #[test]
    fn gaiji_round_trips_byte_for_byte() {
        for lead in 0xF0u8..=0xF9 {
            for trail in (0x40u8..=0x7E).chain(0x80..=0xFC) {
                let b = [lead, trail];
                let s = dec(&b);
                assert_eq!(sjis(&s).unwrap(), b, "{lead:02X}{trail:02X}");
            }
        }
        assert_eq!(dec(&[0xF0, 0x40]), "\u{E000}");
        assert_eq!(dec(&[0xF9, 0xFC]), "\u{E757}");
        assert_eq!(gaiji_bytes('\u{E758}'), None);
    }

    #[test]
    fn windows_forms_and_jis_twins_both_encode_to_cp932() {
        let pairs = [
            ('\u{FF5E}', '\u{301C}', [0x81, 0x60]),
            ('\u{2225}', '\u{2016}', [0x81, 0x61]),
            ('\u{FF0D}', '\u{2212}', [0x81, 0x7C]),
            ('\u{FFE0}', '\u{00A2}', [0x81, 0x91]),
            ('\u{FFE1}', '\u{00A3}', [0x81, 0x92]),
            ('\u{FFE2}', '\u{00AC}', [0x81, 0xCA]),
            ('\u{2015}', '\u{2014}', [0x81, 0x5C]),
        ];
        for (windows, twin, bytes) in pairs {
            assert_eq!(sjis(&windows.to_string()).unwrap(), bytes, "{windows}");
            assert_eq!(sjis(&twin.to_string()).unwrap(), bytes, "{twin}");
            assert_eq!(dec(&bytes), windows.to_string());
        }
    }

    #[test]
    fn nec_and_ibm_characters_encode() {
        let s = "①Ⅲ㈱№髙﨑德ⅰ￤表ソ能";
        let b = sjis(s).unwrap();
        assert_eq!(dec(&b), s);
    }

    #[test]
    fn unmappable_is_an_error_or_geta() {
        assert_eq!(sjis("a😀b"), Err(Unmappable('😀')));
        assert_eq!(sjis("𠮷"), Err(Unmappable('𠮷')));
        let mut e = TextEncoder::new(Encoding::Sjis, true);
        let mut out = Vec::new();
        e.encode("a😀b𠮷", &mut out).unwrap();
        assert_eq!(dec(&out), "a〓b〓");
        assert_eq!(e.replaced, 2);
        // UTF-8 output holds everything
        let mut out = Vec::new();
        TextEncoder::new(Encoding::Utf8, false).encode("😀", &mut out).unwrap();
        assert_eq!(out, "😀".as_bytes());
    }

    #[test]
    fn long_text_crosses_the_buffer() {
        let s = "髙".repeat(1000) + "\u{E001}" + &"あ".repeat(500);
        assert_eq!(dec(&sjis(&s).unwrap()), s);
    }

    #[test]
    fn utf16_and_euc_jp_are_recognised() {
        let text = "保険者番号,被保険者証記号\n138040,12\n";
        let utf16le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let utf16be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(foreign(&utf16le), Some(("UTF-16LE", "UTF-16LE")));
        assert_eq!(foreign(&utf16be), Some(("UTF-16BE", "UTF-16BE")));
        assert_eq!(foreign(&[[0xFF, 0xFE].as_slice(), &utf16le].concat()), Some(("UTF-16", "UTF-16")));
        let (euc, _, _) = encoding_rs::EUC_JP.encode(text);
        assert_eq!(foreign(&euc), Some(("EUC-JP", "EUC-JP")));
        assert_eq!(foreign(&sjis(text).unwrap()), None, "CP932 is read");
        assert_eq!(foreign(text.as_bytes()), None, "UTF-8 is read");
        // a stray NUL in a CSV is a malformed field (E112), not UTF-16
        let stray = format!("{text}{}", "130001,12,1001\n".repeat(8)).replacen('1', "\0", 1);
        assert_eq!(foreign(stray.as_bytes()), None);
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"\xEF\xBB\xBFabc"), Encoding::Utf8Bom);
        assert_eq!(sniff("保険者番号".as_bytes()), Encoding::Utf8);
        assert_eq!(sniff(&"保険者番号".as_bytes()[..4]), Encoding::Utf8, "cut sequence at the end");
        assert_eq!(sniff(&sjis("保険者番号,氏名").unwrap()), Encoding::Sjis);
        assert_eq!(sniff(b"abc"), Encoding::Utf8);
    }

    #[test]
    fn decode_into_reuses_the_buffer() {
        let mut buf = String::new();
        let b = sjis("髙橋①").unwrap();
        assert_eq!(decode_into(Encoding::Sjis, &b, &mut buf), Some("髙橋①"));
        assert_eq!(decode_into(Encoding::Sjis, b"abc", &mut buf), Some("abc"));
        assert_eq!(decode_into(Encoding::Sjis, &[0x85, 0x40], &mut buf), None);
        assert_eq!(decode_into(Encoding::Utf8, "ｱ".as_bytes(), &mut buf), Some("ｱ"));
    }

    #[test]
    fn the_validity_scan_agrees_with_decoding() {
        for lead in 0x80u8..=0xFF {
            for trail in 0u8..=0xFF {
                let b = [lead, trail, b'a'];
                assert_eq!(is_valid(Encoding::Sjis, &b), decode(Encoding::Sjis, &b).is_some(), "{lead:02X}{trail:02X}");
                assert_eq!(is_valid(Encoding::Sjis, &b[..1]), decode(Encoding::Sjis, &b[..1]).is_some(), "{lead:02X}");
            }
        }
        assert!(is_valid(Encoding::Utf8, "髙橋".as_bytes()));
        assert!(!is_valid(Encoding::Utf8, &[0xE9, 0xAB]));
        assert!(!is_valid(Encoding::Sjis, &[0x81, 0x7F]));
    }

    #[test]
    fn undecodable_bytes_are_none() {
        assert!(decode(Encoding::Sjis, &[0x82]).is_none());
        assert!(decode(Encoding::Sjis, &[0x85, 0x40]).is_none());
        assert!(decode(Encoding::Utf8, &[0xff]).is_none());
    }

    proptest::proptest! {
        /// A chunk of CSV text is valid exactly when every field of it is: the chunk scan may
        /// stand in for a scan field by field.
        #[test]
        fn a_chunk_is_valid_when_every_field_is(
            rows in proptest::collection::vec(proptest::collection::vec(proptest::collection::vec(proptest::prop_oneof![0x20u8..=0x7E, 0x80u8..=0xFF, proptest::strategy::Just(b'"'), proptest::strategy::Just(b',')], 0..6), 1..4), 1..4),
            sjis_text in proptest::bool::ANY,
        ) {
            let enc = if sjis_text { Encoding::Sjis } else { Encoding::Utf8 };
            let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
            for row in &rows { w.write_record(row).unwrap(); }
            let chunk = w.into_inner().unwrap();
            let every_field = rows.iter().flatten().all(|f| is_valid(enc, f));
            proptest::prop_assert_eq!(is_valid(enc, &chunk), every_field);
        }
    }

    proptest::proptest! {
        /// Every decodable CP932 text survives encode → decode unchanged, and encoding is stable
        /// from the first round trip on. Bytes may differ where CP932 holds a character twice
        /// (NEC row 13 vs JIS row 2, NEC-selected IBM ED/EE vs IBM FA–FC; DOMAIN.md): that is why
        /// kk copies unchanged fields as raw bytes.
        #[test]
        fn cp932_decode_encode_round_trip(codes in proptest::collection::vec((0x81u8..=0xFC, 0x40u8..=0xFC), 1..40)) {
            let mut bytes = Vec::new();
            for (lead, trail) in codes {
                if (0xA0..=0xDF).contains(&lead) || trail == 0x7F { continue; }
                bytes.extend_from_slice(&[lead, trail]);
            }
            if let Some(text) = decode(Encoding::Sjis, &bytes) {
                let once = sjis(&text).unwrap();
                proptest::prop_assert_eq!(dec(&once), text.as_ref());
                proptest::prop_assert_eq!(sjis(&dec(&once)).unwrap(), once.clone());
                let outside_twins = bytes.chunks(2).all(|c| c[0] != 0x87 && !(0xED..=0xEE).contains(&c[0]) && !(0xFA..=0xFC).contains(&c[0]));
                if outside_twins {
                    proptest::prop_assert_eq!(once, bytes);
                }
            }
        }
    }
}
