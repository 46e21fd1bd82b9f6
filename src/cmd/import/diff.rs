//! Applying an insured-diff to the base master: 新規 adds, 変更 replaces, 喪失 sets 資格喪失日; a
//! row that cannot apply is rejected with its reason (E202–E204, E108).

use csv::ByteRecord;

use super::check::{Change, Checked, KEY_COLUMN, Problem, Table, Texts};
use crate::domain::duplicates::KeyIndex;
use crate::domain::format_date;
use crate::error::FieldError;
use crate::io::RowStore;
use crate::layout::insured as f;

/// How many diff rows of each kind were applied.
pub struct Applied {
    pub added: u64,
    pub updated: u64,
    pub lost: u64,
}

/// Applies checked diff rows to the base: 新規 adds, 変更 replaces, 喪失 sets 資格喪失日 (the
/// row's 資格喪失日, else its 異動日). A row that cannot apply gets its problem and is rejected.
pub fn apply_diff(
    master: &mut Vec<Checked>,
    index: &mut KeyIndex,
    diff: &mut [Checked],
    store: &mut RowStore,
    texts: &Texts,
) -> Applied {
    let mut n = Applied { added: 0, updated: 0, lost: 0 };
    for row in diff.iter_mut().filter(|r| r.problems.is_empty()) {
        let (Some(key), Some((change, date))) = (texts.key(&row.text), row.change) else { continue };
        let key_problem = |error| Problem { column: KEY_COLUMN, error, value: String::new() };
        match (change, index.find(&Table { rows: master, texts }, key)) {
            (Change::New, Some(_)) => row.problems.push(key_problem(FieldError::AlreadyExists)),
            (Change::Update | Change::Loss, None) => row.problems.push(key_problem(FieldError::NotFound)),
            (Change::New, None) => {
                master.push(row.clone());
                index.add(&Table { rows: master, texts }, master.len() - 1);
                n.added += 1;
            }
            (Change::Update, Some(i)) => {
                master[i] = row.clone();
                n.updated += 1;
            }
            (Change::Loss, Some(i)) => {
                let target = &mut master[i];
                let lost_on = row.lost.unwrap_or(date);
                if target.lost.is_some() {
                    row.problems.push(Problem {
                        column: "資格喪失日",
                        error: FieldError::AlreadyLost,
                        value: String::new(),
                    });
                } else if target.acquired.is_some_and(|a| lost_on < a) {
                    let column = if row.lost.is_some() { "資格喪失日" } else { "異動日" };
                    row.problems.push(Problem { column, error: FieldError::DateOrder, value: format_date(lost_on) });
                } else {
                    let mut rec = store.record(&target.row);
                    let mut updated = ByteRecord::with_capacity(rec.as_slice().len() + 8, rec.len());
                    for (j, field) in rec.iter().enumerate() {
                        // a date is ASCII: the same bytes in every output encoding
                        let date = format_date(lost_on);
                        updated.push_field(if j == f::LOST { date.as_bytes() } else { field });
                    }
                    rec = updated;
                    target.row = store.push(&rec);
                    target.lost = Some(lost_on);
                    target.line = row.line;
                    target.from_base = false;
                    n.lost += 1;
                }
            }
        }
    }
    n
}
