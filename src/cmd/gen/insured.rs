//! insurers.csv, the population (households of 1–4 at 国保 insurers), insured.csv with planted
//! anomalies, and the month's diff.csv against the master the tools will hold.

use std::collections::HashSet;

use jiff::ToSpan;
use jiff::civil::{Date, date};

use super::Month;
use super::names::{TOWNS, WARDS};
use super::people::{Gen, Insurer, Person, break_check_digit, with_check_digit};
use super::writer::Writer;
use crate::domain::format_date;
use crate::error::Result;
use crate::layout::{INSURED, INSURED_DIFF, insured as c};

/// The 国保 insurers (more for a larger population) and the one 健保組合, last.
pub fn insurers(persons: usize) -> Vec<Insurer> {
    let n_kokuho = (3 + persons / 25_000).min(WARDS.len());
    let mut insurers: Vec<Insurer> = (0..n_kokuho)
        .map(|i| Insurer {
            number: with_check_digit(&format!("13{:03}", i + 1)),
            name: format!("{}国民健康保険", WARDS[i]),
            ward: WARDS[i],
            kigo: format!("{}", 101 + i),
        })
        .collect();
    insurers.push(Insurer {
        number: "06132013".into(),
        name: "東京都架空健康保険組合".into(),
        ward: "新宿区",
        kigo: "ケンポ".into(),
    });
    insurers
}

pub fn write_insurers(m: &Month) -> Result<()> {
    let mut w =
        Writer::create(m.dir, "insurers.csv", m.enc, &["保険者番号", "保険者名", "郵便番号", "住所", "担当部署"])?;
    for (i, ins) in m.insurers.iter().enumerate() {
        w.row(&[
            &ins.number,
            &ins.name,
            &format!("16{}-00{:02}", i % 10, i),
            &format!("東京都{}役所1-1", ins.ward),
            &"保険年金課".to_string(),
        ])?;
    }
    w.finish()
}

/// `n` persons in households of 1–4 at 国保 insurers.
pub fn persons(g: &mut Gen, m: &Month, n: usize) -> Vec<Person> {
    let mut persons: Vec<Person> = Vec::with_capacity(n);
    while persons.len() < n {
        let ins = g.rng.usize(..m.n_kokuho);
        let head = g.person(ins, None);
        let members = g.rng.usize(0..3);
        persons.push(head.clone());
        for _ in 0..members.min(n - persons.len()) {
            let mut member = g.person(ins, Some(&head));
            member.edaban =
                format!("{:02}", persons.iter().rev().take(4).filter(|p| p.household == head.household).count() + 1);
            persons.push(member);
        }
    }
    persons
}

/// insured.csv: the full monthly export, with planted anomalies. Returns the master the tools
/// will hold after importing it (rows that must be rejected left out, second identities added).
pub fn write_insured(g: &mut Gen, m: &mut Month, persons: &[Person]) -> Result<Vec<Person>> {
    let mut w = Writer::create(m.dir, "insured.csv", m.enc, &INSURED.names().collect::<Vec<_>>())?;
    let mut clean: Vec<bool> = vec![true; persons.len()];
    let mut extra: Vec<Person> = Vec::new();
    let every = if m.clean { usize::MAX } else { (persons.len() / 24).clamp(8, 100) };
    for (i, p) in persons.iter().enumerate() {
        let f = g.as_exported(p, &m.insurers);
        let planted = i % every == every / 2;
        if !planted {
            w.row(&f)?;
            continue;
        }
        clean[i] = plant_insured((i / every) % 13, p, f, &mut w, g, m, &mut extra)?;
    }
    w.finish()?;
    let mut master: Vec<Person> = persons.iter().zip(&clean).filter(|(_, c)| **c).map(|(p, _)| p.clone()).collect();
    master.extend(extra);
    Ok(master)
}

/// The column kk-import names for a problem of the whole person key.
const KEY: usize = usize::MAX;

fn note(m: &mut Month, line: u64, column: usize, code: &'static str, what: &'static str) {
    let column = if column == KEY { "被保険者キー" } else { INSURED.fields[column].name };
    m.note("insured.csv", line, column, code, what);
}

/// Writes person `p` with planted anomaly `kind`; returns whether the person stays in the
/// master (the duplicate kinds 2 and 3 add a second identity to `extra`).
fn plant_insured(
    kind: usize,
    p: &Person,
    mut f: Vec<String>,
    w: &mut Writer,
    g: &mut Gen,
    m: &mut Month,
    extra: &mut Vec<Person>,
) -> Result<bool> {
    let (column, value, code, what) = match kind {
        9..=11 => return plant_duplicate(kind, p, &f, w, g, m, extra),
        0 => (c::INSURER, break_check_digit(&f[c::INSURER]), "E103", "保険者番号の検証番号誤り"),
        1 => (c::BIRTH, format!("{}0230", p.birth.year()), "E104", "存在しない日付(2月30日)"),
        2 => (c::BIRTH, "平成31年5月1日".into(), "E105", "元号の期間外(平成31年5月1日)"),
        3 => (c::SEX, "3".into(), "E106", "性別コード誤り"),
        4 => (c::KANA, "やまだ\u{3000}たろう".into(), "E107", "カナ氏名がひらがな"),
        5 => {
            let before = format_date(p.acquired.checked_sub(1.day()).unwrap_or(p.acquired));
            (c::LOST, before, "E108", "資格喪失日が資格取得日より前")
        }
        6 => (c::BANGO, String::new(), "E101", "被保険者証番号が空"),
        7 => (c::EDABAN, "1".into(), "E102", "枝番が1桁"),
        8 => (c::POSTCODE, "12-3456".into(), "E102", "郵便番号の形式誤り"),
        _ => (c::ACQUIRED, "R8.2.30".into(), "E104", "存在しない日付(R8.2.30)"),
    };
    f[column] = value;
    note(m, w.row(&f)?, column, code, what);
    Ok(false)
}

/// The planted duplicates: kind 9 the same key twice (both rows withheld, 重複種別1), kind 10
/// one person under a second key of the same insurer qualified at once (種別2), kind 11 the same
/// person also insured at the 健保組合 with overlapping periods (種別3).
fn plant_duplicate(
    kind: usize,
    p: &Person,
    f: &[String],
    w: &mut Writer,
    g: &mut Gen,
    m: &mut Month,
    extra: &mut Vec<Person>,
) -> Result<bool> {
    let l1 = w.row(f)?;
    if kind == 9 {
        let l2 = w.row(&p.fields(&m.insurers))?;
        note(m, l1, KEY, "E201", "同一キーが2行(重複種別1)");
        note(m, l2, KEY, "E201", "同一キーが2行(重複種別1)");
        return Ok(false);
    }
    let mut twin = p.clone();
    if kind == 10 {
        g.next_bango[p.insurer] += 1;
        twin.bango = g.next_bango[p.insurer].to_string();
        twin.acquired = p.acquired.max(date(2020, 4, 1)).min(m.month);
    } else {
        twin.insurer = m.kenpo;
        twin.kigo = m.insurers[m.kenpo].kigo.clone();
        g.next_bango[m.kenpo] += 1;
        twin.bango = g.next_bango[m.kenpo].to_string();
        twin.edaban = "00".into();
    }
    twin.lost = None;
    let l2 = w.row(&twin.fields(&m.insurers))?;
    let (code, what) = if kind == 10 {
        ("DUP2", "同一保険者内の同一人物(重複種別2)")
    } else {
        ("DUP3", "保険者間の資格重複(重複種別3)")
    };
    // a second key acquired after the first was lost is not at the same time
    if kind == 11 || p.lost.is_none_or(|l| twin.acquired < l) {
        note(m, l1, c::INSURER, code, what);
        note(m, l2, c::INSURER, code, what);
    }
    extra.push(twin);
    Ok(true)
}

/// diff.csv: this month's 異動 (新規, 変更, 喪失) against `master`, which is updated to the
/// master after the diff; then the planted errors.
pub fn write_diff(g: &mut Gen, m: &mut Month, master: &mut Vec<Person>) -> Result<()> {
    let active = |p: &Person, d: Date| p.acquired <= d && p.lost.is_none_or(|l| d < l);
    let mut w = Writer::create(m.dir, "diff.csv", m.enc, &INSURED_DIFF.names().collect::<Vec<_>>())?;
    let month = m.month;
    let month_end = month.last_of_month();
    let n_changes = (master.len() / 50).max(6);
    let mut diff_used: HashSet<usize> = HashSet::new();
    for k in 0..n_changes {
        let when = g.days_between(month, month_end);
        let mut i = g.rng.usize(..master.len());
        while diff_used.contains(&i) || master[i].insurer == m.kenpo {
            i = (i + 1) % master.len();
        }
        diff_used.insert(i);
        let p = master[i].clone();
        let mut f = p.fields(&m.insurers);
        let d = format_date(when);
        match k % 3 {
            0 => {
                let mut n = g.person(p.insurer, None);
                n.acquired = when;
                n.lost = None;
                let mut f = g.as_exported(&n, &m.insurers);
                f.extend(["1".into(), d]);
                w.row(&f)?;
                master.push(n);
                // a new person is not picked again for a planted error below
                diff_used.insert(master.len() - 1);
            }
            1 if active(&p, month) => {
                let moved = format!(
                    "東京都{}{}{}丁目{}番{}号",
                    m.insurers[p.insurer].ward,
                    TOWNS[k % TOWNS.len()],
                    1 + k % 5,
                    1 + k % 20,
                    1 + k % 9
                );
                f[12] = moved.clone();
                f.extend(["2".into(), d]);
                w.row(&f)?;
                master[i].address = moved;
            }
            _ if active(&p, month) && p.acquired <= when => {
                f[9] = String::new();
                f.extend(["3".into(), d]);
                w.row(&f)?;
                master[i].lost = Some(when);
            }
            _ => {}
        }
    }
    if !m.clean {
        plant_diff(g, m, master, &mut w, &mut diff_used)?;
    }
    w.finish()
}

/// The planted errors of diff.csv (E202, E203, E204, E201, E108, E106), each on a person not
/// touched by another diff row (else two rows would share a key).
fn plant_diff(
    g: &mut Gen,
    m: &mut Month,
    master: &[Person],
    w: &mut Writer,
    diff_used: &mut HashSet<usize>,
) -> Result<()> {
    let kenpo = m.kenpo;
    let pick = |g: &mut Gen, used: &mut HashSet<usize>, want_lost: bool| -> Option<usize> {
        let start = g.rng.usize(..master.len());
        let found = (0..master.len())
            .map(|j| (start + j) % master.len())
            .find(|&j| !used.contains(&j) && master[j].insurer != kenpo && master[j].lost.is_some() == want_lost);
        used.extend(found);
        found
    };
    let note = |m: &mut Month, line: u64, column: &'static str, code: &'static str, what: &'static str| {
        m.note("diff.csv", line, column, code, what)
    };
    let d = format_date(g.days_between(m.month, m.month.last_of_month()));
    if let Some(i) = pick(g, diff_used, false) {
        let mut f = master[i].fields(&m.insurers);
        f.extend(["1".into(), d.clone()]);
        note(m, w.row(&f)?, "被保険者キー", "E202", "既存キーへの新規");
    }
    let mut ghost = g.person(0, None);
    ghost.bango = "99999999".into();
    let mut f = ghost.fields(&m.insurers);
    f.extend(["2".into(), d.clone()]);
    note(m, w.row(&f)?, "被保険者キー", "E203", "マスタにないキーの変更");
    if let Some(i) = pick(g, diff_used, true) {
        let mut f = master[i].fields(&m.insurers);
        f.extend(["3".into(), d.clone()]);
        note(m, w.row(&f)?, "資格喪失日", "E204", "喪失済みキーへの喪失");
    }
    if let Some(i) = pick(g, diff_used, false) {
        let mut f = master[i].fields(&m.insurers);
        f[12] = format!("{}（転居）", f[12]);
        let mut f2 = master[i].fields(&m.insurers);
        f.extend(["2".into(), d.clone()]);
        f2.extend(["3".into(), d.clone()]);
        note(m, w.row(&f)?, "被保険者キー", "E201", "同一キーの異動が2行(重複種別1)");
        note(m, w.row(&f2)?, "被保険者キー", "E201", "同一キーの異動が2行(重複種別1)");
    }
    if let Some(i) = pick(g, diff_used, false) {
        let mut f = master[i].fields(&m.insurers);
        let before = master[i].acquired.checked_sub(1.day()).unwrap_or(master[i].acquired);
        f.extend(["3".into(), format_date(before)]);
        note(m, w.row(&f)?, "異動日", "E108", "資格取得日より前の喪失");
    }
    let mut n = g.person(1 % m.n_kokuho, None);
    n.acquired = m.month;
    let mut f = n.fields(&m.insurers);
    f[c::SEX] = "男".into();
    f.extend(["4".into(), d.clone()]);
    let line = w.row(&f)?;
    note(m, line, "性別", "E106", "性別コード誤り");
    note(m, line, "異動区分", "E106", "異動区分コード誤り");
    Ok(())
}
