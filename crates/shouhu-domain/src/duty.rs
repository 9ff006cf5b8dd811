//! Duty rules (职责): who owes what, for whom, how often, and what record satisfies it. Rules are
//! data, editable per county; the defaults are the duty table of DESIGN.md §3. This module turns
//! a rule and the school calendar into the periods an instance is owed for.

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::school_days::Calendars;
use crate::{
    Caliber, GuardianshipRating, HardshipTag, ReturnMethod, Role, SchoolYear, SchoolingStatus,
};

/// How often a duty falls due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "every", rename_all = "snake_case")]
pub enum Cadence {
    SchoolDay,
    /// Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
    Term,
    /// The school year, 1 September to 31 August.
    Year,
    /// Blocks of `days` counted from the school year's 1 September.
    Days {
        days: u16,
    },
    /// Opened by a dropout case (a 劝返 ladder step, a follow-up after return), never by the
    /// calendar.
    Case,
}

/// What an instance is owed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    Child,
    Class,
    School,
}

impl SubjectKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Child => "child",
            Self::Class => "class",
            Self::School => "school",
        }
    }
}

/// Which children a child duty applies to: every condition given must hold. `ratings` and
/// `tags_any` together form one condition ("rated 差 or with a hardship tag").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Applies {
    /// Left-behind under this caliber.
    pub left_behind: Option<Caliber>,
    pub ratings: Vec<GuardianshipRating>,
    pub tags_any: Vec<HardshipTag>,
    /// Empty: any schooling status but 毕业 and 转出.
    pub schooling: Vec<SchoolingStatus>,
    pub key_child: Option<bool>,
}

/// The facts of a child that rules look at, as the store keeps them in plain columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DutyFacts {
    pub lb_mca: bool,
    pub lb_xueji: u8,
    pub lb_census: bool,
    pub tags: Vec<HardshipTag>,
    pub rating: Option<GuardianshipRating>,
    pub schooling: SchoolingStatus,
    pub key_child: bool,
}

impl Applies {
    pub fn holds(&self, facts: &DutyFacts) -> bool {
        let left_behind = match self.left_behind {
            None => true,
            Some(Caliber::Mca) => facts.lb_mca,
            Some(Caliber::Xueji) => facts.lb_xueji > 0,
            Some(Caliber::Census) => facts.lb_census,
        };
        let concern = (self.ratings.is_empty() && self.tags_any.is_empty())
            || facts.rating.is_some_and(|r| self.ratings.contains(&r))
            || facts.tags.iter().any(|t| self.tags_any.contains(t));
        let schooling = if self.schooling.is_empty() {
            !matches!(
                facts.schooling,
                SchoolingStatus::Graduated | SchoolingStatus::TransferredOut
            )
        } else {
            self.schooling.contains(&facts.schooling)
        };
        let key = self.key_child.is_none_or(|k| k == facts.key_child);
        left_behind && concern && schooling && key
    }
}

/// One duty rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DutyRule {
    /// Stable, e.g. `talk`; a county's rule of the same code replaces the default there.
    pub code: String,
    pub name: String,
    pub subject: SubjectKind,
    pub cadence: Cadence,
    /// Records needed per period.
    pub count: u16,
    #[serde(default)]
    pub applies_to: Applies,
    pub responsible: Role,
    /// Evidence kinds that count: care record kinds (`talk` …), event kinds
    /// (`guardian_meeting` …), `help_plan`, `pairing`, `roll_call`.
    pub satisfied_by: Vec<String>,
    /// Only school time counts: a period's window shrinks to its school days, and a period
    /// without any (a holiday week, August) owes nothing.
    pub pauses_on_holiday: bool,
}

/// One period of a rule: its key and the window in which the duty should be done; the due date
/// is the window's last day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instance {
    pub period_key: String,
    pub window_start: NaiveDate,
    pub window_end: NaiveDate,
}

impl Instance {
    pub fn due(&self) -> NaiveDate {
        self.window_end
    }

    /// The instance for a subject that came under the rule on `since` (a child who became
    /// left-behind mid-month owes the rest of the month); none if the window had already closed.
    pub fn from(mut self, since: NaiveDate) -> Option<Instance> {
        if self.window_end < since {
            return None;
        }
        self.window_start = self.window_start.max(since);
        Some(self)
    }
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

fn last_of_month(date: NaiveDate) -> NaiveDate {
    let next = first_of_month(date)
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(date);
    next.pred_opt().unwrap_or(date)
}

fn add_days(date: NaiveDate, n: u64) -> NaiveDate {
    date.checked_add_days(Days::new(n)).unwrap_or(date)
}

fn year_start(year: SchoolYear) -> NaiveDate {
    NaiveDate::from_ymd_opt(year.start_year(), 9, 1).unwrap_or(NaiveDate::MIN)
}

impl DutyRule {
    /// The natural period containing `date` (key, first and last day), before the calendar
    /// narrows it; none for a school-day or term rule on a day outside them.
    fn natural_period(&self, date: NaiveDate, cals: &Calendars) -> Option<Instance> {
        let make = |key: String, start, end| Instance {
            period_key: key,
            window_start: start,
            window_end: end,
        };
        match self.cadence {
            Cadence::SchoolDay => cals
                .is_school_day(date)
                .then(|| make(date.to_string(), date, date)),
            Cadence::Week => {
                let week = date.iso_week();
                let monday = date - Days::new(u64::from(date.weekday().num_days_from_monday()));
                let key = format!("{}-W{:02}", week.year(), week.week());
                Some(make(key, monday, add_days(monday, 6)))
            }
            Cadence::Month => {
                let key = format!("{}-{:02}", date.year(), date.month());
                Some(make(key, first_of_month(date), last_of_month(date)))
            }
            Cadence::Term => {
                let (key, term) = cals.term_of(date)?;
                Some(make(key.to_string(), term.start, term.end))
            }
            Cadence::Year => {
                let year = SchoolYear::containing(date);
                let start = year_start(year);
                let end = year_start(SchoolYear::new(year.start_year() + 1))
                    .pred_opt()
                    .unwrap_or(start);
                Some(make(year.to_string(), start, end))
            }
            Cadence::Days { days } => {
                let days = u64::from(days.max(1));
                let year = SchoolYear::containing(date);
                let origin = year_start(year);
                let offset = (date - origin).num_days().max(0) as u64;
                let start = add_days(origin, offset / days * days);
                let year_end = year_start(SchoolYear::new(year.start_year() + 1))
                    .pred_opt()
                    .unwrap_or(start);
                let end = add_days(start, days - 1).min(year_end);
                Some(make(format!("{year}+{start}"), start, end))
            }
            Cadence::Case => None,
        }
    }

    /// The instance owed for the period containing `date`, if one is.
    pub fn instance_at(&self, date: NaiveDate, cals: &Calendars) -> Option<Instance> {
        let period = self.natural_period(date, cals)?;
        if !self.pauses_on_holiday {
            return Some(period);
        }
        let (start, end) = cals.school_span(period.window_start, period.window_end)?;
        Some(Instance {
            window_start: start,
            window_end: end,
            ..period
        })
    }

    /// Every instance whose period overlaps `from..=to`, in order.
    pub fn instances(&self, from: NaiveDate, to: NaiveDate, cals: &Calendars) -> Vec<Instance> {
        let mut out: Vec<Instance> = Vec::new();
        let mut day = from;
        while day <= to {
            let next = match self.natural_period(day, cals) {
                Some(period) => {
                    let after = period.window_end.succ_opt().unwrap_or(period.window_end);
                    if let Some(instance) = self.instance_at(day, cals) {
                        out.push(instance);
                    }
                    after
                }
                None => day.succ_opt().unwrap_or(day),
            };
            if next <= day {
                break;
            }
            day = next;
        }
        out
    }

    /// What the generator keeps materialised on `today`: the instance of the current period
    /// and of the next period that owes one (looking at most a year ahead).
    pub fn upcoming(&self, today: NaiveDate, cals: &Calendars) -> Vec<Instance> {
        let mut out = Vec::with_capacity(2);
        let mut day = today;
        let horizon = add_days(today, 400);
        while out.len() < 2 && day <= horizon {
            let next = match self.natural_period(day, cals) {
                Some(period) => {
                    if let Some(instance) = self.instance_at(day, cals) {
                        out.push(instance);
                    }
                    period.window_end.succ_opt().unwrap_or(period.window_end)
                }
                None => day.succ_opt().unwrap_or(day),
            };
            if next <= day {
                break;
            }
            day = next;
        }
        out
    }

    /// The rule a 劝返 ladder step of `method` is owed under.
    pub fn return_step_code(method: ReturnMethod) -> String {
        format!("return_{}", method.code())
    }

    /// The evidence kind a 劝返 attempt of `method` writes; it also meets every lower step.
    pub fn return_evidence_kinds(method: ReturnMethod) -> Vec<String> {
        ReturnMethod::ALL
            .iter()
            .filter(|m| m.rank() <= method.rank())
            .map(|m| DutyRule::return_step_code(*m))
            .collect()
    }

    /// The rule of the follow-up owed the month after a child comes back.
    pub const RETURN_FOLLOW_UP: &'static str = "return_follow_up";

    /// The duty table of DESIGN.md §3.
    pub fn defaults() -> Vec<DutyRule> {
        let lb = Applies {
            left_behind: Some(Caliber::Mca),
            ..Applies::default()
        };
        let rule = |code: &str, name: &str, subject, cadence, responsible, by: &[&str]| DutyRule {
            code: code.to_owned(),
            name: name.to_owned(),
            subject,
            cadence,
            count: 1,
            applies_to: Applies::default(),
            responsible,
            satisfied_by: by.iter().map(|s| (*s).to_owned()).collect(),
            pauses_on_holiday: true,
        };
        use Cadence as C;
        use Role as R;
        use SubjectKind as S;
        vec![
            DutyRule {
                applies_to: lb.clone(),
                ..rule(
                    "talk",
                    "谈心",
                    S::Child,
                    C::Month,
                    R::HeadTeacher,
                    &["talk"],
                )
            },
            DutyRule {
                applies_to: lb.clone(),
                ..rule(
                    "family_call",
                    "亲情联系",
                    S::Child,
                    C::Month,
                    R::HeadTeacher,
                    &["family_contact"],
                )
            },
            DutyRule {
                applies_to: lb.clone(),
                ..rule(
                    "home_visit",
                    "家访",
                    S::Child,
                    C::Term,
                    R::HeadTeacher,
                    &["home_visit"],
                )
            },
            rule(
                "guardian_meeting",
                "监护人会议",
                S::School,
                C::Term,
                R::Principal,
                &["guardian_meeting"],
            ),
            DutyRule {
                applies_to: Applies {
                    key_child: Some(true),
                    ..Applies::default()
                },
                ..rule(
                    "help_plan",
                    "帮扶计划",
                    S::Child,
                    C::Term,
                    R::Teacher,
                    &["help_plan"],
                )
            },
            DutyRule {
                applies_to: lb,
                ..rule(
                    "pairing",
                    "结对帮扶",
                    S::Child,
                    C::Term,
                    R::Principal,
                    &["pairing"],
                )
            },
            rule(
                "roll_call",
                "点名",
                S::Class,
                C::SchoolDay,
                R::HeadTeacher,
                &["roll_call"],
            ),
            DutyRule {
                applies_to: Applies {
                    schooling: vec![SchoolingStatus::HomeTaught],
                    ..Applies::default()
                },
                ..rule(
                    "home_teaching",
                    "送教上门",
                    S::Child,
                    C::Week,
                    R::Teacher,
                    &["home_teaching"],
                )
            },
            DutyRule {
                applies_to: Applies {
                    ratings: vec![GuardianshipRating::Poor],
                    tags_any: vec![
                        HardshipTag::PoorFamily,
                        HardshipTag::OwnDisability,
                        HardshipTag::GuardianshipFailure,
                        HardshipTag::Orphan,
                        HardshipTag::DeFactoUnsupported,
                        HardshipTag::PrisonerChild,
                    ],
                    ..Applies::default()
                },
                pauses_on_holiday: false,
                ..rule(
                    "director_visit",
                    "儿童主任随访",
                    S::Child,
                    C::Month,
                    R::ChildDirector,
                    &["home_visit", "talk", "life_care"],
                )
            },
            rule(
                "file_review",
                "档案核实",
                S::Child,
                C::Term,
                R::HeadTeacher,
                &["file_review"],
            ),
            DutyRule {
                pauses_on_holiday: false,
                ..rule(
                    DutyRule::RETURN_FOLLOW_UP,
                    "复学后跟踪",
                    S::Child,
                    C::Case,
                    R::HeadTeacher,
                    &["talk", "home_visit", "tutoring"],
                )
            },
        ]
        .into_iter()
        .chain(ReturnMethod::ALL.map(|m| DutyRule {
            pauses_on_holiday: false,
            ..rule(
                &DutyRule::return_step_code(m),
                &format!("劝返：{}", m.label_zh()),
                S::Child,
                C::Case,
                R::HeadTeacher,
                &[&DutyRule::return_step_code(m)],
            )
        }))
        .collect()
    }
}

#[cfg(test)]
mod tests;
