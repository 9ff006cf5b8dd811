//! Care records on both databases, through the pages and the API: a double submit saves once, a
//! refused form keeps what was typed, another school's child is not there, counselling notes are
//! read by their author and the school's leaders only, volunteers keep only their own contact
//! and everyday-care logs, and a deletion keeps the row and is audited.
#![allow(clippy::unwrap_used)]

mod common;

use common::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shouhu_domain::{ChildFile, check_char, today_shanghai};
use shouhu_store::children::{self, Placement};
use shouhu_store::{Scope, classes, pairings, users};

fn id_number(birth: &str, seq: &str) -> String {
    let first17 = format!("520502{birth}{seq}");
    format!("{first17}{}", check_char(first17.as_bytes()))
}

fn scope_of(app: &TestApp, username: &str) -> Scope {
    app.store
        .with_conn(|c| {
            let user = users::find_for_login(c, username)?.unwrap();
            users::scope_for(c, &user, None)
        })
        .unwrap()
}

/// A left-behind child (both parents away in 广东) placed at `at`.
fn child_at(app: &TestApp, at: Placement, name: &str, seq: &str) -> i64 {
    let id = id_number("20150301", seq);
    let sex = if (id.as_bytes()[16] - b'0') % 2 == 1 {
        "male"
    } else {
        "female"
    };
    let file: ChildFile = serde_json::from_value(json!({
        "name": name, "sex": sex, "ethnicity": "miao", "birth_date": "2015-03-01",
        "id_doc_type": "resident_id_card", "id_number": id, "hukou_type": "agricultural",
        "residence_region": "520502101205", "schooling": "in_school",
        "health": {"kind": "healthy"},
        "father": {"name": "单建国", "phone": "13812345678",
                   "away": {"since": "2024-02-20", "province": "广东", "city": "东莞市"}},
        "mother": {"name": "李秀英", "phone": "13912345678",
                   "away": {"since": "2024-02-20", "province": "广东", "city": "深圳市"}},
    }))
    .unwrap();
    let key = app.store.key();
    app.store
        .with_conn(|c| children::create(c, &Scope::local_operator(), &key, at, &file, None))
        .unwrap()
        .summary
        .id
}

/// teacher1's class at 梨树镇九年一贯制学校.
fn own_class(app: &TestApp) -> Placement {
    let teacher = scope_of(app, "teacher1");
    let list = app
        .store
        .with_conn(|c| classes::list(c, &teacher, teacher.school.unwrap()))
        .unwrap();
    Placement {
        school_id: teacher.school.unwrap(),
        class_id: Some(list[0].class.id),
    }
}

/// A class of another school (七星关区第一小学).
fn other_school(app: &TestApp) -> Placement {
    let op = Scope::local_operator();
    let teacher = scope_of(app, "teacher1");
    let schools = app
        .store
        .with_conn(|c| shouhu_store::schools::list(c, &op, &Default::default()))
        .unwrap();
    let school = schools
        .iter()
        .find(|s| Some(s.id) != teacher.school && s.name == "七星关区第一小学")
        .unwrap();
    let list = app
        .store
        .with_conn(|c| classes::list(c, &op, school.id))
        .unwrap();
    Placement {
        school_id: school.id,
        class_id: Some(list[0].class.id),
    }
}

fn audit_kinds(app: &TestApp, actor: &str) -> Vec<(String, String)> {
    let filter = shouhu_store::audit::AuditFilter {
        actor: Some(actor.to_owned()),
        limit: 500,
        ..Default::default()
    };
    app.store
        .with_conn(|c| shouhu_store::audit::list(c, &Scope::local_operator(), &filter))
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.target))
        .collect()
}

fn items(list: &Value) -> &Vec<Value> {
    list["items"].as_array().unwrap()
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html.find(&marker).unwrap_or_else(|| panic!("no {name}"));
    let rest = &html[at + marker.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

async fn the_entry_form_saves_once_and_keeps_what_was_typed(app: TestApp) {
    let child = child_at(&app, own_class(&app), "单𠮷", "123");
    let browser = app.login("teacher1").await;
    let form = format!("/children/{child}/records/new?kind=talk&duty=17&return=/children");
    let (status, html) = browser.get_text(&form).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let today = today_shanghai().to_string();
    assert!(
        html.contains(&format!("value=\"{today}\"")),
        "date prefilled"
    );
    assert!(html.contains("name=\"mood\"") && !html.contains("name=\"notes\""));
    let csrf = common::form_token(&html).unwrap();
    let key = hidden(&html, "submit_key");
    let action = format!("/children/{child}/records/new");

    // Missing mood: refused with everything typed shown again.
    let typed = [
        ("kind", "talk"),
        ("submit_key", key.as_str()),
        ("return", "/children"),
        ("record_date", today.as_str()),
        ("topics", "想妈妈，晚上睡不好"),
        ("follow_up", "下周再谈"),
    ];
    let r = browser.post_form(&action, &csrf, &typed).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("想妈妈，晚上睡不好") && html.contains("下周再谈"));
    assert!(html.contains("请选择孩子的情绪状态") || html.contains("此项必填"));
    assert_eq!(hidden(&html, "submit_key"), key, "the same key again");

    // A double tap: two posts with one key save one record; both go where `return` says.
    let mut done = typed.to_vec();
    done.push(("mood", "low"));
    for _ in 0..2 {
        let r = browser.post_form(&action, &csrf, &done).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/children");
    }
    let api = app.api(&app.token("teacher1").await);
    let (status, list) = api.get(&format!("/api/v1/children/{child}/records")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(items(&list).len(), 1, "{list}");
    assert_eq!(items(&list)[0]["fields"]["mood"], "low");

    // A foreign `return` is not followed.
    let (_, html) = browser
        .get_text(&format!(
            "/children/{child}/records/new?kind=birthday&return=//evil.example/"
        ))
        .await;
    assert!(!html.contains("evil.example"));
    let key = hidden(&html, "submit_key");
    let r = browser
        .post_form(
            &action,
            &csrf,
            &[
                ("kind", "birthday"),
                ("submit_key", &key),
                ("record_date", &today),
                ("return", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        format!("/children/{child}?done=created").as_str()
    );

    // The child's page lists them, newest first.
    let (status, page) = browser.get_text(&format!("/children/{child}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("关爱记录") && page.contains("想妈妈"),
        "care section"
    );
}

both_dbs!(the_entry_form_saves_once_and_keeps_what_was_typed);

async fn the_api_is_idempotent_validates_and_keeps_to_scope(app: TestApp) {
    let child = child_at(&app, own_class(&app), "单𠮷", "123");
    let stranger = child_at(&app, other_school(&app), "王小明", "135");
    let api = app.api(&app.token("teacher1").await);
    let path = format!("/api/v1/children/{child}/records");
    let body = json!({"kind": "family_contact", "channel": "video", "direction": "parent_to_child",
                      "reported_by": "孩子", "note": "妈妈视频"});
    let (s1, first) = api
        .post_with(&path, &[("Idempotency-Key", "k-1")], &body)
        .await;
    let (s2, second) = api
        .post_with(&path, &[("Idempotency-Key", "k-1")], &body)
        .await;
    assert_eq!(
        (s1, s2),
        (StatusCode::CREATED, StatusCode::CREATED),
        "{first}"
    );
    assert_eq!(first["id"], second["id"]);
    assert_eq!(first["fields"]["reported_by"], "child");
    let mut in_body = body.clone();
    in_body["idempotency_key"] = json!("k-2");
    let (_, a) = api.post(&path, &in_body).await;
    let (_, b) = api.post(&path, &in_body).await;
    assert_eq!(a["id"], b["id"]);
    let (_, list) = api.get(&path).await;
    assert_eq!(items(&list).len(), 2);

    let (status, e) = api
        .post(
            &path,
            &json!({"kind": "home_teaching", "periods": 0, "record_date": "2999-01-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let fields = &e["error"]["fields"];
    assert!(fields["periods"].is_string() && fields["content"].is_string());
    assert!(fields["record_date"].is_string(), "{e}");

    // Another school's child is simply not there, to read or to write.
    for (status, body) in [
        api.get(&format!("/api/v1/children/{stranger}/records"))
            .await,
        api.post(
            &format!("/api/v1/children/{stranger}/records"),
            &json!({"kind": "talk", "topics": "x", "mood": "calm"}),
        )
        .await,
    ] {
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
    let browser = app.login("teacher1").await;
    let (status, _) = browser
        .get_text(&format!("/children/{stranger}/records/new?kind=talk"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Edits carry their version; a stale one is refused.
    let id = first["id"].as_i64().unwrap();
    let (status, edited) = api
        .patch(
            &format!("/api/v1/records/{id}"),
            &json!({"version": 1, "channel": "phone"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["fields"]["channel"], "phone");
    assert_eq!(edited["fields"]["note"], "妈妈视频", "the rest kept");
    let (status, _) = api
        .patch(
            &format!("/api/v1/records/{id}"),
            &json!({"version": 1, "note": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        audit_kinds(&app, "teacher1")
            .iter()
            .any(|(k, t)| k == "care.view" && *t == format!("child:{child}")),
        "the listing is audited"
    );
}

both_dbs!(the_api_is_idempotent_validates_and_keeps_to_scope);

/// Pairs `username`'s account with the child (as the principal).
fn pair(app: &TestApp, child: i64, kind: shouhu_domain::PairingKind, username: &str) {
    let principal = scope_of(app, "principal");
    let input = pairings::PairingInput {
        kind,
        partner: shouhu_domain::Partner::User(app.user_id(username)),
        from: today_shanghai(),
        note: String::new(),
    };
    app.store
        .with_conn(|c| pairings::create(c, &principal, child, &input))
        .unwrap();
}

async fn counselling_notes_are_read_by_their_author_and_the_schools_leaders_only(app: TestApp) {
    let child = child_at(&app, own_class(&app), "单𠮷", "123");
    pair(&app, child, shouhu_domain::PairingKind::Teacher, "teacher2");
    let author = app.api(&app.token("teacher1").await);
    let (status, made) = author
        .post(
            &format!("/api/v1/children/{child}/records"),
            &json!({"kind": "counselling", "notes": "父母离异后常哭"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["confidential"], true);
    let id = made["id"].as_i64().unwrap();
    for (who, reads) in [
        ("teacher1", true),
        ("principal", true),
        ("bureau", true),
        ("admin", true),
        ("teacher2", false),
        ("director", false),
        ("minzheng", false),
    ] {
        let api = app.api(&app.token(who).await);
        let (status, record) = api.get(&format!("/api/v1/records/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{who}: {record}");
        assert_eq!(record["withheld"], !reads, "{who}");
        assert_eq!(record["fields"].is_object(), reads, "{who}");
        assert_eq!(
            record["author_name"], "龙老师（班主任）",
            "{who} sees who wrote it"
        );
        let (_, list) = api.get(&format!("/api/v1/children/{child}/records")).await;
        assert_eq!(
            list.to_string().contains("父母离异后常哭"),
            reads,
            "{who}: {list}"
        );
        if !reads {
            let (status, _) = api
                .patch(
                    &format!("/api/v1/records/{id}"),
                    &json!({"version": 1, "notes": "x"}),
                )
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        }
    }
    let browser = app.login("teacher2").await;
    let (status, html) = browser.get_text(&format!("/records/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("父母离异后常哭") && html.contains("内容仅记录人"));
}

both_dbs!(counselling_notes_are_read_by_their_author_and_the_schools_leaders_only);

async fn volunteers_keep_only_their_own_contact_and_care_logs(app: TestApp) {
    let child = child_at(&app, own_class(&app), "单𠮷", "123");
    let unpaired = child_at(&app, own_class(&app), "杨小花", "246");
    let volunteer = app.api(&app.token("volunteer").await);
    let path = format!("/api/v1/children/{child}/records");
    let (status, _) = volunteer.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not paired yet");
    pair(
        &app,
        child,
        shouhu_domain::PairingKind::Volunteer,
        "volunteer",
    );

    let teacher = app.api(&app.token("teacher1").await);
    let (_, talk) = teacher
        .post(
            &path,
            &json!({"kind": "talk", "topics": "学习", "mood": "calm"}),
        )
        .await;
    let (status, own) = volunteer
        .post(
            &path,
            &json!({"kind": "family_contact", "channel": "phone",
                    "direction": "child_to_parent", "reported_by": "guardian"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{own}");
    let (status, _) = volunteer
        .post(&path, &json!({"kind": "life_care", "note": "送了冬衣"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    for kind in [
        json!({"kind": "counselling", "notes": "x"}),
        json!({"kind": "health_check", "check": "checkup", "result": "正常"}),
    ] {
        let (status, body) = volunteer.post(&path, &kind).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    let (_, list) = volunteer.get(&path).await;
    let kinds: Vec<&str> = items(&list)
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 2, "{list}");
    assert!(!kinds.contains(&"talk"), "not the teacher's talk");
    let (status, _) = volunteer
        .get(&format!("/api/v1/records/{}", talk["id"]))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = volunteer
        .get(&format!("/api/v1/children/{unpaired}/records"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The volunteer's page of paired children leads to one-tap entry.
    let browser = app.login("volunteer").await;
    let (status, html) = browser.get_text("/pairings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("单𠮷") && html.contains("kind=family_contact"));
    let (status, html) = browser
        .get_text(&format!(
            "/children/{child}/records/new?kind=family_contact"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("kind=counselling"),
        "only the kinds they may keep"
    );
}

both_dbs!(volunteers_keep_only_their_own_contact_and_care_logs);

async fn a_deleted_record_is_gone_from_view_but_kept_and_audited(app: TestApp) {
    let child = child_at(&app, own_class(&app), "单𠮷", "123");
    let api = app.api(&app.token("teacher1").await);
    let (_, made) = api
        .post(
            &format!("/api/v1/children/{child}/records"),
            &json!({"kind": "home_visit", "met": "祖母", "living": "砖房"}),
        )
        .await;
    let id = made["id"].as_i64().unwrap();
    let other = app.api(&app.token("teacher2").await);
    assert_eq!(
        other.delete(&format!("/api/v1/records/{id}")).await.0,
        StatusCode::NOT_FOUND,
        "out of reach"
    );
    let (status, _) = api.delete(&format!("/api/v1/records/{id}?version=9")).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Through the page: asked first, then done.
    let browser = app.login("teacher1").await;
    let (status, html) = browser.get_text(&format!("/records/{id}/delete")).await;
    assert_eq!(status, StatusCode::OK);
    let csrf = common::form_token(&html).unwrap();
    let r = browser
        .post_form(&format!("/records/{id}/delete"), &csrf, &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        api.get(&format!("/api/v1/records/{id}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, list) = api.get(&format!("/api/v1/children/{child}/records")).await;
    assert!(items(&list).is_empty());
    assert!(
        audit_kinds(&app, "teacher1")
            .iter()
            .any(|(k, t)| k == "care.delete" && *t == format!("record:{id}"))
    );
    #[derive(diesel::QueryableByName)]
    struct Kept {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        deleted_by: Option<String>,
    }
    let sql = format!("SELECT deleted_by FROM care_records WHERE id = {id}");
    let mut conn = shouhu_store::establish(app.store.url()).unwrap();
    use diesel::RunQueryDsl;
    let rows: Vec<Kept> = match &mut conn {
        shouhu_store::Conn::Sqlite(c) => diesel::sql_query(&sql).load(c).unwrap(),
        shouhu_store::Conn::Postgres(c) => diesel::sql_query(&sql).load(c).unwrap(),
    };
    assert_eq!(rows[0].deleted_by.as_deref(), Some("teacher1"));
}

both_dbs!(a_deleted_record_is_gone_from_view_but_kept_and_audited);
