//! 整理番号台帳 (`--ledger numbers.csv`): every number issued, one line per person, 年度 and
//! 種別. A re-run gives a person the number they already have and new persons the next serials
//! of their range; the ledger is rewritten with the run's other outputs (all or nothing).
//!
//! A ledger is refused (E030, line named) for a malformed line, a number whose year digits are
//! not its 年度, a number whose kind digit does not fit its 種別 (5 fits every 種別: the shared
//! number of 初回面接 on the checkup day), the same person, 年度 and 種別 twice, or the same
//! number twice (except the one shared kind-5 number of a person's 受診券 and 利用券).

use std::hash::BuildHasher;
use std::path::Path;

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use jiff::civil::Date;
use rustc_hash::{FxBuildHasher, FxHashMap};

use crate::cmd::shared::reference::{date_field, person_key};
use crate::cmd::shared::{code_text, read_input, reference_error};
use crate::domain::date::format_date_into;
use crate::domain::{FiscalYear, PersonKey, SortKey, TicketKind, TicketNumber};
use crate::error::{Error, FieldError, Loc, Result};
use crate::io::{CsvInput, CsvOut, Encoding, InputEncoding, OutputSpec, Row, RowStore, TextEncoder};
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
pub struct LedgerEntry {
    pub key: PersonKey,
    /// how many digits the 保険者番号 was written with (6 or 8; the key pads it to 8)
    pub insurer_len: u8,
    pub fy: FiscalYear,
    pub sort: Sort,
    pub number: TicketNumber,
    pub issued: Date,
    /// the ledger's line (0 for a number issued by this run)
    pub line: u64,
    /// [`person_hash`] of (key, fy, sort), and the key's sort key, made where the line was
    /// parsed
    hash: u64,
    sort_key: SortKey,
}

impl LedgerEntry {
    /// 保険者番号, 記号, 番号, 枝番 as written.
    pub fn key_texts(&self) -> [&str; 4] {
        let [insurer, kigo, bango, edaban] = self.key.parts();
        [&insurer[8 - usize::from(self.insurer_len).min(8)..], kigo, bango, edaban]
    }
}

/// Who a new number is for.
pub struct Holder<'a> {
    pub key: &'a PersonKey,
    /// the 保険者番号 as the master writes it
    pub insurer: &'a str,
    pub fy: FiscalYear,
    pub sort: Sort,
    pub issued: Date,
}

pub struct Ledger {
    path: std::path::PathBuf,
    name: String,
    /// the encoding the ledger was read in (None: a new ledger)
    encoding: Option<Encoding>,
    entries: Vec<LedgerEntry>,
    /// how many entries were read
    pub read: usize,
    /// entries by (person, 年度, 種別), hashed by [`person_hash`]
    by_person: HashTable<usize>,
    /// serials taken per (年度, kind digit), sorted, for finding the next free one in a range
    taken: FxHashMap<(FiscalYear, u8), Vec<u32>>,
    /// every number in the ledger → its first entry
    numbers: FxHashMap<TicketNumber, usize>,
    /// the next serial of each (年度, kind digit, range start)
    cursors: FxHashMap<(FiscalYear, u8, u32), u32>,
}

impl Ledger {
    /// Reads the ledger at `path`; a missing file is an empty ledger.
    pub fn read(path: &Path, requested: InputEncoding) -> Result<Ledger> {
        let name = path.display().to_string();
        let mut ledger = Ledger {
            path: path.into(),
            name: name.clone(),
            encoding: None,
            entries: Vec::new(),
            read: 0,
            by_person: HashTable::new(),
            taken: FxHashMap::default(),
            numbers: FxHashMap::default(),
            cursors: FxHashMap::default(),
        };
        if !path.exists() {
            return Ok(ledger);
        }
        let mut input = CsvInput::open(Some(path), requested, &TICKET_LEDGER, None)?;
        ledger.encoding = Some(input.encoding());
        let mut entries = Vec::new();
        read_input(&mut input, |row, _| parse_line(row).map(Some), |e| entries.push(e))?;
        crate::console::trace("ledger parsed");
        ledger.read = entries.len();
        // the persons' index and the numbers' index are built at once, each on a thread of its
        // own; of a problem found by each, the one on the earlier line is reported (the person's
        // on the same line), as reading the lines in order would
        let ((by_person, person_problem), (numbers, taken, number_problem)) = std::thread::scope(|scope| {
            let numbers = scope.spawn(|| index_numbers(&entries, &name));
            let persons = index_persons(&entries, &name);
            (persons, numbers.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
        });
        if let Some((_, e)) = [person_problem, number_problem].into_iter().flatten().min_by_key(|p| p.0) {
            return Err(e);
        }
        (ledger.by_person, ledger.numbers, ledger.taken) = (by_person, numbers, taken);
        ledger.entries = entries;
        Ok(ledger)
    }

    /// The number a person already has for this year and 種別.
    pub fn find(&self, key: &PersonKey, fy: FiscalYear, sort: Sort) -> Option<&LedgerEntry> {
        let entries = &self.entries;
        let same = |&j: &usize| entries[j].key == *key && entries[j].fy == fy && entries[j].sort == sort;
        self.by_person.find(person_hash(key, fy, sort), same).map(|&i| &entries[i])
    }

    /// The numbers (with their 交付日) the ledger has for `persons` of `fy` and `sort`, given in
    /// the order of their keys with their sort keys ([`PersonKey::order`]): the ledger's lines
    /// of that year and 種別 put in the same order and walked beside them — no lookup, nothing
    /// read out of order.
    pub fn known_in_order(
        &self,
        persons: &[(SortKey, &PersonKey)],
        fy: FiscalYear,
        sort: Sort,
    ) -> Vec<Option<(TicketNumber, Date)>> {
        let mine: Vec<&LedgerEntry> = self.entries.iter().filter(|e| e.fy == fy && e.sort == sort).collect();
        let order = PersonKey::order_by(&mine, |e| e.sort_key, |e| &e.key);
        let mut lines = order.iter().map(|&(k, i)| (k, mine[i])).peekable();
        persons
            .iter()
            .map(|&(k, key)| {
                // a line of a person who is not a target is passed over
                while lines.next_if(|&(lk, e)| lk < k || lk == k && !k.is_whole() && e.key < *key).is_some() {}
                let (lk, e) = *lines.peek()?;
                (lk == k && (k.is_whole() || e.key == *key)).then_some((e.number, e.issued))
            })
            .collect()
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
        while *next <= range.1 && TicketNumber::new(fy, kind, *next).is_some_and(|n| self.numbers.contains_key(&n)) {
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
        let Holder { key, insurer, fy, sort, issued } = holder;
        self.numbers.entry(number).or_insert(self.entries.len());
        let entries = &self.entries;
        let hash = person_hash(key, fy, sort);
        self.by_person.insert_unique(hash, entries.len(), |&j: &usize| entries[j].hash);
        let insurer_len = insurer.len() as u8;
        let sort_key = key.sort_key();
        self.entries.push(LedgerEntry {
            key: key.clone(),
            insurer_len,
            fy,
            sort,
            number,
            issued,
            line: 0,
            hash,
            sort_key,
        });
    }

    /// Whether the run changed the ledger (a number issued, or no ledger yet): a run that issues
    /// nothing leaves the file as it is.
    pub fn changed(&self) -> bool {
        self.encoding.is_none() || self.entries.len() > self.read
    }

    /// The ledger written whole — the lines read, then those this run issued — to its
    /// temporary file, in the encoding it was read in (a new ledger in `new_enc`); it is
    /// committed with the run's other outputs.
    pub fn write(&self, new_enc: Encoding, replace: bool) -> Result<(CsvOut, u64)> {
        let encoding = self.encoding.unwrap_or(new_enc);
        let spec = OutputSpec { path: Some(self.path.clone()), encoding, replace, crlf: encoding.is_sjis() };
        let mut out = CsvOut::create(&spec)?;
        out.write_header(&TICKET_LEDGER.names().collect::<Vec<_>>())?;
        // the lines built as bytes, a batch at a time: a ledger has a million of them
        let mut store = RowStore::new(spec.crlf, 1 << 20);
        let mut encoder = TextEncoder::new(spec.encoding, replace);
        let mut scratch = Vec::new();
        let mut digits = itoa::Buffer::new();
        let mut date = String::with_capacity(8);
        for (i, e) in self.entries.iter().enumerate() {
            let line = (i + 2) as u64;
            for (col, text) in e.key_texts().into_iter().enumerate() {
                scratch.clear();
                encoder.encode(text, &mut scratch).map_err(|u| {
                    u.error(Loc::cell(self.name.clone(), line, TICKET_LEDGER.fields[col].name), spec.encoding)
                })?;
                store.field(&scratch);
            }
            store.field(digits.format(e.fy.0).as_bytes());
            store.field(&[b'0' + e.sort.code()]);
            store.field(&e.number.digits());
            date.clear();
            format_date_into(e.issued, &mut date);
            store.field(date.as_bytes());
            store.end_row();
            if i % 8192 == 8191 {
                for part in store.slices() {
                    out.write_raw(part)?;
                }
                store.clear();
            }
        }
        for part in store.slices() {
            out.write_raw(part)?;
        }
        Ok((out, encoder.replaced))
    }
}

/// One ledger line, checked on its own (year and kind digits against its 年度 and 種別).
fn parse_line(row: &Row<'_>) -> Result<LedgerEntry> {
    let l = &TICKET_LEDGER;
    let what = "整理番号台帳";
    let key = person_key(row, l, what)?;
    let insurer_len = code_text(row, l, 0)?.len() as u8;
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
    let (hash, sort_key) = (person_hash(&key, fy, sort), key.sort_key());
    Ok(LedgerEntry { key, insurer_len, fy, sort, number, issued, line: row.line, hash, sort_key })
}

/// Serials taken per (年度, kind digit), sorted.
type Taken = FxHashMap<(FiscalYear, u8), Vec<u32>>;

/// The entries by (person, 年度, 種別), and the first line that repeats one (with its error).
fn index_persons(entries: &[LedgerEntry], name: &str) -> (HashTable<usize>, Option<(u64, Error)>) {
    let mut by_person = HashTable::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let same = |&j: &usize| entries[j].key == e.key && entries[j].fy == e.fy && entries[j].sort == e.sort;
        let rehash = |&j: &usize| entries[j].hash;
        match by_person.entry(e.hash, same, rehash) {
            Entry::Occupied(o) => {
                let detail = format!("同じ人・年度・種別の行が2回あります ({}行目と同じ)", entries[*o.get()].line);
                return (by_person, Some((e.line, Error::Ledger { loc: Loc::line(name, e.line), detail })));
            }
            Entry::Vacant(v) => {
                v.insert(i);
            }
        }
    }
    (by_person, None)
}

/// Every number → its first entry, the serials taken, and the first line that repeats a number
/// (but for the shared kind-5 number of one person's 受診券 and 利用券), with its error.
fn index_numbers(entries: &[LedgerEntry], name: &str) -> (FxHashMap<TicketNumber, usize>, Taken, Option<(u64, Error)>) {
    let mut numbers: FxHashMap<TicketNumber, usize> = FxHashMap::default();
    numbers.reserve(entries.len());
    let mut taken = Taken::default();
    for (i, e) in entries.iter().enumerate() {
        if let Some(&j) = numbers.get(&e.number) {
            let first = &entries[j];
            let shared = e.number.kind() == Some(TicketKind::SameDay)
                && first.key == e.key
                && (first.sort == Sort::Checkup) != (e.sort == Sort::Checkup);
            if !shared {
                let detail = format!("同じ整理番号が{}行目にもあります (別の人か同じ種別)", first.line);
                return (
                    numbers,
                    taken,
                    Some((e.line, Error::Ledger { loc: Loc::cell(name, e.line, "整理番号"), detail })),
                );
            }
        } else {
            numbers.insert(e.number, i);
        }
        taken.entry((e.fy, e.number.kind_digit())).or_default().push(e.number.serial());
    }
    for serials in taken.values_mut() {
        serials.sort_unstable();
        serials.dedup();
    }
    (numbers, taken, None)
}

/// The hash of a (person, 年度, 種別) the ledger is indexed by.
fn person_hash(key: &PersonKey, fy: FiscalYear, sort: Sort) -> u64 {
    FxBuildHasher.hash_one((key, fy, sort))
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
/// (kk-limitcheck and kk-xml check `--tickets`): the ledger's own index of numbers, whose first
/// line serves for a shared kind-5 number (one person, one year).
pub struct TicketBook(Ledger);

impl TicketBook {
    /// Reads and checks the ledger at `path` (it must exist).
    pub fn load(path: &Path, requested: InputEncoding) -> Result<TicketBook> {
        if !path.is_file() {
            return Err(Error::io(path, std::io::Error::from(std::io::ErrorKind::NotFound)));
        }
        Ledger::read(path, requested).map(TicketBook)
    }

    /// How the ledger disagrees with a claim of `number` by `person` in fiscal year `fy`.
    pub fn disagreement(&self, number: TicketNumber, person: &PersonKey, fy: FiscalYear) -> Option<Disagreement> {
        let ledger = &self.0;
        match ledger.numbers.get(&number).map(|&i| &ledger.entries[i]) {
            None => Some(Disagreement::Unknown),
            Some(e) if e.key != *person => Some(Disagreement::OtherPerson(e.line)),
            Some(e) if e.fy != fy => Some(Disagreement::OtherYear(e.fy, e.line)),
            Some(_) => None,
        }
    }
}
