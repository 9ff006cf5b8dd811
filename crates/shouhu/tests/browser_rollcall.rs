//! The roll call (点名) in a real browser at phone width (issue 6): a head teacher, signed in
//! and on her home page, opens the roll call from the menu, opens her class, taps 旷课 for one
//! child and 病假 for another and submits, in at most ten interactions; the page confirms
//! "已提交：缺勤 2 人" and the database holds exactly those two absences.
#![allow(clippy::unwrap_used)]

mod browser;
mod common;

use browser::Browser;
use chrono::{Datelike, NaiveDate, Weekday};
use common::{DEMO_PASSWORD, Db, TestApp};
use diesel::RunQueryDsl;
use serde_json::json;
use shouhu_domain::{
    Calendar, ChildFile, MakeUpDay, RegionCode, SchoolYear, Term, check_char, today_shanghai,
};
use shouhu_store::calendars::{self, Owner};
use shouhu_store::children::{self, Placement};
use shouhu_store::{Scope, classes, users};

const COUNTY: &str = "520502000000";
const NAMES: [&str; 4] = ["杨小花", "龙小军", "吴小梅", "张小刚"];
/// The most taps and typings from the home page to the confirmation (issue 6).
const MOST_INTERACTIONS: usize = 10;

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

/// Children of teacher1's first class (ids in `NAMES` order), and the class.
fn class_with_children(app: &TestApp) -> (i64, Vec<i64>) {
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
        .unwrap()[0]
        .class
        .id;
    let key = app.store.key();
    let ids = NAMES
        .iter()
        .enumerate()
        .map(|(n, name)| {
            let first17 = format!("52050220150301{:03}", 101 + n * 2);
            let id = format!("{first17}{}", check_char(first17.as_bytes()));
            let parent = |name: &str| {
                json!({"name": name, "phone": "13812345678",
                       "away": {"since": "2024-02-20", "province": "广东", "city": "东莞市"}})
            };
            let file: ChildFile = serde_json::from_value(json!({
                "name": name,
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
            .unwrap();
            let placement = Placement {
                school_id,
                class_id: Some(class),
            };
            app.store
                .with_conn(|c| {
                    children::create(c, &Scope::local_operator(), &key, placement, &file, None)
                })
                .unwrap()
                .summary
                .id
        })
        .collect();
    (class, ids)
}

#[derive(diesel::QueryableByName, Debug)]
struct AbsenceRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    child_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    day: String,
}

/// Saves a full-page screenshot in the test's scratch space and a copy at `copy` to look at.
async fn screenshot(b: &Browser, name: &str, copy: &str) {
    let path = b.scratch.join(name);
    b.screenshot(&path).await;
    std::fs::copy(&path, copy).expect("copy screenshot");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_teacher_submits_a_roll_call_with_two_absences_on_a_phone() {
    let app = TestApp::spawn(Db::Sqlite).await.expect("sqlite app");
    let today = today_shanghai();
    save_calendar(&app, today);
    let (class, kids) = class_with_children(&app);
    let Some(b) = Browser::start(&app.address).await else {
        return;
    };

    // Signing in is not counted (as in the other browser tests): the login page sends her
    // home, and counting starts there.
    b.goto("/login").await;
    b.type_into("#username", "teacher1").await;
    b.type_into("#password", DEMO_PASSWORD).await;
    b.find("form[action='/login'] button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    b.wait_for_path("the home page", |p| p == "/").await;

    // Counted: every click and every typing from the home page to the confirmation.
    let mut interactions = 0;
    // 1. 点名 in the menu.
    b.find("nav.menu a[href='/rollcall']")
        .await
        .click()
        .await
        .unwrap();
    interactions += 1;
    b.wait_for_path("the roll call list", |p| p == "/rollcall")
        .await;
    let overflow = b.horizontal_overflow().await;
    screenshot(&b, "rollcall.png", "/tmp/shouhu-browser-rollcall.png").await;
    assert!(
        overflow <= 0,
        "the roll call list is {overflow}px wider than a phone"
    );

    // 2. Her class, today.
    let sheet = format!("/rollcall/{class}/{today}");
    b.find(&format!("a[href='{sheet}']"))
        .await
        .click()
        .await
        .unwrap();
    interactions += 1;
    b.wait_for_path("the sheet", |p| p == sheet).await;
    let button = b.find("#rollcall-form button[type=submit]").await;
    assert_eq!(button.text().await.unwrap(), "提交点名（缺勤 0 人）");
    // Reasons are hidden until a child is marked absent.
    let reason = b.find(&format!("#r{}", kids[0])).await;
    assert!(
        !reason.is_displayed().await.unwrap(),
        "reason hidden while present"
    );

    // 3. 旷课 for the first child, one tap.
    b.find(&format!("label[for='k{}_unexcused']", kids[0]))
        .await
        .click()
        .await
        .unwrap();
    interactions += 1;
    // 4. 病假 for the third, one tap.
    b.find(&format!("label[for='k{}_sick']", kids[2]))
        .await
        .click()
        .await
        .unwrap();
    interactions += 1;
    assert!(
        reason.is_displayed().await.unwrap(),
        "reason shown once absent"
    );
    let button = b.find("#rollcall-form button[type=submit]").await;
    assert_eq!(button.text().await.unwrap(), "提交点名（缺勤 2 人）");
    let overflow = b.horizontal_overflow().await;
    screenshot(&b, "sheet.png", "/tmp/shouhu-browser-rollcall-sheet.png").await;
    assert!(
        overflow <= 0,
        "the sheet is {overflow}px wider than a phone"
    );

    // 5. Submit.
    button.click().await.unwrap();
    interactions += 1;
    assert!(
        interactions <= MOST_INTERACTIONS,
        "{interactions} interactions for a roll call"
    );

    b.wait_for_path("the confirmation", |p| p.contains("done=submitted"))
        .await;
    let notice = b.find("p.notice").await.text().await.unwrap();
    assert_eq!(notice, "已提交：缺勤 2 人");
    screenshot(&b, "done.png", "/tmp/shouhu-browser-rollcall-done.png").await;

    let mut conn = shouhu_store::establish(app.store.url()).unwrap();
    let rows: Vec<AbsenceRow> =
        diesel::sql_query("SELECT child_id, kind, day FROM absences ORDER BY child_id")
            .load(&mut conn)
            .unwrap();
    let got: Vec<(i64, &str, &str)> = rows
        .iter()
        .map(|r| (r.child_id, r.kind.as_str(), r.day.as_str()))
        .collect();
    let day = today.to_string();
    assert_eq!(
        got,
        vec![
            (kids[0], "unexcused", day.as_str()),
            (kids[2], "sick", day.as_str())
        ]
    );
}
