//! The report as CSV (log/report.csv: 種別, 手順, 項目, 値), for the scheduler or a spreadsheet.

use super::Facts;
use super::read::number;
use crate::io::RowStore;

pub fn render(f: &Facts) -> RowStore {
    let mut store = RowStore::new(true, 1 << 16);
    let row = |store: &mut RowStore, fields: [&str; 4]| {
        for f in fields {
            store.field(f.as_bytes());
        }
        store.end_row();
    };
    row(&mut store, ["種別", "手順", "項目", "値"]);
    row(&mut store, ["結果", "", "判定", &f.verdict]);
    for s in &f.steps {
        let step = format!("{} {}", s.no, s.name);
        for (k, v) in [("開始", &s.start), ("終了", &s.end), ("秒", &s.seconds), ("終了コード", &s.exit)] {
            row(&mut store, ["手順", &step, k, v]);
        }
        for k in ["rows_in", "rows_out", "rows_rejected", "findings"] {
            let v = number(&s.summary, k);
            if !v.is_empty() {
                row(&mut store, ["件数", &step, k, &v]);
            }
        }
    }
    for ((source, code), n) in &f.by_code {
        row(&mut store, ["コード", source, code, &n.to_string()]);
    }
    for (source, line, code) in &f.items {
        row(&mut store, ["明細", source, &line.to_string(), code]);
    }
    for (p, (size, sha)) in &f.checksums {
        let name = p.display().to_string();
        row(&mut store, ["ファイル", &name, "バイト", &size.to_string()]);
        row(&mut store, ["ファイル", &name, "SHA-256", sha]);
    }
    store
}
