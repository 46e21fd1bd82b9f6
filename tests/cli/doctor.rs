//! kk-doctor: the 定期点検 on a planted work folder — each problem planted is found with its
//! code, a healthy set-up exits 0, and the settings it reads are the scripts' settings.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::{run, tempdir};

/// A work folder with one month that ended normally, an anonymize key (0600) and kk.conf.
fn healthy(p: &Path) -> std::path::PathBuf {
    let log = p.join("work/202604/log");
    std::fs::create_dir_all(&log).unwrap();
    std::fs::write(
        log.join("monthly.log"),
        "2026-05-01T09:00:00+09:00 実行開始 月次処理 202604 (pid 1)\n2026-05-01T09:01:00+09:00 実行終了 月次処理 202604 正常終了\n",
    )
    .unwrap();
    std::fs::write(log.join(".lock"), "").unwrap();
    let key = p.join("anon.key");
    std::fs::write(&key, format!("{}\n", "ab".repeat(32))).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let conf = p.join("kk.conf");
    std::fs::write(
        &conf,
        format!(
            "# test\nKK_WORK={}\nKK_BIN={}\nKK_ANON_KEY={}\nKK_BACKUP=off\nKK_DOCTOR_MIN_FREE_MB=1\n",
            p.join("work").display(),
            crate::bin("kk-doctor").parent().unwrap().display(),
            key.display()
        ),
    )
    .unwrap();
    conf
}

fn doctor(p: &Path, conf: &Path, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["--config", conf.to_str().unwrap(), "--quick"];
    args.extend_from_slice(extra);
    let r = run(p, "kk-doctor", &args);
    (r.code, String::from_utf8(r.stdout).unwrap())
}

#[test]
fn a_healthy_set_up_passes() {
    let dir = tempdir();
    let conf = healthy(dir.path());
    let (code, text) = doctor(dir.path(), &conf, &[]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("[OK]   鍵 KK_ANON_KEY:"), "{text}");
    assert!(text.contains("[OK]   実行記録 202604 の前回の実行: 正常終了"), "{text}");
    assert!(text.contains("[OK]   一時ファイル 作業フォルダ: 残っていません"), "{text}");
    // 15 tools, 3 scripts, 2 commands, the font, the key, free space, the backup setting, the
    // month's run and the temporary files
    assert!(text.trim_end().ends_with("結果: 問題 0 件、注意 0 件、OK 26 件"), "{text}");
}

#[test]
fn each_planted_problem_is_found_with_its_code() {
    let dir = tempdir();
    let p = dir.path();
    let conf = healthy(p);
    // a key others can read
    std::fs::set_permissions(p.join("anon.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, text) = doctor(p, &conf, &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("[問題] D105 鍵 KK_ANON_KEY:") && text.contains("(644)"), "{text}");
    std::fs::set_permissions(p.join("anon.key"), std::fs::Permissions::from_mode(0o600)).unwrap();

    // a missing font, named in the settings
    let mut with_font = std::fs::read_to_string(&conf).unwrap();
    with_font += &format!("KK_FONT={}\n", p.join("no-such-font.ttf").display());
    let font_conf = p.join("font.conf");
    std::fs::write(&font_conf, with_font).unwrap();
    let (code, text) = doctor(p, &font_conf, &[]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("[問題] D104 フォント"), "{text}");

    // a run that never ended, its lock free (killed), and a stray temporary file
    let log = p.join("work/202605/log");
    std::fs::create_dir_all(&log).unwrap();
    std::fs::write(log.join("monthly.log"), "2026-06-01T09:00:00+09:00 実行開始 月次処理 202605 (pid 4242)\n").unwrap();
    std::fs::write(log.join(".lock"), "").unwrap();
    std::fs::create_dir_all(p.join("work/202605/out")).unwrap();
    std::fs::write(p.join("work/202605/out/.kk-0123456789ab.tmp"), "x").unwrap();
    let (code, text) = doctor(p, &conf, &[]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("[注意] D112 実行記録 202605 の前回の実行: 始まったまま終わっていません (pid 4242"),
        "{text}"
    );
    assert!(text.contains("[注意] D113 一時ファイル 作業フォルダ:") && text.contains(".kk-0123456789ab.tmp"), "{text}");

    // a month stopped at a step
    std::fs::write(
        log.join("monthly.log"),
        "2026-06-01T09:00:00+09:00 実行開始 月次処理 202605 (pid 1)\n2026-06-01T09:00:05+09:00 中断 手順 04 limitcheck (終了コード 2)\n",
    )
    .unwrap();
    let (_, text) = doctor(p, &conf, &[]);
    assert!(text.contains("[注意] D111 実行記録 202605 の前回の実行: 手順 04 limitcheck (終了コード 2)"), "{text}");

    // less free space than the threshold
    let full = std::fs::read_to_string(&conf)
        .unwrap()
        .replace("KK_DOCTOR_MIN_FREE_MB=1\n", "KK_DOCTOR_MIN_FREE_MB=999999999999\n");
    std::fs::write(&conf, full).unwrap();
    let (code, json) = doctor(p, &conf, &["--format", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let codes: Vec<&str> = v["items"].as_array().unwrap().iter().filter_map(|i| i["code"].as_str()).collect();
    for c in ["D107", "D111", "D113"] {
        assert!(codes.contains(&c), "{c} in {codes:?}");
    }
    assert_eq!(v["problems"], 0);
}

#[test]
fn backups_old_too_many_and_unverifiable_are_found() {
    let dir = tempdir();
    let p = dir.path();
    let conf = healthy(p);
    let backup = p.join("work/backup");
    std::fs::create_dir_all(&backup).unwrap();
    for m in ["202601", "202602", "202603"] {
        std::fs::write(backup.join(format!("kk-{m}.zip.age")), "not an archive").unwrap();
    }
    let pass = p.join("pass.txt");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let text = std::fs::read_to_string(&conf).unwrap().replace("KK_BACKUP=off\n", "")
        + &format!("KK_BACKUP_KEEP=2\nKK_BACKUP_PASSPHRASE_FILE={}\n", pass.display());
    std::fs::write(&conf, text).unwrap();
    let r = run(p, "kk-doctor", &["--config", conf.to_str().unwrap(), "--verify-backup"]);
    let out = String::from_utf8(r.stdout).unwrap();
    assert_eq!(r.code, 2, "{out}");
    assert!(out.contains("[注意] D110 バックアップ 世代数: 3 世代あります (KK_BACKUP_KEEP=2)"), "{out}");
    assert!(out.contains("[問題] D109 バックアップ 検証:"), "{out}");
}

/// kk-doctor reads exactly the settings the workflow scripts accept.
#[test]
fn the_settings_are_the_scripts_settings() {
    let lib = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/lib.sh")).unwrap();
    let start = lib.find("KK_SETTINGS=\"").unwrap() + "KK_SETTINGS=\"".len();
    let end = start + lib[start..].find('"').unwrap();
    let scripts: Vec<&str> = lib[start..end].split_whitespace().collect();
    assert_eq!(scripts, kk::cmd::doctor::SETTINGS);
}

/// The monthly run starts with the quick 定期点検: a key others can read stops it at step 00.
#[test]
fn the_monthly_run_stops_at_the_doctor_on_a_problem() {
    let dir = tempdir();
    let p = dir.path();
    let conf = healthy(p);
    std::fs::set_permissions(p.join("anon.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let month = p.join("work/202606/in");
    std::fs::create_dir_all(&month).unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    for f in [
        "insured.csv",
        "diff.csv",
        "household-tax.csv",
        "contracts.csv",
        "claims.csv",
        "decided.csv",
        "results.csv",
        "exclusions.csv",
        "info-status.csv",
        "insurers.csv",
        "subsidy-items.csv",
    ] {
        if demo.join(f).is_file() {
            std::fs::copy(demo.join(f), month.join(f)).unwrap();
        }
    }
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/finance.toml"), p.join("finance.toml")).unwrap();
    let text =
        std::fs::read_to_string(&conf).unwrap() + &format!("KK_FINANCE_CONFIG={}\n", p.join("finance.toml").display());
    std::fs::write(&conf, text).unwrap();
    let o = std::process::Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/monthly.sh"))
        .args(["--config", conf.to_str().unwrap(), "-q", "202606"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("手順 00 doctor が終了コード 2 で止まりました"), "{err}");
    let checklist = std::fs::read_to_string(p.join("work/202606/log/00_doctor.txt")).unwrap();
    assert!(checklist.contains("D105"), "{checklist}");
    assert!(!p.join("work/202606/out/master_base.csv").exists(), "nothing was read");
}

/// A kk.conf kk-doctor cannot read is refused as the scripts refuse it: exit 2, the file and
/// line named, nothing checked.
#[test]
fn a_bad_config_is_refused_with_its_line() {
    let dir = tempdir();
    let p = dir.path();
    std::fs::write(p.join("bad.conf"), "# x\nKK_WORK=/tmp\nKK_WROK=/tmp\n").unwrap();
    let r = run(p, "kk-doctor", &["--config", "bad.conf"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("E011") && r.stderr.contains("bad.conf:3行目: 知らない設定 KK_WROK です"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "no checklist");
    std::fs::write(p.join("bad2.conf"), "KK_WORK\n").unwrap();
    let r = run(p, "kk-doctor", &["--config", "bad2.conf"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("bad2.conf:1行目: KEY=VALUE の形ではありません"), "{}", r.stderr);
    let r = run(p, "kk-doctor", &["--config", "missing.conf"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("E001 missing.conf"), "{}", r.stderr);
}
