//! Setup shared by the tests of care work and dropout control: a user's scope, and a county
//! calendar in which the last two weeks are all school days, so roll calls can be taken on any
//! of them whatever day the suite runs.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use shouhu_domain::{Calendar, MakeUpDay, RegionCode, SchoolYear, Term};
use shouhu_store::calendars::{self, Owner};
use shouhu_store::{Scope, users};

use super::TestApp;

/// The demo county every test app holds.
pub const COUNTY: &str = "520502000000";

/// The scope a demo account works in.
pub fn scope_of(app: &TestApp, username: &str) -> Scope {
    app.store
        .with_conn(|c| {
            let user = users::find_for_login(c, username)?.expect("a demo account");
            users::scope_for(c, &user, None)
        })
        .expect("scope")
}

/// A calendar of the school year around `today` in which the last 14 days are all school
/// days (weekends among them are make-up days).
pub fn recent_school_days(today: NaiveDate) -> Calendar {
    let year = SchoolYear::containing(today);
    let y = year.start_year();
    let date = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("a date");
    let workdays = (0..14)
        .filter_map(|n| today.checked_sub_days(Days::new(n)))
        .filter(|d| matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .map(|d| MakeUpDay {
            date: d,
            name: "调休".into(),
        })
        .collect();
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
    Calendar::new(year, terms, Vec::new(), workdays).expect("calendar")
}

/// Saves `calendar` as the demo county's.
pub fn save_county_calendar(app: &TestApp, calendar: &Calendar) {
    let county = Owner::Region(RegionCode::parse(COUNTY).expect("county code"));
    app.store
        .with_conn(|c| calendars::save(c, &Scope::local_operator(), &county, calendar, None))
        .expect("calendar saved");
}
