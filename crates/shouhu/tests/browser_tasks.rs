//! "My tasks" in a real browser at phone width: a head teacher opens her tasks, records the
//! month's talk with a left-behind child in at most five interactions (tap the duty's button,
//! type the topics, choose the mood, save), lands back on her tasks and sees the duty done.
#![allow(clippy::unwrap_used)]

mod browser;
mod common;

use browser::Browser;
use chrono::{Datelike, NaiveDate, Weekday};
use common::{DEMO_PASSWORD, Db, TestApp};
use serde_json::json;
use shouhu_domain::{Calendar, ChildFile, MakeUpDay, RegionCode, SchoolYear, Term, check_char};
use shouhu_store::calendars::{self, Owner};
use shouhu_store::children::{self, Placement};
use shouhu_store::{Scope, classes, users};

const COUNTY: &str = "520502000000";
const NAME: &str = "杨小花";
/// The most taps and typings a talk may take from the tasks page (issue 5).
const MOST_INTERACTIONS: usize = 5;

/// A county calendar in which today is a school day, so the month's talk is owed whatever the
/// date the test runs on: terms 1 August – 31 January and 1 February – 31 August, today made a
/// school day if it is a weekend.
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

/// A child of teacher1's first class whose parents both work away (民政 caliber left-behind).
fn create_child(app: &TestApp) -> i64 {
    let teacher = app
        .store
        .with_conn(|c| {
            let user = users::find_for_login(c, "teacher1")?.unwrap();
            users::scope_for(c, &user, None)
        })
        .unwrap();
    let school_id = teacher.school.unwrap();
    let class = app
        .store
        .with_conn(|c| classes::list(c, &teacher, school_id))
        .unwrap();
    let first17 = "52050220150301102";
    let id = format!("{first17}{}", check_char(first17.as_bytes()));
    let parent = |name: &str| {
        json!({"name": name, "phone": "13812345678",
               "away": {"since": "2024-02-20", "province": "广东", "city": "东莞市"}})
    };
    let file: ChildFile = serde_json::from_value(json!({
        "name": NAME,
        "sex": "female",
        "ethnicity": "han",
        "birth_date": "2015-03-01",
        "id_doc_type": "resident_id_card",
        "id_number": id,
        "hukou_type": "agricultural",
        "residence_region": "520502101205",
        "address": "梨树镇小屯沟村三组",
        "schooling": "in_school",
        "health": {"kind": "healthy"},
        "father": parent("杨建国"),
        "mother": parent("李秀英"),
        "guardians": [{"name": "杨大山", "relation": "祖父", "phone": "0857-8221234", "is_carer": true}],
        "care_arrangement": "grandparents",
        "rating": "fair",
    }))
    .unwrap();
    let key = app.store.key();
    let placement = Placement {
        school_id,
        class_id: Some(class[0].class.id),
    };
    app.store
        .with_conn(|c| children::create(c, &Scope::local_operator(), &key, placement, &file, None))
        .unwrap()
        .summary
        .id
}

/// Saves a full-page screenshot in the test's scratch space and a copy at `copy` to look at.
async fn screenshot(b: &Browser, name: &str, copy: &str) {
    let path = b.scratch.join(name);
    b.screenshot(&path).await;
    std::fs::copy(&path, copy).expect("copy screenshot");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_teacher_records_a_talk_from_her_tasks_in_five_taps_on_a_phone() {
    let app = TestApp::spawn(Db::Sqlite).await.expect("sqlite app");
    save_calendar(&app, shouhu_domain::today_shanghai());
    let child = create_child(&app);
    let Some(b) = Browser::start(&app.address).await else {
        return;
    };

    // Signing in is not counted: the login page sends her home, and my tasks leads the menu.
    b.goto("/login").await;
    b.type_into("#username", "teacher1").await;
    b.type_into("#password", DEMO_PASSWORD).await;
    b.find("form[action='/login'] button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    b.wait_for_path("the home page", |p| p == "/").await;
    let first = b.find("nav.menu a").await.attr("href").await.unwrap();
    assert_eq!(first.as_deref(), Some("/tasks"), "my tasks leads the menu");
    b.goto("/tasks").await;
    b.wait_for_path("my tasks", |p| p == "/tasks").await;
    let page = b.text().await;
    assert!(page.contains(NAME) && page.contains("谈心"), "{page}");
    let overflow = b.horizontal_overflow().await;
    screenshot(&b, "tasks.png", "/tmp/shouhu-browser-tasks.png").await;
    assert!(overflow <= 0, "my tasks is {overflow}px wider than a phone");

    let mut interactions = 0;
    // 1. Tap the talk's one button.
    let button = b
        .find(&format!(
            "a.button[href^='/children/{child}/records/new?kind=talk']"
        ))
        .await;
    assert_eq!(button.text().await.unwrap(), "记录谈心");
    button.click().await.unwrap();
    interactions += 1;
    b.wait_for_path("the talk form", |p| {
        p.starts_with(&format!("/children/{child}/records/new"))
    })
    .await;
    assert_eq!(
        b.value("#record_date").await,
        shouhu_domain::today_shanghai().to_string(),
        "the date defaults to today"
    );
    // 2. Type what was talked about.
    b.type_into("#f_topics", "期中考试和想念妈妈").await;
    interactions += 1;
    // 3. Choose the mood.
    b.find("input[name=mood][value=calm]")
        .await
        .click()
        .await
        .unwrap();
    interactions += 1;
    let overflow = b.horizontal_overflow().await;
    assert!(
        overflow <= 0,
        "the talk form is {overflow}px wider than a phone"
    );
    // 4. Save.
    b.find("main form button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    interactions += 1;
    assert!(
        interactions <= MOST_INTERACTIONS,
        "{interactions} interactions for a talk"
    );

    // Back on my tasks, the talk is under 最近完成, done, with nothing left to tap.
    b.wait_for_path("back to my tasks", |p| p.starts_with("/tasks"))
        .await;
    let done = b.find("section#done").await.text().await.unwrap();
    assert!(done.contains(NAME) && done.contains("谈心"), "{done}");
    assert!(done.contains("已完成"), "{done}");
    let talk_button = format!("a.button[href^='/children/{child}/records/new?kind=talk']");
    let left = b
        .js(&format!(
            "return document.querySelectorAll(\"{talk_button}\").length;"
        ))
        .await;
    assert_eq!(left.as_i64(), Some(0), "the talk's button is gone");
    screenshot(&b, "tasks-done.png", "/tmp/shouhu-browser-tasks-done.png").await;
}
