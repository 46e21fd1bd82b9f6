//! 整理番号台帳 (`--ledger numbers.csv`): every number issued, one line per person, 年度 and
//! 種別. A re-run gives a person the number they already have and new persons the next serials
//! of their range; the ledger is rewritten with the run's other outputs (all or nothing).
//!
//! A ledger is refused (E030, line named) for a malformed line, a number whose year digits are
//! not its 年度, a number whose kind digit does not fit its 種別 (5 fits every 種別: the shared
//! number of 初回面接 on the checkup day), the same person, 年度 and 種別 twice, or the same
//! number twice (except the one shared kind-5 number of a person's 受診券 and 利用券).

use std::path::Path;

use jiff::civil::Date;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::cmd::shared::reference::{date_field, person_key};
use crate::cmd::shared::{code_text, read_input, reference_error};
use crate::domain::{FiscalYear, PersonKey, TicketKind, TicketNumber, format_date};
use crate::error::{Error, FieldError, Loc, Result};
use crate::io::{CsvInput, CsvOut, Encoding, InputEncoding, OutputSpec, Row};
use crate::layout::TICKET_LEDGER;

/// 種別 of a ledger line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sort {
    /// 1 受診券
    Checkup,
    /// 2 利用券 積極的支援
    Active,
    /// 3 利用券 動機付け支援
    Motivational,
}

impl Sort {
    pub fn code(self) -> u8 {
        match self {
            Sort::Checkup => 1,
            Sort::Active => 2,
            Sort::Motivational => 3,
        }
    }

    fn parse(s: &str) -> Option<Sort> {
        match s {
            "1" => Some(Sort::Checkup),
            "2" => Some(Sort::Active),
            "3" => Some(Sort::Motivational),
            _ => None,
        }
    }

    /// The kind digit of a new number of this 種別.
    pub fn kind(self, same_day: bool) -> TicketKind {
        match self {
            _ if same_day => TicketKind::SameDay,
            Sort::Checkup => TicketKind::Checkup,
            Sort::Active => TicketKind::Active,
            Sort::Motivational => TicketKind::Motivational,
        }
    }

    fn fits(self, kind: Option<TicketKind>) -> bool {
        kind == Some(TicketKind::SameDay) || kind == Some(self.kind(false))
    }
}

/// One number issued.
#[derive(Debug, Clone)]
pub struct Entry {
    /// 保険者番号, 記号, 番号, 枝番 as written
    pub key_texts: [String; 4],
    pub key: PersonKey,
    pub fy: FiscalYear,
    pub sort: Sort,
    pub number: TicketNumber,
    pub issued: Date,
    /// the ledger's line (0 for a number issued by this run)
    pub line: u64,
}

/// Who a new number is for.
pub struct Holder<'a> {
    pub key_texts: &'a [String; 4],
    pub key: &'a PersonKey,
    pub fy: FiscalYear,
    pub sort: Sort,
    pub issued: Date,
}

pub struct Ledger {
    path: std::path::PathBuf,
    name: String,
    encoding: Encoding,
    entries: Vec<Entry>,
    /// how many entries were read
    pub read: usize,
    by_person: FxHashMap<(PersonKey, FiscalYear, Sort), usize>,
    /// serials taken per (年度, kind digit), sorted, for finding the next free one in a range
    taken: FxHashMap<(FiscalYear, u8), Vec<u32>>,
    /// every number in the ledger
    numbers: FxHashSet<TicketNumber>,
    /// the next serial of each (年度, kind digit, range start)
    cursors: FxHashMap<(FiscalYear, u8, u32), u32>,
}

impl Ledger {
    /// Reads the ledger at `path`; a missing file is an empty ledger written in `default_enc`.
    pub fn read(path: &Path, requested: InputEncoding, default_enc: Encoding) -> Result<Ledger> {
        let name = path.display().to_string();
        let mut ledger = Ledger {
            path: path.into(),
            name: name.clone(),
            encoding: default_enc,
            entries: Vec::new(),
            read: 0,
            by_person: FxHashMap::default(),
            taken: FxHashMap::default(),
            numbers: FxHashSet::default(),
            cursors: FxHashMap::default(),
        };
        if !path.exists() {
            return Ok(ledger);
        }
        let mut input = CsvInput::open(Some(path), requested, &TICKET_LEDGER, None)?;
        ledger.encoding = input.encoding();
        let mut entries = Vec::new();
        read_input(&mut input, |row, _| parse_line(row).map(Some), |e| entries.push(e))?;
        ledger.read = entries.len();
        let mut numbers: FxHashMap<TicketNumber, usize> = FxHashMap::default();
        numbers.reserve(entries.len());
        for (i, e) in entries.iter().enumerate() {
            if let Some(j) = ledger.by_person.insert((e.key.clone(), e.fy, e.sort), i) {
                return Err(Error::Ledger {
                    loc: Loc::line(name.clone(), e.line),
                    detail: format!("同じ人・年度・種別の行が2回あります ({}行目と同じ)", entries[j].line),
                });
            }
            if let Some(&j) = numbers.get(&e.number) {
                let first = &entries[j];
                let shared = e.number.kind() == Some(TicketKind::SameDay)
                    && first.key == e.key
                    && (first.sort == Sort::Checkup) != (e.sort == Sort::Checkup);
                if !shared {
                    return Err(Error::Ledger {
                        loc: Loc::cell(name.clone(), e.line, "整理番号"),
                        detail: format!("同じ整理番号が{}行目にもあります (別の人か同じ種別)", first.line),
                    });
                }
            } else {
                numbers.insert(e.number, i);
            }
            ledger.taken.entry((e.fy, e.number.kind_digit())).or_default().push(e.number.serial());
        }
        for serials in ledger.taken.values_mut() {
            serials.sort_unstable();
            serials.dedup();
        }
        ledger.numbers = numbers.into_keys().collect();
        ledger.entries = entries;
        Ok(ledger)
    }

    /// The number a person already has for this year and 種別.
    pub fn find(&self, key: &PersonKey, fy: FiscalYear, sort: Sort) -> Option<&Entry> {
        self.by_person.get(&(key.clone(), fy, sort)).map(|&i| &self.entries[i])
    }

    /// Issues `holder` a new number of `kind` in serials `range`; None when the range is used up.
    pub fn issue(&mut self, holder: Holder<'_>, kind: TicketKind, range: (u32, u32)) -> Option<TicketNumber> {
        let digit = kind.digit();
        let fy = holder.fy;
        let taken = &self.taken;
        let next = self.cursors.entry((fy, digit, range.0)).or_insert_with(|| {
            // after the highest serial taken in the range
            let serials = taken.get(&(fy, digit)).map_or(&[][..], Vec::as_slice);
            let upto = serials.partition_point(|&s| s <= range.1);
            match serials[..upto].last() {
                Some(&s) if s >= range.0 => s + 1,
                _ => range.0,
            }
        });
        // a serial taken out of order (a range moved in the config) is passed over
        while *next <= range.1 && TicketNumber::new(fy, kind, *next).is_some_and(|n| self.numbers.contains(&n)) {
            *next += 1;
        }
        if *next > range.1 {
            return None;
        }
        let number = TicketNumber::new(fy, kind, *next)?;
        *next += 1;
        self.add(holder, number);
        Some(number)
    }

    /// Records `number` for `holder` (a new serial, or the shared kind-5 number).
    pub fn add(&mut self, holder: Holder<'_>, number: TicketNumber) {
        let Holder { key_texts, key, fy, sort, issued } = holder;
        self.numbers.insert(number);
        self.by_person.insert((key.clone(), fy, sort), self.entries.len());
        self.entries.push(Entry { key_texts: key_texts.clone(), key: key.clone(), fy, sort, number, issued, line: 0 });
    }

    /// The ledger written whole (the lines read, then those this run issued) to its temporary
    /// file; it is committed with the run's other outputs.
    pub fn write(&self, replace: bool) -> Result<CsvOut> {
        let spec = OutputSpec {
            path: Some(self.path.clone()),
            encoding: self.encoding,
            replace,
            crlf: self.encoding.is_sjis(),
        };
        let mut out = CsvOut::create(&spec)?;
        out.write_header(&TICKET_LEDGER.names().collect::<Vec<_>>())?;
        for (i, e) in self.entries.iter().enumerate() {
            let [a, b, c, d] = &e.key_texts;
            let fields = [
                a.as_str(),
                b,
                c,
                d,
                &e.fy.0.to_string(),
                &e.sort.code().to_string(),
                &e.number.to_string(),
                &format_date(e.issued),
            ];
            let line = (i + 2) as u64;
            out.write_texts(&fields, |col| Loc::cell(self.name.clone(), line, TICKET_LEDGER.fields[col].name))?;
        }
        Ok(out)
    }
}

/// One ledger line, checked on its own (year and kind digits against its 年度 and 種別).
fn parse_line(row: &Row<'_>) -> Result<Entry> {
    let l = &TICKET_LEDGER;
    let what = "整理番号台帳";
    let key = person_key(row, l, what)?;
    let texts = |i| code_text(row, l, i).map(|t| t.into_owned());
    let key_texts = [texts(0)?, texts(1)?, texts(2)?, texts(3)?];
    let fy: FiscalYear = code_text(row, l, 4)?.parse().map_err(|e| reference_error(row, l, 4, what, e))?;
    let sort_text = code_text(row, l, 5)?;
    let sort = Sort::parse(&sort_text).ok_or_else(|| {
        let e = if sort_text.is_empty() { FieldError::Required } else { FieldError::Code };
        reference_error(row, l, 5, what, e)
    })?;
    let number: TicketNumber = code_text(row, l, 6)?.parse().map_err(|e| reference_error(row, l, 6, what, e))?;
    if !number.is_of_year(fy) {
        return Err(Error::Ledger {
            loc: row.loc("整理番号"), detail: "整理番号の上2桁が年度と合いません".into()
        });
    }
    if !sort.fits(number.kind()) {
        let detail = "整理番号の3桁目 (種別) が種別の列と合いません".into();
        return Err(Error::Ledger { loc: row.loc("整理番号"), detail });
    }
    let issued = date_field(row, l, 7, what)?.unwrap_or(fy.first_day());
    Ok(Entry { key_texts, key, fy, sort, number, issued, line: row.line })
}

/// What the ledger says of a claimed ticket number, when it disagrees with the claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disagreement {
    /// the number was never issued
    Unknown,
    /// the number was issued to another person (the ledger's line)
    OtherPerson(u64),
    /// the number was issued for another fiscal year (that year, the ledger's line)
    OtherYear(FiscalYear, u64),
}

/// The ledger as a lookup by number, for the tools that check claims and archives against it
/// (kk-limitcheck and kk-xml check `--tickets`).
pub struct TicketBook(FxHashMap<TicketNumber, (PersonKey, FiscalYear, u64)>);

impl TicketBook {
    /// Reads and checks the ledger at `path` (it must exist).
    pub fn load(path: &Path, requested: InputEncoding) -> Result<TicketBook> {
        if !path.is_file() {
            return Err(Error::io(path, std::io::Error::from(std::io::ErrorKind::NotFound)));
        }
        let ledger = Ledger::read(path, requested, Encoding::Utf8)?;
        let mut book = FxHashMap::default();
        book.reserve(ledger.entries.len());
        for e in ledger.entries {
            // a shared kind-5 number belongs to one person and year: the first line serves
            book.entry(e.number).or_insert((e.key, e.fy, e.line));
        }
        Ok(TicketBook(book))
    }

    /// How the ledger disagrees with a claim of `number` by `person` in fiscal year `fy`.
    pub fn disagreement(&self, number: TicketNumber, person: &PersonKey, fy: FiscalYear) -> Option<Disagreement> {
        match self.0.get(&number) {
            None => Some(Disagreement::Unknown),
            Some((key, _, line)) if key != person => Some(Disagreement::OtherPerson(*line)),
            Some((_, year, line)) if *year != fy => Some(Disagreement::OtherYear(*year, *line)),
            Some(_) => None,
        }
    }
}
