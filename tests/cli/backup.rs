//! kk-backup: archives opened by the real `age` and `unzip`, and archives made here — changed,
//! missing, extra, cut short, tampered with, hostile — refused.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use age::secrecy::ExposeSecret;
use sha2::Digest;

use crate::{files_in, run, tempdir};

/// A new age identity in `dir/id.txt` (mode 600); returns its public key.
fn identity(dir: &Path) -> age::x25519::Recipient {
    let id = age::x25519::Identity::generate();
    let p = dir.join("id.txt");
    std::fs::write(&p, format!("{}\n", id.to_string().expose_secret())).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    id.to_public()
}

/// A folder to back up: CSV (Shift_JIS bytes, a quoted line break), text, a nested folder.
fn source(dir: &Path) {
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("in/202604")).unwrap();
    std::fs::write(src.join("in/202604/請求.csv"), b"\x90\xbf\x8b\x81,b\r\n1,\"x\r\ny\"\r\n2,z\r\n").unwrap();
    std::fs::write(src.join("in/master.csv"), "保険者番号,番号\n130013,1\n").unwrap();
    std::fs::write(src.join("readme.txt"), "月次の退避\n").unwrap();
    std::fs::write(src.join("empty.csv"), "").unwrap();
}

fn sha(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn an_archive_opens_with_age_and_unzip_byte_for_byte() {
    let dir = tempdir();
    let p = dir.path();
    source(p);
    std::os::unix::fs::symlink("/etc/passwd", p.join("src/outside")).unwrap();
    std::os::unix::fs::symlink("in/master.csv", p.join("src/inside.csv")).unwrap();
    let key = identity(p).to_string();
    // the archive is written inside the folder it backs up: it must not include itself
    let r = run(p, "kk-backup", &["create", "--recipient", &key, "src", "-o", "src/kk-20260430.zip.age"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("含めません: outside (フォルダの外を指すリンク)"), "{}", r.stderr);
    let meta = std::fs::metadata(p.join("src/kk-20260430.zip.age")).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let r = run(p, "kk-backup", &["create", "--recipient", &key, "src", "-o", "src/kk-20260430.zip.age"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("含めません: kk-20260430.zip.age (作成中のアーカイブ)"), "{}", r.stderr);

    let age = crate::external("age")
        .args(["-d", "-i", "id.txt", "-o", "plain.zip", "src/kk-20260430.zip.age"])
        .current_dir(p)
        .status();
    assert!(age.map(|s| s.success()).unwrap_or(false), "age -d");
    std::fs::create_dir(p.join("x")).unwrap();
    let unzip = crate::external("unzip").args(["-q", "../plain.zip"]).current_dir(p.join("x")).status().unwrap();
    assert!(unzip.success());
    for f in ["in/202604/請求.csv", "in/master.csv", "readme.txt", "empty.csv"] {
        assert_eq!(std::fs::read(p.join("x").join(f)).unwrap(), std::fs::read(p.join("src").join(f)).unwrap(), "{f}");
    }
    assert_eq!(std::fs::read(p.join("x/inside.csv")).unwrap(), std::fs::read(p.join("src/in/master.csv")).unwrap());
    let csv = std::fs::read(p.join("src/in/202604/請求.csv")).unwrap();
    assert_eq!(
        std::fs::read_to_string(p.join("x/MANIFEST.csv")).unwrap(),
        format!(
            "パス,サイズ,SHA-256,件数\nempty.csv,0,{},0\nin/202604/請求.csv,{},{},2\nin/master.csv,{m},{},1\ninside.csv,{m},{},1\nreadme.txt,16,{},\n",
            sha(b""),
            csv.len(),
            sha(&csv),
            sha("保険者番号,番号\n130013,1\n".as_bytes()),
            sha("保険者番号,番号\n130013,1\n".as_bytes()),
            sha("月次の退避\n".as_bytes()),
            m = "保険者番号,番号\n130013,1\n".len(),
        )
    );
    let mut names: Vec<String> = files_in(&p.join("x"));
    names.sort();
    assert_eq!(names, ["MANIFEST.csv", "empty.csv", "in", "inside.csv", "readme.txt"], "no archive, no outside link");

    let r = run(p, "kk-backup", &["verify", "src/kk-20260430.zip.age", "--identity", "id.txt"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("5 ファイルすべて目録と一致しました"), "{}", r.stderr);
    let r = run(p, "kk-backup", &["list", "src/kk-20260430.zip.age", "--identity", "id.txt"]);
    assert_eq!(r.stdout, std::fs::read(p.join("x/MANIFEST.csv")).unwrap());
}

/// An archive made here: `entries` as given, sealed to `recipient`.
fn hand_made(path: &Path, recipient: &age::x25519::Recipient, entries: &[(&str, &[u8])], link: Option<&str>) {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, bytes) in entries {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    if let Some(name) = link {
        zip.add_symlink(name, "/etc", options).unwrap();
    }
    let plain = zip.finish().unwrap().into_inner();
    let mut out = Vec::new();
    let enc = age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient)).unwrap();
    let mut w = enc.wrap_output(&mut out).unwrap();
    w.write_all(&plain).unwrap();
    w.finish().unwrap();
    std::fs::write(path, out).unwrap();
}

fn manifest(lines: &[(&str, &[u8])]) -> Vec<u8> {
    let mut m = String::from("パス,サイズ,SHA-256,件数\n");
    for (name, bytes) in lines {
        m.push_str(&format!("{name},{},{},\n", bytes.len(), sha(bytes)));
    }
    m.into_bytes()
}

#[test]
fn verify_names_what_changed_is_missing_or_extra_and_exits_3() {
    let dir = tempdir();
    let p = dir.path();
    let key = identity(p);
    let m = manifest(&[("a.txt", b"one"), ("b.txt", b"two"), ("c.txt", b"three")]);
    hand_made(
        &p.join("bad.zip.age"),
        &key,
        &[("MANIFEST.csv", &m), ("a.txt", b"one"), ("b.txt", b"TWO"), ("d.txt", b"four")],
        None,
    );
    let r = run(p, "kk-backup", &["verify", "bad.zip.age", "--identity", "id.txt"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(
        lines,
        [
            "kk-backup: B101 変更: b.txt",
            "kk-backup: B103 余分: d.txt",
            "kk-backup: B102 欠落: c.txt",
            "kk-backup: 一致 1 ファイル、問題 3 件 (B101 変更 1 件 / B102 欠落 1 件 / B103 余分 1 件)",
        ]
    );
    // and restore writes nothing from such an archive
    let r = run(p, "kk-backup", &["restore", "bad.zip.age", "out", "--identity", "id.txt"]);
    assert_eq!(r.code, 3);
    assert!(!p.join("out").exists());
}

#[test]
fn truncated_tampered_and_wrongly_keyed_archives_are_refused() {
    let dir = tempdir();
    let p = dir.path();
    source(p);
    let key = identity(p).to_string();
    let r = run(p, "kk-backup", &["create", "--recipient", &key, "src", "-o", "a.zip.age"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let whole = std::fs::read(p.join("a.zip.age")).unwrap();
    std::fs::write(p.join("cut.zip.age"), &whole[..whole.len() - 200]).unwrap();
    let r = run(p, "kk-backup", &["verify", "cut.zip.age", "--identity", "id.txt"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("E901 cut.zip.age: アーカイブが壊れているか、途中で切れています"), "{}", r.stderr);
    let mut flipped = whole.clone();
    let at = whole.len() / 2 + 100;
    flipped[at] ^= 0x55;
    std::fs::write(p.join("flip.zip.age"), &flipped).unwrap();
    let r = run(p, "kk-backup", &["verify", "flip.zip.age", "--identity", "id.txt"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    // another key
    let other = tempdir();
    identity(other.path());
    std::fs::copy(other.path().join("id.txt"), p.join("other.txt")).unwrap();
    let r = run(p, "kk-backup", &["verify", "a.zip.age", "--identity", "other.txt"]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.trim(), "kk-backup: E022 a.zip.age を復号できません: 鍵またはパスフレーズが合いません");
    // a key file others can read
    std::fs::set_permissions(p.join("id.txt"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = run(p, "kk-backup", &["verify", "a.zip.age", "--identity", "id.txt"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("E021 鍵ファイル id.txt"), "{}", r.stderr);
}

#[test]
fn restore_refuses_every_path_escape_and_writes_nothing() {
    let dir = tempdir();
    let p = dir.path();
    let key = identity(p);
    for (name, link) in [
        ("../escape.txt", None),
        ("/tmp/abs.txt", None),
        ("C:/win.txt", None),
        ("a\\..\\b.txt", None),
        ("ok.txt", Some("link")),
    ] {
        let m = manifest(&[(name, b"x")]);
        hand_made(&p.join("h.zip.age"), &key, &[("MANIFEST.csv", &m), (name, b"x")], link);
        let r = run(p, "kk-backup", &["restore", "h.zip.age", "dest/inner", "--identity", "id.txt"]);
        assert_eq!(r.code, 3, "{name}: {}", r.stderr);
        assert!(r.stderr.contains("B105 危険なパス"), "{name}: {}", r.stderr);
        assert!(!p.join("dest").exists() && !p.join("escape.txt").exists(), "{name}");
    }
    // a destination whose folder is a link elsewhere is not written through
    let m = manifest(&[("sub/f.txt", b"x")]);
    hand_made(&p.join("s.zip.age"), &key, &[("MANIFEST.csv", &m), ("sub/f.txt", b"x")], None);
    std::fs::create_dir_all(p.join("dest")).unwrap();
    std::fs::create_dir_all(p.join("elsewhere")).unwrap();
    std::os::unix::fs::symlink(p.join("elsewhere"), p.join("dest/sub")).unwrap();
    let r = run(p, "kk-backup", &["restore", "s.zip.age", "dest", "--identity", "id.txt", "--force"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("シンボリックリンク"), "{}", r.stderr);
    assert!(files_in(&p.join("elsewhere")).is_empty());
}

#[test]
fn restore_writes_0600_files_and_overwrites_only_with_force() {
    let dir = tempdir();
    let p = dir.path();
    source(p);
    std::fs::write(p.join("pass.txt"), "合言葉 correct horse\n").unwrap();
    std::fs::set_permissions(p.join("pass.txt"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let r = run(p, "kk-backup", &["create", "--passphrase-file", "pass.txt", "src", "-o", "b.zip.age"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(p, "kk-backup", &["restore", "b.zip.age", "back", "--passphrase-file", "pass.txt"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for f in ["in/202604/請求.csv", "in/master.csv", "readme.txt", "empty.csv"] {
        assert_eq!(std::fs::read(p.join("back").join(f)).unwrap(), std::fs::read(p.join("src").join(f)).unwrap());
        let mode = std::fs::metadata(p.join("back").join(f)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{f}");
    }
    assert!(!p.join("back/MANIFEST.csv").exists());
    std::fs::write(p.join("back/readme.txt"), "local change").unwrap();
    let r = run(p, "kk-backup", &["restore", "b.zip.age", "back", "--passphrase-file", "pass.txt"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("E023 復元先に同じ名前のファイルが 4 件あります"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(p.join("back/readme.txt")).unwrap(), "local change");
    let r = run(p, "kk-backup", &["restore", "b.zip.age", "back", "--passphrase-file", "pass.txt", "--force"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(p.join("back/readme.txt")).unwrap(), "月次の退避\n");
}

#[test]
fn prune_keeps_the_newest_generations_and_touches_nothing_else() {
    let dir = tempdir();
    let p = dir.path();
    let names = [
        "kk-20260131.zip.age",
        "kk-202602.zip.age",
        "kk-2026-03-31.zip.age",
        "kk-20260430.zip.age",
        "before-update-20260430.zip.age",
        "kk-nodate.zip.age",
        "kk-20260531.zip",
        "notes-20200101.txt",
    ];
    for n in names {
        std::fs::write(p.join(n), n).unwrap();
    }
    let r = run(p, "kk-backup", &["prune", ".", "--keep", "2", "--dry-run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("削除予定: ./kk-20260131.zip.age") && r.stderr.contains("削除予定: ./kk-202602.zip.age"));
    assert_eq!(files_in(p).len(), names.len());
    let r = run(p, "kk-backup", &["prune", ".", "--keep", "2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        files_in(p),
        [
            "before-update-20260430.zip.age",
            "kk-2026-03-31.zip.age",
            "kk-20260430.zip.age",
            "kk-20260531.zip",
            "kk-nodate.zip.age",
            "notes-20200101.txt"
        ]
    );
    let r = run(p, "kk-backup", &["prune", ".", "--keep", "0"]);
    assert_eq!(r.code, 2, "keeping nothing is refused");
}
