//! Care records (关爱记录): what was done for a child on a day — a talk, a home visit, a family
//! contact, counselling … — each kind with its own small typed body, parsed from form or JSON
//! fields with every bad field named, and the rules on who may read or write which kind.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::Role;

/// Longest free text of a record: a page of notes, not a report.
const MAX_TEXT_CHARS: usize = 2000;
/// Longest short answer (a subject, who was met).
const MAX_SHORT_CHARS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CareError {
    #[error("无法识别的记录类型")]
    Kind,
    #[error("请选择孩子的情绪状态")]
    Mood,
    #[error("联系方式应为电话、视频、书信或微信")]
    Channel,
    #[error("请选择谁联系谁")]
    Direction,
    #[error("请选择由谁反映")]
    Reporter,
    #[error("请选择体检或免疫")]
    HealthCheckKind,
    #[error("此项必填")]
    Required,
    #[error("内容过长")]
    TooLong,
    #[error("内容中含有控制字符")]
    Character,
    #[error("课时应为 1 至 20 的整数")]
    Periods,
    #[error("时长应为 1 至 600 分钟的整数")]
    Minutes,
    #[error("日期应写作 2026-12-02 的形式")]
    Date,
    #[error("记录日期不能晚于今天")]
    FutureDate,
}

impl CareError {
    pub const ALL: [CareError; 13] = [
        Self::Kind,
        Self::Mood,
        Self::Channel,
        Self::Direction,
        Self::Reporter,
        Self::HealthCheckKind,
        Self::Required,
        Self::TooLong,
        Self::Character,
        Self::Periods,
        Self::Minutes,
        Self::Date,
        Self::FutureDate,
    ];

    pub fn code(&self) -> &'static str {
        match self {
            Self::Kind => "care_kind.unknown",
            Self::Mood => "mood.unknown",
            Self::Channel => "contact_channel.unknown",
            Self::Direction => "contact_direction.unknown",
            Self::Reporter => "contact_reporter.unknown",
            Self::HealthCheckKind => "health_check_kind.unknown",
            Self::Required => "care.required",
            Self::TooLong => "care.too_long",
            Self::Character => "care.character",
            Self::Periods => "care.periods",
            Self::Minutes => "care.minutes",
            Self::Date => "care.date",
            Self::FutureDate => "care.future_date",
        }
    }
}

choice! {
    /// The kinds of record. Duty rules name these codes, so they never change.
    pub enum CareKind: "care_kind", CareError::Kind {
        Talk = "talk", "谈心", ["谈心谈话", "谈话"];
        HomeVisit = "home_visit", "家访", ["走访"];
        FamilyContact = "family_contact", "亲情联系", ["亲情电话", "亲情通话", "视频通话"];
        /// Confidential: see [`reads_confidential`].
        Counselling = "counselling", "心理辅导", ["心理咨询"];
        Tutoring = "tutoring", "学习辅导", ["辅导"];
        LifeCare = "life_care", "生活照顾", ["生活关爱"];
        HomeTeaching = "home_teaching", "送教上门", ["送教"];
        HealthCheck = "health_check", "体检/免疫", ["体检", "免疫", "免疫接种"];
        Birthday = "birthday", "生日关爱", ["过生日", "生日"];
        FileReview = "file_review", "档案核实", ["核实档案"];
        Other = "other", "其他", ["其它"];
    }
}

impl CareKind {
    /// Notes of this kind are read only by their author and the roles of [`reads_confidential`].
    pub fn confidential(self) -> bool {
        self == CareKind::Counselling
    }

    /// Volunteers keep contact logs and everyday care, never counselling or health.
    pub fn volunteer_may(self) -> bool {
        matches!(self, CareKind::FamilyContact | CareKind::LifeCare)
    }

    /// The form's fields for this kind, in order, and whether each is required.
    pub fn fields(self) -> &'static [(&'static str, bool)] {
        match self {
            CareKind::Talk => &[("topics", true), ("mood", true), ("follow_up", false)],
            CareKind::HomeVisit => &[("met", true), ("living", false), ("carer", false)],
            CareKind::FamilyContact => &[
                ("channel", true),
                ("direction", true),
                ("reported_by", true),
                ("note", false),
            ],
            CareKind::Counselling => &[("notes", true)],
            CareKind::Tutoring => &[("subject", true), ("minutes", false), ("note", false)],
            CareKind::HomeTeaching => &[("periods", true), ("content", true)],
            CareKind::HealthCheck => &[("check", true), ("result", true)],
            CareKind::LifeCare | CareKind::Other => &[("note", true)],
            CareKind::Birthday | CareKind::FileReview => &[("note", false)],
        }
    }
}

/// Who may read a confidential record's notes besides its author.
pub fn reads_confidential(role: Role) -> bool {
    matches!(role, Role::Principal | Role::Bureau | Role::SystemAdmin)
}

choice! {
    /// The child's mood during a talk, from a fixed list so it can be counted.
    pub enum Mood: "mood", CareError::Mood {
        Good = "good", "开朗", ["良好", "开心", "愉快"];
        Calm = "calm", "平稳", ["平静", "一般"];
        Low = "low", "低落", ["情绪低落", "难过"];
        Anxious = "anxious", "焦虑", ["紧张"];
        Withdrawn = "withdrawn", "孤僻", ["退缩", "沉默"];
        Irritable = "irritable", "易怒", ["烦躁"];
    }
}

choice! {
    pub enum ContactChannel: "contact_channel", CareError::Channel {
        Phone = "phone", "电话", ["打电话", "亲情电话"];
        Video = "video", "视频", ["视频通话"];
        Letter = "letter", "书信", ["写信", "信件"];
        Wechat = "wechat", "微信", ["微信语音", "微信消息"];
    }
}

choice! {
    pub enum ContactDirection: "contact_direction", CareError::Direction {
        ChildToParent = "child_to_parent", "孩子联系父母";
        ParentToChild = "parent_to_child", "父母联系孩子";
    }
}

choice! {
    /// Who told the school about a contact (DESIGN §3: record who reported each contact).
    pub enum ContactReporter: "contact_reporter", CareError::Reporter {
        Child = "child", "孩子", ["学生", "本人"];
        Guardian = "guardian", "监护人", ["照料人"];
        Teacher = "teacher", "教师", ["老师", "班主任"];
        Parent = "parent", "父母", ["家长"];
    }
}

choice! {
    pub enum HealthCheckKind: "health_check_kind", CareError::HealthCheckKind {
        Checkup = "checkup", "体检", ["健康检查"];
        Immunisation = "immunisation", "免疫", ["免疫接种", "疫苗", "接种"];
    }
}

/// Free text of a record: trimmed, never empty, line breaks kept, at most 2,000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CareText(String);

impl CareText {
    pub fn parse(s: &str) -> Result<CareText, CareError> {
        Self::bounded(s, MAX_TEXT_CHARS)
    }

    fn bounded(s: &str, max: usize) -> Result<CareText, CareError> {
        let s = s.replace("\r\n", "\n");
        let s = s.trim();
        if s.is_empty() {
            return Err(CareError::Required);
        }
        if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(CareError::Character);
        }
        if s.chars().count() > max {
            return Err(CareError::TooLong);
        }
        Ok(CareText(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CareText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_form!(CareText, CareError);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Talk {
    pub topics: CareText,
    pub mood: Mood,
    #[serde(default)]
    pub follow_up: Option<CareText>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomeVisit {
    /// Who was met: 祖母, 父亲（视频）…
    pub met: CareText,
    #[serde(default)]
    pub living: Option<CareText>,
    /// The carer's situation: health, age, whether they can cope.
    #[serde(default)]
    pub carer: Option<CareText>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyContact {
    pub channel: ContactChannel,
    pub direction: ContactDirection,
    pub reported_by: ContactReporter,
    #[serde(default)]
    pub note: Option<CareText>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counselling {
    pub notes: CareText,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tutoring {
    pub subject: CareText,
    #[serde(default)]
    pub minutes: Option<u16>,
    #[serde(default)]
    pub note: Option<CareText>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HomeTeaching {
    /// 课时, at least one.
    pub periods: u8,
    pub content: CareText,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthCheck {
    pub check: HealthCheckKind,
    pub result: CareText,
}

/// The body of 生活照顾, 生日关爱, 档案核实 and 其他: a note (required for the first and last).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    #[serde(default)]
    pub note: Option<CareText>,
}

/// A record's kind-specific part, as sealed at rest: `{"kind": "talk", "topics": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CareBody {
    Talk(Talk),
    HomeVisit(HomeVisit),
    FamilyContact(FamilyContact),
    Counselling(Counselling),
    Tutoring(Tutoring),
    LifeCare(Note),
    HomeTeaching(HomeTeaching),
    HealthCheck(HealthCheck),
    Birthday(Note),
    FileReview(Note),
    Other(Note),
}

/// Field name → what is wrong with it.
pub type CareFieldErrors = BTreeMap<&'static str, CareError>;

/// Reads fields one by one, noting every error instead of stopping at the first.
struct Reader<'a, F: Fn(&str) -> Option<&'a str>> {
    get: F,
    errors: CareFieldErrors,
}

impl<'a, F: Fn(&str) -> Option<&'a str>> Reader<'a, F> {
    fn raw(&self, field: &str) -> Option<&'a str> {
        (self.get)(field).map(str::trim).filter(|s| !s.is_empty())
    }

    fn note<T>(&mut self, field: &'static str, r: Result<T, CareError>) -> Option<T> {
        r.map_err(|e| self.errors.insert(field, e)).ok()
    }

    fn required<T>(
        &mut self,
        field: &'static str,
        parse: impl Fn(&str) -> Result<T, CareError>,
    ) -> Option<T> {
        let r = self.raw(field).ok_or(CareError::Required).and_then(parse);
        self.note(field, r)
    }

    /// `Ok(None)` when blank.
    fn optional<T>(
        &mut self,
        field: &'static str,
        parse: impl Fn(&str) -> Result<T, CareError>,
    ) -> Option<Option<T>> {
        let r = self.raw(field).map(parse).transpose();
        self.note(field, r)
    }
}

fn short(s: &str) -> Result<CareText, CareError> {
    CareText::bounded(s, MAX_SHORT_CHARS)
}

fn number<T: TryFrom<u32>>(s: &str, lo: u32, hi: u32, e: CareError) -> Result<T, CareError> {
    let n: u32 = crate::normalize_width(s).trim().parse().map_err(|_| e)?;
    if !(lo..=hi).contains(&n) {
        return Err(e);
    }
    T::try_from(n).map_err(|_| e)
}

impl CareBody {
    pub fn kind(&self) -> CareKind {
        match self {
            CareBody::Talk(_) => CareKind::Talk,
            CareBody::HomeVisit(_) => CareKind::HomeVisit,
            CareBody::FamilyContact(_) => CareKind::FamilyContact,
            CareBody::Counselling(_) => CareKind::Counselling,
            CareBody::Tutoring(_) => CareKind::Tutoring,
            CareBody::LifeCare(_) => CareKind::LifeCare,
            CareBody::HomeTeaching(_) => CareKind::HomeTeaching,
            CareBody::HealthCheck(_) => CareKind::HealthCheck,
            CareBody::Birthday(_) => CareKind::Birthday,
            CareBody::FileReview(_) => CareKind::FileReview,
            CareBody::Other(_) => CareKind::Other,
        }
    }

    /// Parses the fields of `kind` (named as in [`CareKind::fields`]) from text as a form or
    /// JSON sends it; fields of other kinds are ignored. Every bad field is reported.
    pub fn parse<'a>(
        kind: CareKind,
        get: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<CareBody, CareFieldErrors> {
        let mut r = Reader {
            get,
            errors: CareFieldErrors::new(),
        };
        let note = |r: &mut Reader<'a, _>, required: bool| {
            if required {
                r.required("note", CareText::parse)
                    .map(|n| Note { note: Some(n) })
            } else {
                r.optional("note", CareText::parse)
                    .map(|note| Note { note })
            }
        };
        let body = match kind {
            CareKind::Talk => {
                let topics = r.required("topics", CareText::parse);
                let mood = r.required("mood", Mood::parse);
                let follow_up = r.optional("follow_up", CareText::parse);
                match (topics, mood, follow_up) {
                    (Some(topics), Some(mood), Some(follow_up)) => Some(CareBody::Talk(Talk {
                        topics,
                        mood,
                        follow_up,
                    })),
                    _ => None,
                }
            }
            CareKind::HomeVisit => {
                let met = r.required("met", short);
                let living = r.optional("living", CareText::parse);
                let carer = r.optional("carer", CareText::parse);
                match (met, living, carer) {
                    (Some(met), Some(living), Some(carer)) => {
                        Some(CareBody::HomeVisit(HomeVisit { met, living, carer }))
                    }
                    _ => None,
                }
            }
            CareKind::FamilyContact => {
                let channel = r.required("channel", ContactChannel::parse);
                let direction = r.required("direction", ContactDirection::parse);
                let reported_by = r.required("reported_by", ContactReporter::parse);
                let note = r.optional("note", CareText::parse);
                match (channel, direction, reported_by, note) {
                    (Some(channel), Some(direction), Some(reported_by), Some(note)) => {
                        Some(CareBody::FamilyContact(FamilyContact {
                            channel,
                            direction,
                            reported_by,
                            note,
                        }))
                    }
                    _ => None,
                }
            }
            CareKind::Counselling => r
                .required("notes", CareText::parse)
                .map(|notes| CareBody::Counselling(Counselling { notes })),
            CareKind::Tutoring => {
                let subject = r.required("subject", short);
                let minutes = r.optional("minutes", |s| number(s, 1, 600, CareError::Minutes));
                let note = r.optional("note", CareText::parse);
                match (subject, minutes, note) {
                    (Some(subject), Some(minutes), Some(note)) => {
                        Some(CareBody::Tutoring(Tutoring {
                            subject,
                            minutes,
                            note,
                        }))
                    }
                    _ => None,
                }
            }
            CareKind::HomeTeaching => {
                let periods = r.required("periods", |s| number(s, 1, 20, CareError::Periods));
                let content = r.required("content", CareText::parse);
                match (periods, content) {
                    (Some(periods), Some(content)) => {
                        Some(CareBody::HomeTeaching(HomeTeaching { periods, content }))
                    }
                    _ => None,
                }
            }
            CareKind::HealthCheck => {
                let check = r.required("check", HealthCheckKind::parse);
                let result = r.required("result", CareText::parse);
                match (check, result) {
                    (Some(check), Some(result)) => {
                        Some(CareBody::HealthCheck(HealthCheck { check, result }))
                    }
                    _ => None,
                }
            }
            CareKind::LifeCare => note(&mut r, true).map(CareBody::LifeCare),
            CareKind::Other => note(&mut r, true).map(CareBody::Other),
            CareKind::Birthday => note(&mut r, false).map(CareBody::Birthday),
            CareKind::FileReview => note(&mut r, false).map(CareBody::FileReview),
        };
        match body {
            Some(body) if r.errors.is_empty() => Ok(body),
            _ => Err(r.errors),
        }
    }

    /// The body's fields as a form shows them (codes for choices), for an edit form.
    pub fn form_values(&self) -> BTreeMap<&'static str, String> {
        let mut out = BTreeMap::new();
        let mut put = |k: &'static str, v: Option<String>| {
            if let Some(v) = v {
                out.insert(k, v);
            }
        };
        let text = |t: &Option<CareText>| t.as_ref().map(|t| t.to_string());
        match self {
            CareBody::Talk(b) => {
                put("topics", Some(b.topics.to_string()));
                put("mood", Some(b.mood.code().to_owned()));
                put("follow_up", text(&b.follow_up));
            }
            CareBody::HomeVisit(b) => {
                put("met", Some(b.met.to_string()));
                put("living", text(&b.living));
                put("carer", text(&b.carer));
            }
            CareBody::FamilyContact(b) => {
                put("channel", Some(b.channel.code().to_owned()));
                put("direction", Some(b.direction.code().to_owned()));
                put("reported_by", Some(b.reported_by.code().to_owned()));
                put("note", text(&b.note));
            }
            CareBody::Counselling(b) => put("notes", Some(b.notes.to_string())),
            CareBody::Tutoring(b) => {
                put("subject", Some(b.subject.to_string()));
                put("minutes", b.minutes.map(|m| m.to_string()));
                put("note", text(&b.note));
            }
            CareBody::HomeTeaching(b) => {
                put("periods", Some(b.periods.to_string()));
                put("content", Some(b.content.to_string()));
            }
            CareBody::HealthCheck(b) => {
                put("check", Some(b.check.code().to_owned()));
                put("result", Some(b.result.to_string()));
            }
            CareBody::LifeCare(n)
            | CareBody::Birthday(n)
            | CareBody::FileReview(n)
            | CareBody::Other(n) => put("note", text(&n.note)),
        }
        out
    }
}

/// A record's date: a day, not after today (Asia/Shanghai); a record written up late keeps the
/// day the care happened.
pub fn parse_record_date(s: &str, today: NaiveDate) -> Result<NaiveDate, CareError> {
    let date = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| CareError::Date)?;
    if date > today {
        return Err(CareError::FutureDate);
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |k| pairs.iter().find(|(f, _)| *f == k).map(|(_, v)| *v)
    }

    #[test]
    fn choices_parse_their_spellings() {
        check_choice!(
            CareKind: "care_kind",
            Mood: "mood",
            ContactChannel: "contact_channel",
            ContactDirection: "contact_direction",
            ContactReporter: "contact_reporter",
            HealthCheckKind: "health_check_kind",
        );
        let codes: Vec<_> = CareKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(
            codes,
            [
                "talk",
                "home_visit",
                "family_contact",
                "counselling",
                "tutoring",
                "life_care",
                "home_teaching",
                "health_check",
                "birthday",
                "file_review",
                "other"
            ]
        );
    }

    #[test]
    fn a_talk_needs_topics_and_a_mood_only() {
        let body = CareBody::parse(
            CareKind::Talk,
            form(&[("topics", " 想妈妈 "), ("mood", "低落")]),
        )
        .unwrap();
        assert_eq!(body.kind(), CareKind::Talk);
        let CareBody::Talk(t) = &body else {
            panic!("a talk")
        };
        assert_eq!(
            (t.topics.as_str(), t.mood, &t.follow_up),
            ("想妈妈", Mood::Low, &None)
        );
        let errors = CareBody::parse(CareKind::Talk, form(&[("mood", "大笑")])).unwrap_err();
        assert_eq!(errors.get("topics"), Some(&CareError::Required));
        assert_eq!(errors.get("mood"), Some(&CareError::Mood));
    }

    #[test]
    fn every_bad_field_is_named() {
        let errors = CareBody::parse(
            CareKind::FamilyContact,
            form(&[("channel", "飞鸽"), ("direction", "孩子联系父母")]),
        )
        .unwrap_err();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors["channel"], CareError::Channel);
        assert_eq!(errors["reported_by"], CareError::Required);
        let errors = CareBody::parse(
            CareKind::HomeTeaching,
            form(&[("periods", "0"), ("content", "识字")]),
        )
        .unwrap_err();
        assert_eq!(errors["periods"], CareError::Periods);
        let ok = CareBody::parse(
            CareKind::HomeTeaching,
            form(&[("periods", "２"), ("content", "识字")]),
        )
        .unwrap();
        assert!(matches!(
            ok,
            CareBody::HomeTeaching(HomeTeaching { periods: 2, .. })
        ));
        let long = "字".repeat(2001);
        let errors = CareBody::parse(CareKind::Counselling, form(&[("notes", &long)])).unwrap_err();
        assert_eq!(errors["notes"], CareError::TooLong);
        assert!(CareBody::parse(CareKind::Birthday, form(&[])).is_ok());
        assert_eq!(
            CareBody::parse(CareKind::Other, form(&[])).unwrap_err()["note"],
            CareError::Required
        );
    }

    #[test]
    fn bodies_round_trip_through_json_and_the_form() {
        for kind in CareKind::ALL {
            let pairs = [
                ("topics", "学习"),
                ("mood", "calm"),
                ("follow_up", "下周再谈"),
                ("met", "祖母"),
                ("living", "砖房，整洁"),
                ("carer", "祖母腿脚不便"),
                ("channel", "video"),
                ("direction", "parent_to_child"),
                ("reported_by", "guardian"),
                ("notes", "第一行\r\n第二行"),
                ("subject", "数学"),
                ("minutes", "40"),
                ("periods", "2"),
                ("content", "识字"),
                ("check", "checkup"),
                ("result", "正常"),
                ("note", "送了蛋糕"),
            ];
            let body = CareBody::parse(kind, form(&pairs)).unwrap();
            assert_eq!(body.kind(), kind);
            let json = serde_json::to_value(&body).unwrap();
            assert_eq!(json["kind"], kind.code());
            assert_eq!(serde_json::from_value::<CareBody>(json).unwrap(), body);
            let values = body.form_values();
            let again = CareBody::parse(kind, |k| values.get(k).map(String::as_str)).unwrap();
            assert_eq!(again, body);
            for (field, _) in kind.fields() {
                assert!(pairs.iter().any(|(f, _)| f == field), "{field}");
            }
        }
    }

    #[test]
    fn confidentiality_and_volunteers() {
        assert!(CareKind::Counselling.confidential());
        assert!(!CareKind::Talk.confidential());
        assert!(CareKind::FamilyContact.volunteer_may() && CareKind::LifeCare.volunteer_may());
        assert!(!CareKind::Counselling.volunteer_may() && !CareKind::HealthCheck.volunteer_may());
        assert!(reads_confidential(Role::Principal) && !reads_confidential(Role::HeadTeacher));
    }

    #[test]
    fn record_dates_are_not_in_the_future() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(parse_record_date("2026-12-02", today), Ok(today));
        assert_eq!(
            parse_record_date("2026-12-03", today),
            Err(CareError::FutureDate)
        );
        assert_eq!(parse_record_date("12/02", today), Err(CareError::Date));
    }
}
