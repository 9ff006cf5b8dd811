//! Pairings on both databases, through the API and the pages: pairing one child, bulk pairing a
//! class after a preview (only left-behind children without a teacher, never twice), ending a
//! pairing, scope refusals, and coverage equal to a count by hand.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Duration;
use common::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shouhu_domain::{ChildFile, check_char, today_shanghai};
use shouhu_store::children::{self, Placement};
use shouhu_store::{Scope, classes, users};

fn id_number(seq: &str) -> String {
    let first17 = format!("52050220150301{seq}");
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

/// How many parents are away: 2 is left-behind by every caliber, 1 by 学籍 only, 0 by none.
fn child_at(app: &TestApp, at: Placement, name: &str, seq: &str, away: u8) -> i64 {
    let id = id_number(seq);
    let sex = if (id.as_bytes()[16] - b'0') % 2 == 1 {
        "male"
    } else {
        "female"
    };
    let away_at = json!({"since": "2024-02-20", "province": "广东", "city": "东莞市"});
    let father = if away >= 1 {
        json!({"name": "单建国", "away": away_at})
    } else {
        json!({"name": "单建国"})
    };
    let mother = if away >= 2 {
        json!({"name": "李秀英", "away": away_at})
    } else {
        json!({"name": "李秀英"})
    };
    let file: ChildFile = serde_json::from_value(json!({
        "name": name, "sex": sex, "ethnicity": "miao", "birth_date": "2015-03-01",
        "id_doc_type": "resident_id_card", "id_number": id, "hukou_type": "agricultural",
        "residence_region": "520502101205", "schooling": "in_school",
        "health": {"kind": "healthy"}, "father": father, "mother": mother,
    }))
    .unwrap();
    let key = app.store.key();
    app.store
        .with_conn(|c| children::create(c, &Scope::local_operator(), &key, at, &file, None))
        .unwrap()
        .summary
        .id
}

/// The principal's school and two of its classes, teacher1's first.
fn classes_of_school(app: &TestApp) -> (i64, i64, i64) {
    let teacher = scope_of(app, "teacher1");
    let school = teacher.school.unwrap();
    let own = app
        .store
        .with_conn(|c| classes::list(c, &teacher, school))
        .unwrap()[0]
        .class
        .id;
    let all = app
        .store
        .with_conn(|c| classes::list(c, &Scope::local_operator(), school))
        .unwrap();
    let other = all.iter().find(|c| c.class.id != own).unwrap().class.id;
    (school, own, other)
}

fn other_school(app: &TestApp) -> Placement {
    let op = Scope::local_operator();
    let schools = app
        .store
        .with_conn(|c| shouhu_store::schools::list(c, &op, &Default::default()))
        .unwrap();
    let school = schools
        .iter()
        .find(|s| s.name == "七星关区第一小学")
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

fn names(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

async fn a_class_is_paired_once_after_a_preview(app: TestApp) {
    let (school, class, other_class) = classes_of_school(&app);
    let at = |class| Placement {
        school_id: school,
        class_id: Some(class),
    };
    let a = child_at(&app, at(class), "甲", "101", 2);
    let _b = child_at(&app, at(class), "乙", "103", 1);
    let _c = child_at(&app, at(class), "丙", "105", 0);
    let _d = child_at(&app, at(other_class), "丁", "107", 2);
    let principal = app.api(&app.token("principal").await);
    let teacher2 = app.user_id("teacher2");
    let teacher1 = app.user_id("teacher1");
    let (status, first) = principal
        .post(
            &format!("/api/v1/children/{a}/pairings"),
            &json!({"kind": "teacher", "user_id": teacher2, "note": "每周二辅导数学"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["partner_name"], "吴老师（任课教师）");
    assert_eq!(first["active"], true);
    // Sent again: the same pairing, not a second one.
    let (_, again) = principal
        .post(
            &format!("/api/v1/children/{a}/pairings"),
            &json!({"kind": "teacher", "user_id": teacher2}),
        )
        .await;
    assert_eq!(again["id"], first["id"]);

    let path = format!("/api/v1/classes/{class}/pairings");
    let (status, preview) = principal
        .post(&path, &json!({"teacher_id": teacher1, "preview": true}))
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(names(&preview["paired"]), ["乙"], "{preview}");
    assert_eq!(names(&preview["already_paired"]), ["甲"]);
    let (_, history) = principal
        .get(&format!("/api/v1/children/{_b}/pairings"))
        .await;
    assert!(
        history["items"].as_array().unwrap().is_empty(),
        "a preview pairs nobody"
    );

    let (status, done) = principal
        .post(&path, &json!({"teacher_id": teacher1}))
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(names(&done["paired"]), ["乙"]);
    let (_, twice) = principal
        .post(&path, &json!({"teacher_id": teacher1}))
        .await;
    assert!(names(&twice["paired"]).is_empty(), "{twice}");
    assert_eq!(names(&twice["already_paired"]), ["乙", "甲"]);
    let (_, history) = principal
        .get(&format!("/api/v1/children/{_b}/pairings"))
        .await;
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["user_id"], teacher1);

    // The paired teacher (a 任课教师 with no class) now reaches 甲's records.
    let t2 = app.api(&app.token("teacher2").await);
    let (status, _) = t2.get(&format!("/api/v1/children/{a}/records")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = t2.get(&format!("/api/v1/children/{_d}/records")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Ending: the last day, once.
    let id = first["id"].as_i64().unwrap();
    let yesterday = (today_shanghai() - Duration::days(400)).to_string();
    let (status, _) = principal
        .post(
            &format!("/api/v1/pairings/{id}/end"),
            &json!({"to_date": yesterday}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "before it began");
    let (status, ended) = principal
        .post(&format!("/api/v1/pairings/{id}/end"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{ended}");
    assert_eq!(ended["to_date"], today_shanghai().to_string());
    assert_eq!(ended["ended_by"], "principal");
    let (status, _) = principal
        .post(&format!("/api/v1/pairings/{id}/end"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

both_dbs!(a_class_is_paired_once_after_a_preview);

async fn pairings_keep_to_scope_and_role(app: TestApp) {
    let (school, class, _) = classes_of_school(&app);
    let own = child_at(
        &app,
        Placement {
            school_id: school,
            class_id: Some(class),
        },
        "甲",
        "101",
        2,
    );
    let stranger = child_at(&app, other_school(&app), "王小明", "103", 2);
    let head = app.api(&app.token("teacher1").await);
    let teacher2 = app.user_id("teacher2");
    let (status, _) = head
        .post(
            &format!("/api/v1/children/{stranger}/pairings"),
            &json!({"kind": "teacher", "user_id": teacher2}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = head
        .get(&format!("/api/v1/children/{stranger}/pairings"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A teacher of another school is not this child's teacher; a teacher is not a volunteer.
    let principal = app.api(&app.token("principal").await);
    let (status, e) = principal
        .post(
            &format!("/api/v1/children/{own}/pairings"),
            &json!({"kind": "volunteer", "user_id": teacher2}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (status, e) = principal
        .post(
            &format!("/api/v1/children/{own}/pairings"),
            &json!({"kind": "teacher", "partner_name": "王老师"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (status, named) = principal
        .post(
            &format!("/api/v1/children/{own}/pairings"),
            &json!({"kind": "party_member", "partner_name": "王建军"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{named}");
    // 民政 pairs volunteers, not teachers.
    let minzheng = app.api(&app.token("minzheng").await);
    let (status, _) = minzheng
        .post(
            &format!("/api/v1/children/{own}/pairings"),
            &json!({"kind": "teacher", "user_id": teacher2}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, v) = minzheng
        .post(
            &format!("/api/v1/children/{own}/pairings"),
            &json!({"kind": "volunteer", "user_id": app.user_id("volunteer")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    // Teachers see no coverage.
    let t2 = app.api(&app.token("teacher2").await);
    let (status, _) = t2
        .get(&format!("/api/v1/pairings/coverage?school={school}"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = principal.get("/api/v1/pairings/coverage").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

both_dbs!(pairings_keep_to_scope_and_role);

#[derive(diesel::QueryableByName)]
struct ChildFacts {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    school_id: i64,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    lb_mca: bool,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    lb_xueji: i32,
}

#[derive(diesel::QueryableByName)]
struct PairingFacts {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    child_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    from_date: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    to_date: Option<String>,
}

/// (paired, left-behind) counted by hand from the rows.
fn by_hand(app: &TestApp, school: Option<i64>, xueji: bool) -> (i64, i64) {
    use diesel::RunQueryDsl;
    let mut conn = shouhu_store::establish(app.store.url()).unwrap();
    let c_sql = "SELECT id, school_id, lb_mca, lb_xueji FROM children";
    let p_sql = "SELECT child_id, kind, from_date, to_date FROM pairings";
    let (kids, pairs): (Vec<ChildFacts>, Vec<PairingFacts>) = match &mut conn {
        shouhu_store::Conn::Sqlite(c) => (
            diesel::sql_query(c_sql).load(c).unwrap(),
            diesel::sql_query(p_sql).load(c).unwrap(),
        ),
        shouhu_store::Conn::Postgres(c) => (
            diesel::sql_query(c_sql).load(c).unwrap(),
            diesel::sql_query(p_sql).load(c).unwrap(),
        ),
    };
    let today = today_shanghai().to_string();
    let lb: Vec<&ChildFacts> = kids
        .iter()
        .filter(|k| school.is_none_or(|s| k.school_id == s))
        .filter(|k| if xueji { k.lb_xueji > 0 } else { k.lb_mca })
        .collect();
    let paired = lb
        .iter()
        .filter(|k| {
            pairs.iter().any(|p| {
                p.child_id == k.id
                    && p.kind == "teacher"
                    && p.from_date <= today
                    && p.to_date.as_ref().is_none_or(|t| *t >= today)
            })
        })
        .count();
    (paired as i64, lb.len() as i64)
}

async fn coverage_equals_a_count_by_hand(app: TestApp) {
    let (school, class, other_class) = classes_of_school(&app);
    let at = |class| Placement {
        school_id: school,
        class_id: Some(class),
    };
    let mut kids = Vec::new();
    for (n, (cls, away)) in [
        (class, 2),
        (class, 2),
        (class, 1),
        (class, 0),
        (other_class, 2),
        (other_class, 1),
        (other_class, 2),
    ]
    .into_iter()
    .enumerate()
    {
        let seq = format!("{:03}", 101 + 2 * n);
        let name = ["赵一", "钱二", "孙三", "李四", "周五", "吴六", "郑七"][n];
        kids.push(child_at(&app, at(cls), name, &seq, away));
    }
    let elsewhere = other_school(&app);
    let far = child_at(&app, elsewhere, "远方", "201", 2);
    let principal = app.api(&app.token("principal").await);
    let pair = |child: i64, user: i64, from: String| {
        let principal = &principal;
        async move {
            let (status, body) = principal
                .post(
                    &format!("/api/v1/children/{child}/pairings"),
                    &json!({"kind": "teacher", "user_id": user, "from_date": from}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            body["id"].as_i64().unwrap()
        }
    };
    let t1 = app.user_id("teacher1");
    let t2 = app.user_id("teacher2");
    let today = today_shanghai();
    pair(kids[0], t1, today.to_string()).await;
    pair(kids[2], t2, (today - Duration::days(30)).to_string()).await;
    // Ended yesterday: not running today.
    let ended = pair(kids[4], t2, (today - Duration::days(60)).to_string()).await;
    let yesterday = (today - Duration::days(1)).to_string();
    let (status, _) = principal
        .post(
            &format!("/api/v1/pairings/{ended}/end"),
            &json!({"to_date": yesterday}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Starts tomorrow: not yet running.
    pair(kids[6], t1, (today + Duration::days(1)).to_string()).await;
    // A volunteer is not a teacher pairing.
    let (status, _) = principal
        .post(
            &format!("/api/v1/children/{}/pairings", kids[1]),
            &json!({"kind": "volunteer", "user_id": app.user_id("volunteer")}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let bureau = app.api(&app.token("bureau").await);
    let admin = app.api(&app.token("admin").await);
    let (status, _) = admin
        .post(
            &format!("/api/v1/children/{far}/pairings"),
            &json!({"kind": "party_member", "partner_name": "王建军"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    for (query, school, xueji) in [
        (format!("school={school}"), Some(school), false),
        (format!("school={school}&caliber=xueji"), Some(school), true),
        ("region=520502".to_owned(), None, false),
        ("region=520502&caliber=xueji".to_owned(), None, true),
    ] {
        let (status, got) = bureau
            .get(&format!("/api/v1/pairings/coverage?{query}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{query}: {got}");
        let (paired, total) = by_hand(&app, school, xueji);
        assert_eq!(
            (
                got["paired"].as_i64().unwrap(),
                got["left_behind"].as_i64().unwrap()
            ),
            (paired, total),
            "{query}: {got}"
        );
        assert!(total > 0 && paired > 0, "{query}: a meaningful case");
    }
    // The principal sees the same figure for their own school, and it is on the school page.
    let (_, mine) = principal
        .get(&format!("/api/v1/pairings/coverage?school={school}"))
        .await;
    let (paired, total) = by_hand(&app, Some(school), false);
    assert_eq!(
        (mine["paired"].as_i64(), mine["left_behind"].as_i64()),
        (Some(paired), Some(total))
    );
    let browser = app.login("principal").await;
    let (status, html) = browser.get_text(&format!("/schools/{school}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("<strong>{paired}</strong> / {total}")),
        "coverage figure"
    );
    // Outside the principal's school: not there.
    let (status, _) = principal
        .get(&format!(
            "/api/v1/pairings/coverage?school={}",
            elsewhere.school_id
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

both_dbs!(coverage_equals_a_count_by_hand);

async fn the_class_page_previews_then_pairs(app: TestApp) {
    let (school, class, _) = classes_of_school(&app);
    let at = Placement {
        school_id: school,
        class_id: Some(class),
    };
    let kid = child_at(&app, at, "单𠮷", "101", 2);
    let browser = app.login("principal").await;
    let t1 = app.user_id("teacher1");
    let today = today_shanghai().to_string();
    let (status, html) = browser.get_text(&format!("/classes/{class}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("/classes/{class}/pairings")));
    let preview = format!("/classes/{class}/pairings?teacher_id={t1}&from_date={today}");
    let (status, html) = browser.get_text(&preview).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("单𠮷"), "the preview names the child");
    let csrf = common::form_token(&html).unwrap();
    let t1s = t1.to_string();
    let r = browser
        .post_form(
            &format!("/classes/{class}/pairings"),
            &csrf,
            &[("teacher_id", &t1s), ("from_date", &today), ("note", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = browser.get_text(&format!("/children/{kid}")).await;
    assert!(
        page.contains("龙老师（班主任）"),
        "the child page shows the pairing"
    );
    // A single pairing through its form, and its end.
    let (status, html) = browser
        .get_text(&format!("/children/{kid}/pairings/new?kind=party_member"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let r = browser
        .post_form(
            &format!("/children/{kid}/pairings/new"),
            &csrf,
            &[
                ("kind", "party_member"),
                ("partner", ""),
                ("partner_name", ""),
                ("from_date", &today),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "no partner");
    assert!(html.contains("partner_name"));
    let r = browser
        .post_form(
            &format!("/children/{kid}/pairings/new"),
            &csrf,
            &[
                ("kind", "party_member"),
                ("partner", ""),
                ("partner_name", "王建军"),
                ("from_date", &today),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

both_dbs!(the_class_page_previews_then_pairs);
