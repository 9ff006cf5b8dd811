//! The one function that says where a duty instance stands, and the compliance figures built
//! from those statuses. Pages, jobs and reports all ask this; none re-derives it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// `open | done | late | missed | waived`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DutyStatus {
    /// Not yet satisfied and not yet past its due date.
    Open,
    /// Satisfied by records entered by the due date.
    Done,
    /// Satisfied, but the record that completed it was entered after the due date.
    Late,
    /// Past its due date and not satisfied.
    Missed,
    /// Excused, with a reason.
    Waived,
}

impl DutyStatus {
    pub const ALL: [DutyStatus; 5] = [
        Self::Open,
        Self::Done,
        Self::Late,
        Self::Missed,
        Self::Waived,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Done => "done",
            Self::Late => "late",
            Self::Missed => "missed",
            Self::Waived => "waived",
        }
    }

    pub fn parse(code: &str) -> Option<DutyStatus> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Self::Open => "duty_status.open",
            Self::Done => "duty_status.done",
            Self::Late => "duty_status.late",
            Self::Missed => "duty_status.missed",
            Self::Waived => "duty_status.waived",
        }
    }

    /// Whether the work is finished one way or another.
    pub fn is_closed(self) -> bool {
        !matches!(self, Self::Open | Self::Missed)
    }
}

/// One record that may satisfy a duty: the day the work was done and the day it was entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub date: NaiveDate,
    pub entered_on: NaiveDate,
}

/// Where an instance stands, with what the page shows beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    pub status: DutyStatus,
    /// Records dated inside the window (up to today).
    pub done_count: u32,
    /// The entry day of the record that completed the duty.
    pub done_on: Option<NaiveDate>,
}

/// The status of an instance with window `start..=due` needing `required` records, given every
/// record of a satisfying kind for its subject, whether it was waived, and today (Beijing).
///
/// A record counts when its date lies in the window and is not after today. The duty is complete
/// on the entry day of its `required`-th record in entry order: done if that is no later than the
/// due date, else late. A record dated in the window but written up after the due date therefore
/// turns a missed duty into a late one, and deleting a record (leaving it out) reopens the duty
/// or makes it missed again.
pub fn standing(
    start: NaiveDate,
    due: NaiveDate,
    required: u32,
    evidence: &[Evidence],
    waived: bool,
    today: NaiveDate,
) -> Standing {
    let mut entered: Vec<NaiveDate> = evidence
        .iter()
        .filter(|e| start <= e.date && e.date <= due && e.date <= today)
        .map(|e| e.entered_on.max(e.date))
        .collect();
    entered.sort_unstable();
    let done_count = entered.len() as u32;
    let completed = if required == 0 {
        Some(start)
    } else {
        entered.get(required as usize - 1).copied()
    };
    let status = if waived {
        DutyStatus::Waived
    } else {
        match completed {
            Some(day) if day <= due => DutyStatus::Done,
            Some(_) => DutyStatus::Late,
            None if today > due => DutyStatus::Missed,
            None => DutyStatus::Open,
        }
    };
    Standing {
        status,
        done_count,
        done_on: if waived { None } else { completed },
    }
}

/// Compliance of a set of instances: counts by status and the rate the reports quote,
/// done on time ÷ due, where due leaves out the waived and those still open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compliance {
    pub open: u64,
    pub done: u64,
    pub late: u64,
    pub missed: u64,
    pub waived: u64,
}

impl Compliance {
    pub fn add(&mut self, status: DutyStatus, n: u64) {
        match status {
            DutyStatus::Open => self.open += n,
            DutyStatus::Done => self.done += n,
            DutyStatus::Late => self.late += n,
            DutyStatus::Missed => self.missed += n,
            DutyStatus::Waived => self.waived += n,
        }
    }

    /// Instances that were owed and whose outcome is known: done, late or missed.
    pub fn due(&self) -> u64 {
        self.done + self.late + self.missed
    }

    /// Done on time ÷ due, in per mille (rounded down); `None` when nothing was due.
    pub fn rate_permille(&self) -> Option<u64> {
        let due = self.due();
        (due > 0).then(|| self.done * 1000 / due)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn ev(date: &str, entered: &str) -> Evidence {
        Evidence {
            date: d(date),
            entered_on: d(entered),
        }
    }

    #[test]
    fn a_duty_moves_from_open_to_done_late_or_missed() {
        let (start, due) = (d("2026-12-01"), d("2026-12-31"));
        let at = |evidence: &[Evidence], today| standing(start, due, 1, evidence, false, d(today));
        assert_eq!(at(&[], "2026-12-15").status, DutyStatus::Open);
        assert_eq!(at(&[], "2026-12-31").status, DutyStatus::Open, "due today");
        assert_eq!(at(&[], "2027-01-01").status, DutyStatus::Missed);
        let talk = ev("2026-12-10", "2026-12-10");
        let done = at(&[talk], "2026-12-15");
        assert_eq!(done.status, DutyStatus::Done);
        assert_eq!(done.done_on, Some(d("2026-12-10")));
        // Talked on the 30th, written up on 4 January: late, not missed.
        let written_late = ev("2026-12-30", "2027-01-04");
        assert_eq!(at(&[written_late], "2027-01-05").status, DutyStatus::Late);
        // A talk in November or January does not count for December.
        let outside = [
            ev("2026-11-30", "2026-11-30"),
            ev("2027-01-01", "2027-01-01"),
        ];
        assert_eq!(at(&outside, "2027-01-02").status, DutyStatus::Missed);
        let waived = standing(start, due, 1, &[], true, d("2027-02-01"));
        assert_eq!(waived.status, DutyStatus::Waived);
    }

    #[test]
    fn two_records_needed_means_two() {
        let (start, due) = (d("2026-12-07"), d("2026-12-11"));
        let one = [ev("2026-12-07", "2026-12-07")];
        assert_eq!(
            standing(start, due, 2, &one, false, d("2026-12-09")).status,
            DutyStatus::Open
        );
        let two = [
            ev("2026-12-07", "2026-12-07"),
            ev("2026-12-09", "2026-12-12"),
        ];
        let s = standing(start, due, 2, &two, false, d("2026-12-12"));
        assert_eq!((s.status, s.done_count), (DutyStatus::Late, 2));
    }

    #[test]
    fn compliance_counts_only_what_was_owed() {
        let mut c = Compliance::default();
        c.add(DutyStatus::Done, 6);
        c.add(DutyStatus::Late, 1);
        c.add(DutyStatus::Missed, 1);
        c.add(DutyStatus::Open, 5);
        c.add(DutyStatus::Waived, 2);
        assert_eq!(c.due(), 8);
        assert_eq!(c.rate_permille(), Some(750));
        assert_eq!(Compliance::default().rate_permille(), None);
    }

    fn day() -> impl Strategy<Value = NaiveDate> {
        (0i64..120).prop_map(|n| d("2026-11-20") + chrono::Days::new(n as u64))
    }

    proptest! {
        /// The status agrees with a plain reading of the rule, whatever the records, and
        /// removing a record never makes a duty more finished.
        #[test]
        fn status_matches_its_definition(
            records in prop::collection::vec((day(), 0u64..20), 0..6),
            today in day(),
            required in 1u32..3,
            drop in 0usize..6,
        ) {
            let (start, due) = (d("2026-12-01"), d("2026-12-31"));
            let evidence: Vec<Evidence> = records
                .iter()
                .map(|(date, lag)| Evidence { date: *date, entered_on: *date + chrono::Days::new(*lag) })
                .collect();
            let s = standing(start, due, required, &evidence, false, today);
            let counted: Vec<&Evidence> = evidence
                .iter()
                .filter(|e| e.date >= start && e.date <= due && e.date <= today)
                .collect();
            prop_assert_eq!(s.done_count as usize, counted.len());
            let on_time = counted.iter().filter(|e| e.entered_on <= due).count() as u32;
            let expected = if on_time >= required {
                DutyStatus::Done
            } else if counted.len() as u32 >= required {
                DutyStatus::Late
            } else if today > due {
                DutyStatus::Missed
            } else {
                DutyStatus::Open
            };
            prop_assert_eq!(s.status, expected);
            if drop < evidence.len() {
                let mut fewer = evidence.clone();
                fewer.remove(drop);
                let after = standing(start, due, required, &fewer, false, today);
                let rank = |st: DutyStatus| match st {
                    DutyStatus::Done => 3, DutyStatus::Late => 2, _ => 1,
                };
                prop_assert!(rank(after.status) <= rank(s.status));
            }
        }
    }
}
