//! Domain types and rules (DOMAIN.md Part 1). Every rule lives in one function named for what it
//! computes, with its edge cases tested beside it.

pub mod age;
pub mod date;
pub mod duplicates;
pub mod money;
pub mod number;
pub mod person;
pub mod statutory;
pub mod stratify;
pub mod target;
pub mod text;
pub mod ticket;

pub use age::{FiscalYear, age_at_fiscal_year_end, is_tokutei_target, legal_age};
pub use date::{
    Era, end_of_next_month_business_day, format_date, format_wareki, is_yyyymmdd, parse_date, push_date_digits,
};
pub use money::{Copay, expected_claim, expected_copayment, parse_count, parse_yen};
pub use number::{InstitutionNumber, InsurerNumber, luhn_check_digit};
pub use person::{PersonKey, SortKey, qualified_on};
pub use target::{TargetStatus, target_status};
pub use ticket::{MAX_SERIAL, TicketKind, TicketNumber};
