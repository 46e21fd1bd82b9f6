//! Criterion benches of the hot paths of kk-import, on generated data (`make bench`).
//! The end-to-end comparison with iconv on 1,000,000 rows is scripts/bench.sh.

use std::hint::black_box;

use clap::Parser;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kk::domain::text::{normalize_code, normalize_name};
use kk::domain::{InsurerNumber, parse_date};
use kk::io::{Encoding, TextEncoder};

fn domain(c: &mut Criterion) {
    c.bench_function("parse_date/YYYYMMDD", |b| b.iter(|| parse_date(black_box("19860401"))));
    c.bench_function("parse_date/令和元年", |b| b.iter(|| parse_date(black_box("令和元年5月1日"))));
    c.bench_function("insurer_check", |b| b.iter(|| InsurerNumber::check(black_box("06132013"))));
    c.bench_function("normalize_name/full-width", |b| b.iter(|| normalize_name(black_box("ヤマダ　タロウ"))));
    c.bench_function("normalize_name/half-width", |b| b.iter(|| normalize_name(black_box("ﾔﾏﾀﾞ ﾀﾛｳ"))));
    c.bench_function("normalize_code/full-width", |b| b.iter(|| normalize_code(black_box("１２３４５"))));
    let text = "東京都千代田区髙橋①丁目コーポ山田Ⅱ 101".repeat(4);
    let mut g = c.benchmark_group("encode_sjis");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("address", |b| {
        let mut enc = TextEncoder::new(Encoding::Sjis, false);
        let mut out = Vec::with_capacity(256);
        b.iter(|| {
            out.clear();
            enc.encode(black_box(&text), &mut out)
        })
    });
    g.finish();
}

fn import(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let generate =
        kk::cmd::r#gen::Cli::parse_from(["kk-gen", "--persons", "20000", "--out", dir.path().to_str().unwrap()]);
    kk::cmd::r#gen::run(&generate).expect("generated");
    let input = dir.path().join("insured.csv");
    let size = std::fs::metadata(&input).map(|m| m.len()).unwrap_or(0);
    let out = dir.path().join("master.csv");
    let args = [
        "kk-import",
        "master",
        "-q",
        "-i",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--errors",
        dir.path().join("e.csv").to_str().unwrap().to_string().leak(),
        "--duplicates",
        dir.path().join("d.csv").to_str().unwrap().to_string().leak(),
    ];
    let cli = kk::cmd::import::Cli::parse_from(args);
    let mut g = c.benchmark_group("kk-import master");
    g.throughput(Throughput::Bytes(size));
    g.sample_size(20);
    g.bench_function("20k rows CP932", |b| b.iter(|| kk::cmd::import::run(&cli).expect("imports")));
    g.finish();
}

criterion_group!(benches, domain, import);
criterion_main!(benches);
