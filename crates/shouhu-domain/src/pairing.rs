//! Pairings (结对帮扶): who looks after a child — a teacher, another pupil, a volunteer, the
//! village child director, a party member — and over which days.

use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PairingError {
    #[error("无法识别的结对类型")]
    Kind,
    #[error("结束日期不能早于开始日期")]
    DateOrder,
    #[error("帮扶教师须选择本校教师")]
    TeacherAccount,
    #[error("学习帮手须选择一名学生")]
    BuddyPupil,
    #[error("请选择帮扶人或填写姓名")]
    Partner,
}

impl PairingError {
    pub const ALL: [PairingError; 5] = [
        Self::Kind,
        Self::DateOrder,
        Self::TeacherAccount,
        Self::BuddyPupil,
        Self::Partner,
    ];

    pub fn code(&self) -> &'static str {
        match self {
            Self::Kind => "pairing_kind.unknown",
            Self::DateOrder => "pairing.date_order",
            Self::TeacherAccount => "pairing.teacher_account",
            Self::BuddyPupil => "pairing.buddy_pupil",
            Self::Partner => "pairing.partner",
        }
    }
}

choice! {
    /// The kinds of pairing. `teacher` is what coverage and the pairing duty count.
    pub enum PairingKind: "pairing_kind", PairingError::Kind {
        Teacher = "teacher", "帮扶教师/代理家长", ["帮扶教师", "代理家长", "结对教师"];
        Buddy = "buddy", "学习帮手", ["手拉手", "学习伙伴"];
        Volunteer = "volunteer", "爱心妈妈/志愿者", ["爱心妈妈", "志愿者"];
        ChildDirector = "child_director", "儿童主任";
        PartyMember = "party_member", "党员", ["党员干部"];
    }
}

/// Who the child is paired with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Partner {
    /// A user account (a teacher, a volunteer with an account …).
    User(i64),
    /// Another pupil, for 学习帮手.
    Pupil(i64),
    /// Someone without an account, by name.
    Named(String),
}

impl PairingKind {
    /// A teacher pairing is with a teacher's account, a buddy with a pupil; the others with an
    /// account or a name.
    pub fn check_partner(self, partner: &Partner) -> Result<(), PairingError> {
        match (self, partner) {
            (PairingKind::Teacher, Partner::User(_)) => Ok(()),
            (PairingKind::Teacher, _) => Err(PairingError::TeacherAccount),
            (PairingKind::Buddy, Partner::Pupil(_)) => Ok(()),
            (PairingKind::Buddy, _) => Err(PairingError::BuddyPupil),
            (_, Partner::Pupil(_)) => Err(PairingError::Partner),
            (_, Partner::Named(name)) if name.trim().is_empty() => Err(PairingError::Partner),
            _ => Ok(()),
        }
    }
}

/// A pairing's days: from `from` to `to` inclusive (`None`: still running).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairingSpan {
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

impl PairingSpan {
    pub fn new(from: NaiveDate, to: Option<NaiveDate>) -> Result<Self, PairingError> {
        if to.is_some_and(|to| to < from) {
            return Err(PairingError::DateOrder);
        }
        Ok(Self { from, to })
    }

    pub fn active_on(self, date: NaiveDate) -> bool {
        self.from <= date && self.to.is_none_or(|to| date <= to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn kinds_parse_their_spellings() {
        check_choice!(PairingKind: "pairing_kind");
        assert_eq!(PairingKind::parse("代理家长"), Ok(PairingKind::Teacher));
    }

    #[test]
    fn partners_fit_their_kind() {
        let t = PairingKind::Teacher;
        assert_eq!(t.check_partner(&Partner::User(1)), Ok(()));
        assert_eq!(
            t.check_partner(&Partner::Named("王".into())),
            Err(PairingError::TeacherAccount)
        );
        assert_eq!(
            PairingKind::Buddy.check_partner(&Partner::User(1)),
            Err(PairingError::BuddyPupil)
        );
        let v = PairingKind::Volunteer;
        assert_eq!(v.check_partner(&Partner::Named("张华".into())), Ok(()));
        assert_eq!(
            v.check_partner(&Partner::Named(" ".into())),
            Err(PairingError::Partner)
        );
    }

    #[test]
    fn spans_include_both_ends() {
        let span = PairingSpan::new(d(9, 1), Some(d(12, 31))).unwrap();
        assert!(span.active_on(d(9, 1)) && span.active_on(d(12, 31)));
        assert!(
            !span.active_on(d(8, 31))
                && !span.active_on(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap())
        );
        assert!(PairingSpan::new(d(9, 1), None).unwrap().active_on(d(12, 2)));
        assert_eq!(
            PairingSpan::new(d(9, 2), Some(d(9, 1))),
            Err(PairingError::DateOrder)
        );
    }
}
