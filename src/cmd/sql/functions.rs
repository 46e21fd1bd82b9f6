//! The domain rules as SQL functions, each a thin wrapper over the `kk::domain` function the
//! tools use (no second copy of a rule). Dates are accepted in any form kk reads (the tables
//! hold `YYYYMMDD`); NULL or an empty value gives NULL; anything else that is not a date is an
//! error of the query (E032), never a silent NULL.

use jiff::civil::Date;
use rusqlite::Connection;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;

use crate::domain::number::shown_insurer;
use crate::domain::person::identity_kana;
use crate::domain::statutory::{excludes, five_year_band, rate_tenths, report_age, standing};
use crate::domain::stratify::measures::measure_name;
use crate::domain::text::normalize_code;
use crate::domain::{
    FiscalYear, InsurerNumber, PersonKey, TargetStatus, age_at_fiscal_year_end, format_wareki, legal_age, parse_date,
    qualified_on, target_status,
};

/// The functions, with their arguments, for `--list-functions` and docs/sql.md.
pub const FUNCTIONS: &[(&str, &str, &str)] = &[
    ("年齢", "生年月日, 基準日", "基準日の年齢 (年齢計算ニ関スル法律: 誕生日の前日に加齢)"),
    ("年度末年齢", "生年月日, 年度", "年度末 (3月31日) の年齢"),
    ("報告年齢", "生年月日, 年度", "法定報告の年齢 (40〜74、年度末に75歳になる人は74)。範囲外は NULL"),
    ("年度", "日付", "年度 (4月始まり)"),
    ("和暦", "日付", "和暦の日付 (令和8年4月1日)"),
    ("年齢階級", "年齢", "5歳刻みの階級 (40-44 … 70-74、ほかの年齢も 5歳刻み)"),
    ("資格あり", "取得日, 喪失日, 日付", "その日に資格があるか (1/0; 喪失日は資格のない最初の日)"),
    ("特定健診対象", "生年月日, 取得日, 喪失日, 年度, 基準日[, 除外]", "実施基準の対象者か (1/0)"),
    (
        "法定報告対象",
        "生年月日, 取得日, 喪失日, 年度[, 除外]",
        "法定報告の分母に入るか (1/0; 年度途中の加入・脱退は入らない)",
    ),
    ("除外期間", "開始日, 終了日, 年度", "告示の除外期間が年度に重なるか (1/0)"),
    ("受診率", "受診者数, 対象者数", "受診率 (%、小数1桁、四捨五入。法定報告と同じ丸め)。対象者 0 は NULL"),
    ("保険者番号検証", "番号", "保険者番号として正しいか (6桁または8桁、検証番号; 1/0)"),
    ("保険者番号表記", "保険者番号", "報告での表記 (8桁に揃えてから、国保の法別 00 を除く: 00130013 → 130013)"),
    ("被保険者キー", "保険者番号, 記号, 番号, 枝番", "ツールが照合に使う被保険者キー (8桁の保険者番号/記号/番号/枝番)"),
    ("カナ正規化", "カナ", "照合用のカナ (全角カタカナ、空白なし)"),
    ("測定項目", "項目コード", "項目コードが表す検査 (HbA1c、空腹時血糖、服薬2(血糖) …)"),
];

type Fr<T> = rusqlite::Result<T>;

/// An argument as text; None for NULL or empty.
fn text(ctx: &Context<'_>, i: usize) -> Fr<Option<String>> {
    Ok(match ctx.get_raw(i) {
        ValueRef::Null => None,
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => {
            let t = String::from_utf8_lossy(t);
            let t = normalize_code(&t).into_owned();
            (!t.is_empty()).then_some(t)
        }
    })
}

fn fail(name: &str, i: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(format!("{name}: {}番目の引数が{what}", i + 1).into())
}

/// A date argument; None for NULL or empty.
fn date(ctx: &Context<'_>, name: &str, i: usize) -> Fr<Option<Date>> {
    text(ctx, i)?.map(|t| parse_date(&t).map_err(|_| fail(name, i, "日付として解釈できません"))).transpose()
}

/// A whole-number argument (a year, an age); None for NULL or empty.
fn number(ctx: &Context<'_>, name: &str, i: usize) -> Fr<Option<i64>> {
    text(ctx, i)?.map(|t| t.parse::<i64>().map_err(|_| fail(name, i, "整数ではありません"))).transpose()
}

fn year(ctx: &Context<'_>, name: &str, i: usize) -> Fr<Option<FiscalYear>> {
    Ok(number(ctx, name, i)?.and_then(|y| i16::try_from(y).ok()).map(FiscalYear))
}

/// A 0/1 flag argument (除外): absent, NULL, empty or 0 is false.
fn flag(ctx: &Context<'_>, i: usize) -> Fr<bool> {
    Ok(i < ctx.len() && text(ctx, i)?.is_some_and(|t| t != "0"))
}

fn add<T: rusqlite::types::ToSql + 'static>(
    db: &Connection,
    name: &'static str,
    args: i32,
    f: impl Fn(&Context<'_>) -> Fr<T> + Send + 'static,
) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    db.create_scalar_function(name, args, flags, move |ctx| f(ctx))
}

/// Registers every function of [`FUNCTIONS`] on `db`.
pub fn register(db: &Connection) -> rusqlite::Result<()> {
    add(db, "年齢", 2, |c| Ok(date(c, "年齢", 0)?.zip(date(c, "年齢", 1)?).map(|(b, on)| legal_age(b, on))))?;
    add(db, "年度末年齢", 2, |c| {
        Ok(date(c, "年度末年齢", 0)?.zip(year(c, "年度末年齢", 1)?).map(|(b, fy)| age_at_fiscal_year_end(b, fy)))
    })?;
    add(db, "報告年齢", 2, |c| {
        Ok(date(c, "報告年齢", 0)?.zip(year(c, "報告年齢", 1)?).and_then(|(b, fy)| report_age(b, fy)))
    })?;
    add(db, "年度", 1, |c| Ok(date(c, "年度", 0)?.map(|d| FiscalYear::of(d).0)))?;
    add(db, "和暦", 1, |c| Ok(date(c, "和暦", 0)?.map(format_wareki)))?;
    add(db, "年齢階級", 1, |c| Ok(number(c, "年齢階級", 0)?.and_then(five_year_band)))?;
    add(db, "資格あり", 3, |c| {
        let (acquired, lost, on) = (date(c, "資格あり", 0)?, date(c, "資格あり", 1)?, date(c, "資格あり", 2)?);
        Ok(acquired.zip(on).map(|(a, on)| i64::from(qualified_on(a, lost, on))))
    })?;
    for args in [5, 6] {
        add(db, "特定健診対象", args, |c| {
            let n = "特定健診対象";
            let (birth, acquired, lost) = (date(c, n, 0)?, date(c, n, 1)?, date(c, n, 2)?);
            let (fy, on, excluded) = (year(c, n, 3)?, date(c, n, 4)?, flag(c, 5)?);
            Ok(birth.zip(acquired).zip(fy.zip(on)).map(|((b, a), (fy, on))| {
                i64::from(target_status(a, lost, b, fy, on, excluded) == TargetStatus::Target)
            }))
        })?;
    }
    for args in [4, 5] {
        add(db, "法定報告対象", args, |c| {
            let n = "法定報告対象";
            let (birth, acquired, lost, fy) = (date(c, n, 0)?, date(c, n, 1)?, date(c, n, 2)?, year(c, n, 3)?);
            let excluded = flag(c, 4)?;
            Ok(birth.zip(acquired).zip(fy).map(|((b, a), fy)| i64::from(standing(b, a, lost, excluded, fy).is_ok())))
        })?;
    }
    add(db, "除外期間", 3, |c| {
        let (start, end, fy) = (date(c, "除外期間", 0)?, date(c, "除外期間", 1)?, year(c, "除外期間", 2)?);
        Ok(start.zip(fy).map(|(s, fy)| i64::from(excludes(s, end, fy))))
    })?;
    add(db, "受診率", 2, |c| {
        let (examined, targets) = (number(c, "受診率", 0)?, number(c, "受診率", 1)?);
        let rate = examined.zip(targets).and_then(|(e, t)| rate_tenths(u64::try_from(e).ok()?, u64::try_from(t).ok()?));
        Ok(rate.map(|t| t as f64 / 10.0))
    })?;
    add(db, "保険者番号検証", 1, |c| Ok(text(c, 0)?.map(|t| i64::from(InsurerNumber::check(&t).is_ok()))))?;
    add(db, "保険者番号表記", 1, |c| {
        Ok(text(c, 0)?.map(|t| {
            let padded = format!("{t:0>8}");
            shown_insurer(&padded).to_string()
        }))
    })?;
    add(db, "被保険者キー", 4, |c| {
        let part = |i| text(c, i).map(Option::unwrap_or_default);
        Ok(PersonKey::from_columns(&part(0)?, &part(1)?, &part(2)?, &part(3)?).map(|k| k.to_string()))
    })?;
    add(db, "カナ正規化", 1, |c| {
        Ok(match c.get_raw(0) {
            ValueRef::Text(t) => Some(identity_kana(&String::from_utf8_lossy(t))),
            _ => None,
        })
    })?;
    add(db, "測定項目", 1, |c| Ok(text(c, 0)?.and_then(|t| measure_name(&t))))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(db: &Connection, sql: &str) -> rusqlite::types::Value {
        db.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn every_function_is_registered_and_documented() {
        let db = Connection::open_in_memory().unwrap();
        register(&db).unwrap();
        let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/sql.md")).unwrap();
        for (name, args, _) in FUNCTIONS {
            assert!(docs.contains(&format!("`{name}(")), "docs/sql.md: {name}");
            // every argument NULL: NULL (or 0 for a flag), never an error
            let n = args.split(',').filter(|a| !a.contains('[')).count();
            let nulls = vec!["NULL"; n].join(", ");
            let v = one(&db, &format!("SELECT {name}({nulls})"));
            assert!(matches!(v, rusqlite::types::Value::Null | rusqlite::types::Value::Integer(0)), "{name}: {v:?}");
        }
    }

    #[test]
    fn the_functions_give_the_rules_answers() {
        let db = Connection::open_in_memory().unwrap();
        register(&db).unwrap();
        use rusqlite::types::Value::{Integer, Real, Text};
        assert_eq!(one(&db, "SELECT 年齢('2000-02-29', '2027-02-28')"), Integer(27));
        assert_eq!(one(&db, "SELECT 年齢('20000229', 'R9.2.27')"), Integer(26));
        assert_eq!(one(&db, "SELECT 年度('20260331')"), Integer(2025));
        assert_eq!(one(&db, "SELECT 報告年齢('19510401', 2025)"), Integer(74));
        assert_eq!(one(&db, "SELECT 受診率(1, 8)"), Real(12.5));
        assert_eq!(one(&db, "SELECT 保険者番号表記('130013')"), Text("130013".into()));
        assert_eq!(one(&db, "SELECT 被保険者キー('130013', '１０１', '1', '01')"), Text("00130013/101/1/01".into()));
        assert_eq!(one(&db, "SELECT 被保険者キー('130014', '101', '1', '01')"), rusqlite::types::Value::Null);
        assert_eq!(one(&db, "SELECT 測定項目('3D046000001920402')"), Text("HbA1c".into()));
        let bad: rusqlite::Result<i64> = db.query_row("SELECT 年度('2025-13-01')", [], |r| r.get(0));
        assert!(bad.unwrap_err().to_string().contains("年度: 1番目の引数が日付として解釈できません"));
    }
}
