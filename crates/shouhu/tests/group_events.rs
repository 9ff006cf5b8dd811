//! Group events on both databases, through the pages and the API: a form sent twice saves one
//! event, attendees out of the caller's reach or of another school are refused, head teachers
//! hold only their own classes' events, stale versions conflict, deletion hides the event, every
//! write and reading is audited, and the event page and its printable sign-in sheet render.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Browser, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shouhu_domain::check_char;
use shouhu_store::audit::{self, AuditFilter};
use shouhu_store::children::{self, Placement};
use shouhu_store::schools::{self, SchoolFilter};
use shouhu_store::{Scope, classes, users};
use shouhu_web::api::ErrorBody;

fn scope_of(app: &TestApp, username: &str) -> Scope {
    app.store
        .with_conn(|c| {
            let user = users::find_for_login(c, username)?.unwrap();
            users::scope_for(c, &user, None)
        })
        .unwrap()
}

fn id_number(birth: &str, seq: &str) -> String {
    let first17 = format!("520502{birth}{seq}");
    format!("{first17}{}", check_char(first17.as_bytes()))
}

/// Where the test's children are placed.
struct Places {
    school: i64,
    /// The class teacher1 heads.
    own_class: i64,
    /// Another class of the same school.
    other_class: i64,
    /// Another school, with one of its classes.
    other_school: i64,
    far_class: i64,
}

fn places(app: &TestApp) -> Places {
    let teacher = scope_of(app, "teacher1");
    let school = teacher.school.unwrap();
    let own_class = teacher.classes.as_ref().unwrap()[0];
    let op = Scope::local_operator();
    let list = app
        .store
        .with_conn(|c| classes::list(c, &op, school))
        .unwrap();
    let other_class = list
        .iter()
        .find(|c| c.class.id != own_class)
        .unwrap()
        .class
        .id;
    let other_school = app
        .store
        .with_conn(|c| schools::list(c, &op, &SchoolFilter::default()))
        .unwrap()
        .into_iter()
        .find(|s| s.id != school && s.region_code.starts_with("520502"))
        .unwrap()
        .id;
    let far_class = app
        .store
        .with_conn(|c| classes::list(c, &op, other_school))
        .unwrap()[0]
        .class
        .id;
    Places {
        school,
        own_class,
        other_class,
        other_school,
        far_class,
    }
}

/// A child filed by the operator; `n` keeps birth dates (and so ID numbers) apart.
fn child(app: &TestApp, school_id: i64, class_id: i64, name: &str, n: u32) -> i64 {
    let id = id_number(&format!("201503{:02}", n + 1), "123");
    let file = json!({
        "name": name, "sex": "male", "ethnicity": "han",
        "birth_date": format!("2015-03-{:02}", n + 1),
        "id_doc_type": "resident_id_card", "id_number": id,
        "hukou_type": "agricultural", "residence_region": "520502101205",
        "schooling": "in_school", "health": {"kind": "healthy"},
    });
    let file = serde_json::from_value(file).unwrap();
    let key = app.store.key();
    let at = Placement {
        school_id,
        class_id: Some(class_id),
    };
    app.store
        .with_conn(|c| children::create(c, &Scope::local_operator(), &key, at, &file, None))
        .unwrap()
        .summary
        .id
}

fn audit_kinds(app: &TestApp, actor: &str) -> Vec<String> {
    let filter = AuditFilter {
        actor: Some(actor.to_owned()),
        limit: 500,
        ..Default::default()
    };
    app.store
        .with_conn(|c| audit::list(c, &Scope::local_operator(), &filter))
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("hidden field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

async fn post(b: &Browser, path: &str, csrf: &str, fields: &[(&str, String)]) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post_form(path, csrf, &pairs).await
}

async fn a_form_sent_twice_saves_one_event_with_its_minutes_and_sheet(app: TestApp) {
    let p = places(&app);
    let a = child(&app, p.school, p.own_class, "单小明", 1);
    let b2 = child(&app, p.school, p.other_class, "龙小红", 2);
    let b = app.login("principal").await;
    let new = format!("/schools/{}/events/new", p.school);
    let (status, html) = b.get_text(&new).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("单小明") && html.contains("龙小红"),
        "both classes offered"
    );
    let csrf = common::form_token(&html).unwrap();
    let fields = vec![
        ("submit_key", hidden(&html, "submit_key")),
        ("school_id", p.school.to_string()),
        ("kind", "guardian_meeting".to_owned()),
        ("class_id", String::new()),
        ("date", shouhu_domain::today_shanghai().to_string()),
        ("title", "秋季学期留守儿童监护人会议".to_owned()),
        (
            "minutes",
            "一、通报学生在校情况\n二、签订安全责任书".to_owned(),
        ),
        ("guardians", "单大山 祖父\n龙秀英 外婆".to_owned()),
        ("guardian_count", "12".to_owned()),
        ("child", a.to_string()),
        ("child", b2.to_string()),
    ];
    let path = format!("/schools/{}/events", p.school);
    let first = post(&b, &path, &csrf, &fields).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let again = post(&b, &path, &csrf, &fields).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    let to = location(&first);
    assert_eq!(
        to,
        location(&again),
        "the second send answers the first event"
    );
    let (_, list) = b.get_text(&path).await;
    assert_eq!(
        list.matches("秋季学期留守儿童监护人会议").count(),
        1,
        "{list}"
    );

    // Before a meeting: a blank sheet of a class's children, or of the whole school.
    let blank = format!("{path}/sheet?class_id={}", p.own_class);
    let (status, sheet) = b.get_text(&blank).await;
    assert_eq!(status, StatusCode::OK);
    assert!(sheet.contains("单小明") && !sheet.contains("龙小红") && sheet.contains("签名"));
    let (status, sheet) = b.get_text(&format!("{path}/sheet?class_id=")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(sheet.contains("单小明") && sheet.contains("龙小红"));

    let event_path = to.split('?').next().unwrap().to_owned();
    let (status, page) = b.get_text(&event_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("签订安全责任书") && page.contains("单大山") && page.contains("12"));
    let (status, sheet) = b.get_text(&format!("{event_path}/sheet")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(sheet.contains("签到表") && sheet.contains("签名"));
    assert!(sheet.contains("单小明") && sheet.contains("龙秀英") && sheet.contains("@media print"));
    let kinds = audit_kinds(&app, "principal");
    assert_eq!(
        kinds.iter().filter(|k| *k == "group_event.create").count(),
        1
    );
    assert!(kinds.iter().filter(|k| *k == "group_event.view").count() >= 2);

    // teacher1 sees the school-wide meeting but only the attendee of their own class.
    let t = app.login("teacher1").await;
    let (status, page) = t.get_text(&event_path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("单小明") && !page.contains("龙小红"),
        "{page}"
    );
    // ... and may not change it.
    let (status, _) = t.get_text(&format!("{event_path}/edit")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the form opens; the save is refused"
    );
    let id: i64 = event_path.rsplit('/').next().unwrap().parse().unwrap();
    let csrf = t.csrf(&format!("{event_path}/edit")).await;
    let mut edit = fields.clone();
    edit.retain(|(k, _)| *k != "submit_key");
    edit.push(("version", "1".to_owned()));
    let r = post(&t, &format!("/events/{id}"), &csrf, &edit).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // A stale edit conflicts; the current one saves.
    let csrf = b.csrf(&format!("{event_path}/edit")).await;
    let mut edit = fields.clone();
    edit.retain(|(k, _)| *k != "submit_key");
    edit.push(("version", "1".to_owned()));
    let saved = post(&b, &format!("/events/{id}"), &csrf, &edit).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let stale = post(&b, &format!("/events/{id}"), &csrf, &edit).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);

    // Deleted: gone from the list and the page, still in the audit log.
    let (status, confirm) = b.get_text(&format!("/events/{id}/delete")).await;
    assert_eq!(status, StatusCode::OK);
    let action = confirm
        .split("action=\"")
        .nth(2)
        .or_else(|| confirm.split("action=\"").nth(1))
        .and_then(|s| s.split('"').next())
        .unwrap()
        .replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
        .replace("&#x3f;", "?")
        .replace("&amp;", "&");
    let csrf = common::form_token(&confirm).unwrap();
    let r = post(&b, &action, &csrf, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{action}");
    let (status, _) = b.get_text(&event_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = b.get_text(&path).await;
    assert!(!list.contains("秋季学期留守儿童监护人会议"));
    assert!(audit_kinds(&app, "principal").contains(&"group_event.delete".to_owned()));
}
both_dbs!(a_form_sent_twice_saves_one_event_with_its_minutes_and_sheet);

async fn attendees_out_of_reach_and_school_wide_events_of_head_teachers_are_refused(app: TestApp) {
    let p = places(&app);
    let own = child(&app, p.school, p.own_class, "单小明", 1);
    let other = child(&app, p.school, p.other_class, "龙小红", 2);
    let far = child(&app, p.other_school, p.far_class, "吴小刚", 3);
    let teacher = app.api(&app.token("teacher1").await);
    let today = shouhu_domain::today_shanghai().to_string();
    let body = |class: Option<i64>, kids: Vec<i64>| {
        json!({"class_id": class, "kind": "class_meeting", "date": today,
               "title": "感恩主题班会", "children": kids})
    };
    let path = format!("/api/v1/schools/{}/events", p.school);

    let (status, e) = teacher
        .post(&path, &body(Some(p.own_class), vec![own, other]))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let e: ErrorBody = serde_json::from_value(e).unwrap();
    assert!(e.error.fields.contains_key("children"));

    let mut school_wide = body(None, vec![own]);
    school_wide["kind"] = json!("guardian_meeting");
    let (status, e) = teacher.post(&path, &school_wide).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{e}");

    let (status, e) = teacher
        .post(&path, &body(Some(p.other_class), vec![]))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "another class: {e}"
    );

    let (status, e) = teacher.post(&path, &body(None, vec![own])).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a class meeting needs its class: {e}"
    );

    let (status, created) = teacher
        .post(&path, &body(Some(p.own_class), vec![own]))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    let principal = app.api(&app.token("principal").await);
    let mut meeting = body(None, vec![own, far]);
    meeting["kind"] = json!("guardian_meeting");
    let (status, e) = principal.post(&path, &meeting).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let e: ErrorBody = serde_json::from_value(e).unwrap();
    assert!(e.error.fields.contains_key("children"));

    let mut future = body(Some(p.own_class), vec![own]);
    future["date"] = json!("2999-01-01");
    let (status, e) = principal.post(&path, &future).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let e: ErrorBody = serde_json::from_value(e).unwrap();
    assert!(e.error.fields.contains_key("date"));

    // The volunteer sees no meetings at all.
    let volunteer = app.api(&app.token("volunteer").await);
    let id = created["id"].as_i64().unwrap();
    let (status, _) = volunteer.get(&format!("/api/v1/events/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
both_dbs!(attendees_out_of_reach_and_school_wide_events_of_head_teachers_are_refused);

async fn the_api_creates_once_per_key_reads_patches_with_versions_and_deletes(app: TestApp) {
    let p = places(&app);
    let own = child(&app, p.school, p.own_class, "单小明", 1);
    let api = app.api(&app.token("principal").await);
    let today = shouhu_domain::today_shanghai().to_string();
    let body = json!({
        "kind": "家长学校", "date": today, "title": "家长学校第一讲",
        "minutes": "如何与孩子视频通话",
        "guardians": [{"name": "单大山", "relation": "祖父"}],
        "children": [own],
    });
    let path = format!("/api/v1/schools/{}/events", p.school);
    let key = [("Idempotency-Key", "evt-1")];
    let (status, first) = api.post_with(&path, &key, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, again) = api.post_with(&path, &key, &body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(first["id"], again["id"]);
    assert_eq!(first["kind"], "parent_school");
    assert_eq!(first["guardian_count"], 1);
    assert_eq!(first["children"][0]["name"], "单小明");
    assert_eq!(first["version"], 1);
    for field in [
        "school_name",
        "minutes",
        "guardians",
        "hidden_children",
        "created_at",
    ] {
        assert!(first.get(field).is_some(), "{field} in {first}");
    }
    let (status, list) = api.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(
        list["items"][0].get("minutes").is_none(),
        "lists open no minutes"
    );

    let id = first["id"].as_i64().unwrap();
    let event = format!("/api/v1/events/{id}");
    let (status, patched) = api
        .patch(&event, &json!({"version": 1, "guardian_count": 20}))
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["version"], 2);
    assert_eq!(patched["guardian_count"], 20);
    assert_eq!(patched["minutes"], "如何与孩子视频通话", "left out, kept");
    let (status, stale) = api
        .patch(&event, &json!({"version": 1, "title": "改"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(stale["error"]["details"]["current_version"], 2);

    let (status, _) = api.delete(&format!("{event}?version=1")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = api.delete(&format!("{event}?version=2")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api.get(&event).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let kinds = audit_kinds(&app, "principal");
    for kind in [
        "group_event.create",
        "group_event.update",
        "group_event.delete",
    ] {
        assert_eq!(kinds.iter().filter(|k| *k == kind).count(), 1, "{kind}");
    }

    let (status, doc) = api.get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let paths: &Value = &doc["paths"];
    assert!(paths.get("/api/v1/schools/{id}/events").is_some());
    assert!(paths["/api/v1/events/{id}"].get("delete").is_some());
}
both_dbs!(the_api_creates_once_per_key_reads_patches_with_versions_and_deletes);
