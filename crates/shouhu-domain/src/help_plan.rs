//! Help plans (帮扶计划 / 个别教育方案) for key children, one per term: goals, measures with who
//! does what by when, dated stage results, the end-of-term summary, and the principal's sign-off,
//! after which the plan is locked until a principal reopens it with a reason.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::group_event::long_text;
use crate::{Calendar, Role, SchoolYear, TermKey};

const GOALS_MAX: usize = 2_000;
const MEASURE_MAX: usize = 200;
const WHO_MAX: usize = 50;
const NOTE_MAX: usize = 2_000;
const SUMMARY_MAX: usize = 5_000;
const REASON_MAX: usize = 200;
/// A plan is a page or two; more rows than this is a form gone wrong.
const MEASURES_MAX: usize = 30;
const STAGES_MAX: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HelpPlanError {
    #[error("计划状态应为草稿、已总结或已签字")]
    Status,
    #[error("请填写帮扶目标")]
    GoalsEmpty,
    #[error("帮扶目标不能超过 2000 个字")]
    GoalsTooLong,
    #[error("请至少填写一条帮扶措施")]
    MeasuresEmpty,
    #[error("帮扶措施最多 30 条")]
    TooManyMeasures,
    #[error("请填写措施内容（不超过 200 个字）")]
    MeasureWhat,
    #[error("请填写措施由谁负责（不超过 50 个字）")]
    MeasureWho,
    #[error("请填写措施的完成期限")]
    MeasureBy,
    #[error("请填写阶段成效（不超过 2000 个字）")]
    StageNote,
    #[error("阶段成效的日期不能晚于今天")]
    StageDate,
    #[error("阶段成效最多 100 条")]
    TooManyStages,
    #[error("请填写期末总结（不超过 5000 个字）")]
    Summary,
    #[error("内容中含有控制字符")]
    Character,
    #[error("计划已由校长签字，不能再修改")]
    Locked,
    #[error("计划须先写期末总结，才能签字")]
    NotSummarised,
    #[error("计划尚未签字")]
    NotSigned,
    #[error("请说明重新打开的原因（不超过 200 个字）")]
    Reason,
    #[error("该儿童不是重点帮扶对象，不需制订帮扶计划")]
    NotKeyChild,
}

impl HelpPlanError {
    pub const ALL: [HelpPlanError; 18] = [
        Self::Status,
        Self::GoalsEmpty,
        Self::GoalsTooLong,
        Self::MeasuresEmpty,
        Self::TooManyMeasures,
        Self::MeasureWhat,
        Self::MeasureWho,
        Self::MeasureBy,
        Self::StageNote,
        Self::StageDate,
        Self::TooManyStages,
        Self::Summary,
        Self::Character,
        Self::Locked,
        Self::NotSummarised,
        Self::NotSigned,
        Self::Reason,
        Self::NotKeyChild,
    ];

    pub fn code(&self) -> &'static str {
        match self {
            Self::Status => "plan_status.unknown",
            Self::GoalsEmpty => "help_plan.goals_empty",
            Self::GoalsTooLong => "help_plan.goals_too_long",
            Self::MeasuresEmpty => "help_plan.measures_empty",
            Self::TooManyMeasures => "help_plan.too_many_measures",
            Self::MeasureWhat => "help_plan.measure_what",
            Self::MeasureWho => "help_plan.measure_who",
            Self::MeasureBy => "help_plan.measure_by",
            Self::StageNote => "help_plan.stage_note",
            Self::StageDate => "help_plan.stage_date",
            Self::TooManyStages => "help_plan.too_many_stages",
            Self::Summary => "help_plan.summary",
            Self::Character => "help_plan.character",
            Self::Locked => "help_plan.locked",
            Self::NotSummarised => "help_plan.not_summarised",
            Self::NotSigned => "help_plan.not_signed",
            Self::Reason => "help_plan.reason",
            Self::NotKeyChild => "help_plan.not_key_child",
        }
    }

    /// The form or API field the error belongs to.
    pub fn field(&self) -> &'static str {
        match self {
            Self::GoalsEmpty | Self::GoalsTooLong | Self::Character => "goals",
            Self::MeasuresEmpty | Self::TooManyMeasures => "measures",
            Self::MeasureWhat | Self::MeasureWho | Self::MeasureBy => "measures",
            Self::StageNote | Self::TooManyStages => "stage_note",
            Self::StageDate => "stage_date",
            Self::Summary => "summary",
            Self::Reason => "reason",
            Self::NotKeyChild => "child_id",
            Self::Status | Self::Locked | Self::NotSummarised | Self::NotSigned => "status",
        }
    }
}

choice! {
    /// Where a plan stands: written (`draft`), summarised at term end, signed by the principal.
    pub enum PlanStatus: "plan_status", HelpPlanError::Status {
        Draft = "draft", "草稿";
        Summarised = "summarised", "已总结";
        Signed = "signed", "已签字";
    }
}

impl PlanStatus {
    /// Signed plans are locked: nothing in them changes until a principal reopens one.
    pub fn check_editable(self) -> Result<(), HelpPlanError> {
        if self == PlanStatus::Signed {
            Err(HelpPlanError::Locked)
        } else {
            Ok(())
        }
    }

    /// Sign-off closes a summarised plan.
    pub fn sign(self) -> Result<PlanStatus, HelpPlanError> {
        match self {
            PlanStatus::Summarised => Ok(PlanStatus::Signed),
            PlanStatus::Draft => Err(HelpPlanError::NotSummarised),
            PlanStatus::Signed => Err(HelpPlanError::Locked),
        }
    }

    /// Reopening takes a signed plan back to summarised, to be corrected and signed again.
    pub fn reopen(self) -> Result<PlanStatus, HelpPlanError> {
        match self {
            PlanStatus::Signed => Ok(PlanStatus::Summarised),
            _ => Err(HelpPlanError::NotSigned),
        }
    }
}

/// Who may sign a plan off or reopen one: the principal of the child's school, or the bureau
/// and the system administrator above them (the store checks the school is in their reach).
pub fn may_sign(role: Role) -> bool {
    matches!(role, Role::Principal | Role::Bureau | Role::SystemAdmin)
}

/// Who may write plans: school staff, and the bureau and administrator for corrections. 民政
/// staff, child directors and volunteers read or see nothing of them.
pub fn may_write(role: Role) -> bool {
    matches!(
        role,
        Role::Principal | Role::HeadTeacher | Role::Teacher | Role::Bureau | Role::SystemAdmin
    )
}

/// One measure: what is done, by whom, by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measure {
    pub what: String,
    pub who: String,
    pub by: NaiveDate,
}

impl Measure {
    pub fn parse(what: &str, who: &str, by: Option<NaiveDate>) -> Result<Measure, HelpPlanError> {
        let line = |s: &str, max: usize, e: HelpPlanError| {
            let s = s.trim();
            if s.is_empty() || s.chars().count() > max || s.chars().any(char::is_control) {
                Err(e)
            } else {
                Ok(s.to_owned())
            }
        };
        Ok(Measure {
            what: line(what, MEASURE_MAX, HelpPlanError::MeasureWhat)?,
            who: line(who, WHO_MAX, HelpPlanError::MeasureWho)?,
            by: by.ok_or(HelpPlanError::MeasureBy)?,
        })
    }
}

/// A dated note of what the help achieved so far (阶段成效).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageResult {
    pub date: NaiveDate,
    pub note: String,
    /// Who wrote it, as the store names the author.
    #[serde(default)]
    pub author: String,
}

impl StageResult {
    pub fn parse(date: NaiveDate, note: &str, today: NaiveDate) -> Result<Self, HelpPlanError> {
        if date > today {
            return Err(HelpPlanError::StageDate);
        }
        let note = long_text(note, NOTE_MAX).map_err(|_| HelpPlanError::StageNote)?;
        if note.is_empty() {
            return Err(HelpPlanError::StageNote);
        }
        Ok(StageResult {
            date,
            note,
            author: String::new(),
        })
    }
}

/// The plan as written: goals and measures, then stage results and the summary as the term goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpPlan {
    pub goals: String,
    pub measures: Vec<Measure>,
    #[serde(default)]
    pub stage_results: Vec<StageResult>,
    #[serde(default)]
    pub summary: Option<String>,
}

impl HelpPlan {
    /// A new plan: goals written and at least one measure.
    pub fn new(goals: &str, measures: Vec<Measure>) -> Result<HelpPlan, HelpPlanError> {
        let mut plan = HelpPlan {
            goals: String::new(),
            measures: Vec::new(),
            stage_results: Vec::new(),
            summary: None,
        };
        plan.set_content(goals, measures)?;
        Ok(plan)
    }

    /// Replaces the goals and measures, keeping stage results and the summary.
    pub fn set_content(
        &mut self,
        goals: &str,
        measures: Vec<Measure>,
    ) -> Result<(), HelpPlanError> {
        let goals = long_text(goals, GOALS_MAX).map_err(|too_long| {
            if too_long {
                HelpPlanError::GoalsTooLong
            } else {
                HelpPlanError::Character
            }
        })?;
        if goals.is_empty() {
            return Err(HelpPlanError::GoalsEmpty);
        }
        if measures.is_empty() {
            return Err(HelpPlanError::MeasuresEmpty);
        }
        if measures.len() > MEASURES_MAX {
            return Err(HelpPlanError::TooManyMeasures);
        }
        self.goals = goals;
        self.measures = measures;
        Ok(())
    }

    /// Adds a stage result, kept in date order.
    pub fn add_stage(&mut self, result: StageResult) -> Result<(), HelpPlanError> {
        if self.stage_results.len() >= STAGES_MAX {
            return Err(HelpPlanError::TooManyStages);
        }
        let at = self
            .stage_results
            .partition_point(|r| r.date <= result.date);
        self.stage_results.insert(at, result);
        Ok(())
    }

    /// Writes (or rewrites) the end-of-term summary.
    pub fn set_summary(&mut self, summary: &str) -> Result<(), HelpPlanError> {
        let summary = long_text(summary, SUMMARY_MAX).map_err(|_| HelpPlanError::Summary)?;
        if summary.is_empty() {
            return Err(HelpPlanError::Summary);
        }
        self.summary = Some(summary);
        Ok(())
    }
}

/// Why a signed plan was reopened: one line, required.
pub fn parse_reason(s: &str) -> Result<String, HelpPlanError> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > REASON_MAX || s.chars().any(char::is_control) {
        Err(HelpPlanError::Reason)
    } else {
        Ok(s.to_owned())
    }
}

/// The term a plan written on `date` belongs to by the fallback calendar; see
/// [`Calendar::plan_term`] for a school's own.
pub fn term_on(date: NaiveDate) -> TermKey {
    Calendar::fallback(SchoolYear::containing(date)).plan_term(date)
}

impl Calendar {
    /// The term a plan written on `date` belongs to: the winter holiday still belongs to the
    /// autumn term (its plan is summarised then), the summer to the spring term.
    pub fn plan_term(&self, date: NaiveDate) -> TermKey {
        let spring_start = self
            .terms
            .iter()
            .find(|t| t.number == 2)
            .map_or(date, |t| t.start);
        TermKey {
            school_year: self.school_year,
            number: if date < spring_start { 1 } else { 2 },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn measure() -> Measure {
        Measure::parse("每周谈心一次", "龙老师", Some(d("2026-12-31"))).unwrap()
    }

    #[test]
    fn statuses_move_draft_summarised_signed_and_back_by_reopening() {
        check_choice!(PlanStatus: "plan_status");
        use PlanStatus::*;
        assert_eq!(Draft.sign(), Err(HelpPlanError::NotSummarised));
        assert_eq!(Summarised.sign(), Ok(Signed));
        assert_eq!(Signed.sign(), Err(HelpPlanError::Locked));
        assert_eq!(Signed.check_editable(), Err(HelpPlanError::Locked));
        assert!(Draft.check_editable().is_ok() && Summarised.check_editable().is_ok());
        assert_eq!(Signed.reopen(), Ok(Summarised));
        assert_eq!(Draft.reopen(), Err(HelpPlanError::NotSigned));
        assert!(may_sign(Role::Principal) && !may_sign(Role::HeadTeacher));
        assert!(may_write(Role::Teacher) && !may_write(Role::Volunteer));
        assert!(!may_write(Role::CivilAffairs));
    }

    #[test]
    fn a_plan_needs_goals_and_measures_and_keeps_stages_in_date_order() {
        assert_eq!(
            HelpPlan::new(" ", vec![measure()]),
            Err(HelpPlanError::GoalsEmpty)
        );
        assert_eq!(
            HelpPlan::new("提高成绩", Vec::new()),
            Err(HelpPlanError::MeasuresEmpty)
        );
        assert_eq!(
            Measure::parse("谈心", " ", Some(d("2026-12-31"))),
            Err(HelpPlanError::MeasureWho)
        );
        assert_eq!(
            Measure::parse("谈心", "龙老师", None),
            Err(HelpPlanError::MeasureBy)
        );
        let mut plan = HelpPlan::new("提高成绩\n改善情绪", vec![measure()]).unwrap();
        let today = d("2026-12-02");
        for (date, note) in [
            ("2026-11-01", "b"),
            ("2026-10-01", "a"),
            ("2026-11-01", "c"),
        ] {
            plan.add_stage(StageResult::parse(d(date), note, today).unwrap())
                .unwrap();
        }
        let notes: Vec<&str> = plan.stage_results.iter().map(|r| r.note.as_str()).collect();
        assert_eq!(notes, ["a", "b", "c"]);
        assert_eq!(
            StageResult::parse(d("2026-12-03"), "x", today),
            Err(HelpPlanError::StageDate)
        );
        assert_eq!(plan.set_summary("  "), Err(HelpPlanError::Summary));
        plan.set_summary("本学期进步明显").unwrap();
        assert_eq!(plan.summary.as_deref(), Some("本学期进步明显"));
        assert_eq!(parse_reason(" "), Err(HelpPlanError::Reason));
        for e in HelpPlanError::ALL {
            assert!(!e.field().is_empty() && e.code().contains('.'));
        }
    }

    #[test]
    fn plans_belong_to_the_term_of_the_day_they_are_written() {
        let key = |s: &str| term_on(d(s)).to_string();
        assert_eq!(key("2026-09-01"), "2026-2027-1");
        assert_eq!(key("2027-01-20"), "2026-2027-1");
        assert_eq!(key("2027-02-10"), "2026-2027-1", "winter holiday");
        assert_eq!(key("2027-02-20"), "2026-2027-2");
        assert_eq!(key("2027-07-30"), "2026-2027-2");
        assert_eq!(key("2027-08-20"), "2026-2027-2", "summer holiday");
    }
}
