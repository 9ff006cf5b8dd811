use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;
use crate::{Calendar, Holiday, MakeUpDay, Term};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// 2026-2027 with the National Day week off (make-up Saturday 10 Oct) and the winter holiday
/// from 23 January; 2027-2028 left to the fallback.
fn cals() -> Calendars {
    let year = Calendar::new(
        SchoolYear::new(2026),
        vec![
            Term {
                number: 1,
                start: d("2026-09-01"),
                end: d("2027-01-22"),
            },
            Term {
                number: 2,
                start: d("2027-02-22"),
                end: d("2027-07-02"),
            },
        ],
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
    .unwrap();
    Calendars::new([year])
}

fn rule(code: &str) -> DutyRule {
    DutyRule::defaults()
        .into_iter()
        .find(|r| r.code == code)
        .unwrap()
}

fn window(i: &Instance) -> (String, String, String) {
    (
        i.period_key.clone(),
        i.window_start.to_string(),
        i.window_end.to_string(),
    )
}

#[test]
fn a_monthly_talk_in_term_owes_the_school_days_of_the_month() {
    let talk = rule("talk");
    let c = cals();
    let dec = talk.instance_at(d("2026-12-15"), &c).unwrap();
    assert_eq!(
        window(&dec),
        ("2026-12".into(), "2026-12-01".into(), "2026-12-31".into())
    );
    // January ends with the term on Friday 22nd: that is the due date.
    let jan = talk.instance_at(d("2027-01-05"), &c).unwrap();
    assert_eq!(jan.due(), d("2027-01-22"));
    // No school in August, nor in a February before term starts on the 22nd … but from then on.
    assert_eq!(talk.instance_at(d("2026-08-10"), &c), None);
    let feb = talk.instance_at(d("2027-02-01"), &c).unwrap();
    assert_eq!(feb.window_start, d("2027-02-22"));
    // Over a term: September to January.
    let keys: Vec<String> = talk
        .instances(d("2026-09-01"), d("2027-01-31"), &c)
        .into_iter()
        .map(|i| i.period_key)
        .collect();
    assert_eq!(
        keys,
        ["2026-09", "2026-10", "2026-11", "2026-12", "2027-01"]
    );
}

#[test]
fn a_holiday_week_pauses_a_weekly_duty() {
    let weekly = rule("home_teaching");
    let c = cals();
    // 28 Sep – 4 Oct: school until Wednesday 30th.
    let before = weekly.instance_at(d("2026-09-29"), &c).unwrap();
    assert_eq!(before.window_end, d("2026-09-30"));
    // 5 – 11 Oct: the holiday runs to the 7th, then 8–9 and the make-up Saturday.
    let after = weekly.instance_at(d("2026-10-05"), &c).unwrap();
    assert_eq!(
        (after.window_start, after.window_end),
        (d("2026-10-08"), d("2026-10-10"))
    );
    // The winter holiday: no weekly duty at all.
    assert_eq!(weekly.instance_at(d("2027-02-01"), &c), None);
    let weeks = weekly.instances(d("2027-01-18"), d("2027-02-28"), &c);
    let keys: Vec<&str> = weeks.iter().map(|i| i.period_key.as_str()).collect();
    assert_eq!(keys, ["2027-W03", "2027-W08"]);
}

#[test]
fn month_ends_and_leap_years() {
    let mut monthly = rule("director_visit");
    assert!(!monthly.pauses_on_holiday);
    let c = cals();
    let feb = monthly.instance_at(d("2028-02-10"), &c).unwrap();
    assert_eq!(feb.window_end, d("2028-02-29"));
    let feb = monthly.instance_at(d("2027-02-10"), &c).unwrap();
    assert_eq!(feb.window_end, d("2027-02-28"));
    monthly.cadence = Cadence::Days { days: 14 };
    let first = monthly.instance_at(d("2026-09-14"), &c).unwrap();
    assert_eq!(
        (first.window_start, first.window_end),
        (d("2026-09-01"), d("2026-09-14"))
    );
    // The last block is cut at 31 August.
    let last = monthly.instance_at(d("2027-08-31"), &c).unwrap();
    assert_eq!(last.window_end, d("2027-08-31"));
}

#[test]
fn term_and_school_day_rules() {
    let c = cals();
    let visit = rule("home_visit");
    let term = visit.instance_at(d("2026-11-11"), &c).unwrap();
    assert_eq!(
        window(&term),
        (
            "2026-2027-1".into(),
            "2026-09-01".into(),
            "2027-01-22".into()
        )
    );
    assert_eq!(visit.instance_at(d("2027-02-01"), &c), None);
    let roll = rule("roll_call");
    assert!(
        roll.instance_at(d("2026-10-10"), &c).is_some(),
        "make-up day"
    );
    assert!(roll.instance_at(d("2026-10-11"), &c).is_none());
    let next: Vec<String> = roll
        .upcoming(d("2026-10-09"), &c)
        .into_iter()
        .map(|i| i.period_key)
        .collect();
    assert_eq!(next, ["2026-10-09", "2026-10-10"]);
    // From the winter holiday, the next two term instances are spring's and next autumn's.
    let ahead: Vec<String> = visit
        .upcoming(d("2027-01-30"), &c)
        .into_iter()
        .map(|i| i.period_key)
        .collect();
    assert_eq!(ahead, ["2026-2027-2", "2027-2028-1"]);
}

#[test]
fn a_child_who_comes_under_a_rule_mid_month_owes_the_rest_of_it() {
    let c = cals();
    let dec = rule("talk").instance_at(d("2026-12-15"), &c).unwrap();
    let from = dec.clone().from(d("2026-12-15")).unwrap();
    assert_eq!(
        (from.window_start, from.due()),
        (d("2026-12-15"), d("2026-12-31"))
    );
    let jan = rule("talk").instance_at(d("2027-01-05"), &c).unwrap();
    assert_eq!(jan.from(d("2027-01-25")), None, "the term had ended");
}

#[test]
fn who_a_rule_applies_to() {
    let facts = DutyFacts {
        lb_mca: false,
        lb_xueji: 1,
        lb_census: true,
        tags: vec![],
        rating: Some(GuardianshipRating::Fair),
        schooling: SchoolingStatus::InSchool,
        key_child: false,
    };
    assert!(
        !rule("talk").applies_to.holds(&facts),
        "not left-behind by 民政"
    );
    assert!(rule("file_review").applies_to.holds(&facts));
    assert!(!rule("director_visit").applies_to.holds(&facts));
    let poor = DutyFacts {
        rating: Some(GuardianshipRating::Poor),
        ..facts.clone()
    };
    assert!(rule("director_visit").applies_to.holds(&poor));
    let orphan = DutyFacts {
        tags: vec![HardshipTag::Orphan],
        ..facts.clone()
    };
    assert!(rule("director_visit").applies_to.holds(&orphan));
    let graduated = DutyFacts {
        schooling: SchoolingStatus::Graduated,
        ..facts.clone()
    };
    assert!(!rule("file_review").applies_to.holds(&graduated));
    let json = serde_json::to_string(&DutyRule::defaults()).unwrap();
    assert_eq!(
        serde_json::from_str::<Vec<DutyRule>>(&json).unwrap(),
        DutyRule::defaults()
    );
}

proptest! {
    /// Instances over any range are in order, never overlap, lie inside their natural period,
    /// and each is exactly what `instance_at` gives for a day inside it.
    #[test]
    fn instances_tile_the_range(
        start in 0u64..500,
        len in 0u64..200,
        which in 0usize..10,
    ) {
        let c = cals();
        let rule = DutyRule::defaults().swap_remove(which);
        let from = d("2026-06-01") + chrono::Days::new(start);
        let to = from + chrono::Days::new(len);
        let list = rule.instances(from, to, &c);
        for pair in list.windows(2) {
            prop_assert!(pair[0].window_end < pair[1].window_start);
            prop_assert!(pair[0].period_key != pair[1].period_key);
        }
        for i in &list {
            prop_assert!(i.window_start <= i.window_end);
            prop_assert_eq!(rule.instance_at(i.window_start, &c), Some(i.clone()));
            prop_assert_eq!(rule.instance_at(i.window_end, &c), Some(i.clone()));
            if rule.pauses_on_holiday {
                prop_assert!(c.is_school_day(i.window_start) && c.is_school_day(i.window_end));
            }
        }
    }
}

proptest! {
    /// Over any month of two school years (a leap February among them), with or without the
    /// holiday pause: a talk on the due date closes the month, one the day after does not, and a
    /// record entered after the due date makes it late.
    #[test]
    fn the_status_of_a_months_duty_follows_its_window(
        months in 0u32..24,
        paused in any::<bool>(),
        lag in 0u64..10,
    ) {
        let c = cals();
        let mut talk = rule("talk");
        talk.pauses_on_holiday = paused;
        let day = d("2026-09-15").checked_add_months(chrono::Months::new(months)).unwrap();
        let Some(i) = talk.instance_at(day, &c) else {
            prop_assert!(paused);
            return Ok(());
        };
        let on_due = crate::Evidence { date: i.due(), entered_on: i.due() + chrono::Days::new(lag) };
        let after = crate::Evidence { date: i.due() + chrono::Days::new(1), entered_on: i.due() + chrono::Days::new(1) };
        let today = i.due() + chrono::Days::new(20);
        let s = crate::standing(i.window_start, i.due(), 1, &[on_due], false, today);
        let expected = if lag == 0 { crate::DutyStatus::Done } else { crate::DutyStatus::Late };
        prop_assert_eq!(s.status, expected);
        let s = crate::standing(i.window_start, i.due(), 1, &[after], false, today);
        prop_assert_eq!(s.status, crate::DutyStatus::Missed);
        if !paused {
            let next = i.due() + chrono::Days::new(1);
            prop_assert_eq!(next.day(), 1, "a calendar month ends on its last day");
        }
    }
}
