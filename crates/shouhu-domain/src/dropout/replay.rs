//! The enrolment state machine: one child's days replayed from a start date to today.
//!
//! State is never edited in place; it is what this function makes of the roll calls, absences
//! and decisions on record. A late correction is just another replay, and the transitions that
//! no longer come out are the ones to roll back.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Days, NaiveDate};

use super::{AbsenceKind, DropoutError, DropoutRule, EnrolmentState};
use crate::Calendars;

/// What the school knows of one child's days: the days their class's roll call was submitted
/// and the absences it recorded. A school day without a roll call is unknown.
#[derive(Debug, Clone, Default)]
pub struct Attendance {
    pub roll_calls: BTreeSet<NaiveDate>,
    pub absences: BTreeMap<NaiveDate, AbsenceKind>,
}

/// What a person decided, as opposed to what the days implied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub date: NaiveDate,
    pub kind: DecisionKind,
}

choice! {
    /// Changes of state made by a person (the others follow from attendance).
    pub enum DecisionKind: "enrolment_decision", DropoutError::Transition {
        /// 复学: back from 疑似辍学 or 辍学, with a 一人一案 plan.
        Return = "return", "复学";
        Suspend = "suspend", "休学";
        /// Back to 在读 from 休学 or 送教上门.
        Resume = "resume", "恢复在读";
        TransferOut = "transfer_out", "转出";
        HomeTeach = "home_teach", "转为送教上门";
        Graduate = "graduate", "毕业";
    }
}

impl DecisionKind {
    /// The state this decision leads to from `from`, or `None` where it does not apply.
    pub fn apply(self, from: EnrolmentState) -> Option<EnrolmentState> {
        use EnrolmentState as S;
        let to = match self {
            DecisionKind::Return if matches!(from, S::Suspected | S::DroppedOut) => S::Enrolled,
            DecisionKind::Suspend if from.counts_attendance() => S::Suspended,
            DecisionKind::Resume if matches!(from, S::Suspended | S::HomeTaught) => S::Enrolled,
            DecisionKind::TransferOut if !matches!(from, S::TransferredOut | S::Graduated) => {
                S::TransferredOut
            }
            DecisionKind::HomeTeach if matches!(from, S::Enrolled | S::Suspended) => S::HomeTaught,
            DecisionKind::Graduate if from == S::Enrolled => S::Graduated,
            _ => return None,
        };
        Some(to)
    }
}

/// Why a transition happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// `days` consecutive unexcused school days, the first on `first`.
    Streak {
        first: NaiveDate,
        days: u32,
    },
    /// 疑似辍学 since `since` lasted the county's lapse without return.
    Lapse {
        since: NaiveDate,
    },
    /// Present at roll call again while only suspected (自行返校).
    PresentAgain,
    Decision(DecisionKind),
}

impl Cause {
    /// Stable code stored with the transition.
    pub fn code(self) -> &'static str {
        match self {
            Cause::Streak { .. } => "streak",
            Cause::Lapse { .. } => "lapse",
            Cause::PresentAgain => "present_again",
            Cause::Decision(k) => k.code(),
        }
    }

    /// True for causes the replay derives from attendance, which a recompute may roll back.
    pub fn is_derived(self) -> bool {
        !matches!(self, Cause::Decision(_))
    }

    /// A short Chinese account for the audit trail and the child's history.
    pub fn describe_zh(self) -> String {
        match self {
            Cause::Streak { first, days } => format!("自 {first} 起连续旷课 {days} 个教学日"),
            Cause::Lapse { since } => format!("自 {since} 疑似辍学，期满未返校"),
            Cause::PresentAgain => "点名时到校（自行返校）".to_owned(),
            Cause::Decision(k) => k.label_zh().to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub date: NaiveDate,
    pub from: EnrolmentState,
    pub to: EnrolmentState,
    pub cause: Cause,
}

/// The outcome of a replay: every transition in date order and where the child stands today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    pub transitions: Vec<Transition>,
    pub state: EnrolmentState,
    /// The date the current state began (the replay's start when nothing happened).
    pub since: NaiveDate,
    /// Unexcused school days in the streak still running today.
    pub streak: u32,
    /// Decisions that no longer apply to the state the days now imply (after a late correction).
    pub skipped: Vec<Decision>,
}

/// Replays one child from `start` (in `Enrolled`) through `today`.
///
/// Each day: first the lapse of a suspicion, then the day's attendance (school days only), then
/// the decisions dated that day. `decisions` need not be sorted.
pub fn replay(
    rule: DropoutRule,
    calendars: &Calendars,
    attendance: &Attendance,
    decisions: &[Decision],
    start: NaiveDate,
    today: NaiveDate,
) -> Replay {
    let mut decisions = decisions.to_vec();
    decisions.sort_by_key(|d| d.date);
    let mut pending = decisions.iter().peekable();

    let mut out = Replay {
        transitions: Vec::new(),
        state: EnrolmentState::Enrolled,
        since: start,
        streak: 0,
        skipped: Vec::new(),
    };
    let mut streak_first = start;
    // Skip decisions dated before the start: the caller chooses a start before every input.
    while pending.peek().is_some_and(|d| d.date < start) {
        if let Some(d) = pending.next() {
            out.skipped.push(*d);
        }
    }

    let mut day = start;
    while day <= today {
        if out.state == EnrolmentState::Suspected {
            let lapse = out
                .since
                .checked_add_days(Days::new(rule.lapse_days.into()));
            if lapse.is_some_and(|l| day >= l) {
                let since = out.since;
                out.move_to(day, EnrolmentState::DroppedOut, Cause::Lapse { since });
            }
        }

        if out.state.counts_attendance() && calendars.is_school_day(day) {
            match attendance.mark(day) {
                Mark::Present => {
                    out.streak = 0;
                    if out.state == EnrolmentState::Suspected {
                        out.move_to(day, EnrolmentState::Enrolled, Cause::PresentAgain);
                    }
                }
                Mark::Unexcused if out.state == EnrolmentState::Enrolled => {
                    if out.streak == 0 {
                        streak_first = day;
                    }
                    out.streak += 1;
                    if out.streak >= rule.streak_days {
                        let cause = Cause::Streak {
                            first: streak_first,
                            days: out.streak,
                        };
                        out.move_to(day, EnrolmentState::Suspected, cause);
                    }
                }
                Mark::Unexcused | Mark::Excused | Mark::Unknown => {}
            }
        }

        // Decisions close the day: a 复学 recorded on the day the suspicion began still applies.
        while let Some(decision) = pending.next_if(|d| d.date == day) {
            match decision.kind.apply(out.state) {
                Some(to) => out.move_to(day, to, Cause::Decision(decision.kind)),
                None => out.skipped.push(*decision),
            }
        }

        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    // Decisions after today are not yet in force.
    out.skipped.extend(pending.copied());
    out
}

enum Mark {
    Present,
    Excused,
    Unexcused,
    Unknown,
}

impl Attendance {
    fn mark(&self, day: NaiveDate) -> Mark {
        match self.absences.get(&day) {
            Some(kind) if kind.is_excused() => Mark::Excused,
            Some(_) => Mark::Unexcused,
            None if self.roll_calls.contains(&day) => Mark::Present,
            None => Mark::Unknown,
        }
    }
}

impl Replay {
    fn move_to(&mut self, date: NaiveDate, to: EnrolmentState, cause: Cause) {
        self.transitions.push(Transition {
            date,
            from: self.state,
            to,
            cause,
        });
        self.state = to;
        self.since = date;
        // Every change of state starts counting afresh.
        self.streak = 0;
    }
}
