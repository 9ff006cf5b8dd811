//! Pure rules and types of Shouhu: identifiers, regions, roles, schools, child facts and the
//! left-behind calibers. No I/O.
//!
//! Every value that arrives as text is a newtype built by `parse`, so holding one proves it was
//! checked. Every error has a Chinese `Display` and a stable `code()` the web layer translates.

#[macro_use]
mod serde_str;
#[macro_use]
mod choice;

mod calendar;
mod care;
mod child_facts;
mod child_file;
mod clock;
mod dropout;
mod duty;
mod duty_status;
mod ethnicity;
mod group_event;
mod help_plan;
mod id_card;
mod left_behind;
mod name_pinyin;
mod pairing;
mod password;
mod person_name;
mod phone;
mod privacy;
mod province;
mod region_code;
mod role;
mod school;
mod school_days;
mod sex;
mod text;

pub use calendar::{Calendar, CalendarError, DayKind, Holiday, MakeUpDay, Term, TermKey};
pub use care::{
    CareBody, CareError, CareFieldErrors, CareKind, CareText, ContactChannel, ContactDirection,
    ContactReporter, Counselling, FamilyContact, HealthCheck, HealthCheckKind, HomeTeaching,
    HomeVisit, Mood, Note, Talk, Tutoring, parse_record_date, reads_confidential,
};
pub use child_facts::{
    Assistance, Boarding, CareArrangement, ChildFactError, DisabilityCategory, DisabilityGrade,
    FactText, GuardianshipRating, HardshipRecord, HardshipTag, HealthKind, HealthStatus, HukouType,
    IdDocType, IncomeSource, KeyChild, SchoolingStatus,
};
pub use child_file::{
    AwayWork, ChildFile, ChildFileError, Disqualifications, Entrustment, Guardian, MissingItem,
    Parent, Profile,
};
pub use clock::{shanghai, today_shanghai};
pub use dropout::{
    AbsenceKind, AttemptOutcome, Attendance, CaseClosure, Cause, Decision, DecisionKind,
    DropoutError, DropoutRule, EnrolmentState, Ladder, LadderStep, LeaveReason, NOTICE_FIELDS,
    NoticeTemplate, Replay, ReportMonth, ReturnMethod, StepDue, Transition,
    default_notice_template, replay as replay_enrolment,
};
pub use duty::{Applies, Cadence, DutyFacts, DutyRule, Instance, SubjectKind};
pub use duty_status::{Compliance, DutyStatus, Evidence, Standing, standing};
pub use ethnicity::Ethnicity;
pub use group_event::{
    EventBody, EventKind, GroupEventError, GuardianAttending, check_date as check_event_date,
    guardian_lines, parse_guardian_lines, parse_title as parse_event_title,
};
pub use help_plan::{
    HelpPlan, HelpPlanError, Measure, PlanStatus, StageResult, may_sign as may_sign_plan,
    may_write as may_write_plan, parse_reason as parse_reopen_reason, term_on,
};
pub use id_card::{IdCardError, IdCardNo, check_char};
pub use left_behind::{
    AgeBand, Caliber, CannotGuardReason, ChildFacts, LeftBehind, ParentFacts, WorkAway,
    XuejiLeftBehind, age_on, census_left_behind, mca_left_behind, xueji_code,
};
pub use name_pinyin::{NamePinyin, name_pinyin};
pub use pairing::{PairingError, PairingKind, PairingSpan, Partner};
pub use password::{Password, PasswordError, hash_password, verify_password};
pub use person_name::{PersonName, PersonNameError};
pub use phone::{PhoneError, PhoneKind, PhoneNo};
pub use privacy::mask_address;
pub use province::{Province, ProvinceError};
pub use region_code::{
    RegionCode, RegionCodeError, RegionLevel, RegionLevelError, TownshipKind, VillageKind,
};
pub use role::{Role, RoleError};
pub use school::{Grade, SchoolError, SchoolKind, SchoolYear};
pub use school_days::Calendars;
pub use sex::{Sex, SexError};
pub use text::normalize_width;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key the web layer may look up for this crate, so a new variant cannot ship untranslated.
    fn keys() -> Vec<&'static str> {
        let mut keys = vec![SexError::Invalid.code(), RoleError::Unknown.code()];
        keys.extend([Sex::Male, Sex::Female].map(Sex::label_key));
        keys.extend(Role::ALL.map(Role::label_key));
        keys.extend(RegionLevel::ALL.map(RegionLevel::label_key));
        keys.extend(SchoolKind::ALL.map(SchoolKind::label_key));
        keys.push(RegionLevelError::Unknown.code());
        use SchoolError as S;
        keys.extend([S::UnknownKind, S::Grade, S::SchoolYear].map(|e| e.code()));
        use IdCardError as I;
        let check = I::CheckChar {
            expected: 'X',
            found: '1',
        };
        let id = [
            I::Empty,
            I::Length,
            I::Character,
            I::Region,
            I::BirthDate,
            I::FutureBirthDate,
            check,
        ];
        keys.extend(id.map(|e| e.code()));
        use RegionCodeError as R;
        keys.extend([R::Empty, R::Length, R::Character, R::Zero, R::Province].map(|e| e.code()));
        use PhoneError as P;
        keys.extend([P::Empty, P::Character, P::Mobile, P::Landline].map(|e| e.code()));
        use PersonNameError as N;
        keys.extend([N::Empty, N::TooLong, N::Character { ch: '!' }].map(|e| e.code()));
        use PasswordError as W;
        keys.extend([W::Short, W::Weak, W::TooLong, W::Hash].map(|e| e.code()));
        keys.push(ProvinceError::Unknown.code());
        keys.extend(Ethnicity::ALL.map(Ethnicity::label_key));
        keys.extend(IdDocType::ALL.map(IdDocType::label_key));
        keys.extend(HukouType::ALL.map(HukouType::label_key));
        keys.extend(Boarding::ALL.map(Boarding::label_key));
        keys.extend(SchoolingStatus::ALL.map(SchoolingStatus::label_key));
        keys.extend(HealthKind::ALL.map(HealthKind::label_key));
        keys.extend(DisabilityCategory::ALL.map(DisabilityCategory::label_key));
        keys.extend(DisabilityGrade::ALL.map(DisabilityGrade::label_key));
        keys.extend(CareArrangement::ALL.map(CareArrangement::label_key));
        keys.extend(GuardianshipRating::ALL.map(GuardianshipRating::label_key));
        keys.extend(IncomeSource::ALL.map(IncomeSource::label_key));
        keys.extend(Assistance::ALL.map(Assistance::label_key));
        keys.extend(HardshipTag::ALL.map(HardshipTag::label_key));
        keys.extend(CannotGuardReason::ALL.map(CannotGuardReason::label_key));
        keys.extend(XuejiLeftBehind::ALL.map(XuejiLeftBehind::label_key));
        keys.extend(Caliber::ALL.map(Caliber::label_key));
        keys.extend(AgeBand::ALL.map(AgeBand::label_key));
        use ChildFactError as C;
        let facts = [
            C::Ethnicity,
            C::IdDocType,
            C::HukouType,
            C::Boarding,
            C::Schooling,
            C::Health,
            C::DisabilityCategory,
            C::DisabilityGrade,
            C::CareArrangement,
            C::GuardianshipRating,
            C::IncomeSource,
            C::Assistance,
            C::HardshipTag,
            C::CannotGuardReason,
            C::XuejiLeftBehind,
            C::AgeBand,
            C::Caliber,
            C::TextEmpty,
            C::TextTooLong,
            C::TextCharacter,
            C::DateOrder,
        ];
        keys.extend(facts.map(|e| e.code()));
        use ChildFileError as F;
        keys.extend([F::BirthDateMismatch, F::SexMismatch, F::IdNotACard].map(|e| e.code()));
        keys.extend(ChildFile::REQUIRED);
        keys.extend(CalendarError::ALL.map(|e| e.code()));
        keys.extend(EventKind::ALL.map(EventKind::label_key));
        keys.extend(GroupEventError::ALL.map(|e| e.code()));
        keys.extend(PlanStatus::ALL.map(PlanStatus::label_key));
        keys.extend(HelpPlanError::ALL.map(|e| e.code()));
        keys.extend(CareError::ALL.map(|e| e.code()));
        keys.extend(CareKind::ALL.map(CareKind::label_key));
        keys.extend(Mood::ALL.map(Mood::label_key));
        keys.extend(ContactChannel::ALL.map(ContactChannel::label_key));
        keys.extend(ContactDirection::ALL.map(ContactDirection::label_key));
        keys.extend(ContactReporter::ALL.map(ContactReporter::label_key));
        keys.extend(HealthCheckKind::ALL.map(HealthCheckKind::label_key));
        keys.extend(PairingError::ALL.map(|e| e.code()));
        keys.extend(PairingKind::ALL.map(PairingKind::label_key));
        keys.extend(DutyStatus::ALL.map(DutyStatus::label_key));
        keys.extend(DropoutError::ALL.map(|e| e.code()));
        keys.extend(AbsenceKind::ALL.map(AbsenceKind::label_key));
        keys.extend(EnrolmentState::ALL.map(EnrolmentState::label_key));
        keys.extend(ReturnMethod::ALL.map(ReturnMethod::label_key));
        keys.extend(AttemptOutcome::ALL.map(AttemptOutcome::label_key));
        keys.extend(LeaveReason::ALL.map(LeaveReason::label_key));
        keys.extend(CaseClosure::ALL.map(CaseClosure::label_key));
        keys.extend(DecisionKind::ALL.map(DecisionKind::label_key));
        keys
    }

    #[test]
    fn catalogs_hold_exactly_the_keys() {
        let mut expected = keys();
        expected.sort_unstable();
        for file in [
            include_str!("../messages.zh-CN.toml"),
            include_str!("../messages.en.toml"),
        ] {
            let mut found: Vec<&str> = file
                .lines()
                .filter_map(|l| l.strip_prefix('"')?.split_once("\" = \"").map(|(k, _)| k))
                .collect();
            found.sort_unstable();
            assert_eq!(found, expected);
        }
    }
}
