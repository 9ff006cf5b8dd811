//! The dropout rules as tables over one autumn term with 国庆 and a 调休 Saturday, and as
//! properties over random attendance.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use proptest::prelude::*;

use super::*;
use crate::{Calendar, Calendars, Holiday, MakeUpDay, Role, SchoolYear, Term};

fn d(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

/// 2026 autumn: 国庆 1–7 October, Saturday 10 October a make-up school day.
fn calendars() -> Calendars {
    let year = Calendar::new(
        SchoolYear::new(2026),
        vec![Term {
            number: 1,
            start: d("2026-09-01"),
            end: d("2027-01-22"),
        }],
        vec![Holiday {
            name: "国庆节".into(),
            start: d("2026-10-01"),
            end: d("2026-10-07"),
        }],
        vec![MakeUpDay {
            date: d("2026-10-10"),
            name: "国庆调休".into(),
        }],
    )
    .expect("calendar");
    Calendars::new([year])
}

/// Roll calls on every school day of September to December except `missing`, and the absences.
fn attendance(absent: &[(&str, AbsenceKind)], missing: &[&str]) -> Attendance {
    let cal = calendars();
    let missing: Vec<NaiveDate> = missing.iter().map(|s| d(s)).collect();
    Attendance {
        roll_calls: d("2026-09-01")
            .iter_days()
            .take_while(|x| *x <= d("2026-12-31"))
            .filter(|x| cal.is_school_day(*x) && !missing.contains(x))
            .collect(),
        absences: absent.iter().map(|(s, k)| (d(s), *k)).collect(),
    }
}

fn run(att: &Attendance, decisions: &[Decision], today: &str) -> Replay {
    replay(
        DropoutRule::default(),
        &calendars(),
        att,
        decisions,
        d("2026-09-01"),
        d(today),
    )
}

use AbsenceKind::{Personal, Sick, Unexcused as U};
use EnrolmentState as S;

/// Tue 29 Sep, Wed 30 Sep, (holiday and weekend), Thu 8, Fri 9, Sat 10 Oct (调休).
const STREAK: [&str; 5] = [
    "2026-09-29",
    "2026-09-30",
    "2026-10-08",
    "2026-10-09",
    "2026-10-10",
];

fn unexcused(days: &[&'static str]) -> Vec<(&'static str, AbsenceKind)> {
    days.iter().map(|s| (*s, U)).collect()
}

#[test]
fn five_unexcused_school_days_across_a_holiday_make_suspected_on_the_fifth() {
    let att = attendance(&unexcused(&STREAK), &[]);
    let before = run(&att, &[], "2026-10-09");
    assert_eq!((before.state, before.streak), (S::Enrolled, 4));
    assert!(before.transitions.is_empty());

    let on = run(&att, &[], "2026-10-10");
    assert_eq!(on.state, S::Suspected);
    assert_eq!(
        on.transitions,
        vec![Transition {
            date: d("2026-10-10"),
            from: S::Enrolled,
            to: S::Suspected,
            cause: Cause::Streak {
                first: d("2026-09-29"),
                days: 5
            },
        }]
    );
}

#[test]
fn excused_days_are_neutral_and_unknown_days_do_not_break_a_streak() {
    // Table: (absences, days without roll call, today, expected state).
    let mut excused_between = unexcused(&STREAK);
    excused_between[1].1 = Sick;
    let mut personal_between = excused_between.clone();
    personal_between[1].1 = Personal;
    type Case = (
        Vec<(&'static str, AbsenceKind)>,
        Vec<&'static str>,
        &'static str,
        S,
        u32,
    );
    let cases: Vec<Case> = vec![
        (
            excused_between.clone(),
            vec![],
            "2026-10-10",
            S::Enrolled,
            4,
        ),
        (
            [excused_between.clone(), vec![("2026-10-12", U)]].concat(),
            vec![],
            "2026-10-12",
            S::Suspected,
            0,
        ),
        (
            [personal_between, vec![("2026-10-12", U)]].concat(),
            vec![],
            "2026-10-12",
            S::Suspected,
            0,
        ),
        // 30 September has no roll call: unknown, the streak goes on.
        (
            unexcused(&["2026-09-29", "2026-10-08", "2026-10-09", "2026-10-10"]),
            vec!["2026-09-30"],
            "2026-10-10",
            S::Enrolled,
            4,
        ),
        (
            unexcused(&[
                "2026-09-29",
                "2026-10-08",
                "2026-10-09",
                "2026-10-10",
                "2026-10-12",
            ]),
            vec!["2026-09-30"],
            "2026-10-12",
            S::Suspected,
            0,
        ),
        // 30 September present: the streak restarts.
        (
            unexcused(&[
                "2026-09-29",
                "2026-10-08",
                "2026-10-09",
                "2026-10-10",
                "2026-10-12",
            ]),
            vec![],
            "2026-10-12",
            S::Enrolled,
            4,
        ),
    ];
    for (i, (absent, missing, today, state, streak)) in cases.into_iter().enumerate() {
        let r = run(&attendance(&absent, &missing), &[], today);
        assert_eq!((r.state, r.streak), (state, streak), "case {i}");
    }
}

#[test]
fn thirty_days_suspected_make_a_dropout_and_a_return_makes_enrolled() {
    let att = attendance(&unexcused(&STREAK), &[]);
    // Absent every school day after too, so no day present ends the suspicion.
    let mut att_away = att.clone();
    for day in att.roll_calls.iter().filter(|x| **x > d("2026-10-10")) {
        att_away.absences.insert(*day, U);
    }
    assert_eq!(run(&att_away, &[], "2026-11-08").state, S::Suspected);
    let lapsed = run(&att_away, &[], "2026-11-09");
    assert_eq!(lapsed.state, S::DroppedOut);
    assert_eq!(
        lapsed.transitions.last().map(|t| (t.date, t.cause)),
        Some((
            d("2026-11-09"),
            Cause::Lapse {
                since: d("2026-10-10")
            }
        ))
    );

    let back = Decision {
        date: d("2026-11-20"),
        kind: DecisionKind::Return,
    };
    let returned = run(&att_away, &[back], "2026-11-20");
    assert_eq!(returned.state, S::Enrolled);
    assert_eq!(returned.transitions.len(), 3);
    // Back in 在读 at the end of the day, absences count afresh from the next.
    assert_eq!(returned.streak, 0);
}

#[test]
fn a_return_on_the_day_the_suspicion_began_applies() {
    let att = attendance(&unexcused(&STREAK), &[]);
    let back = Decision {
        date: d("2026-10-10"),
        kind: DecisionKind::Return,
    };
    let r = run(&att, &[back], "2026-10-10");
    assert_eq!(r.state, S::Enrolled);
    assert!(r.skipped.is_empty());
    assert_eq!(r.transitions.len(), 2);
}

#[test]
fn present_again_while_suspected_is_a_self_return() {
    let att = attendance(&unexcused(&STREAK), &[]);
    let r = run(&att, &[], "2026-10-12");
    assert_eq!(r.state, S::Enrolled);
    assert_eq!(
        r.transitions.last().map(|t| (t.date, t.cause)),
        Some((d("2026-10-12"), Cause::PresentAgain))
    );
}

#[test]
fn a_late_excuse_removes_the_transitions() {
    let mut absent = unexcused(&STREAK);
    let att = attendance(&absent, &[]);
    assert_eq!(run(&att, &[], "2026-10-10").transitions.len(), 1);
    absent[2].1 = Sick;
    let corrected = run(&attendance(&absent, &[]), &[], "2026-10-10");
    assert!(corrected.transitions.is_empty());
    // The excused day is neutral: four unexcused days still run.
    assert_eq!(corrected.streak, 4);
}

#[test]
fn decisions_apply_only_where_they_make_sense() {
    use DecisionKind as K;
    let table = [
        (K::Return, S::Suspected, Some(S::Enrolled)),
        (K::Return, S::DroppedOut, Some(S::Enrolled)),
        (K::Return, S::Enrolled, None),
        (K::Suspend, S::Enrolled, Some(S::Suspended)),
        (K::Suspend, S::DroppedOut, None),
        (K::Resume, S::Suspended, Some(S::Enrolled)),
        (K::Resume, S::HomeTaught, Some(S::Enrolled)),
        (K::Resume, S::DroppedOut, None),
        (K::TransferOut, S::DroppedOut, Some(S::TransferredOut)),
        (K::TransferOut, S::Graduated, None),
        (K::HomeTeach, S::Enrolled, Some(S::HomeTaught)),
        (K::Graduate, S::Suspected, None),
    ];
    for (kind, from, to) in table {
        assert_eq!(kind.apply(from), to, "{kind:?} from {from:?}");
    }
}

#[test]
fn a_return_decision_that_no_longer_applies_is_skipped() {
    let mut absent = unexcused(&STREAK);
    absent[0].1 = Sick;
    let back = Decision {
        date: d("2026-10-12"),
        kind: DecisionKind::Return,
    };
    let r = run(&attendance(&absent, &[]), &[back], "2026-10-12");
    assert_eq!(r.state, S::Enrolled);
    assert_eq!(r.skipped, vec![back]);
}

#[test]
fn home_taught_children_are_not_counted() {
    let teach = Decision {
        date: d("2026-09-28"),
        kind: DecisionKind::HomeTeach,
    };
    let r = run(
        &attendance(&unexcused(&STREAK), &[]),
        &[teach],
        "2026-10-12",
    );
    assert_eq!(r.state, S::HomeTaught);
    assert_eq!(r.transitions.len(), 1);
}

#[test]
fn the_ladder_names_the_next_step() {
    let ladder = Ladder::default();
    let opened = d("2026-10-10");
    use ReturnMethod as M;
    type Row = (&'static [M], Option<(u32, Role, &'static str)>);
    let table: [Row; 5] = [
        (&[], Some((1, Role::HeadTeacher, "2026-10-10"))),
        (&[M::Phone], Some((2, Role::HeadTeacher, "2026-10-11"))),
        (&[M::HomeVisit], Some((7, Role::Principal, "2026-10-16"))),
        (
            &[M::Phone, M::Notice],
            Some((14, Role::CivilAffairs, "2026-10-23")),
        ),
        (&[M::Legal], None),
    ];
    for (attempts, expected) in table {
        let got = ladder
            .next_due(opened, attempts)
            .map(|s| (s.step.day, s.step.role, s.due));
        assert_eq!(
            got,
            expected.map(|(n, r, due)| (n, r, d(due))),
            "{attempts:?}"
        );
    }
    assert!(Ladder::new(vec![]).is_err());
    let steps = ladder.steps().iter().rev().copied().collect();
    assert_eq!(Ladder::new(steps), Err(DropoutError::LadderDays));
}

#[test]
fn notice_templates_fill_known_blanks_only() {
    let t = NoticeTemplate::parse("{监护人}：请送{姓名}返校。").expect("template");
    let filled = t.fill(|name| Some(format!("<{name}>"))).expect("filled");
    assert_eq!(filled, "<监护人>：请送<姓名>返校。");
    assert_eq!(
        NoticeTemplate::parse("{家长}你好"),
        Err(DropoutError::Placeholder)
    );
    assert_eq!(
        NoticeTemplate::parse("{姓名"),
        Err(DropoutError::Placeholder)
    );
    assert_eq!(
        NoticeTemplate::parse("  "),
        Err(DropoutError::TemplateLength)
    );
    assert!(NoticeTemplate::parse(default_notice_template().as_str()).is_ok());
}

#[test]
fn choices_parse_their_spellings() {
    check_choice!(
        AbsenceKind: "absence_kind",
        EnrolmentState: "enrolment_state",
        ReturnMethod: "return_method",
        AttemptOutcome: "attempt_outcome",
        LeaveReason: "leave_reason",
        CaseClosure: "case_closure",
        DecisionKind: "enrolment_decision",
    );
}

#[test]
fn report_months_parse_and_step() {
    let m = ReportMonth::parse("2026-12").expect("month");
    assert_eq!(m.next().to_string(), "2027-01");
    assert_eq!(m.previous().to_string(), "2026-11");
    assert_eq!(m.last_day(), d("2026-12-31"));
    for bad in ["2026-13", "2026-1", "26-01", "2026/01", ""] {
        assert_eq!(ReportMonth::parse(bad), Err(DropoutError::Month), "{bad}");
    }
    assert!(DropoutRule::new(0, 30).is_err());
    assert!(DropoutRule::new(5, 0).is_err());
}

/// None: no roll call; Some(None): present; Some(Some(k)): absent.
type Day = Option<Option<AbsenceKind>>;

fn day_strategy() -> impl Strategy<Value = Day> {
    prop_oneof![
        1 => Just(None),
        3 => Just(Some(None)),
        1 => Just(Some(Some(Sick))),
        4 => Just(Some(Some(U))),
    ]
}

fn random_attendance(days: Vec<Day>) -> Attendance {
    let cal = calendars();
    let school: Vec<NaiveDate> = d("2026-09-01")
        .iter_days()
        .take_while(|x| *x <= d("2026-12-31"))
        .filter(|x| cal.is_school_day(*x))
        .collect();
    let mut att = Attendance::default();
    for (day, mark) in school.into_iter().zip(days) {
        match mark {
            None => {}
            Some(None) => {
                att.roll_calls.insert(day);
            }
            Some(Some(kind)) => {
                att.roll_calls.insert(day);
                att.absences.insert(day, kind);
            }
        }
    }
    att
}

proptest! {
    #[test]
    fn transitions_chain_and_agree_with_the_days(
        days in prop::collection::vec(day_strategy(), 60..90),
        cut in 0u64..120,
    ) {
        let att = random_attendance(days);
        let cal = calendars();
        let end = d("2026-12-31");
        let full = run(&att, &[], "2026-12-31");
        // A chain: each transition starts where the last ended, in date order.
        let mut state = S::Enrolled;
        let mut last = d("2026-09-01");
        for t in &full.transitions {
            prop_assert_eq!(t.from, state);
            prop_assert!(t.date >= last);
            state = t.to;
            last = t.date;
            match t.cause {
                Cause::Streak { first, days } => {
                    // Exactly `days` unexcused school days from `first` to the transition,
                    // none of them present.
                    let mut unexcused = 0;
                    for x in first.iter_days().take_while(|x| *x <= t.date) {
                        if !cal.is_school_day(x) { continue; }
                        match att.absences.get(&x) {
                            Some(U) => unexcused += 1,
                            Some(_) => {}
                            None => prop_assert!(!att.roll_calls.contains(&x)),
                        }
                    }
                    prop_assert_eq!(unexcused, days);
                    prop_assert_eq!(att.absences.get(&t.date), Some(&U));
                }
                Cause::PresentAgain => {
                    prop_assert!(att.roll_calls.contains(&t.date));
                    prop_assert!(!att.absences.contains_key(&t.date));
                }
                Cause::Lapse { since } => {
                    prop_assert_eq!(since.checked_add_days(Days::new(30)), Some(t.date));
                }
                Cause::Decision(_) => prop_assert!(false, "no decisions given"),
            }
        }
        prop_assert_eq!(full.state, state);

        // Replaying to an earlier day gives exactly the transitions up to that day.
        let today = d("2026-09-01") + Days::new(cut);
        let early = run(&att, &[], &today.to_string());
        let expected: Vec<Transition> =
            full.transitions.iter().filter(|t| t.date <= today).copied().collect();
        prop_assert_eq!(early.transitions, expected);
        prop_assert!(today <= end);
    }

    #[test]
    fn excusing_every_absence_leaves_the_child_enrolled(
        days in prop::collection::vec(day_strategy(), 60..90),
    ) {
        let mut att = random_attendance(days);
        let excused: BTreeMap<NaiveDate, AbsenceKind> =
            att.absences.keys().map(|k| (*k, Sick)).collect();
        att.absences = excused;
        let r = run(&att, &[], "2026-12-31");
        prop_assert!(r.transitions.is_empty());
        prop_assert_eq!(r.state, S::Enrolled);
    }
}
