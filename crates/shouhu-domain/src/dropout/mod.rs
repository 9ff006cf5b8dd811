//! Dropout control (控辍保学): the words of roll calls, enrolment states, persuasion cases and
//! return plans, and the county's settings. The state machine itself lives in [`replay`].

mod ladder;
mod notice;
mod replay;
#[cfg(test)]
mod tests;

pub use ladder::{Ladder, LadderStep, StepDue};
pub use notice::{NOTICE_FIELDS, NoticeTemplate, default_notice_template};
pub use replay::{Attendance, Cause, Decision, DecisionKind, Replay, Transition, replay};

use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DropoutError {
    #[error("请选择缺勤类型：病假、事假或旷课")]
    AbsenceKind,
    #[error("无法识别的就学状态")]
    State,
    #[error("请选择劝返方式")]
    Method,
    #[error("请选择劝返结果")]
    Outcome,
    #[error("请选择辍学原因")]
    Reason,
    #[error("请选择结案方式")]
    Closure,
    #[error("连续旷课天数应为 1 至 30 的整数")]
    StreakDays,
    #[error("疑似辍学转为辍学的天数应为 1 至 365 的整数")]
    LapseDays,
    #[error("升级步骤的天数应从 1 开始逐步递增，且不超过 365")]
    LadderDays,
    #[error("此状态下不能这样变更")]
    Transition,
    #[error("月份应写作 2026-11 的形式")]
    Month,
    #[error("通知书模板中有无法识别的占位符")]
    Placeholder,
    #[error("通知书模板不能为空，且不超过 4000 字")]
    TemplateLength,
}

impl DropoutError {
    pub const ALL: [DropoutError; 13] = [
        Self::AbsenceKind,
        Self::State,
        Self::Method,
        Self::Outcome,
        Self::Reason,
        Self::Closure,
        Self::StreakDays,
        Self::LapseDays,
        Self::LadderDays,
        Self::Transition,
        Self::Month,
        Self::Placeholder,
        Self::TemplateLength,
    ];

    pub fn code(&self) -> &'static str {
        match self {
            Self::AbsenceKind => "absence_kind.unknown",
            Self::State => "enrolment_state.unknown",
            Self::Method => "return_method.unknown",
            Self::Outcome => "attempt_outcome.unknown",
            Self::Reason => "leave_reason.unknown",
            Self::Closure => "case_closure.unknown",
            Self::StreakDays => "dropout.streak_days",
            Self::LapseDays => "dropout.lapse_days",
            Self::LadderDays => "dropout.ladder_days",
            Self::Transition => "dropout.transition",
            Self::Month => "dropout.month",
            Self::Placeholder => "dropout.placeholder",
            Self::TemplateLength => "dropout.template_length",
        }
    }
}

choice! {
    /// How a child missed a school day. Only 旷课 counts toward a streak.
    pub enum AbsenceKind: "absence_kind", DropoutError::AbsenceKind {
        Sick = "sick", "病假", ["病"];
        Personal = "personal", "事假", ["事"];
        Unexcused = "unexcused", "旷课", ["旷", "无故缺勤"];
    }
}

impl AbsenceKind {
    pub fn is_excused(self) -> bool {
        self != AbsenceKind::Unexcused
    }
}

choice! {
    /// Where a child stands in school. Stored as the code; the ledgers read it.
    pub enum EnrolmentState: "enrolment_state", DropoutError::State {
        Enrolled = "enrolled", "在读";
        Suspected = "suspected", "疑似辍学";
        DroppedOut = "dropped_out", "辍学";
        Suspended = "suspended", "休学";
        TransferredOut = "transferred_out", "转出";
        HomeTaught = "home_taught", "送教上门";
        Graduated = "graduated", "毕业";
    }
}

impl EnrolmentState {
    /// States in which daily attendance is counted.
    pub fn counts_attendance(self) -> bool {
        matches!(self, EnrolmentState::Enrolled | EnrolmentState::Suspected)
    }

    /// States that keep a persuasion case open.
    pub fn has_open_case(self) -> bool {
        matches!(self, EnrolmentState::Suspected | EnrolmentState::DroppedOut)
    }
}

choice! {
    /// 劝返 methods, in the order a county escalates through them.
    pub enum ReturnMethod: "return_method", DropoutError::Method {
        Phone = "phone", "电话";
        HomeVisit = "home_visit", "家访";
        JointVisit = "joint_visit", "联合家访", ["村委会联合家访"];
        Notice = "notice", "书面通知", ["劝返通知书"];
        Township = "township", "乡镇政府";
        County = "county", "县教育局";
        Legal = "legal", "司法文书";
    }
}

impl ReturnMethod {
    /// Escalation rank: an attempt satisfies every ladder step of this rank or lower.
    pub fn rank(self) -> usize {
        ReturnMethod::ALL
            .iter()
            .position(|m| *m == self)
            .unwrap_or_default()
    }
}

choice! {
    /// What came of one 劝返 attempt.
    pub enum AttemptOutcome: "attempt_outcome", DropoutError::Outcome {
        Agreed = "agreed", "同意返校";
        Refused = "refused", "拒绝返校";
        NotMet = "not_met", "未见到人";
        Pending = "pending", "待跟进";
        Returned = "returned", "已返校";
    }
}

choice! {
    /// Why a child left school, as county plans classify it.
    pub enum LeaveReason: "leave_reason", DropoutError::Reason {
        WearyOfStudy = "weary_of_study", "厌学";
        LearningDifficulty = "learning_difficulty", "学习困难";
        Working = "working", "外出务工";
        WithParents = "with_parents", "随父母外出";
        EarlyMarriage = "early_marriage", "早婚早育";
        Poverty = "poverty", "家庭经济困难";
        IllnessDisability = "illness_disability", "疾病或残疾";
        Internet = "internet", "沉迷网络";
        FamilyDisagreement = "family", "家长不支持";
        Other = "other", "其他", ["其它"];
    }
}

choice! {
    /// How a persuasion case ends.
    pub enum CaseClosure: "case_closure", DropoutError::Closure {
        /// Present again while only suspected.
        SelfReturn = "self_return", "自行返校";
        /// 复学 with a 一人一案 plan.
        Returned = "returned", "复学";
        /// A late correction removed the suspicion that opened it.
        Voided = "voided", "撤销";
        /// Transferred out, graduated or moved to 送教上门.
        Other = "other", "其他去向";
    }
}

/// A county's dropout thresholds (DESIGN.md §3 gives the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DropoutRule {
    /// Consecutive unexcused school days that make 疑似辍学.
    pub streak_days: u32,
    /// Calendar days in 疑似辍学 without return that make 辍学.
    pub lapse_days: u32,
}

impl Default for DropoutRule {
    fn default() -> Self {
        DropoutRule {
            streak_days: 5,
            lapse_days: 30,
        }
    }
}

impl DropoutRule {
    pub fn new(streak_days: u32, lapse_days: u32) -> Result<DropoutRule, DropoutError> {
        if !(1..=30).contains(&streak_days) {
            return Err(DropoutError::StreakDays);
        }
        if !(1..=365).contains(&lapse_days) {
            return Err(DropoutError::LapseDays);
        }
        Ok(DropoutRule {
            streak_days,
            lapse_days,
        })
    }
}

/// A report month (一月一报告), `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReportMonth {
    pub year: i32,
    pub month: u32,
}

impl ReportMonth {
    pub fn parse(s: &str) -> Result<ReportMonth, DropoutError> {
        let (y, m) = s.trim().split_once('-').ok_or(DropoutError::Month)?;
        let year: i32 = y.parse().map_err(|_| DropoutError::Month)?;
        let month: u32 = m.parse().map_err(|_| DropoutError::Month)?;
        if y.len() != 4 || m.len() != 2 || !(1..=12).contains(&month) || year < 2000 {
            return Err(DropoutError::Month);
        }
        Ok(ReportMonth { year, month })
    }

    pub fn of(date: NaiveDate) -> ReportMonth {
        use chrono::Datelike;
        ReportMonth {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MAX)
    }

    pub fn next(self) -> ReportMonth {
        if self.month == 12 {
            ReportMonth {
                year: self.year + 1,
                month: 1,
            }
        } else {
            ReportMonth {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub fn previous(self) -> ReportMonth {
        if self.month == 1 {
            ReportMonth {
                year: self.year - 1,
                month: 12,
            }
        } else {
            ReportMonth {
                year: self.year,
                month: self.month - 1,
            }
        }
    }
}

impl std::fmt::Display for ReportMonth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}
