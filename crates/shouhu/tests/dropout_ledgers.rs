//! Dropout ledgers, panels and monthly reports on both databases: a child made 疑似辍学 by five
//! unexcused school days, with one 劝返 attempt, appears on the ledger xlsx exactly as the
//! database holds it; the panel counts it; a month's report is submitted, signed and then
//! locked; the county sees which schools have not reported; exports are audited with their
//! purpose; volunteers are kept out.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use chrono::{Datelike, NaiveDate, Weekday};
use common::TestApp;
use common::fixtures::scope_of;
use diesel::RunQueryDsl;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shouhu_domain::{
    AbsenceKind, AttemptOutcome, Calendar, ChildFile, LeaveReason, MakeUpDay, RegionCode,
    ReportMonth, ReturnMethod, SchoolYear, Term, check_char, today_shanghai,
};
use shouhu_roster::ledger::{LedgerAttempt, attempts_text};
use shouhu_store::calendars::{self, Owner};
use shouhu_store::children::{self, Placement};
use shouhu_store::dropout::{self, AbsenceInput, AttemptInput, CaseFilter, RollCallSubmit};
use shouhu_store::{Scope, classes};

const COUNTY: &str = "520502000000";

/// teacher1's school and first class (teacher1 is its head teacher).
fn placement(app: &TestApp) -> Placement {
    let teacher = scope_of(app, "teacher1");
    let class = app
        .store
        .with_conn(|c| classes::list(c, &teacher, teacher.school.unwrap()))
        .unwrap();
    Placement {
        school_id: teacher.school.unwrap(),
        class_id: Some(class[0].class.id),
    }
}

fn id_number(birth: &str, seq: u32) -> String {
    let first17 = format!("520502{birth}{seq:03}");
    let check = check_char(first17.as_bytes());
    format!("{first17}{check}")
}

fn file_json(n: u32) -> Value {
    let name = ["王小明", "李小红"][n as usize % 2];
    let parent = |name: &str, phone: &str| {
        json!({"name": name, "phone": phone,
               "away": {"since": "2024-02-20", "province": "广东", "city": "东莞市"}})
    };
    json!({
        "name": name,
        "sex": "male",
        "ethnicity": "han",
        "birth_date": "2015-03-01",
        "id_doc_type": "resident_id_card",
        "id_number": id_number("20150301", 101 + n * 2),
        "hukou_type": "agricultural",
        "residence_region": "520502101205",
        "address": "梨树镇小屯沟村三组十二号",
        "schooling": "in_school",
        "health": {"kind": "healthy"},
        "father": parent("王大山", "13812345678"),
        "mother": parent("李秀兰", "13912345678"),
        "guardians": [{"name": "张桂芝", "relation": "祖母", "phone": "0857-8221234", "is_carer": true}],
        "care_arrangement": "grandparents",
        "rating": "fair",
    })
}

fn create_child(app: &TestApp, n: u32) -> i64 {
    let file: ChildFile = serde_json::from_value(file_json(n)).unwrap();
    let key = app.store.key();
    app.store
        .with_conn(|c| {
            children::create(
                c,
                &Scope::local_operator(),
                &key,
                placement(app),
                &file,
                None,
            )
        })
        .unwrap()
        .summary
        .id
}

/// A county calendar for the school year of `today` whose terms cover every day from
/// 1 August to 31 August of the next year; `today` is a school day even on a weekend.
fn calendar(today: NaiveDate) -> Calendar {
    let year = SchoolYear::containing(today);
    let y = year.start_year();
    let date = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let mut workdays = Vec::new();
    if matches!(today.weekday(), Weekday::Sat | Weekday::Sun) {
        workdays.push(MakeUpDay {
            date: today,
            name: "调休".into(),
        });
    }
    let terms = vec![
        Term {
            number: 1,
            start: date(y, 8, 1),
            end: date(y + 1, 1, 31),
        },
        Term {
            number: 2,
            start: date(y + 1, 2, 1),
            end: date(y + 1, 8, 31),
        },
    ];
    Calendar::new(year, terms, Vec::new(), workdays).unwrap()
}

fn save_calendar(app: &TestApp, calendar: &Calendar) {
    let county = Owner::Region(RegionCode::parse(COUNTY).unwrap());
    app.store
        .with_conn(|c| calendars::save(c, &Scope::local_operator(), &county, calendar, None))
        .unwrap();
}

/// The last five school days up to today, oldest first (the calendars of this year and the
/// last, so early September reaches back into the summer term).
fn last_school_days(today: NaiveDate) -> Vec<NaiveDate> {
    let this = calendar(today);
    let before = calendar(today - chrono::Days::new(366));
    let mut days: Vec<NaiveDate> = today
        .iter_days()
        .rev()
        .filter(|d| {
            if SchoolYear::containing(*d) == this.school_year {
                this.is_school_day(*d)
            } else {
                before.is_school_day(*d)
            }
        })
        .take(5)
        .collect();
    days.reverse();
    days
}

#[derive(diesel::QueryableByName, Debug)]
struct Expected {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    school: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    since: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    opened_on: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    case_id: i64,
}

#[derive(diesel::QueryableByName, Debug)]
struct AttemptRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    day: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    method: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    people: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    met: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    outcome: String,
}

#[derive(diesel::QueryableByName, Debug)]
struct Detail {
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

/// The ledger as the database holds it: children in `state` with an open case, and each
/// case's attempts as the 劝返记录 cell prints them.
fn expected_rows(app: &TestApp, state: &str) -> Vec<(String, String, String, String, String)> {
    let mut c = shouhu_store::establish(app.store.url()).unwrap();
    let rows: Vec<Expected> = diesel::sql_query(format!(
        "SELECT ch.name AS name, s.name AS school, e.since AS since, dc.opened_on AS opened_on, \
         dc.id AS case_id \
         FROM enrolments e JOIN children ch ON ch.id = e.child_id \
         JOIN dropout_cases dc ON dc.child_id = e.child_id AND dc.closed_on IS NULL \
         JOIN schools s ON s.id = dc.school_id \
         WHERE e.state = '{state}' ORDER BY ch.name_pinyin"
    ))
    .load(&mut c)
    .unwrap();
    rows.into_iter()
        .map(|r| {
            let attempts: Vec<AttemptRow> = diesel::sql_query(format!(
                "SELECT day, method, people, met, outcome FROM return_attempts \
                 WHERE case_id = {} ORDER BY day, id",
                r.case_id
            ))
            .load(&mut c)
            .unwrap();
            let attempts: Vec<LedgerAttempt> = attempts
                .into_iter()
                .map(|a| LedgerAttempt {
                    date: a.day,
                    method: ReturnMethod::parse(&a.method)
                        .unwrap()
                        .label_zh()
                        .to_owned(),
                    people: a.people,
                    met: a.met,
                    outcome: AttemptOutcome::parse(&a.outcome)
                        .unwrap()
                        .label_zh()
                        .to_owned(),
                })
                .collect();
            (
                r.name,
                r.school,
                r.since,
                r.opened_on,
                attempts_text(&attempts),
            )
        })
        .collect()
}

fn text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        other => format!("{other:?}"),
    }
}

/// The ledger's data rows (from the fourth row on) as text cells.
fn sheet_rows(bytes: Vec<u8>) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    range
        .rows()
        .skip(3)
        .map(|r| r.iter().map(text).collect())
        .collect()
}

fn audit_details(app: &TestApp, kind: &str) -> Vec<String> {
    let mut c = shouhu_store::establish(app.store.url()).unwrap();
    let rows: Vec<Detail> = diesel::sql_query(format!(
        "SELECT detail FROM audit_events WHERE kind = '{kind}' ORDER BY id"
    ))
    .load(&mut c)
    .unwrap();
    rows.into_iter().map(|d| d.detail).collect()
}

/// Makes child `n` 疑似辍学 today through five roll calls, and records one 家访 on its case.
/// Returns (child id, case id).
fn suspected_child(app: &TestApp, n: u32) -> (i64, i64) {
    let today = today_shanghai();
    let child = create_child(app, n);
    let at = placement(app);
    let teacher = scope_of(app, "teacher1");
    for day in last_school_days(today) {
        let sheet = app
            .store
            .with_conn(|c| dropout::class_sheet(c, &teacher, at.class_id.unwrap(), day))
            .unwrap();
        let submit = RollCallSubmit {
            class_id: at.class_id.unwrap(),
            day,
            absences: vec![AbsenceInput {
                child_id: child,
                kind: AbsenceKind::Unexcused,
                reason: None,
            }],
            version: sheet.version,
        };
        app.store
            .with_conn(|c| dropout::submit(c, &teacher, &submit, today))
            .unwrap();
    }
    let state = app
        .store
        .with_conn(|c| dropout::enrolment_of(c, &Scope::local_operator(), child))
        .unwrap()
        .state;
    assert_eq!(state.code(), "suspected", "five unexcused school days");
    let case = app
        .store
        .with_conn(|c| {
            dropout::list_cases(
                c,
                &teacher,
                &CaseFilter {
                    open: Some(true),
                    ..CaseFilter::default()
                },
            )
        })
        .unwrap()
        .into_iter()
        .find(|c| c.child_id == child)
        .unwrap();
    let attempt = AttemptInput {
        day: today,
        method: ReturnMethod::HomeVisit,
        people: "龙老师、村委会李主任".into(),
        met: "祖母".into(),
        outcome: AttemptOutcome::Agreed,
        reason: Some(LeaveReason::WearyOfStudy),
        note: None,
        submit_key: None,
    };
    app.store
        .with_conn(|c| dropout::record_attempt(c, &teacher, case.id, &attempt, today))
        .unwrap();
    (child, case.id)
}

async fn ledger_xlsx_rows_equal_the_database(app: TestApp) {
    save_calendar(&app, &calendar(today_shanghai()));
    let (_child, _case) = suspected_child(&app, 0);
    let bureau = app.api(&app.token("bureau").await);

    let (status, headers, bytes) = bureau
        .get_bytes(
            "/api/v1/dropout/ledger.xlsx?kind=suspected&sensitive=true&purpose=%E4%B8%93%E9%A1%B9%E6%A3%80%E6%9F%A5",
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    assert!(
        headers[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let rows = sheet_rows(bytes);
    let expected = expected_rows(&app, "suspected");
    assert_eq!(expected.len(), 1, "one child is suspected");
    assert_eq!(rows.len(), expected.len(), "one sheet row per database row");
    for (row, (name, school, since, opened_on, attempts)) in rows.iter().zip(&expected) {
        assert_eq!(&row[1], name);
        assert_eq!(&row[4], school);
        assert_eq!(&row[12], since);
        assert_eq!(&row[13], opened_on);
        assert_eq!(&row[15], attempts);
        assert_eq!(row[16], "1", "attempt count");
        assert_eq!(row[14], "厌学");
        assert_eq!(row[17], "疑似辍学");
        assert!(
            row[11].contains("13812345678"),
            "phones in clear: {}",
            row[11]
        );
        assert!(row[10].contains("十二号"), "address in clear: {}", row[10]);
    }
    assert!(attempts_text_has_home_visit(&expected[0].4));

    // The dropped-out ledger holds nobody yet, and the xlsx says so.
    let (status, _, bytes) = bureau
        .get_bytes("/api/v1/dropout/ledger.xlsx?kind=dropped_out")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        sheet_rows(bytes)
            .iter()
            .all(|r| r.iter().all(String::is_empty))
    );
    assert!(expected_rows(&app, "dropped_out").is_empty());

    // Without the full values, phones and addresses are masked, in JSON as in xlsx.
    let (status, body) = bureau.get("/api/v1/dropout/ledger?kind=suspected").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let row = &body["rows"][0];
    assert_eq!(row["name"], expected[0].0.as_str());
    assert!(!row["phone"].as_str().unwrap().contains("13812345678"));
    assert!(row["phone"].as_str().unwrap().contains("****"));
    assert!(!row["address"].as_str().unwrap().contains("十二号"));
    let (_, _, bytes) = bureau.get_bytes("/api/v1/dropout/ledger.xlsx").await;
    assert!(!sheet_rows(bytes)[0][11].contains("13812345678"));

    // Full values need a purpose, and a role allowed to see them.
    let (status, body) = bureau
        .get("/api/v1/dropout/ledger?kind=suspected&sensitive=true")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let teacher2 = app.api(&app.token("teacher2").await);
    let (status, _) = teacher2
        .get("/api/v1/dropout/ledger?sensitive=true&purpose=x")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Every export is audited, with its purpose and count; phones never reach the log.
    let exports = audit_details(&app, "dropout.ledger_export");
    assert!(
        exports.iter().any(|d| d.contains("purpose: 专项检查")
            && d.contains("1 rows")
            && d.contains("sensitive")),
        "{exports:?}"
    );
    assert!(exports.iter().all(|d| !d.contains("13812345678")));
    assert!(!audit_details(&app, "dropout.ledger").is_empty());

    // The page shows the same child, masked, with a print stylesheet.
    let browser = app.login("bureau").await;
    let (status, html) = browser.get_text("/dropout/ledger?kind=suspected").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&expected[0].0));
    assert!(html.contains("@media print"));
    assert!(!html.contains("13812345678"));
    let (status, html) = browser
        .get_text("/dropout/ledger?kind=suspected&sensitive=1&purpose=%E6%A0%B8%E6%9F%A5")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("13812345678"));
    let response = browser
        .get("/dropout/ledger.xlsx?kind=suspected&sensitive=1")
        .await;
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "purpose required"
    );
}

fn attempts_text_has_home_visit(text: &str) -> bool {
    text.contains("家访") && text.contains("同意返校") && text.contains("祖母")
}

async fn panel_counts_the_suspected_child(app: TestApp) {
    save_calendar(&app, &calendar(today_shanghai()));
    let (child, _) = suspected_child(&app, 0);
    // On roll before the school year began: the denominator counts it.
    let mut c = shouhu_store::establish(app.store.url()).unwrap();
    diesel::sql_query(format!(
        "UPDATE children SET created_at = 0 WHERE id = {child}"
    ))
    .execute(&mut c)
    .unwrap();
    let school = placement(&app).school_id;
    let bureau = app.api(&app.token("bureau").await);
    for path in [
        "/api/v1/dropout/panel".to_owned(),
        format!("/api/v1/dropout/panel?school={school}"),
        "/api/v1/dropout/panel?region=520502101000".to_owned(),
    ] {
        let (status, body) = bureau.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(body["suspected"], 1, "{path}: {body}");
        assert_eq!(body["dropped_out"], 0);
        assert_eq!(body["rate"]["numerator"], 0);
        assert_eq!(body["rate"]["denominator"], 1);
        assert_eq!(body["rate"]["percent"], "0.00%");
    }
    // Another township has nobody.
    let (_, body) = bureau
        .get("/api/v1/dropout/panel?region=520502102000")
        .await;
    assert_eq!(body["suspected"], 0);
    assert_eq!(body["rate"]["percent"], "—");

    // The home page shows the same figures with what the rate divides.
    let browser = app.login("principal").await;
    let (status, html) = browser.get_text("/dropout").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("panel-suspected"));
    assert!(html.contains("0 ÷"), "{html}");
    // The ways into the county's pages; settings only for those who edit them.
    assert!(
        html.contains("href=\"/dropout/teaching") && html.contains("href=\"/dropout/handovers\"")
    );
    assert!(!html.contains("href=\"/dropout/settings\""));

    // The county picks a township or a school; a malformed node is not found.
    let browser = app.login("bureau").await;
    let (status, html) = browser.get_text("/dropout").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"school\"") && html.contains("name=\"region\""));
    assert!(html.contains("href=\"/dropout/settings\""));
    let (status, html) = browser.get_text(&format!("/dropout?school={school}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("梨树镇九年一贯制学校"));
    assert!(
        html.contains(&format!(
            "/dropout/ledger?kind=suspected&amp;school={school}"
        )) || html.contains(&format!("/dropout/ledger?kind=suspected&school={school}"))
    );
    let status = browser.get("/dropout?region=52x").await.status();
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Volunteers are kept out of pages and API alike.
    let volunteer = app.api(&app.token("volunteer").await);
    for path in [
        "/api/v1/dropout/panel",
        "/api/v1/dropout/ledger",
        "/api/v1/dropout/reports",
    ] {
        let (status, _) = volunteer.get(path).await;
        assert!(
            matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{path}: {status}"
        );
    }
    let (status, _, _) = volunteer.get_bytes("/api/v1/dropout/ledger.xlsx").await;
    assert!(matches!(
        status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    let browser = app.login("volunteer").await;
    for path in ["/dropout", "/dropout/ledger", "/dropout/reports"] {
        let status = browser.get(path).await.status();
        assert!(
            matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{path}: {status}"
        );
    }
}

async fn monthly_report_is_submitted_signed_and_locked(app: TestApp) {
    save_calendar(&app, &calendar(today_shanghai()));
    suspected_child(&app, 0);
    let school = placement(&app).school_id;
    let month = ReportMonth::of(today_shanghai()).to_string();
    let principal = app.api(&app.token("principal").await);
    let teacher = app.api(&app.token("teacher1").await);
    let bureau = app.api(&app.token("bureau").await);
    let path = format!("/api/v1/schools/{school}/dropout-reports/{month}");

    // The county sees every school missing before anyone reports.
    let (status, body) = bureau
        .get(&format!("/api/v1/dropout/reports?month={month}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let missing_before = body["missing"].as_array().unwrap().len();
    assert!(
        body["missing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == school)
    );

    let (status, _) = teacher.post(&path, &json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the principal submits");
    let (status, body) = principal.post(&path, &json!({"note": "本月无新增"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["signed"], false);
    assert_eq!(body["figures"]["suspected"], 1);
    // Before signing, submitting again replaces the figures and keeps one report.
    let (status, body) = principal.post(&path, &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = teacher.post(&format!("{path}/sign"), &json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only the principal signs");
    let (status, body) = principal.post(&format!("{path}/sign"), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["signed"], true);
    let (status, body) = principal.post(&path, &json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["month"].is_string(), "{body}");
    let next = ReportMonth::of(today_shanghai()).next().to_string();
    let (status, _) = principal
        .post(
            &format!("/api/v1/schools/{school}/dropout-reports/{next}"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "no future months");

    let (status, body) = bureau
        .get(&format!("/api/v1/dropout/reports?month={month}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let reports = body["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["school_id"], school);
    assert_eq!(reports[0]["signed"], true);
    let missing = body["missing"].as_array().unwrap();
    assert_eq!(missing.len(), missing_before - 1);
    assert!(missing.iter().all(|s| s["id"] != school));
    assert!(!missing.is_empty(), "the other schools have not reported");

    assert_eq!(audit_details(&app, "dropout.report_submit").len(), 2);
    assert_eq!(audit_details(&app, "dropout.report_sign").len(), 1);

    // The county's page lists who has not reported; the school's page shows it locked.
    let browser = app.login("bureau").await;
    let (status, html) = browser
        .get_text(&format!("/dropout/reports?month={month}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"missing\""));
    let browser = app.login("principal").await;
    let (status, html) = browser
        .get_text(&format!("/dropout/reports?month={month}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("name=\"action\" value=\"submit\""), "locked");
}

/// The principal submits and signs through the page, and a resubmission is refused.
async fn report_pages_submit_and_sign(app: TestApp) {
    let month = ReportMonth::of(today_shanghai()).to_string();
    let browser = app.login("principal").await;
    let page = format!("/dropout/reports?month={month}");
    let csrf = browser.csrf(&page).await;
    let r = browser
        .post_form(
            "/dropout/reports",
            &csrf,
            &[("month", &month), ("action", "submit"), ("note", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = browser.get_text(&page).await;
    assert!(html.contains("name=\"action\" value=\"sign\""));
    let r = browser
        .post_form(
            "/dropout/reports",
            &csrf,
            &[("month", &month), ("action", "sign")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = browser
        .post_form(
            "/dropout/reports",
            &csrf,
            &[("month", &month), ("action", "submit")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("锁定"), "{html}");
}

both_dbs!(ledger_xlsx_rows_equal_the_database);
both_dbs!(panel_counts_the_suspected_child);
both_dbs!(monthly_report_is_submitted_signed_and_locked);
both_dbs!(report_pages_submit_and_sign);
