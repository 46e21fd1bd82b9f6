//! Canonical layouts (SPEC §2) and the `--layout FILE.toml` mapping of a site's own headers or
//! column positions onto them. Columns are found by header name, in any order.

mod canonical;
mod lists;
mod mapping;
mod names;

pub use canonical::*;
pub use lists::*;
pub use mapping::{ColumnRef, Columns, LayoutFile};
pub use names::{column_label, is_known_column, is_plainly_value, looks_like_data};
