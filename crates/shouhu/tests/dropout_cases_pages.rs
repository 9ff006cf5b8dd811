//! Persuasion cases (劝返) on both databases, through the pages and the API: a case opened by
//! five unexcused school days is listed; attempts are recorded once however often a form or a
//! request is sent, and the ladder's first duty is met by a phone call; the reason is set and a
//! stale version conflicts; the 劝返通知书 is a real PDF; 复学 closes the case with its plan and
//! a follow-up duty; volunteers are kept out.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Days;
use common::fixtures::{recent_school_days, save_county_calendar, scope_of};
use common::{Browser, TestApp};
use diesel::RunQueryDsl;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shouhu_domain::{AbsenceKind, check_char, today_shanghai};
use shouhu_store::Scope;
use shouhu_store::children::{self, Placement};
use shouhu_store::dropout::{self, AbsenceInput, CaseFilter, RollCallSubmit};

const CHILD: &str = "罗小勇";
const GUARDIAN: &str = "罗桂英";
const SECOND: &str = "杨小兰";

/// A child of teacher1's class, with a grandmother as guardian.
fn child(app: &TestApp, name: &str, day: u32) -> (i64, i64, i64) {
    let teacher = scope_of(app, "teacher1");
    let first17 = format!("520502201503{day:02}123");
    let id = format!("{first17}{}", check_char(first17.as_bytes()));
    let file = json!({
        "name": name, "sex": "male", "ethnicity": "han", "birth_date": format!("2015-03-{day:02}"),
        "id_doc_type": "resident_id_card", "id_number": id,
        "hukou_type": "agricultural", "residence_region": "520502101205",
        "schooling": "in_school", "health": {"kind": "healthy"},
        "guardians": [{"name": GUARDIAN, "relation": "祖母", "is_carer": true}],
    });
    let file = serde_json::from_value(file).unwrap();
    let at = Placement {
        school_id: teacher.school.unwrap(),
        class_id: Some(teacher.classes.as_ref().unwrap()[0]),
    };
    let key = app.store.key();
    let id = app
        .store
        .with_conn(|c| children::create(c, &Scope::local_operator(), &key, at, &file, None))
        .unwrap()
        .summary
        .id;
    (id, at.school_id, at.class_id.unwrap())
}

/// Two cases from six roll calls ending today: the first child 旷课 the last five days (its
/// case opens today), the second the five days before today and 病假 today (its case opened
/// yesterday, and the child can come back today).
/// Answers (case, child) of each, and the school.
fn open_cases(app: &TestApp) -> ((i64, i64), (i64, i64), i64) {
    let today = today_shanghai();
    save_county_calendar(app, &recent_school_days(today));
    let (first, school, class) = child(app, CHILD, 17);
    let (second, _, _) = child(app, SECOND, 18);
    let teacher = scope_of(app, "teacher1");
    for n in (0..6).rev() {
        let day = today.checked_sub_days(Days::new(n)).unwrap();
        let mut absences = Vec::new();
        if n < 5 {
            absences.push(AbsenceInput {
                child_id: first,
                kind: AbsenceKind::Unexcused,
                reason: None,
            });
        }
        absences.push(AbsenceInput {
            child_id: second,
            kind: if n == 0 {
                AbsenceKind::Sick
            } else {
                AbsenceKind::Unexcused
            },
            reason: (n == 0).then(|| "发烧".to_owned()),
        });
        let input = RollCallSubmit {
            class_id: class,
            day,
            absences,
            version: 0,
        };
        app.store
            .with_conn(|c| dropout::submit(c, &teacher, &input, today))
            .unwrap();
    }
    let cases = app
        .store
        .with_conn(|c| dropout::list_cases(c, &teacher, &CaseFilter::default()))
        .unwrap();
    let case_of = |kid| cases.iter().find(|c| c.child_id == kid).expect("a case").id;
    ((case_of(first), first), (case_of(second), second), school)
}

#[derive(diesel::QueryableByName, Debug)]
struct Duty {
    #[diesel(sql_type = diesel::sql_types::Text)]
    rule_code: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
}

fn duties_of(app: &TestApp, child: i64) -> Vec<Duty> {
    let mut conn = shouhu_store::establish(app.store.url()).unwrap();
    diesel::sql_query(format!(
        "SELECT rule_code, status FROM duties WHERE subject_kind = 'child' \
         AND subject_id = {child} AND rule_code LIKE 'return%' ORDER BY window_end, id"
    ))
    .load(&mut conn)
    .unwrap()
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn count(app: &TestApp, sql: &str) -> i64 {
    let mut conn = shouhu_store::establish(app.store.url()).unwrap();
    let rows: Vec<Count> = diesel::sql_query(sql).load(&mut conn).unwrap();
    rows[0].n
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

async fn post(b: &Browser, path: &str, csrf: &str, fields: &[(&str, String)]) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post_form(path, csrf, &pairs).await
}

async fn put(api: &common::Api, path: &str, body: &Value) -> (StatusCode, Value) {
    let r = api
        .client
        .put(format!("{}{}", api.base, path))
        .bearer_auth(&api.token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn pdf_text(bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!(
        "shouhu-notice-{}-{}",
        std::process::id(),
        rand::random::<u64>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let pdf = dir.join("notice.pdf");
    std::fs::write(&pdf, bytes).unwrap();
    let output = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&pdf)
        .arg("-")
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    let output = output.expect("pdftotext (poppler-utils) reads the notice back");
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

async fn a_case_is_worked_through_to_the_childs_return(app: TestApp) {
    let ((case, kid), (back_case, back_kid), school) = open_cases(&app);
    let today = today_shanghai().to_string();
    let school_name = app
        .store
        .with_conn(|c| shouhu_store::schools::public_name(c, school))
        .unwrap();

    // The ladder's steps are duties of the case, none met yet.
    let duties = duties_of(&app, kid);
    assert!(
        duties
            .iter()
            .any(|d| d.rule_code == "return_phone" && d.status != "done"),
        "{duties:?}"
    );
    assert!(duties.iter().any(|d| d.rule_code == "return_home_visit"));

    // The list shows the case.
    let t = app.login("teacher1").await;
    let (status, html) = t.get_text("/dropout/cases").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(CHILD) && html.contains(&format!("/dropout/cases/{case}")));
    assert!(html.contains(SECOND) && html.contains(&format!("/dropout/cases/{back_case}")));
    assert!(html.contains("疑似辍学"));
    // Each row names the ladder's next step; the case opened yesterday is past its first.
    assert!(html.contains("电话 · 班主任"), "{html}");
    assert!(html.contains("class=\"overdue\""), "{html}");
    let (_, html) = t.get_text("/dropout/cases?open=closed").await;
    assert!(!html.contains(CHILD), "not among the closed ones");

    // An attempt through the page, sent twice, is recorded once.
    let page = format!("/dropout/cases/{case}");
    let (status, html) = t.get_text(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("打印劝返通知书") && html.contains("确认复学"));
    let csrf = common::form_token(&html).unwrap();
    let attempt = vec![
        ("submit_key", hidden(&html, "submit_key")),
        ("a_day", today.clone()),
        ("method", "phone".to_owned()),
        ("people", "龙老师".to_owned()),
        ("met", "祖母".to_owned()),
        ("outcome", "pending".to_owned()),
        ("a_reason", String::new()),
        ("a_note", "电话联系，家长称孩子不愿上学".to_owned()),
    ];
    for _ in 0..2 {
        let r = post(&t, &format!("{page}/attempts"), &csrf, &attempt).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let (_, html) = t.get_text(&page).await;
    assert_eq!(html.matches("电话联系，家长称孩子不愿上学").count(), 1);
    // A refused attempt comes back beside its form with what was typed.
    let mut bad = attempt.clone();
    bad[0].1 = "other-key".to_owned();
    bad[3].1 = String::new();
    bad[7].1 = "第二次".to_owned();
    let r = post(&t, &format!("{page}/attempts"), &csrf, &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("此项必填") && html.contains("第二次"));

    // The phone call on the day the case opened meets the ladder's first step.
    let duties = duties_of(&app, kid);
    let phone = duties
        .iter()
        .find(|d| d.rule_code == "return_phone")
        .unwrap();
    assert_eq!(phone.status, "done", "{duties:?}");

    // Through the API, the same key twice is one attempt.
    let api = app.api(&app.token("teacher1").await);
    let body = json!({"method": "home_visit", "people": "龙老师、杨主任", "met": "祖母",
                      "outcome": "agreed", "reason": "weary_of_study", "submit_key": "k-1"});
    let (s1, a1) = api
        .post(&format!("/api/v1/dropout/cases/{case}/attempts"), &body)
        .await;
    let (s2, a2) = api
        .post(&format!("/api/v1/dropout/cases/{case}/attempts"), &body)
        .await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED), "{a1}");
    assert_eq!(a1["id"], a2["id"]);
    let (status, detail) = api.get(&format!("/api/v1/dropout/cases/{case}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["attempts"].as_array().unwrap().len(), 2, "{detail}");
    assert_eq!(detail["child_name"], CHILD);
    assert_eq!(detail["leave_reason"], "weary_of_study");
    let (status, list) = api
        .get("/api/v1/dropout/cases?open=true&state=suspected")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == case)
    );
    let (status, _) = api.get("/api/v1/dropout/cases?state=nonsense").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The reason through the page; the same (now stale) form again conflicts.
    let (_, html) = t.get_text(&page).await;
    let version = hidden(&html, "version");
    let reason = vec![
        ("version", version.clone()),
        ("reason", "working".to_owned()),
        ("reason_note", "随亲戚外出打工".to_owned()),
    ];
    let r = post(&t, &format!("{page}/reason"), &csrf, &reason).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = post(&t, &format!("{page}/reason"), &csrf, &reason).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("刚被其他人修改过"));
    let (_, html) = t.get_text(&page).await;
    assert!(html.contains("随亲戚外出打工") && html.contains("外出务工"));
    // An open case can be handed to the hukou county from its page.
    assert!(
        html.contains(&format!("href=\"{page}/handover\"")),
        "{html}"
    );
    // And through the API: a stale version is 409, the current one is taken.
    let stale: i32 = version.parse().unwrap();
    let path = format!("/api/v1/dropout/cases/{case}/reason");
    let (status, body) = put(&api, &path, &json!({"reason": "poverty", "version": stale})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    let (_, detail) = api.get(&format!("/api/v1/dropout/cases/{case}")).await;
    let current = detail["version"].as_i64().unwrap();
    let (status, body) = put(
        &api,
        &path,
        &json!({"reason": "poverty", "note": "", "version": current}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["leave_reason"], "poverty");

    // The notice, from the page and the API, is a PDF naming the child and the school.
    let r = t.get(&format!("{page}/notice.pdf")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let text = pdf_text(&r.bytes().await.unwrap());
    assert!(text.contains(CHILD) && text.contains(GUARDIAN), "{text}");
    let (status, headers, bytes) = api
        .get_bytes(&format!("/api/v1/dropout/cases/{case}/notice.pdf"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(bytes.starts_with(b"%PDF"));
    let text: String = pdf_text(&bytes).split_whitespace().collect();
    assert!(
        text.contains(CHILD) && text.contains(&school_name),
        "{text}"
    );

    // A volunteer is kept out of cases, pages and API alike.
    let v = app.login("volunteer").await;
    let (status, _) = v.get_text("/dropout/cases").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = v.get_text(&page).await;
    assert!(matches!(
        status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    let vapi = app.api(&app.token("volunteer").await);
    let (status, _) = vapi.get(&format!("/api/v1/dropout/cases/{case}")).await;
    assert!(matches!(
        status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    let (status, _, _) = vapi
        .get_bytes(&format!("/api/v1/dropout/cases/{case}/notice.pdf"))
        .await;
    assert!(matches!(
        status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));
    // A head teacher may not decide on enrolment.
    let (status, _) = api
        .post(
            &format!("/api/v1/children/{kid}/enrolment-decisions"),
            &json!({"kind": "suspend"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // 复学 through the page: the follow-up teacher is chosen from the school's staff.
    let back_page = format!("/dropout/cases/{back_case}");
    let (_, html) = t.get_text(&back_page).await;
    let teacher_id = app.user_id("teacher1");
    assert!(html.contains(&format!("<option value=\"{teacher_id}\"")));
    let back = vec![
        ("r_day", today.clone()),
        ("grade", "四年级".to_owned()),
        ("class_id", String::new()),
        ("tutoring", "每周二、四放学后补习数学".to_owned()),
        ("support", "结对教师每周谈心".to_owned()),
        ("follow_up_by", teacher_id.to_string()),
    ];
    let r = post(&t, &format!("{back_page}/return"), &csrf, &back).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = t.get_text(&back_page).await;
    assert!(
        html.contains("每周二、四放学后补习数学") && !html.contains("确认复学"),
        "{html}"
    );
    let (_, detail) = api.get(&format!("/api/v1/dropout/cases/{back_case}")).await;
    assert_eq!(detail["closure"], "returned", "{detail}");
    assert_eq!(detail["plan"]["grade"], 4);
    let (status, e) = api
        .get(&format!("/api/v1/children/{back_kid}/enrolment"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(e["state"], "enrolled");
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) AS n FROM return_plans WHERE case_id = {back_case}")
        ),
        1
    );
    assert!(
        duties_of(&app, back_kid)
            .iter()
            .any(|d| d.rule_code == "return_follow_up"),
        "a follow-up duty"
    );
    // A closed case takes no more attempts.
    let mut late = attempt.clone();
    late[0].1 = "late-key".to_owned();
    let r = post(&t, &format!("{back_page}/attempts"), &csrf, &late).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The principal decides on enrolment through the API: 休学.
    let p = app.api(&app.token("principal").await);
    let (status, body) = p
        .post(
            &format!("/api/v1/children/{back_kid}/enrolment-decisions"),
            &json!({"kind": "suspend", "note": "因病休学"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["state"], "suspended");
    let (status, _) = p
        .get(&format!("/api/v1/dropout/cases?school_id={school}"))
        .await;
    assert_eq!(status, StatusCode::OK);

    // The principal takes the child back on roll through the case page's decision form.
    let pb = app.login("principal").await;
    let (status, html) = pb.get_text(&back_page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"kind\"") && html.contains("value=\"resume\""));
    let pcsrf = common::form_token(&html).unwrap();
    let decision = vec![
        ("kind", "resume".to_owned()),
        ("d_day", today.clone()),
        ("d_note", "病愈返校".to_owned()),
    ];
    let r = post(&pb, &format!("{back_page}/decision"), &pcsrf, &decision).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, e) = api
        .get(&format!("/api/v1/children/{back_kid}/enrolment"))
        .await;
    assert_eq!(e["state"], "enrolled");
    // The head teacher sees no decision form.
    let (_, html) = t.get_text(&back_page).await;
    assert!(!html.contains("name=\"kind\""));

    // A late excuse for today undoes the first child's suspicion: the case is voided and
    // its transition is shown struck through with why.
    let teacher = scope_of(&app, "teacher1");
    let class = teacher.classes.as_ref().unwrap()[0];
    let correction = RollCallSubmit {
        class_id: class,
        day: today_shanghai(),
        absences: vec![
            AbsenceInput {
                child_id: kid,
                kind: AbsenceKind::Sick,
                reason: Some("补交病假条".to_owned()),
            },
            AbsenceInput {
                child_id: back_kid,
                kind: AbsenceKind::Sick,
                reason: Some("发烧".to_owned()),
            },
        ],
        version: 1,
    };
    app.store
        .with_conn(|c| dropout::submit(c, &teacher, &correction, today_shanghai()))
        .unwrap();
    let (_, html) = t.get_text(&page).await;
    assert!(html.contains("<del>") && html.contains("已撤销"), "{html}");
    let (_, detail) = api.get(&format!("/api/v1/dropout/cases/{case}")).await;
    assert_eq!(detail["closure"], "voided", "{detail}");
}

both_dbs!(a_case_is_worked_through_to_the_childs_return);

async fn the_case_api_is_documented(app: TestApp) {
    let doc: Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/dropout/cases", "get"),
        ("/api/v1/dropout/cases/{id}", "get"),
        ("/api/v1/dropout/cases/{id}/attempts", "post"),
        ("/api/v1/dropout/cases/{id}/reason", "put"),
        ("/api/v1/dropout/cases/{id}/return", "post"),
        ("/api/v1/dropout/cases/{id}/notice.pdf", "get"),
        ("/api/v1/children/{id}/enrolment-decisions", "post"),
        ("/api/v1/children/{id}/enrolment", "get"),
    ] {
        let op = &paths[path][method];
        assert_eq!(op["tags"], json!(["dropout"]), "{method} {path}");
        assert_eq!(op["security"], json!([{"bearer": []}]), "{method} {path}");
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "Case",
        "CaseList",
        "AttemptRow",
        "NewAttempt",
        "ReasonPut",
        "EnrolmentView",
    ] {
        assert!(schemas.contains_key(name), "{name} is described");
    }
}
both_dbs!(the_case_api_is_documented);
