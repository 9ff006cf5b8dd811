//! The duty engine on both databases: duties follow a child's facts from the day they change,
//! records close them at once, holidays pause school-time duties, rule changes spare the past,
//! the nightly run is idempotent and catches up, and compliance equals a count by hand.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use common::TestApp;
use diesel::RunQueryDsl;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use shouhu_domain::{
    Calendar, Calendars, CareBody, ChildFile, DutyRule, Holiday, MakeUpDay, RegionCode, SchoolYear,
    Term, check_char, today_shanghai,
};
use shouhu_store::calendars::{self, Owner};
use shouhu_store::children::{self, Change, Placement};
use shouhu_store::duties::{self, Node};
use shouhu_store::{Scope, care_records, classes, users};

const COUNTY: &str = "520502000000";

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

fn id_number(birth: &str, seq: u32) -> String {
    let first17 = format!("520502{birth}{seq:03}");
    let check = check_char(first17.as_bytes());
    format!("{first17}{check}")
}

/// A file whose parents are both away (left-behind by every caliber) or both at home.
fn file_json(n: u32, away: bool) -> Value {
    let id = id_number("20150301", 100 + n * 2 + 1);
    let parent = |name: &str| {
        let mut p = json!({"name": name, "phone": "13812345678"});
        if away {
            p["away"] = json!({"since": "2024-02-20", "province": "广东", "city": "东莞市"});
        }
        p
    };
    json!({
        "name": format!("测试{}", ["甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸"][n as usize % 10]),
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
        "care_arrangement": if away { json!("grandparents") } else { Value::Null },
        "rating": "fair",
    })
}

fn create_child(app: &TestApp, n: u32, away: bool) -> i64 {
    let file: ChildFile = serde_json::from_value(file_json(n, away)).unwrap();
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

fn set_away(app: &TestApp, child: i64, n: u32, away: bool) {
    let key = app.store.key();
    let op = Scope::local_operator();
    app.store
        .with_conn(|c| {
            let version = children::get(c, &op, &key, child)?.summary.version;
            children::update(
                c,
                &op,
                &key,
                child,
                version,
                None,
                &Change::Replace(file_json(n, away)),
            )
        })
        .unwrap();
}

/// A county calendar for the school year of `today` in which every day from 1 August to 31
/// August is in a term (the spring term starting 1 February), plus `holidays`; `today` itself is
/// made a school day when it falls on a weekend, and with `cut` the term it falls in ends today.
fn calendar(today: NaiveDate, holidays: Vec<Holiday>, cut: bool) -> Calendar {
    let year = SchoolYear::containing(today);
    let y = year.start_year();
    let date = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
    let spring = date(y + 1, 2, 1);
    let mut workdays = Vec::new();
    if matches!(today.weekday(), Weekday::Sat | Weekday::Sun) {
        workdays.push(MakeUpDay {
            date: today,
            name: "调休".into(),
        });
    }
    let ends = |natural: NaiveDate, contains_today: bool| {
        if cut && contains_today {
            today
        } else {
            natural
        }
    };
    let terms = vec![
        Term {
            number: 1,
            start: date(y, 8, 1),
            end: ends(date(y + 1, 1, 31), today < spring),
        },
        Term {
            number: 2,
            start: spring,
            end: ends(date(y + 1, 8, 31), today >= spring),
        },
    ];
    Calendar::new(year, terms, holidays, workdays).unwrap()
}

fn save_calendar(app: &TestApp, calendar: &Calendar) {
    let county = Owner::Region(RegionCode::parse(COUNTY).unwrap());
    app.store
        .with_conn(|c| calendars::save(c, &Scope::local_operator(), &county, calendar, None))
        .unwrap();
}

#[derive(diesel::QueryableByName, Debug, Clone, PartialEq, Eq)]
struct Duty {
    #[diesel(sql_type = diesel::sql_types::Text)]
    rule_code: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    period_key: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    window_start: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    window_end: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    required: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    done_count: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    waived_reason: Option<String>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    subject_id: i64,
}

fn query(app: &TestApp, sql: &str) -> Vec<Duty> {
    let mut conn = shouhu_store::establish(app.store.url()).unwrap();
    diesel::sql_query(sql).load(&mut conn).unwrap()
}

fn duties_of(app: &TestApp, child: i64) -> Vec<Duty> {
    query(
        app,
        &format!(
            "SELECT rule_code, period_key, window_start, window_end, status, required, \
             done_count, waived_reason, subject_id FROM duties \
             WHERE subject_kind = 'child' AND subject_id = {child} \
             ORDER BY rule_code, window_start"
        ),
    )
}

fn all_duties(app: &TestApp) -> Vec<Duty> {
    query(
        app,
        "SELECT rule_code, period_key, window_start, window_end, status, required, \
         done_count, waived_reason, subject_id FROM duties \
         ORDER BY subject_kind, subject_id, rule_code, period_key",
    )
}

fn rule(code: &str) -> DutyRule {
    DutyRule::defaults()
        .into_iter()
        .find(|r| r.code == code)
        .unwrap()
}

fn talk(app: &TestApp, child: i64, date: NaiveDate) -> i64 {
    let body: CareBody =
        serde_json::from_value(json!({"kind": "talk", "topics": "学习和生活", "mood": "calm"}))
            .unwrap();
    let key = app.store.key();
    let teacher = scope_of(app, "teacher1");
    app.store
        .with_conn(|c| care_records::create(c, &teacher, &key, child, date, &body, None))
        .unwrap()
        .id
}

both_dbs!(a_child_who_becomes_left_behind_mid_month_owes_the_rest_of_the_month);
async fn a_child_who_becomes_left_behind_mid_month_owes_the_rest_of_the_month(app: TestApp) {
    let today = today_shanghai();
    let cal = calendar(today, vec![], false);
    save_calendar(&app, &cal);
    let child = create_child(&app, 1, false);
    let codes = |list: &[Duty]| {
        let mut c: Vec<String> = list.iter().map(|d| d.rule_code.clone()).collect();
        c.dedup();
        c
    };
    assert_eq!(
        codes(&duties_of(&app, child)),
        ["file_review"],
        "not left-behind"
    );

    set_away(&app, child, 1, true);
    let list = duties_of(&app, child);
    assert_eq!(
        codes(&list),
        [
            "family_call",
            "file_review",
            "home_visit",
            "pairing",
            "talk"
        ]
    );
    let cals = Calendars::new([cal.clone()]);
    let expected = rule("talk")
        .instance_at(today, &cals)
        .and_then(|i| i.from(today));
    let talks: Vec<&Duty> = list.iter().filter(|d| d.rule_code == "talk").collect();
    match &expected {
        Some(month) => {
            assert_eq!(talks[0].period_key, month.period_key);
            assert_eq!(
                talks[0].window_start,
                today.to_string(),
                "from the day it changed"
            );
            assert_eq!(talks[0].window_end, month.window_end.to_string());
            assert_eq!(talks[0].status, "open");
            assert_eq!(talks.len(), 2, "this month and the next");
        }
        None => assert_eq!(talks.len(), 2, "the next two months"),
    }
    let visit = list.iter().find(|d| d.rule_code == "home_visit").unwrap();
    assert_eq!(visit.window_start, today.to_string());

    // Back home: the future goes, the current month is waived, nothing past is touched.
    set_away(&app, child, 1, false);
    let list = duties_of(&app, child);
    assert!(list.iter().filter(|d| d.rule_code == "talk").all(|d| {
        d.status == "waived" && d.waived_reason.as_deref() == Some(duties::NO_LONGER_APPLIES)
    }));
    assert!(
        list.iter()
            .filter(|d| d.rule_code == "talk")
            .all(|d| d.window_start.as_str() <= today.to_string().as_str())
    );
    // And away again: the waived month is owed again.
    set_away(&app, child, 1, true);
    let again = duties_of(&app, child);
    if expected.is_some() {
        let current = again.iter().find(|d| d.rule_code == "talk").unwrap();
        assert_eq!(
            (current.status.as_str(), current.waived_reason.as_deref()),
            ("open", None)
        );
    }
}

both_dbs!(a_talk_on_the_last_day_of_term_closes_that_months_duty_at_once);
async fn a_talk_on_the_last_day_of_term_closes_that_months_duty_at_once(app: TestApp) {
    let today = today_shanghai();
    save_calendar(&app, &calendar(today, vec![], true));
    let child = create_child(&app, 2, true);
    // Owed from the start of the month, as the rebuild derives it for a child on file all along.
    let month_start = today.with_day(1).unwrap();
    app.store
        .with_conn(|c| duties::rebuild(c, None, month_start, today, |_, _| {}))
        .unwrap();
    let open: Vec<Duty> = duties_of(&app, child)
        .into_iter()
        .filter(|d| d.rule_code == "talk")
        .collect();
    let this_month = format!("{}-{:02}", today.year(), today.month());
    let current = open.iter().find(|d| d.period_key == this_month).unwrap();
    assert_eq!(current.status, "open");
    assert_eq!(
        current.window_end,
        today.to_string(),
        "due on the last day of term"
    );
    let record = talk(&app, child, today);
    let after = duties_of(&app, child);
    let closed = after
        .iter()
        .find(|d| d.rule_code == "talk" && d.period_key == this_month)
        .unwrap();
    assert_eq!((closed.status.as_str(), closed.done_count), ("done", 1));
    // Deleting the record reopens the duty at once.
    let teacher = scope_of(&app, "teacher1");
    app.store
        .with_conn(|c| care_records::delete(c, &teacher, record, None))
        .unwrap();
    let reopened = duties_of(&app, child)
        .into_iter()
        .find(|d| d.rule_code == "talk" && d.period_key == this_month)
        .unwrap();
    assert_eq!((reopened.status.as_str(), reopened.done_count), ("open", 0));
    let record = talk(&app, child, today);
    assert!(record > 0);
    // The family call of the same month is still owed.
    let call = after
        .iter()
        .find(|d| d.rule_code == "family_call" && d.period_key == this_month)
        .unwrap();
    assert_eq!(call.status, "open");
}

both_dbs!(a_holiday_week_pauses_the_weekly_home_teaching_duty);
async fn a_holiday_week_pauses_the_weekly_home_teaching_duty(app: TestApp) {
    let today = today_shanghai();
    let monday = today + Days::new(u64::from(7 - today.weekday().num_days_from_monday()));
    let holiday = Holiday {
        name: "秋假".into(),
        start: monday,
        end: monday + Days::new(6),
    };
    save_calendar(&app, &calendar(today, vec![holiday], false));
    let child = create_child(&app, 3, false);
    let n = 3;
    let mut file = file_json(n, false);
    file["schooling"] = json!("home_taught");
    let key = app.store.key();
    let op = Scope::local_operator();
    app.store
        .with_conn(|c| {
            let version = children::get(c, &op, &key, child)?.summary.version;
            children::update(c, &op, &key, child, version, None, &Change::Replace(file))
        })
        .unwrap();
    let weeks: Vec<String> = duties_of(&app, child)
        .into_iter()
        .filter(|d| d.rule_code == "home_teaching")
        .map(|d| d.period_key)
        .collect();
    let key_of = |day: NaiveDate| {
        let w = day.iso_week();
        format!("{}-W{:02}", w.year(), w.week())
    };
    assert!(
        !weeks.contains(&key_of(monday)),
        "the holiday week owes nothing: {weeks:?}"
    );
    assert!(weeks.contains(&key_of(monday + Days::new(7))), "{weeks:?}");
    assert_eq!(weeks.len(), 2);
}

both_dbs!(changing_a_rule_regenerates_the_future_and_spares_the_past);
async fn changing_a_rule_regenerates_the_future_and_spares_the_past(app: TestApp) {
    let today = today_shanghai();
    save_calendar(&app, &calendar(today, vec![], false));
    let child = create_child(&app, 4, true);
    let from = today - Days::new(70);
    app.store
        .with_conn(|c| duties::rebuild(c, None, from, today, |_, _| {}))
        .unwrap();
    let before = duties_of(&app, child);
    let past: Vec<Duty> = before
        .iter()
        .filter(|d| d.rule_code == "talk" && d.window_end.as_str() < today.to_string().as_str())
        .cloned()
        .collect();
    assert!(!past.is_empty());
    assert!(past.iter().all(|d| d.status == "missed" && d.required == 1));

    let mut twice = rule("talk");
    twice.count = 2;
    let bureau = scope_of(&app, "bureau");
    let county = RegionCode::parse(COUNTY).unwrap();
    app.store
        .with_conn(|c| duties::save_rule(c, &bureau, &county, &twice, true, None, today))
        .unwrap();
    let after = duties_of(&app, child);
    for old in &past {
        assert!(after.contains(old), "past duty rewritten: {old:?}");
    }
    let future: Vec<&Duty> = after
        .iter()
        .filter(|d| d.rule_code == "talk" && d.window_start.as_str() > today.to_string().as_str())
        .collect();
    assert!(!future.is_empty());
    assert!(future.iter().all(|d| d.required == 2));
    // A stale version is refused.
    let err = app
        .store
        .with_conn(|c| duties::save_rule(c, &bureau, &county, &twice, true, Some(99), today));
    assert!(matches!(
        err,
        Err(shouhu_store::StoreError::Conflict { .. })
    ));
    // A head teacher may not change rules.
    let teacher = scope_of(&app, "teacher1");
    let err = app
        .store
        .with_conn(|c| duties::save_rule(c, &teacher, &county, &twice, true, None, today));
    assert!(matches!(err, Err(shouhu_store::StoreError::Forbidden(_))));
}

both_dbs!(the_nightly_run_twice_for_one_date_changes_nothing_and_catches_up_missed_days);
async fn the_nightly_run_twice_for_one_date_changes_nothing_and_catches_up_missed_days(
    app: TestApp,
) {
    let today = today_shanghai();
    save_calendar(&app, &calendar(today, vec![], false));
    for n in 5..8 {
        create_child(&app, n, true);
    }
    let first = app
        .store
        .with_conn(|c| duties::run_daily(c, today - Days::new(3)))
        .unwrap();
    assert_eq!(first.days, [today - Days::new(3)]);
    let caught_up = app
        .store
        .with_conn(|c| duties::run_daily(c, today))
        .unwrap();
    assert_eq!(caught_up.days.len(), 3, "the three nights since");
    let snapshot = all_duties(&app);
    let again = app
        .store
        .with_conn(|c| duties::run_daily(c, today))
        .unwrap();
    assert_eq!((again.missed, again.generated), (0, 0));
    assert_eq!(all_duties(&app), snapshot);
    // The school's own duties (the guardian meeting) are there too.
    let school = query(
        &app,
        "SELECT rule_code, period_key, window_start, window_end, status, required, done_count, \
         waived_reason, subject_id FROM duties WHERE subject_kind = 'school'",
    );
    assert!(school.iter().any(|d| d.rule_code == "guardian_meeting"));
}

// Compliance for the county equals, rule by rule, a count straight from the records: for each
// child and month since `from`, whether a talk lies in the month's window and when the window
// ends.
both_dbs!(compliance_equals_a_count_from_the_records);
async fn compliance_equals_a_count_from_the_records(app: TestApp) {
    let today = today_shanghai();
    let cal = calendar(today, vec![], false);
    save_calendar(&app, &cal);
    let cals = Calendars::new([cal]);
    let from = today - Days::new(75);
    let mut rng = rand::rngs::StdRng::seed_from_u64(u64::from(today.ordinal()));
    let kids: Vec<i64> = (10..16).map(|n| create_child(&app, n, true)).collect();
    // Owed in full since `from`, as for children on file all along.
    app.store
        .with_conn(|c| duties::rebuild(c, None, from, today, |_, _| {}))
        .unwrap();
    let mut talks: Vec<(i64, NaiveDate)> = Vec::new();
    for &kid in &kids {
        for _ in 0..rng.gen_range(0..5) {
            let day = from + Days::new(rng.gen_range(0..=75));
            talk(&app, kid, day);
            talks.push((kid, day));
        }
    }
    // What the hooks kept as the talks came in agrees with a rebuild from the records.
    let incremental = all_duties(&app);
    app.store
        .with_conn(|c| duties::rebuild(c, None, from, today, |_, _| {}))
        .unwrap();
    assert_eq!(all_duties(&app), incremental);

    let talk_rule = rule("talk");
    let mut expected = shouhu_domain::Compliance::default();
    for &kid in &kids {
        for window in talk_rule.instances(from, today, &cals) {
            if window.due() > today {
                continue;
            }
            let done = talks
                .iter()
                .any(|(k, day)| *k == kid && window.window_start <= *day && *day <= window.due());
            // Every talk was entered today, so only a window still running today is on time.
            let status = match (done, window.due() >= today) {
                (true, true) => shouhu_domain::DutyStatus::Done,
                (true, false) => shouhu_domain::DutyStatus::Late,
                (false, true) => shouhu_domain::DutyStatus::Open,
                (false, false) => shouhu_domain::DutyStatus::Missed,
            };
            expected.add(status, 1);
        }
    }
    let county = RegionCode::parse(COUNTY).unwrap();
    let report = app
        .store
        .with_conn(|c| {
            duties::compliance(
                c,
                &Scope::local_operator(),
                &Node::Region(county),
                from,
                today,
            )
        })
        .unwrap();
    let got = report
        .by_rule
        .iter()
        .find(|r| r.key == "talk")
        .map(|r| r.counts)
        .unwrap_or_default();
    // Windows of the first month may start before `from`: the rebuild owes them in full.
    assert_eq!(got, expected);
    assert_eq!(got.rate_permille(), expected.rate_permille());
}
