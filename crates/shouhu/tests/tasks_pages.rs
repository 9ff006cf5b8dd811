//! The web side of duties on both databases: "my tasks" shows a head teacher the talk a new
//! left-behind child's file brings and its one-tap link, then shows it done; the compliance API
//! agrees with a count of the duties table; the rules page saves a county's rule and refuses a
//! stale version; another county's figures are not found.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use common::TestApp;
use diesel::RunQueryDsl;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shouhu_domain::{
    Calendar, CareBody, ChildFile, MakeUpDay, RegionCode, SchoolYear, Term, check_char,
    today_shanghai,
};
use shouhu_store::calendars::{self, Owner};
use shouhu_store::children::{self, Placement};
use shouhu_store::duties;
use shouhu_store::{Scope, care_records, classes, users};

const COUNTY: &str = "520502000000";
/// A county of Guizhou outside the demo bureau's reach (贵阳市南明区).
const OTHER_COUNTY: &str = "520102000000";

fn scope_of(app: &TestApp, username: &str) -> Scope {
    app.store
        .with_conn(|c| {
            let user = users::find_for_login(c, username)?.unwrap();
            users::scope_for(c, &user, None)
        })
        .unwrap()
}

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

const NAMES: [&str; 6] = ["杨小花", "龙小军", "吴小梅", "张小刚", "王小丽", "李小明"];

/// A file whose parents both work away: left-behind by the 民政 caliber, so a monthly talk is owed.
fn file(n: usize) -> ChildFile {
    let first17 = format!("52050220150301{:03}", 101 + n * 2);
    let id = format!("{first17}{}", check_char(first17.as_bytes()));
    let parent = |name: &str| {
        json!({"name": name, "phone": "13812345678",
               "away": {"since": "2024-02-20", "province": "广东", "city": "东莞市"}})
    };
    serde_json::from_value(json!({
        "name": NAMES[n % NAMES.len()],
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

fn create_child(app: &TestApp, n: usize) -> i64 {
    let key = app.store.key();
    app.store
        .with_conn(|c| {
            children::create(
                c,
                &Scope::local_operator(),
                &key,
                placement(app),
                &file(n),
                None,
            )
        })
        .unwrap()
        .summary
        .id
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

fn talk(app: &TestApp, child: i64, date: NaiveDate) {
    let body: CareBody =
        serde_json::from_value(json!({"kind": "talk", "topics": "学习和生活", "mood": "calm"}))
            .unwrap();
    let key = app.store.key();
    let teacher = scope_of(app, "teacher1");
    app.store
        .with_conn(|c| care_records::create(c, &teacher, &key, child, date, &body, None))
        .unwrap();
}

/// The `<section id="…">` of a bucket on the tasks page.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<section id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap()]
}

both_dbs!(my_tasks_show_a_new_left_behind_childs_talk_with_its_one_tap_link_then_done);
async fn my_tasks_show_a_new_left_behind_childs_talk_with_its_one_tap_link_then_done(app: TestApp) {
    let today = today_shanghai();
    save_calendar(&app, today);
    let child = create_child(&app, 0);

    let browser = app.login("teacher1").await;
    let (status, html) = browser.get_text("/tasks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("我的任务"), "{html}");
    assert!(
        html.contains(NAMES[0]),
        "the child heads its duties:\n{html}"
    );
    assert!(html.contains("谈心"), "the talk duty is listed:\n{html}");
    let link = format!("/children/{child}/records/new?kind=talk&#38;duty=");
    assert!(html.contains(&link), "one tap opens the talk form:\n{html}");
    assert!(html.contains("return=/tasks"), "and comes back here");
    assert!(
        !section(&html, "done").contains(NAMES[0]),
        "nothing is done yet"
    );

    // The menu leads with my tasks, and the home page points there.
    let (_, home) = browser.get_text("/").await;
    let menu = &home[home.find("class=\"menu\"").unwrap()..];
    assert!(
        menu.find("/tasks").unwrap() < menu.find("/children").unwrap(),
        "my tasks leads the menu"
    );
    assert!(home.contains("id=\"duty-card\""), "{home}");

    // The API answers the same list.
    let api = app.api(&app.token("teacher1").await);
    let (status, body) = api.get("/api/v1/tasks").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let open: Vec<&Value> = ["overdue", "today_due", "this_week", "later"]
        .iter()
        .flat_map(|b| body[b].as_array().unwrap())
        .collect();
    let duty = open
        .iter()
        .find(|t| t["rule_code"] == "talk" && t["subject_id"] == child)
        .unwrap_or_else(|| panic!("the talk is open: {body}"));
    assert_eq!(duty["status"], "open");
    assert_eq!(duty["child_name"], NAMES[0]);
    let entry = duty["entry"].as_str().unwrap();
    assert!(entry.ends_with("&return=/tasks"), "{entry}");

    // A talk closes it at once; it moves to 最近完成 with no button left.
    talk(&app, child, today);
    let (_, html) = browser.get_text("/tasks").await;
    let done = section(&html, "done");
    assert!(done.contains(NAMES[0]) && done.contains("谈心"), "{html}");
    assert!(done.contains("data-status=\"done\""), "{done}");
    assert!(
        !done.contains("records/new"),
        "a done duty has nothing to tap"
    );
    let (_, body) = api.get("/api/v1/tasks").await;
    assert!(
        body["done"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["rule_code"] == "talk" && t["subject_id"] == child),
        "{body}"
    );

    // The principal sees the school's overdue work by teacher.
    let principal = app.login("principal").await;
    let (status, html) = principal.get_text("/tasks").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("按教师的逾期"), "{html}");

    // The bureau is pointed to compliance.
    let bureau = app.login("bureau").await;
    let (_, html) = bureau.get_text("/tasks").await;
    assert!(html.contains("/compliance?region=520502000000"), "{html}");
}

#[derive(diesel::QueryableByName, Debug)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::Text)]
    rule_code: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    due_date: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    school_id: i64,
}

fn duty_rows(app: &TestApp) -> Vec<Row> {
    let mut conn = shouhu_store::establish(app.store.url()).unwrap();
    diesel::sql_query("SELECT rule_code, status, due_date, school_id FROM duties")
        .load(&mut conn)
        .unwrap()
}

/// `{open, done, late, missed, waived}` counted by hand from the rows.
fn count<'a>(rows: impl Iterator<Item = &'a Row>) -> Value {
    let mut c = json!({"open": 0, "done": 0, "late": 0, "missed": 0, "waived": 0});
    for r in rows {
        let n = c[r.status.as_str()].as_u64().unwrap() + 1;
        c[r.status.as_str()] = json!(n);
    }
    let due = ["done", "late", "missed"]
        .iter()
        .map(|k| c[k].as_u64().unwrap())
        .sum::<u64>();
    c["due"] = json!(due);
    c
}

both_dbs!(compliance_figures_equal_a_count_of_the_duties_table);
async fn compliance_figures_equal_a_count_of_the_duties_table(app: TestApp) {
    let today = today_shanghai();
    save_calendar(&app, today);
    let from = today - Days::new(70);
    let kids: Vec<i64> = (0..5).map(|n| create_child(&app, n)).collect();
    // Owed since `from`, as for children on file all along: missed months, and today's open ones.
    app.store
        .with_conn(|c| duties::rebuild(c, None, from, today, |_, _| {}))
        .unwrap();
    talk(&app, kids[0], today);
    talk(&app, kids[1], today - Days::new(40));
    talk(&app, kids[2], today);

    let school = placement(&app).school_id;
    let to = today + Days::new(40);
    let rows = duty_rows(&app);
    let (f, t) = (from.to_string(), to.to_string());
    let in_period: Vec<&Row> = rows
        .iter()
        .filter(|r| f <= r.due_date && r.due_date <= t)
        .collect();
    assert!(!in_period.is_empty(), "the period holds duties");

    let api = app.api(&app.token("bureau").await);
    let (status, body) = api
        .get(&format!(
            "/api/v1/compliance?region={COUNTY}&from={from}&to={to}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let expected = count(in_period.iter().copied());
    assert_eq!(body["total"]["counts"], expected, "{body}");
    assert_eq!(body["total"]["rate"]["numerator"], expected["done"]);
    assert_eq!(body["total"]["rate"]["denominator"], expected["due"]);
    let talks = count(in_period.iter().copied().filter(|r| r.rule_code == "talk"));
    let talk_line = body["by_rule"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["key"] == "talk")
        .unwrap();
    assert_eq!(talk_line["counts"], talks);
    assert_eq!(talk_line["name"], "谈心");
    assert_eq!(body["parts_are"], "regions");
    let parts = body["parts"].as_array().unwrap();
    let township = parts
        .iter()
        .find(|p| p["key"] == "520502101000")
        .unwrap_or_else(|| panic!("梨树镇 is a part: {body}"));
    assert_eq!(township["name"], "梨树镇");
    let due: u64 = parts
        .iter()
        .map(|p| p["counts"]["due"].as_u64().unwrap())
        .sum();
    assert_eq!(json!(due), expected["due"], "the parts add up to the total");
    let school_key = school.to_string();
    let school_line = body["schools"]
        .as_array()
        .unwrap_or_else(|| panic!("a county's schools: {body}"))
        .iter()
        .find(|s| s["key"] == school_key.as_str())
        .unwrap_or_else(|| panic!("the county lists its schools: {body}"));
    let mine = count(in_period.iter().copied().filter(|r| r.school_id == school));
    assert_eq!(school_line["counts"], mine);

    // The school's figures are the same duties, and the page shows them with the rate.
    let (status, body) = api
        .get(&format!(
            "/api/v1/compliance?school={school}&from={from}&to={to}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"]["counts"], mine);
    assert_eq!(body["parts_are"], "none");

    let browser = app.login("bureau").await;
    let (status, html) = browser
        .get_text(&format!("/compliance?region={COUNTY}&from={from}&to={to}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let fraction = format!(
        "{}/{}",
        expected["done"].as_u64().unwrap(),
        expected["due"].as_u64().unwrap()
    );
    assert!(html.contains(&fraction), "{fraction} in:\n{html}");
    assert!(
        html.contains("/compliance?region=520502101000"),
        "links down the tree"
    );
    // The school and region pages carry the month's box.
    let (_, html) = browser.get_text(&format!("/schools/{school}")).await;
    assert!(html.contains("id=\"compliance-box\""), "{html}");
    let (_, html) = browser.get_text(&format!("/regions?parent={COUNTY}")).await;
    assert!(html.contains("id=\"compliance-box\""), "{html}");

    // Defaults: this month so far.
    let (status, body) = api
        .get(&format!("/api/v1/compliance?region={COUNTY}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["to"], today.to_string());
    assert_eq!(body["from"], today.with_day(1).unwrap().to_string());
}

both_dbs!(another_countys_compliance_is_not_found);
async fn another_countys_compliance_is_not_found(app: TestApp) {
    let api = app.api(&app.token("bureau").await);
    let (status, body) = api
        .get(&format!("/api/v1/compliance?region={OTHER_COUNTY}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = api
        .get(&format!("/api/v1/duty-rules?region={OTHER_COUNTY}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let browser = app.login("bureau").await;
    let (status, _) = browser
        .get_text(&format!("/compliance?region={OTHER_COUNTY}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A head teacher reaches only their own school.
    let teacher = app.api(&app.token("teacher1").await);
    let (status, _) = teacher
        .get(&format!("/api/v1/compliance?region={COUNTY}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = api.get("/api/v1/compliance?region=1").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

both_dbs!(the_rules_page_saves_a_countys_rule_and_refuses_a_stale_version);
async fn the_rules_page_saves_a_countys_rule_and_refuses_a_stale_version(app: TestApp) {
    let browser = app.login("bureau").await;
    let (status, html) = browser
        .get_text(&format!("/duty-rules?region={COUNTY}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("谈心") && html.contains("每月"), "{html}");
    assert!(html.contains("默认"), "defaults at first");
    let form = format!("/duty-rules/edit?region={COUNTY}&code=talk");
    assert!(html.contains(&form.replace('&', "&#38;")), "{html}");

    let (status, html) = browser.get_text(&form).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("重新生成"), "the form says what saving does");
    let csrf = common::form_token(&html).unwrap();
    let fields = |version: &'static str, count: &'static str| {
        vec![
            ("region", COUNTY),
            ("code", "talk"),
            ("version", version),
            ("cadence", "month"),
            ("days", ""),
            ("count", count),
            ("responsible", "head_teacher"),
            ("caliber", "mca"),
            ("pauses_on_holiday", "1"),
            ("enabled", "1"),
        ]
    };
    let r = browser
        .post_form("/duty-rules/edit", &csrf, &fields("", "2"))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.ends_with("done=rule_saved"), "{to}");
    let (_, html) = browser.get_text(&to).await;
    assert!(html.contains("重新生成"), "the save is confirmed:\n{html}");
    assert!(html.contains("本县设置"), "{html}");

    // The county's own rule, version 1, as the API reads it.
    let api = app.api(&app.token("bureau").await);
    let (status, rules) = api
        .get(&format!("/api/v1/duty-rules?region={COUNTY}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let talk = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "talk")
        .unwrap();
    assert_eq!(talk["count"], 2);
    assert_eq!(talk["source"], "county");
    assert_eq!(talk["version"], 1);

    // A form read at version 1 and saved after the API changed it: a conflict, the typing kept.
    let (_, html) = browser.get_text(&form).await;
    assert!(html.contains("name=\"version\" value=\"1\""), "{html}");
    let (status, body) = api
        .client
        .put(app.url(&format!("/api/v1/duty-rules/talk?region={COUNTY}")))
        .bearer_auth(&api.token)
        .json(&json!({"version": 1, "count": 3}))
        .send()
        .await
        .map(|r| (r.status(), r))
        .unwrap();
    let body: Value = body.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], 2);
    assert_eq!(body["count"], 3);
    let r = browser
        .post_form("/duty-rules/edit", &csrf, &fields("1", "4"))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"conflict\""), "{html}");
    assert!(html.contains("value=\"4\""), "what was typed is kept");

    // A 劝返 step follows its case: its cadence stays, and no calendar duty becomes one.
    for (code, cadence) in [("return_phone", "month"), ("talk", "case")] {
        let r = api
            .client
            .put(app.url(&format!("/api/v1/duty-rules/{code}?region={COUNTY}")))
            .bearer_auth(&api.token)
            .json(&json!({"cadence": cadence}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{code}");
        let body: Value = r.json().await.unwrap();
        let why = body["error"]["fields"]["cadence"]
            .as_str()
            .unwrap_or_default();
        assert!(why.starts_with("劝返步骤随个案生成"), "{body}");
    }

    // The API refuses a stale version too, and a role that may not change rules.
    let r = api
        .client
        .put(app.url(&format!("/api/v1/duty-rules/talk?region={COUNTY}")))
        .bearer_auth(&api.token)
        .json(&json!({"version": 1, "count": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let teacher = app.api(&app.token("teacher1").await);
    let r = teacher
        .client
        .put(app.url(&format!("/api/v1/duty-rules/talk?region={COUNTY}")))
        .bearer_auth(&teacher.token)
        .json(&json!({"count": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = api
        .client
        .put(app.url(&format!("/api/v1/duty-rules/talk?region={COUNTY}")))
        .bearer_auth(&api.token)
        .json(&json!({"version": 2, "count": 0, "cadence": "fortnight"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert!(body["error"]["fields"]["count"].is_string(), "{body}");
    assert!(body["error"]["fields"]["cadence"].is_string(), "{body}");

    // A head teacher reads the rules of their school's county but is offered no edit.
    let teacher = app.login("teacher1").await;
    let (status, html) = teacher.get_text("/duty-rules").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("/duty-rules/edit"), "{html}");
}
