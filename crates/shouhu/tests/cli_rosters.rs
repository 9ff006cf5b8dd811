//! `shouhu import roster` and `shouhu export roster` as an operator runs them: the real binary on
//! the test's database, its one summary line and exit status, the report sheet, and a process
//! killed with SIGKILL in the middle of a large import leaving nothing behind.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::TestApp;
use shouhu_domain::RegionCode;
use shouhu_roster::generate::{GenSpec, bijie_villages, generate, schools_of};
use shouhu_store::children::{self, ChildFilter};
use shouhu_store::schools::{self, SchoolInput};
use shouhu_store::{DatabaseUrl, Scope};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/rosters/mca-roster.xlsx"
);

/// The binary against the app's database, with a deployment key of its own (imports seal
/// with it; nothing here reads another's files).
fn shouhu(app: &TestApp, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shouhu"));
    cmd.args(args)
        .env("RUST_LOG", "warn")
        .env("SHOUHU_KEY", "ab".repeat(32));
    match app.store.url() {
        DatabaseUrl::Sqlite(path) => {
            cmd.arg("--data-dir").arg(Path::new(path).parent().unwrap());
        }
        DatabaseUrl::Postgres(url) => {
            cmd.arg("--database-url").arg(url);
        }
    }
    cmd
}

fn run(app: &TestApp, args: &[&str]) -> Output {
    shouhu(app, args).output().expect("run shouhu")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn children_count(app: &TestApp) -> usize {
    let mut filter = ChildFilter {
        limit: Some(500),
        ..Default::default()
    };
    let mut n = 0;
    loop {
        let page = app
            .store
            .with_conn(|c| children::list(c, &Scope::local_operator(), &filter))
            .unwrap();
        n += page.items.len();
        match page.next {
            Some(next) => filter.after = Some(next),
            None => return n,
        }
    }
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shouhu-cli-roster-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

async fn import_prints_one_line_and_fails_when_nothing_is_written(app: TestApp) {
    let report = temp("report.xlsx");
    let base = ["import", "roster", FIXTURE, "--school", "5224010004"];
    let mut args = base.to_vec();
    args.extend(["--date", "2026-09-15", "--report", report.to_str().unwrap()]);
    let out = run(&app, &args);
    assert!(
        !out.status.success(),
        "rows were rejected and nothing written"
    );
    assert_eq!(
        text(&out.stdout).trim(),
        "imported 0, updated 0, unchanged 0, rejected 8 (nothing written)"
    );
    assert!(
        text(&out.stderr).contains("第 8 行“公民身份证号码”"),
        "{}",
        text(&out.stderr)
    );
    let sheet = shouhu_roster::read_roster(&std::fs::read(&report).unwrap(), "r.xlsx").unwrap();
    assert!(sheet.columns.iter().any(|h| h.text == "错误说明"));
    assert_eq!(children_count(&app), 0);

    let mut args = base.to_vec();
    args.extend(["--date", "2026-09-15", "--skip-rejected"]);
    let out = run(&app, &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        "imported 53, updated 0, unchanged 0, rejected 8"
    );
    let out = run(&app, &args);
    assert_eq!(
        text(&out.stdout).trim(),
        "imported 0, updated 0, unchanged 53, rejected 8"
    );
    assert_eq!(children_count(&app), 53);

    let csv = temp("out.csv");
    let out = run(
        &app,
        &[
            "export",
            "roster",
            "--scope",
            "520502",
            "--format",
            "csv",
            "--out",
            csv.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("exported 53 children"));
    let sheet = shouhu_roster::read_roster(&std::fs::read(&csv).unwrap(), "out.csv").unwrap();
    assert_eq!(sheet.rows.len(), 53);
    let out = run(
        &app,
        &[
            "export",
            "roster",
            "--scope",
            "520502",
            "--with-sensitive",
            "--out",
            csv.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success(), "full IDs need a purpose");
}
both_dbs!(import_prints_one_line_and_fails_when_nothing_is_written);

/// The schools the generator's sheets name, in the app's database.
fn add_generated_schools(app: &TestApp) {
    for (i, s) in schools_of(&bijie_villages()).into_iter().enumerate() {
        let input = SchoolInput {
            code: format!("59{i:08}"),
            name: s.name,
            region: s.region,
            kind: s.kind,
            boarding: false,
            hotline: None,
            address: None,
        };
        app.store
            .with_conn(|c| schools::create(c, &Scope::local_operator(), &input))
            .unwrap();
    }
}

async fn a_killed_import_leaves_nothing_behind(app: TestApp) {
    add_generated_schools(&app);
    let sheet = temp("big.csv");
    generate(&GenSpec::new(60_000, 11), shouhu_roster::Form::Mca, &sheet).unwrap();
    let mut child = shouhu(&app, &["import", "roster", sheet.to_str().unwrap()])
        .args(["--date", "2026-09-15"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first progress line comes after 10,000 rows are written inside the transaction.
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().expect("a progress line").unwrap();
    assert!(first.ends_with("rows…"), "{first}");
    child.kill().unwrap(); // SIGKILL on Unix
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert_eq!(children_count(&app), 0, "no partial rows");
    if let DatabaseUrl::Sqlite(path) = app.store.url() {
        let check = Command::new("sqlite3")
            .arg(path)
            .arg("PRAGMA integrity_check;")
            .output();
        if let Ok(check) = check {
            assert_eq!(text(&check.stdout).trim(), "ok");
        }
    }
    // Nothing is left locked either: a smaller import afterwards goes through.
    let small = temp("small.csv");
    generate(&GenSpec::new(300, 12), shouhu_roster::Form::Mca, &small).unwrap();
    let out = run(
        &app,
        &[
            "import",
            "roster",
            small.to_str().unwrap(),
            "--date",
            "2026-09-15",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        "imported 300, updated 0, unchanged 0, rejected 0"
    );
    let _ = RegionCode::parse("520502000000");
}
both_dbs!(a_killed_import_leaves_nothing_behind);
