//! School calendars (校历) on both databases: the store (versions, scope and roles, the calendar
//! in force for a school: its own, the county's, the province's, the fallback), the API, the
//! pages (list, edit form with add-row, upload, printable month grid) and `shouhu calendar` run
//! as an operator runs it, with a realistic county notice as xlsx and as a GBK CSV.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{Browser, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shouhu_domain::{Calendar, Holiday, MakeUpDay, RegionCode, SchoolYear, Term};
use shouhu_store::audit::{self, AuditFilter};
use shouhu_store::calendars::{self, Owner, Source};
use shouhu_store::{DatabaseUrl, Scope, StoreError, users};

/// 梨树镇九年一贯制学校, the demo principal's school.
const LISHU: &str = "5224010004";
/// 七星关区第一小学, another school of the demo county.
const FIRST: &str = "5224010001";
const COUNTY: &str = "520502000000";
const YEAR: &str = "2026-2027";

fn year() -> SchoolYear {
    SchoolYear::new(2026)
}

fn d(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

fn scope_of(app: &TestApp, username: &str) -> Scope {
    app.store
        .with_conn(|c| {
            let user = users::find_for_login(c, username)?.unwrap();
            users::scope_for(c, &user, None)
        })
        .unwrap()
}

fn school_id(app: &TestApp, code: &str) -> i64 {
    app.store
        .with_conn(|c| shouhu_store::schools::id_by_code(c, code))
        .unwrap()
        .unwrap()
}

fn county() -> Owner {
    Owner::Region(RegionCode::parse(COUNTY).unwrap())
}

/// The county notice of the fixtures: 上学期 99 school days, 下学期 92.
fn notice() -> Calendar {
    let holiday = |name: &str, a: &str, b: &str| Holiday {
        name: name.into(),
        start: d(a),
        end: d(b),
    };
    let make_up = |date: &str, name: &str| MakeUpDay {
        date: d(date),
        name: name.into(),
    };
    Calendar::new(
        year(),
        vec![
            Term {
                number: 1,
                start: d("2026-09-01"),
                end: d("2027-01-22"),
            },
            Term {
                number: 2,
                start: d("2027-02-22"),
                end: d("2027-07-02"),
            },
        ],
        vec![
            holiday("国庆节", "2026-10-01", "2026-10-07"),
            holiday("元旦", "2027-01-01", "2027-01-01"),
            holiday("清明节", "2027-04-05", "2027-04-05"),
            holiday("劳动节", "2027-05-01", "2027-05-05"),
        ],
        vec![
            make_up("2026-10-10", "国庆调休"),
            make_up("2027-04-25", "劳动节调休"),
        ],
    )
    .unwrap()
}

/// The notice as a county sends it round: a title, a 填报单位 line, then the table, dates in
/// the spellings people type.
const NOTICE_ROWS: [[&str; 4]; 8] = [
    ["上学期", "第一学期", "2026年9月1日", "2027年1月22日"],
    ["放假", "国庆节", "2026-10-01", "2026-10-07"],
    ["调休上课", "国庆调休", "2026/10/10", ""],
    ["放假", "元旦", "2027.1.1", ""],
    ["下学期", "第二学期", "2027-02-22", "2027-07-02"],
    ["放假", "清明节", "2027年4月5日", ""],
    ["调休", "劳动节调休", "2027-04-25", "2027-04-25"],
    ["放假", "劳动节", "2027-05-01", "2027-05-05"],
];

fn notice_csv() -> String {
    let mut text = String::from(
        "七星关区2026—2027学年中小学校历\n填报单位：七星关区教育局,,,\n类型,名称,开始日期,结束日期\n",
    );
    for row in NOTICE_ROWS {
        text.push_str(&row.join(","));
        text.push('\n');
    }
    text
}

/// The notice as Excel on Chinese Windows saves CSV: GBK.
fn notice_gbk() -> Vec<u8> {
    encoding_rs::GBK.encode(&notice_csv()).0.into_owned()
}

/// The notice as a real workbook: merged title, dates as date cells where the row has them.
fn notice_xlsx() -> Vec<u8> {
    use chrono::Datelike;
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("2026-2027校历").unwrap();
    let bold = Format::new().set_bold();
    sheet
        .merge_range(0, 0, 0, 3, "七星关区2026—2027学年中小学校历", &bold)
        .unwrap();
    sheet
        .write_string(1, 0, "填报单位：七星关区教育局")
        .unwrap();
    for (col, h) in (0u16..).zip(["类型", "名称", "开始日期", "结束日期"]) {
        sheet.write_string_with_format(2, col, h, &bold).unwrap();
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (row, line) in (3u32..).zip(NOTICE_ROWS) {
        sheet.write_string(row, 0, line[0]).unwrap();
        sheet.write_string(row, 1, line[1]).unwrap();
        for (col, cell) in [(2u16, line[2]), (3, line[3])] {
            // ISO dates become date cells; the other spellings stay text, as people type them.
            match cell.parse::<chrono::NaiveDate>() {
                Ok(day) => {
                    let dt = ExcelDateTime::from_ymd(
                        u16::try_from(day.year()).unwrap(),
                        u8::try_from(day.month()).unwrap(),
                        u8::try_from(day.day()).unwrap(),
                    )
                    .unwrap();
                    sheet
                        .write_datetime_with_format(row, col, dt, &date)
                        .unwrap();
                }
                Err(_) if cell.is_empty() => {}
                Err(_) => {
                    sheet.write_string(row, col, cell).unwrap();
                }
            }
        }
    }
    book.save_to_buffer().unwrap()
}

/// How many statements `effective_for_school` runs, counted by diesel's instrumentation.
fn queries_of_effective(app: &TestApp, school: i64) -> usize {
    use diesel::Connection;
    use diesel::connection::InstrumentationEvent;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    app.store
        .with_conn(|c| {
            c.set_instrumentation(move |event: InstrumentationEvent<'_>| {
                if matches!(event, InstrumentationEvent::StartQuery { .. }) {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
            });
            let effective = calendars::effective_for_school(c, school, year());
            // The pooled connection goes back without the counter.
            c.set_instrumentation(|_: InstrumentationEvent<'_>| {});
            effective
        })
        .unwrap();
    count.load(Ordering::SeqCst)
}

fn conflict(e: StoreError) -> (i32, i32) {
    match e {
        StoreError::Conflict { expected, current } => (expected, current),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Store.

async fn store_saves_with_versions_and_resolves_school_county_province_fallback(app: TestApp) {
    let bureau = scope_of(&app, "bureau");
    let principal = scope_of(&app, "principal");
    let admin = scope_of(&app, "admin");
    let lishu = school_id(&app, LISHU);
    let first = school_id(&app, FIRST);
    let effective = |id| {
        app.store
            .with_conn(|c| calendars::effective_for_school(c, id, year()))
            .unwrap()
    };

    // Nothing set anywhere: the fallback, and it says so.
    let none = effective(lishu);
    assert_eq!(none.source, Source::Fallback);
    assert_eq!(none.calendar, Calendar::fallback(year()));

    // The county's calendar: first save without a version, then only on the version read.
    let county_notice = notice();
    let save = |scope: &Scope, owner: &Owner, c: &Calendar, v: Option<i32>| {
        app.store
            .with_conn(|conn| calendars::save(conn, scope, owner, c, v))
    };
    let saved = save(&bureau, &county(), &county_notice, None).unwrap();
    assert_eq!((saved.version, saved.updated_by.as_str()), (1, "bureau"));
    let e = save(&bureau, &county(), &county_notice, None).unwrap_err();
    assert_eq!(conflict(e), (0, 1), "a second first save is stale");
    let saved = save(&bureau, &county(), &county_notice, Some(1)).unwrap();
    assert_eq!(saved.version, 2);
    let e = save(&bureau, &county(), &county_notice, Some(1)).unwrap_err();
    assert_eq!(conflict(e), (1, 2));
    let e = save(&bureau, &Owner::School(lishu), &county_notice, Some(3)).unwrap_err();
    assert_eq!(conflict(e), (3, 0), "nothing stored for the school yet");

    let e1 = effective(lishu);
    assert_eq!(e1.source, Source::Region(COUNTY.to_owned()));
    assert_eq!(
        queries_of_effective(&app, lishu),
        2,
        "the duty engine calls it a lot"
    );
    assert_eq!(e1.calendar, county_notice);
    let days: Vec<u32> = e1.calendar.term_school_days().iter().map(|t| t.1).collect();
    assert_eq!(days, [99, 92]);

    // Roles and reach.
    let refused = save(&principal, &county(), &county_notice, Some(2)).unwrap_err();
    assert!(
        matches!(refused, StoreError::Forbidden("calendar.edit")),
        "{refused:?}"
    );
    let teacher = scope_of(&app, "teacher1");
    let refused = save(&teacher, &Owner::School(lishu), &county_notice, None).unwrap_err();
    assert!(matches!(
        refused,
        StoreError::Forbidden("calendar.edit_school")
    ));
    let minzheng = scope_of(&app, "minzheng");
    let township = Owner::Region(RegionCode::parse("520502101000").unwrap());
    let refused = save(&minzheng, &township, &county_notice, None).unwrap_err();
    assert!(matches!(refused, StoreError::Forbidden("calendar.edit")));
    let guiyang = Owner::Region(RegionCode::parse("520100").unwrap());
    let refused = save(&bureau, &guiyang, &county_notice, None).unwrap_err();
    assert!(matches!(
        refused,
        StoreError::Forbidden("calendar.outside_scope")
    ));
    let refused = save(&principal, &Owner::School(first), &county_notice, None).unwrap_err();
    assert!(
        matches!(refused, StoreError::NotFound),
        "another school: not found"
    );

    // The principal's own calendar replaces the county's for that school only.
    let mut own = county_notice.clone();
    own.workdays.clear();
    own.terms[1].end = d("2027-07-09");
    let own = Calendar::new(year(), own.terms, own.holidays, own.workdays).unwrap();
    save(&principal, &Owner::School(lishu), &own, None).unwrap();
    assert_eq!(effective(lishu).source, Source::School);
    assert_eq!(effective(lishu).calendar, own);
    assert_eq!(effective(first).source, Source::Region(COUNTY.to_owned()));

    // A province calendar is the nearest only where the county has none.
    let province = Owner::Region(RegionCode::parse("520000").unwrap());
    let fallback = Calendar::fallback(year());
    save(&admin, &province, &fallback, None).unwrap();
    assert_eq!(effective(first).source, Source::Region(COUNTY.to_owned()));
    let elsewhere = app
        .store
        .with_conn(|c| {
            calendars::effective_for_region(c, &RegionCode::parse("520102").unwrap(), year())
        })
        .unwrap();
    assert_eq!(elsewhere.source, Source::Region("520000000000".to_owned()));
    let next_year = app
        .store
        .with_conn(|c| calendars::effective_for_school(c, first, SchoolYear::new(2027)))
        .unwrap();
    assert_eq!(
        next_year.source,
        Source::Fallback,
        "calendars are per school year"
    );

    // What the principal may read: the county and province above, their own school's.
    let listed = app
        .store
        .with_conn(|c| calendars::list(c, &principal, year()))
        .unwrap();
    let owners: Vec<(Option<&str>, Option<i64>)> = listed
        .iter()
        .map(|l| (l.region_code.as_deref(), l.school_id))
        .collect();
    assert_eq!(
        owners,
        [
            (Some("520000000000"), None),
            (Some(COUNTY), None),
            (None, Some(lishu))
        ]
    );
    let got = app
        .store
        .with_conn(|c| calendars::get(c, &principal, &county(), year()))
        .unwrap()
        .unwrap();
    assert_eq!(got.version, 2);
    let hidden = app
        .store
        .with_conn(|c| calendars::get(c, &principal, &Owner::School(first), year()));
    assert!(matches!(hidden, Err(StoreError::NotFound)));
    let sources = app
        .store
        .with_conn(|c| calendars::sources_in_reach(c, &bureau, year()))
        .unwrap();
    assert_eq!(sources.len(), 10);
    for (school, source) in &sources {
        let expected = if school.id == lishu {
            Source::School
        } else {
            Source::Region(COUNTY.to_owned())
        };
        assert_eq!(*source, expected, "{}", school.name);
    }

    // Removing the school's own: the county's again; once only.
    app.store
        .with_conn(|c| calendars::delete_override(c, &principal, lishu, year()))
        .unwrap();
    assert_eq!(effective(lishu).source, Source::Region(COUNTY.to_owned()));
    let again = app
        .store
        .with_conn(|c| calendars::delete_override(c, &principal, lishu, year()));
    assert!(matches!(again, Err(StoreError::NotFound)));

    // Every change is in the audit log, under the owner and year.
    let events: Vec<(String, String)> = app
        .store
        .with_conn(|c| {
            let filter = AuditFilter {
                limit: 100,
                ..Default::default()
            };
            audit::list(c, &Scope::local_operator(), &filter)
        })
        .unwrap()
        .into_iter()
        .filter(|e| e.kind.starts_with("calendar."))
        .map(|e| (e.kind, e.target))
        .collect();
    assert_eq!(
        events,
        [
            (
                "calendar.delete".to_owned(),
                format!("school:{lishu}:{YEAR}")
            ),
            (
                "calendar.save".to_owned(),
                format!("region:520000000000:{YEAR}")
            ),
            ("calendar.save".to_owned(), format!("school:{lishu}:{YEAR}")),
            (
                "calendar.save".to_owned(),
                format!("region:{COUNTY}:{YEAR}")
            ),
            (
                "calendar.save".to_owned(),
                format!("region:{COUNTY}:{YEAR}")
            ),
        ]
    );
}
both_dbs!(store_saves_with_versions_and_resolves_school_county_province_fallback);

// ---------------------------------------------------------------------------------------------
// API.

fn body(version: Option<i32>) -> Value {
    json!({
        "version": version,
        "terms": [
            {"number": 1, "start": "2026-09-01", "end": "2027-01-22"},
            {"number": 2, "start": "2027-02-22", "end": "2027-07-02"}
        ],
        "holidays": [
            {"name": "国庆节", "start": "2026-10-01", "end": "2026-10-07"},
            {"name": "元旦", "start": "2027-01-01", "end": "2027-01-01"},
            {"name": "清明节", "start": "2027-04-05", "end": "2027-04-05"},
            {"name": "劳动节", "start": "2027-05-01", "end": "2027-05-05"}
        ],
        "workdays": [
            {"date": "2026-10-10", "name": "国庆调休"},
            {"date": "2027-04-25", "name": "劳动节调休"}
        ]
    })
}

async fn put(app: &TestApp, token: &str, query: &str, body: &Value) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .put(app.url(&format!("/api/v1/calendars?{query}")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

async fn api_sets_reads_and_resolves_calendars(app: TestApp) {
    let bureau = app.token("bureau").await;
    let principal = app.token("principal").await;
    let lishu = school_id(&app, LISHU);
    let first = school_id(&app, FIRST);
    let region_q = format!("region={COUNTY}&year={YEAR}");
    let school_q = format!("school={lishu}&year={YEAR}");

    // Before anything is set: the fallback, said so.
    let (status, v) = app
        .api(&principal)
        .get(&format!("/api/v1/schools/{lishu}/calendar?year={YEAR}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["source"], "fallback");
    let (status, _) = app
        .api(&bureau)
        .get(&format!("/api/v1/calendars?{region_q}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, v) = put(&app, &bureau, &region_q, &body(None)).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["version"], 1);
    assert_eq!(v["region_code"], COUNTY);
    assert_eq!(v["terms"][0]["school_days"], 99);
    assert_eq!(v["terms"][1]["school_days"], 92);
    let (status, v) = put(&app, &bureau, &region_q, &body(None)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["error"]["code"], "conflict");
    assert_eq!(v["error"]["details"]["current_version"], 1);
    let (status, v) = put(&app, &bureau, &region_q, &body(Some(1))).await;
    assert_eq!((status, v["version"].clone()), (StatusCode::OK, json!(2)));
    let (status, v) = app
        .api(&bureau)
        .get(&format!("/api/v1/calendars?{region_q}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["workdays"][0]["date"], "2026-10-10");
    assert_eq!(v["updated_by"], "bureau");

    // The principal reads the county's calendar, may not change it, sets the school's own.
    let (status, v) = app
        .api(&principal)
        .get(&format!("/api/v1/schools/{lishu}/calendar?year={YEAR}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (v["source"].as_str(), v["region_code"].as_str()),
        (Some("region"), Some(COUNTY))
    );
    assert_eq!(v["terms"][1]["school_days"], 92);
    let (status, v) = put(&app, &principal, &region_q, &body(Some(2))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    assert_eq!(
        v["error"]["message"],
        "只有教育局和系统管理员可以设置区县校历。"
    );
    let (status, v) = put(&app, &principal, &school_q, &body(None)).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["school_id"], lishu);
    let (_, v) = app
        .api(&principal)
        .get(&format!("/api/v1/schools/{lishu}/calendar?year={YEAR}"))
        .await;
    assert_eq!(v["source"], "school");
    let (status, _) = app
        .api(&principal)
        .get(&format!("/api/v1/schools/{first}/calendar?year={YEAR}"))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another school is out of reach"
    );
    let (status, _) = put(
        &app,
        &principal,
        &format!("school={first}&year={YEAR}"),
        &body(None),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Bad input: every line by its path; a rule broken by the whole; owners exactly one.
    let mut bad = body(Some(1));
    bad["terms"][0]["start"] = json!("2026/9/1");
    bad["holidays"][1]["name"] = json!("");
    let (status, v) = put(&app, &principal, &school_q, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(
        v["error"]["fields"]["terms[0].start"],
        "日期应写作 YYYY-MM-DD。"
    );
    assert_eq!(v["error"]["fields"]["holidays[1].name"], "此项必填。");
    let mut monday = body(Some(1));
    monday["workdays"][0]["date"] = json!("2026-10-12");
    let (status, v) = put(&app, &principal, &school_q, &monday).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        v["error"]["fields"]["calendar"],
        "调休上课日应是学期内的星期六或星期日。"
    );
    let (status, v) = app
        .api(&bureau)
        .get(&format!("/api/v1/calendars?region={COUNTY}&school={lishu}"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (status, v) = app
        .api(&bureau)
        .delete(&format!("/api/v1/calendars?{region_q}"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    // Removing the school's own: the county's applies again.
    let (status, _) = app
        .api(&principal)
        .delete(&format!("/api/v1/calendars?{school_q}"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, v) = app
        .api(&principal)
        .get(&format!("/api/v1/schools/{lishu}/calendar?year={YEAR}"))
        .await;
    assert_eq!(v["source"], "region");

    let (_, doc) = app.api(&bureau).get("/api/v1/openapi.json").await;
    for path in ["/api/v1/calendars", "/api/v1/schools/{id}/calendar"] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    assert!(doc["paths"]["/api/v1/calendars"].get("put").is_some());
}
both_dbs!(api_sets_reads_and_resolves_calendars);

// ---------------------------------------------------------------------------------------------
// Pages.

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

async fn upload(b: &Browser, name: &str, bytes: Vec<u8>, owner: (&str, &str)) -> reqwest::Response {
    let csrf = b.csrf("/calendars").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .text(owner.0.to_owned(), owner.1.to_owned())
        .text("year", YEAR)
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
    b.client
        .post(format!("{}/calendars/upload", b.base))
        .header("Origin", b.base.clone())
        .header("Sec-Fetch-Site", "same-origin")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn pages_edit_upload_and_print_calendars(app: TestApp) {
    let lishu = school_id(&app, LISHU);
    let bureau = app.login("bureau").await;

    // Nothing set: every school on the fallback, flagged.
    let (status, html) = bureau.get_text(&format!("/calendars?year={YEAR}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("href=\"/calendars\""), "in the menu");
    assert!(html.contains("使用默认校历的学校数： 10"), "{html}");
    let (status, html) = bureau
        .get_text(&format!("/calendars/show?school={lishu}&year={YEAR}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("注意：尚未设置校历。"));

    // The form: add a row without JavaScript, then save.
    let edit = format!("/calendars/edit?region={COUNTY}&year={YEAR}");
    let csrf = bureau.csrf(&edit).await;
    let (_, form_html) = bureau.get_text(&edit).await;
    let rows = form_html.matches("name=\"holiday_name\"").count();
    let mut fields: Vec<(&str, &str)> = vec![
        ("version", ""),
        ("term1_start", "2026-09-01"),
        ("term1_end", "2027-01-22"),
        ("term2_start", "2027-02-22"),
        ("term2_end", "2027-07-02"),
        ("holiday_name", "国庆节"),
        ("holiday_start", "2026-10-01"),
        ("holiday_end", "2026-10-07"),
        ("holiday_name", "元旦"),
        ("holiday_start", "2027年1月1日"),
        ("holiday_end", ""),
        ("holiday_name", "清明节"),
        ("holiday_start", "2027-04-05"),
        ("holiday_end", ""),
        ("holiday_name", "劳动节"),
        ("holiday_start", "2027-05-01"),
        ("holiday_end", "2027-05-05"),
        ("workday_date", "2026-10-10"),
        ("workday_name", "国庆调休"),
        ("workday_date", "2027-04-25"),
        ("workday_name", "劳动节调休"),
    ];
    let mut adding = fields.clone();
    adding.push(("action", "add_holiday"));
    let r = bureau.post_form(&edit, &csrf, &adding).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert_eq!(html.matches("name=\"holiday_name\"").count(), 4 + 2 + 1);
    assert!(html.contains("value=\"2027年1月1日\""), "typed values kept");
    assert!(rows >= 2);
    fields.push(("action", "save"));
    let r = bureau.post_form(&edit, &csrf, &fields).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert!(location(&r).starts_with("/calendars/show?region="));

    // A save based on no version, now that one exists: 409, typed values kept.
    let r = bureau.post_form(&edit, &csrf, &fields).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(html.contains("这份校历已被他人修改"));
    assert!(
        html.contains("name=\"version\" value=\"1\""),
        "the form carries the new version"
    );

    // A bad row is named where it is.
    let mut bad = fields.clone();
    bad[1] = ("term1_start", "九月一日");
    let r = bureau.post_form(&edit, &csrf, &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("请填写正确的日期"));

    // The printable year: the school now follows the county.
    let (status, html) = bureau
        .get_text(&format!("/calendars/show?school={lishu}&year={YEAR}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("尚未设置校历"));
    assert!(html.contains("沿用上级校历 · 七星关区"));
    assert!(html.contains("<td class=\"term-days\">99</td>"), "{html}");
    assert!(html.contains("<td class=\"term-days\">92</td>"));
    assert!(html.contains("<td class=\"makeup\" title=\"国庆调休\">10</td>"));
    assert!(html.contains("<td class=\"holiday\" title=\"国庆节\">1</td>"));
    assert_eq!(
        html.matches("class=\"cal-month\"").count(),
        11,
        "September to July"
    );
    assert!(html.contains("@media print"));
    let (_, html) = bureau.get_text(&format!("/calendars?year={YEAR}")).await;
    assert!(!html.contains("使用默认校历的学校数"));

    // The principal uploads the school's own calendar as a workbook.
    let principal = app.login("principal").await;
    let r = upload(
        &principal,
        "校历.xlsx",
        notice_xlsx(),
        ("school", &lishu.to_string()),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let (_, html) = principal
        .get_text(&format!("/calendars/show?school={lishu}&year={YEAR}"))
        .await;
    assert!(html.contains("本校校历"), "{html}");
    assert!(html.contains("<td class=\"makeup\" title=\"劳动节调休\">25</td>"));
    // A bad sheet: every bad line by its row, nothing saved.
    let bad_csv = notice_csv()
        .replace("2026/10/10", "2026/10/12")
        .replace("2027年4月5日", "2027年4月31日")
        .replace("\n放假,元旦", "\n节日,元旦");
    let r = upload(
        &principal,
        "bad.csv",
        bad_csv.into_bytes(),
        ("school", &lishu.to_string()),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("校历表有问题，没有保存"), "{html}");
    for line in [
        "<td>7</td><td>类型</td><td>节日</td>",
        "<td>9</td><td>开始日期</td><td>2027年4月31日</td>",
    ] {
        assert!(html.contains(line), "{line} in {html}");
    }
    assert!(html.contains("调休上课日应是学期内的星期六或星期日"));
    // The county's calendar is not the principal's to set.
    let (status, _) = principal.get_text(&edit).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The school's own calendar removed after confirmation.
    let at = format!("/calendars/delete?school={lishu}&year={YEAR}");
    let csrf = principal.csrf(&at).await;
    let r = principal.post_form(&at, &csrf, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = principal
        .get_text(&format!("/calendars/show?school={lishu}&year={YEAR}"))
        .await;
    assert!(html.contains("沿用上级校历"));

    // The template, filled with the calendar in force, reads back as it.
    let r = principal
        .get(&format!(
            "/calendars/template.xlsx?school={lishu}&year={YEAR}"
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap();
    let back = shouhu_roster::calendar_sheet::read_calendar(&bytes, "t.xlsx", year()).unwrap();
    assert_eq!(back, notice());

    // The system administrator sees every calendar set, whatever the region.
    let admin = app.login("admin").await;
    let (status, html) = admin.get_text(&format!("/calendars?year={YEAR}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("七星关区 <span class=\"muted\">520502000000</span>"));

    // Teachers have no calendar menu and no form.
    let teacher = app.login("teacher1").await;
    let (_, html) = teacher.get_text("/").await;
    assert!(!html.contains("href=\"/calendars\""));
    let (status, _) = teacher
        .get_text(&format!("/calendars/edit?school={lishu}&year={YEAR}"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
both_dbs!(pages_edit_upload_and_print_calendars);

// ---------------------------------------------------------------------------------------------
// The command line.

fn shouhu(app: &TestApp, args: &[&str]) -> Output {
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
    cmd.output().expect("run shouhu")
}

fn temp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shouhu-cli-calendar-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn cli_imports_sheets_and_shows_the_calendar_in_force(app: TestApp) {
    // Before: the fallback, with a warning.
    let out = shouhu(
        &app,
        &["calendar", "show", "--school", LISHU, "--year", YEAR],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("WARNING"),
        "{}",
        text(&out.stdout)
    );

    // The county's notice as a GBK CSV.
    let gbk = temp("七星关区校历.csv", &notice_gbk());
    let gbk = gbk.to_str().unwrap();
    let out = shouhu(
        &app,
        &[
            "calendar", "import", gbk, "--region", "520502", "--year", YEAR,
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("七星关区（520502000000） 2026-2027: saved (version 1), 2 terms (99 and 92 school days), 4 holidays, 2 make-up days"),
        "{stdout}"
    );
    let stored = app
        .store
        .with_conn(|c| calendars::get(c, &Scope::local_operator(), &county(), year()))
        .unwrap()
        .unwrap();
    assert_eq!(stored.calendar, notice());
    assert_eq!(stored.updated_by, "local-operator");

    // The same notice as a workbook, as the school's own: replaces, version 1 for the school.
    let xlsx = temp("校历.xlsx", &notice_xlsx());
    let out = shouhu(
        &app,
        &[
            "calendar",
            "import",
            xlsx.to_str().unwrap(),
            "--school",
            LISHU,
            "--year",
            YEAR,
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("saved (version 1)"));
    // Imported again over the county's: version 2.
    let out = shouhu(
        &app,
        &[
            "calendar", "import", gbk, "--region", COUNTY, "--year", YEAR,
        ],
    );
    assert!(
        text(&out.stdout).contains("saved (version 2)"),
        "{}",
        text(&out.stdout)
    );

    let out = shouhu(
        &app,
        &["calendar", "show", "--school", FIRST, "--year", YEAR],
    );
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("source: the calendar of 七星关区（520502000000）"),
        "{stdout}"
    );
    assert!(stdout.contains("2026-2027学年第一学期 2026-09-01 – 2027-01-22  99 school days"));
    assert!(stdout.contains("2026-2027学年第二学期 2027-02-22 – 2027-07-02  92 school days"));
    assert!(stdout.contains("国庆节 2026-10-01 – 2026-10-07  (5 school days off)"));
    assert!(stdout.contains("2027-04-25 Sun 劳动节调休"));
    let out = shouhu(
        &app,
        &["calendar", "show", "--school", LISHU, "--year", YEAR],
    );
    assert!(text(&out.stdout).contains("source: the school's own calendar"));

    // A bad sheet: each bad line on stderr by row, exit status 1, nothing changed.
    let bad = notice_csv()
        .replace("2027-02-22", "2027-02-30")
        .replace("调休上课,国庆调休", "调课,国庆调休");
    let bad = temp("bad.csv", bad.as_bytes());
    let out = shouhu(
        &app,
        &[
            "calendar",
            "import",
            bad.to_str().unwrap(),
            "--region",
            COUNTY,
            "--year",
            YEAR,
        ],
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("第 6 行“类型”（调课）"), "{stderr}");
    assert!(
        stderr.contains("第 8 行“开始日期”（2027-02-30）：日期不存在"),
        "{stderr}"
    );
    assert!(stderr.contains("2 problems, nothing saved"), "{stderr}");
    let version = app
        .store
        .with_conn(|c| calendars::get(c, &Scope::local_operator(), &county(), year()))
        .unwrap()
        .unwrap()
        .version;
    assert_eq!(version, 2);

    // The template to fill in reads back as its example year.
    let out_path = temp("t.xlsx", b"");
    let out = shouhu(
        &app,
        &[
            "calendar",
            "template",
            "--year",
            YEAR,
            "--out",
            out_path.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let bytes = std::fs::read(&out_path).unwrap();
    let example = shouhu_roster::calendar_sheet::read_calendar(&bytes, "t.xlsx", year()).unwrap();
    assert_eq!(example, shouhu_roster::calendar_sheet::example(year()));
}
both_dbs!(cli_imports_sheets_and_shows_the_calendar_in_force);
