//! The command line as an operator uses it: the real `shouhu` binary on a fresh data directory, and
//! the region import on both databases.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use common::TestApp;
use shouhu_store::{Scope, regions};

const VILLAGES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/fixtures/regions/regions-guizhou-village.csv"
);

fn shouhu(data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_shouhu"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run shouhu")
}

#[test]
fn migrate_then_add_list_disable_and_reset_a_user() {
    let dir = std::env::temp_dir().join(format!("shouhu-cli-{}", rand::random::<u64>()));
    let out = shouhu(&dir, &["migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("shouhu.sqlite3").exists());
    // The deployment key is made on first start, readable by the owner only.
    let key = dir.join("shouhu.key");
    assert_eq!(std::fs::read_to_string(&key).unwrap().trim().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let out = shouhu(
        &dir,
        &[
            "user",
            "add",
            "--username",
            "qxg",
            "--name",
            "七星关区教育局",
            "--role",
            "bureau",
            "--region",
            "520502",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("created user qxg (bureau) at 520502000000"),
        "{text}"
    );
    assert!(
        text.contains("password: "),
        "a generated password is printed once"
    );

    let out = shouhu(
        &dir,
        &[
            "user",
            "add",
            "--username",
            "x",
            "--role",
            "bureau",
            "--region",
            "12345",
        ],
    );
    assert!(!out.status.success(), "a malformed region code is refused");

    let out = shouhu(&dir, &["user", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("qxg"));

    let out = shouhu(&dir, &["user", "disable", "qxg"]);
    assert!(out.status.success());
    let out = shouhu(&dir, &["user", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("disabled"));

    let out = shouhu(
        &dir,
        &["user", "reset-password", "qxg", "--password", "abc12345xyz"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

async fn villages_import_adds_only_what_is_new(app: TestApp) {
    let path = std::path::Path::new(VILLAGES);
    let first = shouhu::operator::import_regions(&app.store, path, false).unwrap();
    // Guizhou has 17,936 villages in the 2022 file; the demo county added four of them already.
    assert_eq!(
        first.added,
        17_936 - 4 + 1,
        "villages plus the township 2023 dropped (羊艾农场)"
    );
    let again = shouhu::operator::import_regions(&app.store, path, false).unwrap();
    assert_eq!(again.added, 0, "re-importing changes nothing");
    assert_eq!(again.renamed, 0);
    // The 2023 name of the shipped table survives the older file.
    let code = shouhu_domain::RegionCode::parse("520324116000").unwrap();
    let town = app
        .store
        .with_conn(|c| regions::get(c, &Scope::local_operator(), &code))
        .unwrap();
    assert_eq!(town.name, "桴㯊镇");
    let village = shouhu_domain::RegionCode::parse("520502102207").unwrap();
    let v = app
        .store
        .with_conn(|c| regions::get(c, &Scope::local_operator(), &village))
        .unwrap();
    assert_eq!(
        (v.level.as_str(), v.parent_code.as_deref()),
        ("village", Some("520502102000"))
    );
}
both_dbs!(villages_import_adds_only_what_is_new);

#[test]
fn the_caliber_job_runs_on_demand_for_a_given_date() {
    let dir = std::env::temp_dir().join(format!("shouhu-cli-{}", rand::random::<u64>()));
    let out = shouhu(&dir, &["jobs", "run", "calibers", "--date", "2027-09-01"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("calibers as of 2027-09-01: 0 files"),
        "{stdout}"
    );
    let bad = shouhu(&dir, &["jobs", "run", "calibers", "--date", "2027-02-30"]);
    assert!(!bad.status.success(), "an impossible date is refused");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_generated_roster_names_its_bad_rows_and_reads_back_with_exactly_those_refused() {
    let dir = std::env::temp_dir().join(format!("shouhu-cli-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let out_file = dir.join("roster.csv");
    let out = Command::new(env!("CARGO_BIN_EXE_shouhu"))
        .args(["roster", "generate", "--children", "200", "--seed", "7"])
        .args([
            "--bad-share",
            "0.05",
            "--form",
            "xueji",
            "--encoding",
            "gbk",
            "--out",
        ])
        .arg(&out_file)
        .output()
        .expect("run shouhu");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Vec<u32> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(listed.len(), 10, "5% of 200");

    let bytes = std::fs::read(&out_file).unwrap();
    let sheet = shouhu_roster::read_roster(&bytes, "roster.csv").unwrap();
    let ctx = shouhu_roster::RowContext {
        default_region: shouhu_domain::RegionCode::parse("520502101000").unwrap(),
        today: chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
    };
    let (_, rejected) = shouhu_roster::parse_rows(&sheet, &ctx).unwrap();
    let mut refused: Vec<u32> = rejected.iter().map(|r| r.sheet_row).collect();
    refused.sort_unstable();
    assert_eq!(refused, listed, "exactly the planted rows are refused");

    let bad = Command::new(env!("CARGO_BIN_EXE_shouhu"))
        .args([
            "roster",
            "generate",
            "--children",
            "5",
            "--bad-share",
            "2",
            "--out",
        ])
        .arg(dir.join("x.csv"))
        .output()
        .expect("run shouhu");
    assert!(!bad.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}
