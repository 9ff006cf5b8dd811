//! Dropout control on both databases, through the store as the pages and API use it: the
//! streak over a weekend, a holiday and a 调休 Saturday, excused and unknown days, the lapse to
//! 辍学, return, a self-return, a late excuse rolled back with its audit trail, and a rebuild
//! that agrees with what the writes left.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::NaiveDate;
use common::TestApp;
use common::fixtures::scope_of;
use diesel::RunQueryDsl;
use serde_json::{Value, json};
use shouhu_domain::{
    AbsenceKind, Calendar, ChildFile, EnrolmentState, Grade, Holiday, MakeUpDay, RegionCode,
    SchoolYear, Term, check_char,
};
use shouhu_store::calendars::{self, Owner};
use shouhu_store::children::{self, Placement};
use shouhu_store::dropout::{self, AbsenceInput, CaseFilter, ReturnInput, RollCallSubmit};
use shouhu_store::{Scope, classes};

const COUNTY: &str = "520502000000";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The autumn term of 2026: Monday 16 November a holiday (运动会), Saturday 14 November a
/// make-up school day.
fn save_calendar(app: &TestApp) {
    let calendar = Calendar::new(
        SchoolYear::new(2026),
        vec![Term {
            number: 1,
            start: d("2026-09-01"),
            end: d("2027-01-22"),
        }],
        vec![Holiday {
            name: "运动会".into(),
            start: d("2026-11-16"),
            end: d("2026-11-16"),
        }],
        vec![MakeUpDay {
            date: d("2026-11-14"),
            name: "调休".into(),
        }],
    )
    .unwrap();
    let county = Owner::Region(RegionCode::parse(COUNTY).unwrap());
    app.store
        .with_conn(|c| calendars::save(c, &Scope::local_operator(), &county, &calendar, None))
        .unwrap();
}

fn file_json(n: u32) -> Value {
    let first17 = format!("52050220150301{:03}", 100 + n * 2 + 1);
    let id = format!("{first17}{}", check_char(first17.as_bytes()));
    json!({
        "name": format!("学生{}", ["甲", "乙", "丙", "丁"][n as usize % 4]),
        "sex": "male", "ethnicity": "han", "birth_date": "2015-03-01",
        "id_doc_type": "resident_id_card", "id_number": id, "hukou_type": "agricultural",
        "residence_region": "520502101205", "address": "梨树镇小屯沟村三组",
        "schooling": "in_school", "health": {"kind": "healthy"},
        "father": {"name": "父亲", "phone": "13812345678"},
        "mother": {"name": "母亲", "phone": "13812345679"},
        "guardians": [{"name": "祖父", "relation": "祖父", "phone": "0857-8221234", "is_carer": true}],
    })
}

struct Class {
    id: i64,
    kids: Vec<i64>,
}

/// teacher1's first class with `n` new children in it.
fn class_with_children(app: &TestApp, n: u32) -> Class {
    let teacher = scope_of(app, "teacher1");
    let class = app
        .store
        .with_conn(|c| classes::list(c, &teacher, teacher.school.unwrap()))
        .unwrap()[0]
        .class
        .id;
    let key = app.store.key();
    let kids = (0..n)
        .map(|i| {
            let file: ChildFile = serde_json::from_value(file_json(i)).unwrap();
            let at = Placement {
                school_id: teacher.school.unwrap(),
                class_id: Some(class),
            };
            app.store
                .with_conn(|c| children::create(c, &Scope::local_operator(), &key, at, &file, None))
                .unwrap()
                .summary
                .id
        })
        .collect();
    Class { id: class, kids }
}

/// teacher1 submits the class's roll call for `day` (as if on that day) with `absent`.
fn roll_call(app: &TestApp, class: &Class, day: &str, absent: &[(i64, AbsenceKind)]) {
    let teacher = scope_of(app, "teacher1");
    let version = app
        .store
        .with_conn(|c| dropout::class_sheet(c, &teacher, class.id, d(day)))
        .unwrap()
        .version;
    let input = RollCallSubmit {
        class_id: class.id,
        day: d(day),
        absences: absent
            .iter()
            .map(|(child_id, kind)| AbsenceInput {
                child_id: *child_id,
                kind: *kind,
                reason: None,
            })
            .collect(),
        version,
    };
    app.store
        .with_conn(|c| dropout::submit(c, &teacher, &input, d(day)))
        .unwrap();
}

fn state(app: &TestApp, child: i64) -> (EnrolmentState, u32) {
    let e = app
        .store
        .with_conn(|c| dropout::enrolment_of(c, &Scope::local_operator(), child))
        .unwrap();
    (e.state, e.streak)
}

#[derive(diesel::QueryableByName, Debug, PartialEq, Eq)]
struct Row {
    #[diesel(sql_type = diesel::sql_types::Text)]
    a: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    b: String,
}

fn rows(app: &TestApp, sql: &str) -> Vec<(String, String)> {
    let mut conn = shouhu_store::establish(app.store.url()).unwrap();
    diesel::sql_query(sql)
        .load::<Row>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|r| (r.a, r.b))
        .collect()
}

const U: AbsenceKind = AbsenceKind::Unexcused;

both_dbs!(five_unexcused_school_days_make_suspected_then_dropout_then_return);
async fn five_unexcused_school_days_make_suspected_then_dropout_then_return(app: TestApp) {
    save_calendar(&app);
    let class = class_with_children(&app, 2);
    let child = class.kids[0];
    // Thu 12, Fri 13, Sat 14 (调休), [Sun 15, Mon 16 运动会], Tue 17: four.
    for day in ["2026-11-12", "2026-11-13", "2026-11-14", "2026-11-17"] {
        roll_call(&app, &class, day, &[(child, U)]);
    }
    assert_eq!(state(&app, child), (EnrolmentState::Enrolled, 4));
    let cases = |app: &TestApp| {
        let op = Scope::local_operator();
        app.store
            .with_conn(|c| dropout::list_cases(c, &op, &CaseFilter::default()))
            .unwrap()
    };
    assert!(cases(&app).is_empty());

    // Wed 18: the fifth school day.
    roll_call(&app, &class, "2026-11-18", &[(child, U)]);
    assert_eq!(state(&app, child).0, EnrolmentState::Suspected);
    let opened = cases(&app);
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0].opened_on, "2026-11-18");
    assert_eq!(opened[0].owner_region, COUNTY);
    let steps = rows(
        &app,
        &format!(
            "SELECT rule_code AS a, due_date AS b FROM duties WHERE subject_kind = 'child' \
             AND subject_id = {child} AND period_key LIKE 'case-%' ORDER BY due_date"
        ),
    );
    let codes: Vec<&str> = steps.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        codes,
        [
            "return_phone",
            "return_home_visit",
            "return_joint_visit",
            "return_township",
            "return_county"
        ]
    );
    assert_eq!(steps[0].1, "2026-11-18");
    assert_eq!(steps[4].1, "2026-12-17");
    // The upper rungs are the township's and the county's own tasks.
    let rungs = |username: &str| {
        let scope = scope_of(&app, username);
        let list = app
            .store
            .with_conn(|c| shouhu_store::duties::tasks_for(c, &scope, d("2026-12-01")))
            .unwrap();
        [list.overdue, list.today, list.this_week, list.later]
            .concat()
            .into_iter()
            .map(|t| t.rule_code)
            .collect::<Vec<_>>()
    };
    assert_eq!(rungs("minzheng"), ["return_township"]);
    assert_eq!(rungs("bureau"), ["return_county"]);

    // No roll calls after: the days are unknown, the suspicion stands until it lapses.
    let run = |day: &str| {
        app.store
            .with_conn(|c| dropout::run_daily(c, d(day)))
            .unwrap()
    };
    run("2026-12-17");
    assert_eq!(state(&app, child).0, EnrolmentState::Suspected);
    run("2026-12-18");
    assert_eq!(state(&app, child).0, EnrolmentState::DroppedOut);
    let again = run("2026-12-18");
    assert_eq!(again.transitions, 0, "the daily run is idempotent");
    assert_eq!(cases(&app)[0].state, "dropped_out");

    // 复学 with a plan: the case closes and the child is 在读.
    let principal = scope_of(&app, "principal");
    let teacher_id = app.user_id("teacher1");
    let case_id = cases(&app)[0].id;
    let plan = ReturnInput {
        day: d("2026-12-21"),
        grade: Grade::new(5).unwrap(),
        class_id: Some(class.id),
        tutoring: "每周二、四放学后补课".into(),
        support: "结对帮扶，减免住宿费".into(),
        follow_up_by: teacher_id,
    };
    let closed = app
        .store
        .with_conn(|c| dropout::return_child(c, &principal, case_id, &plan, d("2026-12-21")))
        .unwrap();
    assert_eq!(closed.closure.as_deref(), Some("returned"));
    assert_eq!(closed.closed_on.as_deref(), Some("2026-12-21"));
    assert_eq!(state(&app, child).0, EnrolmentState::Enrolled);
    let history = rows(
        &app,
        &format!(
            "SELECT to_state AS a, day AS b FROM enrolment_events WHERE child_id = {child} \
             AND rolled_back_at IS NULL ORDER BY day, id"
        ),
    );
    assert_eq!(
        history,
        [
            ("suspected".to_owned(), "2026-11-18".to_owned()),
            ("dropped_out".to_owned(), "2026-12-18".to_owned()),
            ("enrolled".to_owned(), "2026-12-21".to_owned()),
        ]
    );
    let follow_up = rows(
        &app,
        &format!(
            "SELECT status AS a, due_date AS b FROM duties WHERE subject_id = {child} \
             AND rule_code = 'return_follow_up'"
        ),
    );
    assert_eq!(follow_up, [("open".to_owned(), "2027-01-20".to_owned())]);
    // The steps not yet due when the case closed are waived, the missed ones stay missed.
    let open_steps = rows(
        &app,
        &format!(
            "SELECT rule_code AS a, status AS b FROM duties WHERE subject_id = {child} \
             AND period_key LIKE 'case-%-step-%' AND status = 'open'"
        ),
    );
    assert!(open_steps.is_empty(), "{open_steps:?}");
}

both_dbs!(excused_days_are_neutral_and_days_without_roll_call_do_not_break_a_streak);
async fn excused_days_are_neutral_and_days_without_roll_call_do_not_break_a_streak(app: TestApp) {
    save_calendar(&app);
    let class = class_with_children(&app, 2);
    let (a, b) = (class.kids[0], class.kids[1]);
    roll_call(&app, &class, "2026-11-12", &[(a, U), (b, U)]);
    roll_call(&app, &class, "2026-11-13", &[(a, U), (b, U)]);
    // Saturday 14: a is on sick leave; b is absent too, but no roll call is taken on 17th.
    roll_call(
        &app,
        &class,
        "2026-11-14",
        &[(a, AbsenceKind::Sick), (b, U)],
    );
    roll_call(&app, &class, "2026-11-18", &[(a, U), (b, U)]);
    assert_eq!(state(&app, a), (EnrolmentState::Enrolled, 3));
    // b: 12, 13, 14, (17 unknown), 18: four unexcused.
    assert_eq!(state(&app, b), (EnrolmentState::Enrolled, 4));
    roll_call(&app, &class, "2026-11-19", &[(a, U), (b, U)]);
    assert_eq!(state(&app, a), (EnrolmentState::Enrolled, 4));
    assert_eq!(state(&app, b).0, EnrolmentState::Suspected);
    // A day present ends a's streak.
    roll_call(&app, &class, "2026-11-20", &[(b, U)]);
    assert_eq!(state(&app, a), (EnrolmentState::Enrolled, 0));
}

both_dbs!(a_late_excuse_rolls_the_transitions_back_with_audit_rows);
async fn a_late_excuse_rolls_the_transitions_back_with_audit_rows(app: TestApp) {
    save_calendar(&app);
    let class = class_with_children(&app, 1);
    let child = class.kids[0];
    for day in [
        "2026-11-12",
        "2026-11-13",
        "2026-11-14",
        "2026-11-17",
        "2026-11-18",
    ] {
        roll_call(&app, &class, day, &[(child, U)]);
    }
    assert_eq!(state(&app, child).0, EnrolmentState::Suspected);
    app.store
        .with_conn(|c| dropout::run_daily(c, d("2026-12-18")))
        .unwrap();
    assert_eq!(state(&app, child).0, EnrolmentState::DroppedOut);

    // The guardian brings a doctor's note for Friday 13th: it was 病假 after all.
    let teacher = scope_of(&app, "teacher1");
    let sheet = app
        .store
        .with_conn(|c| dropout::class_sheet(c, &teacher, class.id, d("2026-11-13")))
        .unwrap();
    let correction = RollCallSubmit {
        class_id: class.id,
        day: d("2026-11-13"),
        absences: vec![AbsenceInput {
            child_id: child,
            kind: AbsenceKind::Sick,
            reason: Some("发烧，有医院证明".into()),
        }],
        version: sheet.version,
    };
    let done = app
        .store
        .with_conn(|c| dropout::submit(c, &teacher, &correction, d("2026-12-19")))
        .unwrap();
    assert_eq!(done.transitions, 2, "both transitions rolled back");
    assert_eq!(state(&app, child), (EnrolmentState::Enrolled, 4));
    let events = rows(
        &app,
        &format!(
            "SELECT to_state AS a, COALESCE(rollback_reason, '') AS b FROM enrolment_events \
             WHERE child_id = {child} ORDER BY id"
        ),
    );
    assert_eq!(events.len(), 2);
    assert!(
        events.iter().all(|(_, why)| why.contains("点名更正")),
        "{events:?}"
    );
    let audit = rows(
        &app,
        &format!(
            "SELECT kind AS a, detail AS b FROM audit_events WHERE target = '{child}' \
             AND kind LIKE 'enrolment.%' ORDER BY id"
        ),
    );
    let kinds: Vec<&str> = audit.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "enrolment.transition",
            "enrolment.transition",
            "enrolment.rollback",
            "enrolment.rollback"
        ]
    );
    let corrected = rows(
        &app,
        "SELECT kind AS a, detail AS b FROM audit_events WHERE kind = 'roll_call.correct'",
    );
    assert_eq!(corrected.len(), 1);
    // The case the suspicion opened is voided, its open steps waived.
    let op = Scope::local_operator();
    let cases = app
        .store
        .with_conn(|c| dropout::list_cases(c, &op, &CaseFilter::default()))
        .unwrap();
    assert_eq!(cases[0].closure.as_deref(), Some("voided"));
    let open_steps = rows(
        &app,
        &format!(
            "SELECT rule_code AS a, status AS b FROM duties WHERE subject_id = {child} \
             AND period_key LIKE 'case-%' AND status = 'open'"
        ),
    );
    assert!(open_steps.is_empty(), "{open_steps:?}");
}

both_dbs!(present_again_while_suspected_closes_the_case_as_a_self_return);
async fn present_again_while_suspected_closes_the_case_as_a_self_return(app: TestApp) {
    save_calendar(&app);
    let class = class_with_children(&app, 1);
    let child = class.kids[0];
    for day in [
        "2026-11-12",
        "2026-11-13",
        "2026-11-14",
        "2026-11-17",
        "2026-11-18",
    ] {
        roll_call(&app, &class, day, &[(child, U)]);
    }
    roll_call(&app, &class, "2026-11-19", &[]);
    assert_eq!(state(&app, child), (EnrolmentState::Enrolled, 0));
    let op = Scope::local_operator();
    let cases = app
        .store
        .with_conn(|c| dropout::list_cases(c, &op, &CaseFilter::default()))
        .unwrap();
    assert_eq!(cases[0].closure.as_deref(), Some("self_return"));
    assert_eq!(cases[0].closed_on.as_deref(), Some("2026-11-19"));
    let follow_up = rows(
        &app,
        &format!(
            "SELECT status AS a, window_start AS b FROM duties WHERE subject_id = {child} \
             AND rule_code = 'return_follow_up'"
        ),
    );
    assert_eq!(follow_up.len(), 1);

    // Rebuilding every child's state from the records changes nothing.
    let before = rows(
        &app,
        "SELECT CAST(child_id AS TEXT) AS a, state || ' ' || since || ' ' || CAST(streak AS TEXT) \
         AS b FROM enrolments ORDER BY child_id",
    );
    let changed = app
        .store
        .with_conn(|c| dropout::rebuild(c, d("2026-11-19")))
        .unwrap();
    assert_eq!(changed, 0);
    let after = rows(
        &app,
        "SELECT CAST(child_id AS TEXT) AS a, state || ' ' || since || ' ' || CAST(streak AS TEXT) \
         AS b FROM enrolments ORDER BY child_id",
    );
    assert_eq!(before, after);
}

both_dbs!(a_county_threshold_change_applies_to_the_days_already_recorded);
async fn a_county_threshold_change_applies_to_the_days_already_recorded(app: TestApp) {
    save_calendar(&app);
    let class = class_with_children(&app, 1);
    let child = class.kids[0];
    for day in ["2026-11-17", "2026-11-18", "2026-11-19"] {
        roll_call(&app, &class, day, &[(child, U)]);
    }
    assert_eq!(state(&app, child), (EnrolmentState::Enrolled, 3));
    let bureau = scope_of(&app, "bureau");
    let county = RegionCode::parse(COUNTY).unwrap();
    let current = app
        .store
        .with_conn(|c| dropout::settings_for(c, &county))
        .unwrap();
    let rule = shouhu_domain::DropoutRule::new(3, 30).unwrap();
    app.store
        .with_conn(|c| {
            dropout::save_settings(
                c,
                &bureau,
                &county,
                rule,
                &current.ladder,
                None,
                None,
                current.version,
            )
        })
        .unwrap();
    assert_eq!(state(&app, child).0, EnrolmentState::Suspected);
    let history = rows(
        &app,
        &format!(
            "SELECT to_state AS a, day AS b FROM enrolment_events WHERE child_id = {child} \
             AND rolled_back_at IS NULL"
        ),
    );
    assert_eq!(history, [("suspected".to_owned(), "2026-11-19".to_owned())]);
}

both_dbs!(a_school_day_without_a_roll_call_is_a_missed_duty_of_the_head_teacher);
async fn a_school_day_without_a_roll_call_is_a_missed_duty_of_the_head_teacher(app: TestApp) {
    use common::fixtures::{recent_school_days, save_county_calendar};
    let today = shouhu_domain::today_shanghai();
    save_county_calendar(&app, &recent_school_days(today));
    let class = class_with_children(&app, 1);
    let day = |n: u64| today.checked_sub_days(chrono::Days::new(n)).unwrap();
    // Today's taken today; the day before yesterday's only written up today; yesterday's
    // forgotten.
    let teacher = scope_of(&app, "teacher1");
    for n in [2, 0] {
        let input = RollCallSubmit {
            class_id: class.id,
            day: day(n),
            absences: Vec::new(),
            version: 0,
        };
        app.store
            .with_conn(|c| dropout::submit(c, &teacher, &input, today))
            .unwrap();
    }
    app.store
        .with_conn(|c| shouhu_store::duties::rebuild(c, None, day(3), today, |_, _| ()))
        .unwrap();
    let duties = rows(
        &app,
        &format!(
            "SELECT period_key AS a, status || ' ' || responsible_role AS b FROM duties \
             WHERE rule_code = 'roll_call' AND subject_kind = 'class' AND subject_id = {} \
             AND period_key IN ('{}', '{}', '{}') ORDER BY period_key",
            class.id,
            day(2),
            day(1),
            day(0)
        ),
    );
    assert_eq!(
        duties,
        [
            (day(2).to_string(), "late head_teacher".to_owned()),
            (day(1).to_string(), "missed head_teacher".to_owned()),
            (day(0).to_string(), "done head_teacher".to_owned()),
        ]
    );
}
