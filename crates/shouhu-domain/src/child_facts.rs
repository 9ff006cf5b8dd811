//! The coded facts of a child's file (一人一档): documents, hukou, schooling, health, care, aid.
//!
//! Each list follows the forms schools and 民政 fill in (学籍 fields, the 2016 national survey,
//! county 建档 templates); `parse` accepts the spellings found in rosters people already keep.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::choice::parse_set;

/// Longest free text kept as a fact; anything longer belongs in a care record, not the file.
const MAX_TEXT_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChildFactError {
    #[error("无法识别的民族")]
    Ethnicity,
    #[error("无法识别的身份证件类型")]
    IdDocType,
    #[error("户口类型应为“农业”或“非农业”")]
    HukouType,
    #[error("就读方式应为“住校”或“走读”")]
    Boarding,
    #[error("无法识别的就学状态")]
    Schooling,
    #[error("健康状况应为“健康”“残疾”或“患病”")]
    Health,
    #[error("无法识别的残疾类别")]
    DisabilityCategory,
    #[error("残疾等级应为一级至四级")]
    DisabilityGrade,
    #[error("无法识别的监护类型")]
    CareArrangement,
    #[error("监护情况应为“较好”“一般”或“差”")]
    GuardianshipRating,
    #[error("无法识别的家庭收入来源")]
    IncomeSource,
    #[error("无法识别的救助类型")]
    Assistance,
    #[error("无法识别的困境类别")]
    HardshipTag,
    #[error("无法识别的不能监护原因")]
    CannotGuardReason,
    #[error("无法识别的留守类型")]
    XuejiLeftBehind,
    #[error("无法识别的年龄段")]
    AgeBand,
    #[error("无法识别的留守儿童口径")]
    Caliber,
    #[error("请填写内容")]
    TextEmpty,
    #[error("内容不能超过 200 个字")]
    TextTooLong,
    #[error("内容中含有控制字符")]
    TextCharacter,
    #[error("结束日期不能早于开始日期")]
    DateOrder,
}

impl ChildFactError {
    pub fn code(&self) -> &'static str {
        match self {
            ChildFactError::Ethnicity => "ethnicity.unknown",
            ChildFactError::IdDocType => "id_doc_type.unknown",
            ChildFactError::HukouType => "hukou_type.unknown",
            ChildFactError::Boarding => "boarding.unknown",
            ChildFactError::Schooling => "schooling.unknown",
            ChildFactError::Health => "health.unknown",
            ChildFactError::DisabilityCategory => "disability_category.unknown",
            ChildFactError::DisabilityGrade => "disability_grade.unknown",
            ChildFactError::CareArrangement => "care_arrangement.unknown",
            ChildFactError::GuardianshipRating => "guardianship_rating.unknown",
            ChildFactError::IncomeSource => "income_source.unknown",
            ChildFactError::Assistance => "assistance.unknown",
            ChildFactError::HardshipTag => "hardship_tag.unknown",
            ChildFactError::CannotGuardReason => "cannot_guard.unknown",
            ChildFactError::XuejiLeftBehind => "xueji_left_behind.unknown",
            ChildFactError::AgeBand => "age_band.unknown",
            ChildFactError::Caliber => "caliber.unknown",
            ChildFactError::TextEmpty => "fact_text.empty",
            ChildFactError::TextTooLong => "fact_text.too_long",
            ChildFactError::TextCharacter => "fact_text.character",
            ChildFactError::DateOrder => "fact.date_order",
        }
    }
}

/// Short free text recorded as a fact: an illness, the basis of a hardship tag, why a child is
/// a key child. Trimmed, never empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FactText(String);

impl FactText {
    pub fn parse(s: &str) -> Result<FactText, ChildFactError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ChildFactError::TextEmpty);
        }
        // Line breaks would break the one-line cells of rosters and ledgers.
        if s.chars().any(char::is_control) {
            return Err(ChildFactError::TextCharacter);
        }
        if s.chars().count() > MAX_TEXT_CHARS {
            return Err(ChildFactError::TextTooLong);
        }
        Ok(FactText(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FactText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_form!(FactText, ChildFactError);

choice! {
    /// 身份证件类型 as the 学籍 system lists them.
    pub enum IdDocType: "id_doc_type", ChildFactError::IdDocType {
        ResidentIdCard = "resident_id_card", "居民身份证", ["身份证", "二代身份证"];
        /// Numbered like a 身份证 (830000 prefix for Taiwan), but not checked as one here.
        ResidencePermit = "residence_permit", "港澳台居民居住证",
            ["居住证", "港澳居民居住证", "台湾居民居住证"];
        TravelPermit = "travel_permit", "港澳台居民来往内地通行证",
            ["通行证", "港澳居民来往内地通行证", "台湾居民来往大陆通行证", "回乡证", "台胞证"];
        Passport = "passport", "护照", ["外国护照"];
        Other = "other", "其他", ["其它"];
    }
}

impl IdDocType {
    /// Only a 居民身份证 number can be held to GB 11643 as an `IdCardNo`.
    pub fn is_id_card(self) -> bool {
        self == IdDocType::ResidentIdCard
    }
}

choice! {
    /// 户口性质. Where both have been merged into 居民户口 (since the 2014 hukou reform), record
    /// whether the family is registered as rural, which is what 农村留守儿童 turns on.
    pub enum HukouType: "hukou_type", ChildFactError::HukouType {
        Agricultural = "agricultural", "农业", ["1", "农业户口", "农业户", "农村", "农村户口"];
        NonAgricultural = "non_agricultural", "非农业",
            ["2", "非农业户口", "非农业户", "非农", "城镇", "城镇户口"];
    }
}

choice! {
    /// 就读方式.
    pub enum Boarding: "boarding", ChildFactError::Boarding {
        Boarder = "boarder", "住校", ["寄宿", "寄宿生", "住读", "住宿"];
        DayPupil = "day_pupil", "走读", ["走读生", "通学"];
    }
}

choice! {
    /// 就学状态 of the child's school registration. Dropout control keeps its own states.
    pub enum SchoolingStatus: "schooling", ChildFactError::Schooling {
        InSchool = "in_school", "在读", ["在校", "就读"];
        /// 休学: registration kept, return expected.
        Suspended = "suspended", "休学";
        TransferredOut = "transferred_out", "转出", ["已转出", "转学"];
        Graduated = "graduated", "毕业", ["已毕业"];
        /// 送教上门: a child with a severe disability, registered and taught at home.
        HomeTaught = "home_taught", "送教上门";
    }
}

impl SchoolingStatus {
    /// Still on this school's roll: counted in its returns and owed its duties.
    pub fn on_roll(self) -> bool {
        matches!(
            self,
            SchoolingStatus::InSchool | SchoolingStatus::Suspended | SchoolingStatus::HomeTaught
        )
    }
}

choice! {
    /// The kind of 健康状况; `HealthStatus` carries the details.
    pub enum HealthKind: "health", ChildFactError::Health {
        Healthy = "healthy", "健康", ["良好", "健康或良好"];
        Disabled = "disabled", "残疾", ["有残疾"];
        Ill = "ill", "患病", ["疾病", "有病", "患有疾病"];
    }
}

choice! {
    /// 残疾类别 of GB/T 26341-2010; the digits are the ones on a 残疾人证.
    pub enum DisabilityCategory: "disability_category", ChildFactError::DisabilityCategory {
        Visual = "visual", "视力残疾", ["视力", "1"];
        Hearing = "hearing", "听力残疾", ["听力", "2"];
        Speech = "speech", "言语残疾", ["言语", "语言", "3"];
        Physical = "physical", "肢体残疾", ["肢体", "4"];
        Intellectual = "intellectual", "智力残疾", ["智力", "5"];
        Mental = "mental", "精神残疾", ["精神", "6"];
        Multiple = "multiple", "多重残疾", ["多重", "7"];
    }
}

choice! {
    /// 残疾等级: 一级 is the most severe.
    pub enum DisabilityGrade: "disability_grade", ChildFactError::DisabilityGrade {
        One = "grade_1", "一级", ["1", "一", "1级"];
        Two = "grade_2", "二级", ["2", "二", "2级"];
        Three = "grade_3", "三级", ["3", "三", "3级"];
        Four = "grade_4", "四级", ["4", "四", "4级"];
    }
}

impl DisabilityGrade {
    pub fn number(self) -> u8 {
        self as u8 + 1
    }
}

/// 健康状况. Health is sensitive: shown masked until revealed, never to volunteers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HealthStatus {
    Healthy,
    Disabled {
        category: DisabilityCategory,
        grade: DisabilityGrade,
    },
    Ill {
        illness: FactText,
    },
}

impl HealthStatus {
    pub fn kind(&self) -> HealthKind {
        match self {
            HealthStatus::Healthy => HealthKind::Healthy,
            HealthStatus::Disabled { .. } => HealthKind::Disabled,
            HealthStatus::Ill { .. } => HealthKind::Ill,
        }
    }
}

choice! {
    /// 监护类型, in the categories of the 2016 national survey's 汇总表.
    pub enum CareArrangement: "care_arrangement", ChildFactError::CareArrangement {
        Grandparents = "grandparents", "祖辈监护",
            ["隔代监护", "祖父母监护", "外祖父母监护", "祖父母或外祖父母监护"];
        OneParent = "one_parent", "父或母监护",
            ["父母一方监护", "单亲监护", "父亲监护", "母亲监护"];
        Relatives = "relatives", "亲友监护", ["亲戚监护", "亲朋好友监护", "其他亲属监护"];
        Unattended = "unattended", "无人监护",
            ["独自生活", "无人监护/独自生活", "无人监护(独自生活)", "独居"];
        Other = "other", "其他", ["其它"];
    }
}

choice! {
    /// 监护情况评估.
    pub enum GuardianshipRating: "guardianship_rating", ChildFactError::GuardianshipRating {
        Good = "good", "较好", ["好", "良好"];
        Fair = "fair", "一般", ["中"];
        Poor = "poor", "差", ["较差"];
    }
}

choice! {
    /// 家庭主要收入来源; a family may have several (see `parse_list`).
    pub enum IncomeSource: "income_source", ChildFactError::IncomeSource {
        WageWork = "wage_work", "务工", ["外出务工", "打工"];
        Farming = "farming", "务农", ["种植", "养殖", "种植养殖"];
        Business = "business", "经商", ["做生意", "个体经营"];
        SubsistenceAllowance = "subsistence_allowance", "低保", ["低保金", "最低生活保障"];
        Other = "other", "其他", ["其它"];
    }
}

impl IncomeSource {
    /// Parses a multi-select cell such as "务工、低保"; sorted, without repeats.
    pub fn parse_list(s: &str) -> Result<Vec<IncomeSource>, ChildFactError> {
        parse_set(s, IncomeSource::parse)
    }
}

choice! {
    /// 享受救助情况; a child may receive several (see `parse_list`).
    pub enum Assistance: "assistance", ChildFactError::Assistance {
        SubsistenceAllowance = "subsistence_allowance", "低保",
            ["最低生活保障", "城乡低保", "农村低保"];
        TemporaryAid = "temporary_aid", "临时救助";
        MedicalAid = "medical_aid", "医疗救助";
        HousingAid = "housing_aid", "住房救助";
        Other = "other", "其他", ["其它"];
    }
}

impl Assistance {
    /// Parses a multi-select cell such as "低保、医疗救助"; sorted, without repeats.
    pub fn parse_list(s: &str) -> Result<Vec<Assistance>, ChildFactError> {
        parse_set(s, Assistance::parse)
    }
}

choice! {
    /// 困境儿童 and the other categories that call for 民政 follow-up.
    pub enum HardshipTag: "hardship_tag", ChildFactError::HardshipTag {
        PoorFamily = "poor_family", "困境儿童-家庭贫困",
            ["家庭贫困", "因贫困境", "困境儿童(家庭贫困)", "困境儿童—家庭贫困"];
        OwnDisability = "own_disability", "困境儿童-自身残疾",
            ["自身残疾", "因残困境", "困境儿童(自身残疾)", "困境儿童—自身残疾"];
        GuardianshipFailure = "guardianship_failure", "困境儿童-监护缺失或不当",
            ["监护缺失或不当", "监护缺失", "监护不当", "困境儿童(监护缺失或不当)",
             "困境儿童—监护缺失或不当"];
        Orphan = "orphan", "孤儿";
        /// 民发〔2019〕62号: parents dead, missing, imprisoned or unable, and no one supporting.
        DeFactoUnsupported = "de_facto_unsupported", "事实无人抚养",
            ["事实无人抚养儿童"];
        PrisonerChild = "prisoner_child", "服刑人员子女", ["服刑人员未成年子女"];
        MigrantChild = "migrant_child", "随迁子女", ["进城务工人员随迁子女"];
        PovertyHousehold = "poverty_household", "脱贫户/低保户",
            ["脱贫户", "低保户", "建档立卡户", "建档立卡贫困户", "脱贫户或低保户"];
    }
}

/// A hardship tag in force from `start` to `end`, both days included, on a stated basis
/// (认定依据: a 民政 decision, a certificate). Ended tags stay as history.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "HardshipFields")]
pub struct HardshipRecord {
    tag: HardshipTag,
    start: NaiveDate,
    end: Option<NaiveDate>,
    basis: FactText,
}

/// The unchecked shape that deserialisation goes through, so stored records obey `new` too.
#[derive(Deserialize)]
struct HardshipFields {
    tag: HardshipTag,
    start: NaiveDate,
    end: Option<NaiveDate>,
    basis: FactText,
}

impl TryFrom<HardshipFields> for HardshipRecord {
    type Error = ChildFactError;
    fn try_from(f: HardshipFields) -> Result<Self, Self::Error> {
        HardshipRecord::new(f.tag, f.start, f.end, f.basis)
    }
}

impl HardshipRecord {
    pub fn new(
        tag: HardshipTag,
        start: NaiveDate,
        end: Option<NaiveDate>,
        basis: FactText,
    ) -> Result<HardshipRecord, ChildFactError> {
        if end.is_some_and(|end| end < start) {
            return Err(ChildFactError::DateOrder);
        }
        Ok(HardshipRecord {
            tag,
            start,
            end,
            basis,
        })
    }

    pub fn tag(&self) -> HardshipTag {
        self.tag
    }

    pub fn start(&self) -> NaiveDate {
        self.start
    }

    pub fn end(&self) -> Option<NaiveDate> {
        self.end
    }

    pub fn basis(&self) -> &FactText {
        &self.basis
    }

    pub fn active_on(&self, date: NaiveDate) -> bool {
        self.start <= date && self.end.is_none_or(|end| date <= end)
    }
}

/// 重点帮扶对象. The flag cannot be set without saying why, because the reason decides the help
/// plan the paired teacher must write.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyChild {
    pub reason: FactText,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn every_list_round_trips() {
        check_choice!(
            IdDocType: "id_doc_type",
            HukouType: "hukou_type",
            Boarding: "boarding",
            SchoolingStatus: "schooling",
            HealthKind: "health",
            DisabilityCategory: "disability_category",
            DisabilityGrade: "disability_grade",
            CareArrangement: "care_arrangement",
            GuardianshipRating: "guardianship_rating",
            IncomeSource: "income_source",
            Assistance: "assistance",
            HardshipTag: "hardship_tag",
        );
    }

    #[test]
    fn common_spellings() {
        assert_eq!(HukouType::parse(" 农业户口 "), Ok(HukouType::Agricultural));
        assert_eq!(HukouType::parse("２"), Ok(HukouType::NonAgricultural));
        assert_eq!(HukouType::parse("非 农业"), Ok(HukouType::NonAgricultural));
        assert_eq!(HukouType::parse("居民户口"), Err(ChildFactError::HukouType));
        assert_eq!(IdDocType::parse("身份证"), Ok(IdDocType::ResidentIdCard));
        assert_eq!(IdDocType::parse("台胞证"), Ok(IdDocType::TravelPermit));
        assert_eq!(IdDocType::parse("PASSPORT"), Ok(IdDocType::Passport));
        assert!(IdDocType::ResidentIdCard.is_id_card() && !IdDocType::Passport.is_id_card());
        assert_eq!(Boarding::parse("寄宿"), Ok(Boarding::Boarder));
        assert_eq!(
            DisabilityCategory::parse("肢体"),
            Ok(DisabilityCategory::Physical)
        );
        assert_eq!(
            DisabilityCategory::parse("7"),
            Ok(DisabilityCategory::Multiple)
        );
        assert_eq!(DisabilityGrade::parse("二"), Ok(DisabilityGrade::Two));
        assert_eq!(
            DisabilityGrade::parse("5"),
            Err(ChildFactError::DisabilityGrade)
        );
        let numbers = DisabilityGrade::ALL.map(DisabilityGrade::number);
        assert_eq!(numbers, [1, 2, 3, 4]);
        assert_eq!(
            CareArrangement::parse("独自生活"),
            Ok(CareArrangement::Unattended)
        );
        assert_eq!(
            CareArrangement::parse("隔代监护"),
            Ok(CareArrangement::Grandparents)
        );
        assert_eq!(
            GuardianshipRating::parse("较差"),
            Ok(GuardianshipRating::Poor)
        );
        assert_eq!(
            HardshipTag::parse("监护不当"),
            Ok(HardshipTag::GuardianshipFailure)
        );
        assert_eq!(
            HardshipTag::parse("困境儿童（家庭贫困）"),
            Ok(HardshipTag::PoorFamily)
        );
        assert_eq!(
            HardshipTag::parse("低保户"),
            Ok(HardshipTag::PovertyHousehold)
        );
        let on_roll: Vec<_> = SchoolingStatus::ALL
            .into_iter()
            .filter(|s| s.on_roll())
            .collect();
        use SchoolingStatus as S;
        assert_eq!(on_roll, [S::InSchool, S::Suspended, S::HomeTaught]);
    }

    #[test]
    fn multi_select_cells() {
        use IncomeSource as I;
        assert_eq!(
            I::parse_list("低保、务工，务工; 经商"),
            Ok(vec![I::WageWork, I::Business, I::SubsistenceAllowance])
        );
        assert_eq!(I::parse_list(" "), Ok(vec![]));
        assert_eq!(
            I::parse_list("务工/炒股"),
            Err(ChildFactError::IncomeSource)
        );
        assert_eq!(
            Assistance::parse_list("医疗救助｜低保"),
            Ok(vec![
                Assistance::SubsistenceAllowance,
                Assistance::MedicalAid
            ])
        );
    }

    #[test]
    fn fact_text() {
        assert_eq!(
            FactText::parse("  先天性心脏病 ").unwrap().as_str(),
            "先天性心脏病"
        );
        assert_eq!(FactText::parse(" "), Err(ChildFactError::TextEmpty));
        assert_eq!(FactText::parse("a\nb"), Err(ChildFactError::TextCharacter));
        assert!(FactText::parse(&"字".repeat(200)).is_ok());
        assert_eq!(
            FactText::parse(&"字".repeat(201)),
            Err(ChildFactError::TextTooLong)
        );
    }

    #[test]
    fn health_travels_with_its_details() {
        let h = HealthStatus::Disabled {
            category: DisabilityCategory::Physical,
            grade: DisabilityGrade::Two,
        };
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"disabled","category":"physical","grade":"grade_2"}"#
        );
        assert_eq!(serde_json::from_str::<HealthStatus>(&json).unwrap(), h);
        assert_eq!(h.kind(), HealthKind::Disabled);
        let ill: HealthStatus = serde_json::from_str(r#"{"kind":"ill","illness":"哮喘"}"#).unwrap();
        assert_eq!(ill.kind(), HealthKind::Ill);
        assert!(serde_json::from_str::<HealthStatus>(r#"{"kind":"ill","illness":" "}"#).is_err());
        assert_eq!(
            serde_json::to_string(&HealthStatus::Healthy).unwrap(),
            r#"{"kind":"healthy"}"#
        );
    }

    #[test]
    fn hardship_records() {
        let basis = FactText::parse("县民政局认定书").unwrap();
        let tag = HardshipTag::Orphan;
        let rec = HardshipRecord::new(tag, day(2025, 3, 1), Some(day(2026, 2, 28)), basis.clone())
            .unwrap();
        assert!(!rec.active_on(day(2025, 2, 28)));
        assert!(rec.active_on(day(2025, 3, 1)) && rec.active_on(day(2026, 2, 28)));
        assert!(!rec.active_on(day(2026, 3, 1)));
        let open = HardshipRecord::new(tag, day(2025, 3, 1), None, basis.clone()).unwrap();
        assert!(open.active_on(day(2040, 1, 1)));
        let same_day = HardshipRecord::new(tag, day(2025, 3, 1), Some(day(2025, 3, 1)), basis);
        assert!(same_day.is_ok());
        let json = serde_json::to_string(&rec).unwrap();
        assert_eq!(serde_json::from_str::<HardshipRecord>(&json).unwrap(), rec);
        let backwards = json.replace("2026-02-28", "2025-02-01");
        assert!(serde_json::from_str::<HardshipRecord>(&backwards).is_err());
        let err = HardshipRecord::new(
            tag,
            day(2025, 3, 1),
            Some(day(2025, 2, 28)),
            FactText::parse("x").unwrap(),
        );
        assert_eq!(err, Err(ChildFactError::DateOrder));
    }
}
