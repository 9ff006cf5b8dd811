//! Dropout control (控辍保学) in storage: roll calls and their absences, the enrolment states
//! replayed from them, persuasion (劝返) cases with their attempts and ladder duties, returns
//! with their 一人一案 plans, and the county's settings.
//!
//! Attendance writers call [`recompute`] inside their own transaction, so a state, its audit
//! trail and its case always change together; [`run_daily`] only lets suspicions lapse.

mod cases;
mod daily;
pub mod handover;
mod ladder_duties;
pub mod ledgers;
pub mod panels;
mod recompute;
pub mod reports;
mod roll_calls;
mod settings;
pub mod teaching;

pub use cases::{
    Attempt, AttemptInput, CaseDetail, CaseFilter, CaseHead, DecisionInput, Progress, ReturnInput,
    ReturnPlanView, StateEvent, case_detail, decide, list_cases, progress_of, record_attempt,
    return_child, set_reason,
};
pub use daily::{DailyRun, rebuild, run_daily};
pub use recompute::{Enrolment, enrolment_of, recompute};
pub use roll_calls::{
    AbsenceInput, ChildAbsence, ImportedAbsences, RollCallChild, RollCallSheet, RollCallSubmit,
    SheetAbsence, Submitted, absences_of, class_sheet, import_absences, submit,
};
pub use settings::{Settings, save_settings, settings_for};

/// The county (6-digit prefix, padded) a 12-digit region code lies in.
pub(crate) fn county_of(region: &str) -> String {
    let prefix: String = region.chars().take(6).collect();
    format!("{prefix:0<12}")
}
