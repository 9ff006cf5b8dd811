//! The escalation ladder (劝返升级): which 劝返 step is due when, and for which role.

use chrono::{Days, NaiveDate};

use super::{DropoutError, ReturnMethod};
use crate::Role;

/// One rung: on `day` of the case (day 1 is the day it opened) `role` must have tried `method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LadderStep {
    pub day: u32,
    pub method: ReturnMethod,
    pub role: Role,
}

/// A county's ladder, steps in increasing day order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ladder {
    steps: Vec<LadderStep>,
}

/// The next unmet step of a case and when it falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepDue {
    /// Index of the step in the ladder.
    pub index: usize,
    pub step: LadderStep,
    pub due: NaiveDate,
}

impl Default for Ladder {
    /// Day 1 the head teacher calls; day 2 a home visit; day 7 the school with the 村委会;
    /// day 14 the township; day 30 the county.
    fn default() -> Self {
        use ReturnMethod as M;
        let step = |day, method, role| LadderStep { day, method, role };
        Ladder {
            steps: vec![
                step(1, M::Phone, Role::HeadTeacher),
                step(2, M::HomeVisit, Role::HeadTeacher),
                step(7, M::JointVisit, Role::Principal),
                step(14, M::Township, Role::CivilAffairs),
                step(30, M::County, Role::Bureau),
            ],
        }
    }
}

impl Ladder {
    pub fn new(steps: Vec<LadderStep>) -> Result<Ladder, DropoutError> {
        let increasing = steps.windows(2).all(|w| w[0].day < w[1].day);
        let in_range = steps.iter().all(|s| (1..=365).contains(&s.day));
        if steps.is_empty() || !increasing || !in_range {
            return Err(DropoutError::LadderDays);
        }
        Ok(Ladder { steps })
    }

    pub fn steps(&self) -> &[LadderStep] {
        &self.steps
    }

    /// The date step `step` falls due for a case opened on `opened`.
    pub fn due(opened: NaiveDate, step: &LadderStep) -> NaiveDate {
        opened
            .checked_add_days(Days::new(u64::from(step.day.saturating_sub(1))))
            .unwrap_or(NaiveDate::MAX)
    }

    /// The first step not yet met. An attempt meets every step up to its own method's rank,
    /// so a home visit on day 1 also counts as the call.
    pub fn next_due(&self, opened: NaiveDate, attempts: &[ReturnMethod]) -> Option<StepDue> {
        let reached = attempts.iter().map(|m| m.rank()).max();
        self.steps
            .iter()
            .enumerate()
            .find(|(_, s)| reached.is_none_or(|r| s.method.rank() > r))
            .map(|(index, step)| StepDue {
                index,
                step: *step,
                due: Ladder::due(opened, step),
            })
    }
}
