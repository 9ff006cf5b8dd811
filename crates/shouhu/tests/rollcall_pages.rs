//! Roll call (点名) pages and API on both databases: a head teacher submits with two absences
//! and corrects one (audited as `roll_call.correct`); a class with nobody absent is submitted
//! too, and the same post twice changes nothing; a stale form answers 409 with a message; a
//! child not in the class is refused; the API reads and writes the same roll call; a bulk
//! sheet with one bad row writes nothing and a good one enters its absences.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{Datelike, NaiveDate, Weekday};
use common::TestApp;
use common::fixtures::scope_of;
use diesel::RunQueryDsl;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shouhu_domain::{
    Calendar, ChildFile, MakeUpDay, RegionCode, SchoolYear, Term, check_char, today_shanghai,
};
use shouhu_store::calendars::{self, Owner};
use shouhu_store::children::{self, Placement};
use shouhu_store::{Scope, classes};

const COUNTY: &str = "520502000000";
const NAMES: [&str; 4] = ["杨小花", "龙小军", "吴小梅", "张小刚"];

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

fn file(n: usize) -> ChildFile {
    let first17 = format!("52050220150301{:03}", 101 + n * 2);
    let id = format!("{first17}{}", check_char(first17.as_bytes()));
    let parent = |name: &str| {
        json!({"name": name, "phone": "13812345678",
               "away": {"since": "2024-02-20", "province": "广东", "city": "东莞市"}})
    };
    serde_json::from_value(json!({
        "name": NAMES[n],
        "sex": "male",
        "ethnicity": "han",
        "birth_date": "2015-03-01",
        "id_doc_type": "resident_id_card",
        "id_number": id,
        "hukou_type": "agricultural",
        "residence_region": "520502101205",
        "address": "梨树镇小屯沟村三组",
        "schooling": "in_school",
        "health": {"kind": "healthy"},
        "father": parent("父亲"),
        "mother": parent("母亲"),
        "guardians": [{"name": "祖父", "relation": "祖父", "phone": "0857-8221234", "is_carer": true}],
        "care_arrangement": "grandparents",
        "rating": "fair",
    }))
    .unwrap()
}

/// The class with its children (ids in `NAMES` order).
fn class_with_children(app: &TestApp) -> (i64, Vec<i64>) {
    let key = app.store.key();
    let place = placement(app);
    let ids = (0..NAMES.len())
        .map(|n| {
            app.store
                .with_conn(|c| {
                    children::create(c, &Scope::local_operator(), &key, place, &file(n), None)
                })
                .unwrap()
                .summary
                .id
        })
        .collect();
    (place.class_id.unwrap(), ids)
}

/// A county calendar in which today is a school day: terms 1 August – 31 January and
/// 1 February – 31 August, today made a school day if it falls on a weekend.
fn save_calendar(app: &TestApp, today: NaiveDate) {
    let year = SchoolYear::containing(today);
    let y = year.start_year();
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
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
    let calendar = Calendar::new(year, terms, vec![], workdays).unwrap();
    let county = Owner::Region(RegionCode::parse(COUNTY).unwrap());
    app.store
        .with_conn(|c| calendars::save(c, &Scope::local_operator(), &county, &calendar, None))
        .unwrap();
}

#[derive(diesel::QueryableByName, Debug, Clone, PartialEq, Eq)]
struct AbsenceRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    child_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
}

#[derive(diesel::QueryableByName, Debug)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn absences(app: &TestApp) -> Vec<(i64, String)> {
    let mut conn = shouhu_store::establish(app.store.url()).unwrap();
    let rows: Vec<AbsenceRow> =
        diesel::sql_query("SELECT child_id, kind FROM absences ORDER BY child_id")
            .load(&mut conn)
            .unwrap();
    rows.into_iter().map(|r| (r.child_id, r.kind)).collect()
}

fn count(app: &TestApp, sql: &str) -> i64 {
    let mut conn = shouhu_store::establish(app.store.url()).unwrap();
    let rows: Vec<Count> = diesel::sql_query(sql).load(&mut conn).unwrap();
    rows[0].n
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// The sheet's form fields: every child present but those in `absent`.
fn fields(kids: &[i64], absent: &[(i64, &str)], version: i32) -> Vec<(String, String)> {
    let mut form = vec![("version".to_owned(), version.to_string())];
    for id in kids {
        let kind = absent
            .iter()
            .find(|(a, _)| a == id)
            .map_or("present", |(_, k)| *k);
        form.push((format!("k{id}"), kind.to_owned()));
        form.push((format!("r{id}"), String::new()));
    }
    form
}

async fn post(b: &common::Browser, path: &str, form: &[(String, String)]) -> reqwest::Response {
    let csrf = b.csrf(path).await;
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post_form(path, &csrf, &pairs).await
}

async fn submit_and_correct(app: TestApp) {
    let today = today_shanghai();
    save_calendar(&app, today);
    let (class, kids) = class_with_children(&app);
    let teacher = app.login("teacher1").await;

    let (status, html) = teacher.get_text("/rollcall").await;
    assert_eq!(status, StatusCode::OK);
    let sheet = format!("/rollcall/{class}/{today}");
    assert!(html.contains(&sheet), "the class links to today's sheet");
    assert!(html.contains("未点名"), "{html}");

    let (status, html) = teacher.get_text(&sheet).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("提交点名（缺勤 0 人）"), "{html}");
    for name in NAMES {
        assert!(html.contains(name), "{name} on the sheet");
    }

    // Two absences: 旷课 and 事假.
    let form = fields(&kids, &[(kids[0], "unexcused"), (kids[1], "personal")], 0);
    let r = post(&teacher, &sheet, &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(&r);
    assert_eq!(to, format!("{sheet}?done=submitted&absent=2"));
    let (_, html) = teacher.get_text(&to).await;
    assert!(html.contains("已提交：缺勤 2 人"), "{html}");
    assert!(html.contains("龙老师"), "who submitted: {html}");
    assert!(html.contains("提交更正（缺勤 2 人）"), "{html}");
    assert_eq!(
        absences(&app),
        vec![
            (kids[0], "unexcused".to_owned()),
            (kids[1], "personal".to_owned())
        ]
    );
    let (_, html) = teacher.get_text("/rollcall").await;
    assert!(html.contains("已提交"), "{html}");

    // The 旷课 turns out to be 病假: a correction, audited.
    let form = fields(&kids, &[(kids[0], "sick"), (kids[1], "personal")], 1);
    let r = post(&teacher, &sheet, &form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("{sheet}?done=corrected&absent=2"));
    let (_, html) = teacher.get_text(&location(&r)).await;
    assert!(html.contains("已更正：缺勤 2 人"), "{html}");
    assert_eq!(
        absences(&app),
        vec![
            (kids[0], "sick".to_owned()),
            (kids[1], "personal".to_owned())
        ]
    );
    let corrections = count(
        &app,
        "SELECT COUNT(*) AS n FROM audit_events WHERE kind = 'roll_call.correct'",
    );
    assert_eq!(corrections, 1);
    let detail = {
        #[derive(diesel::QueryableByName)]
        struct D {
            #[diesel(sql_type = diesel::sql_types::Text)]
            detail: String,
        }
        let mut conn = shouhu_store::establish(app.store.url()).unwrap();
        let rows: Vec<D> =
            diesel::sql_query("SELECT detail FROM audit_events WHERE kind = 'roll_call.correct'")
                .load(&mut conn)
                .unwrap();
        rows[0].detail.clone()
    };
    assert!(
        detail.contains(&format!("{}:unexcused→sick", kids[0])),
        "{detail}"
    );

    // A form read at version 1, sent after the correction made it 2: 409, the current sheet.
    let form = fields(&kids, &[(kids[2], "unexcused")], 1);
    let r = post(&teacher, &sheet, &form).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(html.contains("已由他人提交或更正"), "{html}");
    assert!(
        html.contains("name=\"version\" value=\"2\""),
        "the current version is offered"
    );
    assert_eq!(absences(&app).len(), 2, "nothing written");

    // A child who is not in the class.
    let mut form = fields(&kids, &[], 2);
    form.push(("k999999".to_owned(), "unexcused".to_owned()));
    let r = post(&teacher, &sheet, &form).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("不在本班"), "{html}");
    // An unknown kind.
    let form = fields(&kids, &[(kids[3], "late")], 2);
    let r = post(&teacher, &sheet, &form).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(absences(&app).len(), 2, "nothing written");

    // A future day is refused; a volunteer is not let in.
    let tomorrow = today.succ_opt().unwrap();
    let (status, _) = teacher
        .get_text(&format!("/rollcall/{class}/{tomorrow}"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let volunteer = app.login("volunteer").await;
    let (status, _) = volunteer.get_text("/rollcall").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = volunteer.get_text("/rollcall/upload").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
both_dbs!(submit_and_correct);

async fn nobody_absent_and_double_submit(app: TestApp) {
    let today = today_shanghai();
    save_calendar(&app, today);
    let (class, kids) = class_with_children(&app);
    let teacher = app.login("teacher1").await;
    let sheet = format!("/rollcall/{class}/{today}");
    let form = fields(&kids, &[], 0);
    for _ in 0..2 {
        let r = post(&teacher, &sheet, &form).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), format!("{sheet}?done=submitted&absent=0"));
    }
    let (_, html) = teacher
        .get_text(&format!("{sheet}?done=submitted&absent=0"))
        .await;
    assert!(html.contains("已提交：缺勤 0 人"), "{html}");
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM roll_calls"), 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM audit_events WHERE kind = 'roll_call.submit'"
        ),
        1,
        "the second post changed nothing"
    );
    assert!(absences(&app).is_empty());

    // A day that is not a school day: no form.
    let calendar_gap = NaiveDate::from_ymd_opt(SchoolYear::containing(today).start_year(), 7, 15);
    if let Some(day) = calendar_gap.filter(|d| *d <= today) {
        let (status, html) = teacher.get_text(&format!("/rollcall/{class}/{day}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("不是上课日"), "{html}");
        assert!(
            !html.contains("rollcall-form"),
            "no form on a day without school"
        );
    }
}
both_dbs!(nobody_absent_and_double_submit);

async fn api_round_trip(app: TestApp) {
    let today = today_shanghai();
    save_calendar(&app, today);
    let (class, kids) = class_with_children(&app);
    let api = app.api(&app.token("teacher1").await);
    let path = format!("/api/v1/classes/{class}/roll-calls/{today}");

    let (status, body) = api.get(&path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 0);
    assert_eq!(body["is_school_day"], true);
    assert_eq!(body["children"].as_array().unwrap().len(), kids.len());

    let put = |body: Value| {
        let api = &api;
        let path = path.clone();
        async move {
            let r = api
                .client
                .put(format!("{}{}", api.base, path))
                .bearer_auth(&api.token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            let value: Value = r.json().await.unwrap_or(Value::Null);
            (status, value)
        }
    };
    let (status, body) = put(json!({"version": 0, "absences": [
        {"child_id": kids[0], "kind": "unexcused", "reason": "未到校"},
        {"child_id": kids[2], "kind": "病假"},
    ]}))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 1);
    assert_eq!(body["absent"], 2);
    assert_eq!(body["unchanged"], false);

    let (_, body) = api.get(&path).await;
    assert_eq!(body["version"], 1);
    let mut marked: Vec<(i64, String)> = body["children"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["absence"].is_null())
        .map(|c| {
            (
                c["child_id"].as_i64().unwrap(),
                c["absence"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    marked.sort();
    assert_eq!(
        marked,
        vec![
            (kids[0], "unexcused".to_owned()),
            (kids[2], "sick".to_owned())
        ]
    );
    let first = body["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["child_id"] == kids[0])
        .unwrap()
        .clone();
    assert_eq!(first["reason"], "未到校");

    // The child's own list of absences.
    let (status, list) = api
        .get(&format!("/api/v1/children/{}/absences", kids[2]))
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(
        list,
        json!([{"day": today.to_string(), "kind": "sick", "reason": null, "class_id": class}])
    );
    let (status, list) = api
        .get(&format!(
            "/api/v1/children/{}/absences?from=2099-01-01",
            kids[2]
        ))
        .await;
    assert_eq!((status, list), (StatusCode::OK, json!([])));
    let volunteer = app.api(&app.token("volunteer").await);
    let (status, _) = volunteer
        .get(&format!("/api/v1/children/{}/absences", kids[2]))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The same again: unchanged, even at the old version.
    let (status, body) = put(json!({"version": 0, "absences": [
        {"child_id": kids[0], "kind": "unexcused", "reason": "未到校"},
        {"child_id": kids[2], "kind": "sick"},
    ]}))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["unchanged"], true);

    // Stale, and a bad kind.
    let (status, body) = put(json!({"version": 0, "absences": []})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    let (status, body) = put(json!({"version": 1, "absences": [
        {"child_id": kids[1], "kind": "late"}
    ]}))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["fields"]["absences[0].kind"].is_string(),
        "{body}"
    );
    let (status, body) = put(json!({"version": 1, "absences": [
        {"child_id": 999_999, "kind": "sick"}
    ]}))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["absences"].is_string(), "{body}");
    let (status, _) = put(json!({"version": 1, "absences": [], "extra": 1})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Nobody absent is a correction too.
    let (status, body) = put(json!({"version": 1, "absences": []})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 2);
    assert!(absences(&app).is_empty());

    // The document lists the paths.
    let (_, doc) = api.get("/api/v1/openapi.json").await;
    let paths = &doc["paths"];
    assert!(paths["/api/v1/classes/{id}/roll-calls/{day}"]["put"].is_object());
    assert!(paths["/api/v1/classes/{id}/roll-calls/{day}"]["get"].is_object());
    assert!(paths["/api/v1/schools/{id}/absences/import"]["post"].is_object());
    assert!(paths["/api/v1/children/{id}/absences"]["get"].is_object());
}
both_dbs!(api_round_trip);

/// An absence sheet: a title row, the header, then (name, day, kind, reason) lines.
fn sheet(lines: &[(&str, String, &str, &str)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.write_string(0, 0, "缺勤登记表").unwrap();
    for (col, h) in ["姓名", "日期", "类型", "原因"].iter().enumerate() {
        ws.write_string(1, col as u16, *h).unwrap();
    }
    for (i, (name, day, kind, reason)) in lines.iter().enumerate() {
        let row = 2 + i as u32;
        ws.write_string(row, 0, *name).unwrap();
        ws.write_string(row, 1, day).unwrap();
        ws.write_string(row, 2, *kind).unwrap();
        ws.write_string(row, 3, *reason).unwrap();
    }
    book.save_to_buffer().unwrap()
}

async fn upload(b: &common::Browser, bytes: Vec<u8>) -> reqwest::Response {
    let csrf = b.csrf("/rollcall/upload").await;
    let form = reqwest::multipart::Form::new().text("csrf", csrf).part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name("缺勤.xlsx"),
    );
    b.client
        .post(format!("{}/rollcall/upload", b.base))
        .header("Origin", b.base.clone())
        .header("Sec-Fetch-Site", "same-origin")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn bulk_upload(app: TestApp) {
    let today = today_shanghai();
    save_calendar(&app, today);
    let (class, kids) = class_with_children(&app);
    let teacher = app.login("teacher1").await;
    let day = today.to_string();

    let r = teacher.get("/rollcall/template.xlsx").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml"),
    );

    // One bad kind: nothing written, the row and column named.
    let bad = sheet(&[
        (NAMES[0], day.clone(), "旷课", "未到校"),
        (NAMES[1], day.clone(), "迟到", ""),
    ]);
    let r = upload(&teacher, bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("没有登记任何缺勤"), "{html}");
    assert!(html.contains("<td>4</td><td>类型</td>"), "{html}");
    assert!(absences(&app).is_empty());

    // A name not in the school: the store's problem, nothing written.
    let unknown = sheet(&[
        (NAMES[0], day.clone(), "旷课", ""),
        ("不存在", day.clone(), "病假", ""),
    ]);
    let r = upload(&teacher, unknown).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("本校没有与此行相符的学生"), "{html}");
    assert!(absences(&app).is_empty());

    // A good sheet.
    let good = sheet(&[
        (NAMES[0], day.clone(), "旷课", "未到校"),
        (NAMES[1], day.clone(), "病假", "发烧"),
    ]);
    let r = upload(&teacher, good).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("缺勤已登记"), "{html}");
    assert_eq!(
        absences(&app),
        vec![
            (kids[0], "unexcused".to_owned()),
            (kids[1], "sick".to_owned())
        ]
    );
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM roll_calls"), 1);
    let (_, html) = teacher.get_text(&format!("/rollcall/{class}/{day}")).await;
    assert!(html.contains("提交更正（缺勤 2 人）"), "{html}");

    // The API takes the same sheet: unchanged now; a bad one is 422 with its problems.
    let api = app.api(&app.token("teacher1").await);
    let school = placement(&app).school_id;
    let send = |bytes: Vec<u8>| {
        let api = &api;
        async move {
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name("absences.xlsx"),
            );
            let r = api
                .client
                .post(format!(
                    "{}/api/v1/schools/{school}/absences/import",
                    api.base
                ))
                .bearer_auth(&api.token)
                .multipart(form)
                .send()
                .await
                .unwrap();
            let status = r.status();
            (status, r.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = send(sheet(&[(NAMES[0], day.clone(), "旷课", "未到校")])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["unchanged"], 1);
    assert_eq!(body["added"], 0);
    let (status, body) = send(sheet(&[(NAMES[2], day.clone(), "迟到", "")])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["details"]["problems"][0]["row"], 3, "{body}");
    assert_eq!(absences(&app).len(), 2);
}
both_dbs!(bulk_upload);
