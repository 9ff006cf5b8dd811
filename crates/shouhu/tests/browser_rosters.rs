//! A roster import in a real browser: the administrator on a phone-sized headless Chromium
//! uploads a generated 花名册 (CSV, a few bad rows planted), watches the progress bar move while
//! it is checked, reads the report, confirms skipping the bad rows, and watches the import run
//! to its result.
#![allow(clippy::unwrap_used)]

mod browser;
mod common;

use std::time::{Duration, Instant};

use browser::Browser;
use common::{DEMO_PASSWORD, Db, TestApp};
use serde_json::Value;
use shouhu_roster::Form;
use shouhu_roster::generate::{GenSpec, bijie_villages, generate, schools_of};
use shouhu_store::schools::{self, SchoolInput};
use shouhu_store::{Scope, children};

/// Rows in the sheet: enough batches (the import reports every 500 rows) for the bar to be
/// seen between its ends in a debug build, few enough for the test to stay well under a minute.
/// `SHOUHU_BROWSER_ROSTER_ROWS` changes it.
const ROWS: usize = 4000;

/// How long a step may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(120);

fn rows() -> usize {
    std::env::var("SHOUHU_BROWSER_ROSTER_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ROWS)
}

/// The schools the generated sheet names, in the app's database (a sheet's 学校 cell must name
/// a school in reach).
fn add_generated_schools(app: &TestApp, villages: &[shouhu_domain::RegionCode]) {
    for (i, s) in schools_of(villages).into_iter().enumerate() {
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

fn child_count(app: &TestApp) -> usize {
    let mut filter = children::ChildFilter {
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

/// What the upload's page shows at one moment.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    heading: String,
    /// The bar, if on the page: (value, max), value `None` while its end is unknown.
    bar: Option<(Option<f64>, f64)>,
}

/// `None` when the page was between two loads and the script could not run.
async fn sample(b: &Browser) -> Option<Sample> {
    let v: Value = b
        .client
        .execute(
            "var p = document.getElementById('job-progress'); \
             var h = document.querySelector('main h1'); \
             return { heading: h ? h.textContent : '', present: !!p, \
                      determinate: !!p && p.position >= 0, \
                      value: p ? p.value : 0, max: p ? p.max : 0 };",
            Vec::new(),
        )
        .await
        .ok()?;
    let bar = v["present"].as_bool().unwrap().then(|| {
        let value = v["determinate"]
            .as_bool()
            .unwrap()
            .then(|| v["value"].as_f64().unwrap());
        (value, v["max"].as_f64().unwrap())
    });
    Some(Sample {
        heading: v["heading"].as_str().unwrap().to_owned(),
        bar,
    })
}

/// Samples the page until its heading is `done`; the samples that showed the bar.
async fn watch_until(b: &Browser, done: &str) -> Vec<Sample> {
    let started = Instant::now();
    let mut seen = Vec::new();
    loop {
        if let Some(s) = sample(b).await {
            if s.heading == done {
                return seen;
            }
            if s.bar.is_some() && seen.last() != Some(&s) {
                seen.push(s);
            }
        }
        assert!(
            started.elapsed() < PATIENCE,
            "no {done} after {PATIENCE:?}; seen {seen:?}\n{}",
            b.text().await
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

/// Whether the bar was once strictly between its ends.
fn moved(samples: &[Sample]) -> bool {
    samples
        .iter()
        .any(|s| matches!(s.bar, Some((Some(v), max)) if v > 0.0 && v < max))
}

async fn count(b: &Browser, id: &str) -> usize {
    b.find(&format!("#{id}"))
        .await
        .text()
        .await
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_uploads_a_roster_and_watches_it_checked_and_imported() {
    let app = TestApp::spawn(Db::Sqlite).await.expect("sqlite app");
    let Some(b) = Browser::start(&app.address).await else {
        return;
    };
    let n = rows();
    let villages: Vec<_> = bijie_villages().into_iter().take(4).collect();
    add_generated_schools(&app, &villages);
    let mut spec = GenSpec::new(n, 20_261_202);
    spec.villages = villages;
    spec.bad_share = 0.005;
    let sheet = b.scratch.join("花名册.csv");
    let bad = generate(&spec, Form::Mca, &sheet).unwrap();
    assert!(!bad.is_empty());

    // Sign in and go to the upload through the menu.
    b.goto("/login").await;
    b.type_into("#username", "admin").await;
    b.type_into("#password", DEMO_PASSWORD).await;
    b.find("form[action='/login'] button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    b.wait_for_path("the home page", |p| p == "/").await;
    b.click_link("花名册").await;
    b.wait_for_path("the roster page", |p| p == "/rosters")
        .await;
    b.find("main a.button[href='/rosters/import']")
        .await
        .click()
        .await
        .unwrap();
    b.wait_for_path("the upload form", |p| p == "/rosters/import")
        .await;

    // Pick the file and send it; the page's script uploads it and moves to its page.
    b.find("#file")
        .await
        .send_keys(sheet.to_str().unwrap())
        .await
        .unwrap();
    let started = Instant::now();
    b.find("#upload-form button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    let page = b
        .wait_for_path("the upload's page", |p| {
            p.starts_with("/rosters/import/") && p.len() > "/rosters/import/".len()
        })
        .await;

    // Checked: the bar is on the page and moves, then the report replaces it.
    let checking = watch_until(&b, "检查结果").await;
    let checked_in = started.elapsed();
    assert!(!checking.is_empty(), "the progress bar was shown");
    assert!(
        moved(&checking),
        "the bar moved while checking {n} rows ({checked_in:?}): {checking:?}"
    );
    assert_eq!(child_count(&app), 0, "the check wrote nothing");
    assert_eq!(count(&b, "count-rejected").await, bad.len());
    let good = n - bad.len();
    assert_eq!(count(&b, "count-imported").await, good);
    // Row, column, value and problem of each bad row (the table's head is hidden on a phone).
    let problems = b.find("#problems").await.text().await.unwrap();
    for row in &bad {
        assert!(
            problems.contains(&format!("{} ", row.sheet_row)),
            "row {} is listed: {problems}",
            row.sheet_row
        );
    }
    b.find(&format!("a[href='{page}/errors.xlsx']")).await;
    let overflow = b.horizontal_overflow().await;
    let shot = b.scratch.join("report.png");
    b.screenshot(&shot).await;
    std::fs::copy(&shot, "/tmp/shouhu-browser-roster-report.png").unwrap();
    assert!(
        overflow <= 0,
        "the report is {overflow}px wider than a phone"
    );

    // Confirmed, skipping the bad rows: the bar moves again, then the result.
    b.tick("#confirm-skip").await;
    let started = Instant::now();
    b.find("#confirm-form button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    let writing = watch_until(&b, "导入结果").await;
    let written_in = started.elapsed();
    assert!(
        moved(&writing),
        "the bar moved while importing ({written_in:?}): {writing:?}"
    );
    assert!(b.text().await.contains("导入完成"));
    assert_eq!(count(&b, "count-imported").await, good);
    assert_eq!(child_count(&app), good);
    eprintln!(
        "{n} rows: checked in {checked_in:?} ({} samples), imported in {written_in:?} ({} samples)",
        checking.len(),
        writing.len()
    );
}
