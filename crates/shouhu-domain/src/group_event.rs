//! Group events (监护人会议, 座谈会, 家长学校, 主题班会): what kind, the title, the minutes and who came.
//! The kind codes are named by duty rules, so they never change.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{PersonName, normalize_width};

/// Longest title: one line, as a sign-in sheet heads it.
const TITLE_MAX: usize = 60;
/// Longest minutes (会议纪要): a few pages typed on a phone or pasted from a document.
const MINUTES_MAX: usize = 10_000;
/// Longest relation (祖父, 外婆, 委托监护人 …).
const RELATION_MAX: usize = 10;
/// More guardians than a school hall holds is a typing slip.
const GUARDIANS_MAX: u32 = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GroupEventError {
    #[error("活动类型应为监护人会议、座谈会、家长学校或主题班会")]
    Kind,
    #[error("请填写活动主题")]
    TitleEmpty,
    #[error("活动主题不能超过 60 个字")]
    TitleTooLong,
    #[error("活动主题只能是一行文字")]
    TitleCharacter,
    #[error("会议记录不能超过 10000 个字")]
    MinutesTooLong,
    #[error("会议记录中含有控制字符")]
    MinutesCharacter,
    #[error("到会监护人应每行写一人：姓名 关系，如“单大山 祖父”")]
    GuardianLine,
    #[error("监护人姓名有误")]
    GuardianName,
    #[error("与学生关系不能超过 10 个字")]
    GuardianRelation,
    #[error("到会监护人人数不能少于列出的姓名数")]
    GuardianCountLow,
    #[error("到会监护人人数过多")]
    GuardianCountHigh,
    #[error("活动日期不能晚于今天")]
    FutureDate,
    #[error("主题班会须选定班级")]
    ClassRequired,
}

impl GroupEventError {
    pub const ALL: [GroupEventError; 13] = [
        Self::Kind,
        Self::TitleEmpty,
        Self::TitleTooLong,
        Self::TitleCharacter,
        Self::MinutesTooLong,
        Self::MinutesCharacter,
        Self::GuardianLine,
        Self::GuardianName,
        Self::GuardianRelation,
        Self::GuardianCountLow,
        Self::GuardianCountHigh,
        Self::FutureDate,
        Self::ClassRequired,
    ];

    pub fn code(&self) -> &'static str {
        match self {
            Self::Kind => "event_kind.unknown",
            Self::TitleEmpty => "group_event.title_empty",
            Self::TitleTooLong => "group_event.title_too_long",
            Self::TitleCharacter => "group_event.title_character",
            Self::MinutesTooLong => "group_event.minutes_too_long",
            Self::MinutesCharacter => "group_event.minutes_character",
            Self::GuardianLine => "group_event.guardian_line",
            Self::GuardianName => "group_event.guardian_name",
            Self::GuardianRelation => "group_event.guardian_relation",
            Self::GuardianCountLow => "group_event.guardian_count_low",
            Self::GuardianCountHigh => "group_event.guardian_count_high",
            Self::FutureDate => "group_event.future_date",
            Self::ClassRequired => "group_event.class_required",
        }
    }

    /// The form or API field the error belongs to.
    pub fn field(&self) -> &'static str {
        match self {
            Self::Kind => "kind",
            Self::TitleEmpty | Self::TitleTooLong | Self::TitleCharacter => "title",
            Self::MinutesTooLong | Self::MinutesCharacter => "minutes",
            Self::GuardianLine | Self::GuardianName | Self::GuardianRelation => "guardians",
            Self::GuardianCountLow | Self::GuardianCountHigh => "guardian_count",
            Self::FutureDate => "date",
            Self::ClassRequired => "class_id",
        }
    }
}

choice! {
    /// The kinds of group event the duty rules count; 监护人会议 is the principal's termly duty.
    pub enum EventKind: "event_kind", GroupEventError::Kind {
        GuardianMeeting = "guardian_meeting", "监护人会议", ["家长会", "监护人会"];
        Forum = "forum", "座谈会";
        ParentSchool = "parent_school", "家长学校";
        ClassMeeting = "class_meeting", "主题班会", ["班会"];
    }
}

impl EventKind {
    /// A 主题班会 is held by one class; the others may be the whole school's.
    pub fn needs_class(self) -> bool {
        self == EventKind::ClassMeeting
    }
}

/// A guardian who came, as the sign-in sheet lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardianAttending {
    pub name: PersonName,
    /// Relation to the child (祖父, 母亲 …); may be empty.
    #[serde(default)]
    pub relation: String,
}

impl GuardianAttending {
    pub fn parse(name: &str, relation: &str) -> Result<GuardianAttending, GroupEventError> {
        let name = PersonName::parse(name).map_err(|_| GroupEventError::GuardianName)?;
        let relation = normalize_width(relation).trim().to_owned();
        if relation.chars().count() > RELATION_MAX || relation.chars().any(char::is_control) {
            return Err(GroupEventError::GuardianRelation);
        }
        Ok(GuardianAttending { name, relation })
    }
}

/// The sealed part of an event: the minutes and the guardians who came. The title, kind and
/// date stay plain for lists and duties.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EventBody {
    #[serde(default)]
    pub minutes: String,
    #[serde(default)]
    pub guardians: Vec<GuardianAttending>,
    /// Guardians present, counted: often more than were written down by name.
    #[serde(default)]
    pub guardian_count: u32,
}

impl EventBody {
    /// Checks the minutes and the count; `guardian_count` defaults to the names listed.
    pub fn new(
        minutes: &str,
        guardians: Vec<GuardianAttending>,
        guardian_count: Option<u32>,
    ) -> Result<EventBody, GroupEventError> {
        let minutes = long_text(minutes, MINUTES_MAX).map_err(|too_long| {
            if too_long {
                GroupEventError::MinutesTooLong
            } else {
                GroupEventError::MinutesCharacter
            }
        })?;
        let named = u32::try_from(guardians.len()).unwrap_or(u32::MAX);
        let count = guardian_count.unwrap_or(named);
        if count < named {
            return Err(GroupEventError::GuardianCountLow);
        }
        if count > GUARDIANS_MAX {
            return Err(GroupEventError::GuardianCountHigh);
        }
        Ok(EventBody {
            minutes,
            guardians,
            guardian_count: count,
        })
    }
}

/// A title: one line, not empty.
pub fn parse_title(s: &str) -> Result<String, GroupEventError> {
    let title = s.trim();
    if title.is_empty() {
        return Err(GroupEventError::TitleEmpty);
    }
    if title.chars().any(char::is_control) {
        return Err(GroupEventError::TitleCharacter);
    }
    if title.chars().count() > TITLE_MAX {
        return Err(GroupEventError::TitleTooLong);
    }
    Ok(title.to_owned())
}

/// Events are written up after they happen, so a date after today is a slip.
pub fn check_date(date: NaiveDate, today: NaiveDate) -> Result<(), GroupEventError> {
    if date > today {
        Err(GroupEventError::FutureDate)
    } else {
        Ok(())
    }
}

/// Reads guardians typed one per line, "姓名 关系" (also "姓名，关系" or "姓名（关系）"); blank
/// lines are skipped.
pub fn parse_guardian_lines(text: &str) -> Result<Vec<GuardianAttending>, GroupEventError> {
    let text = normalize_width(text);
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let line = line.trim_end_matches(')');
        let (name, relation) = match line.split_once([' ', '\t', ',', '(', '、', ':']) {
            Some((name, relation)) => (name.trim(), relation.trim()),
            None => (line, ""),
        };
        if name.is_empty() {
            return Err(GroupEventError::GuardianLine);
        }
        out.push(GuardianAttending::parse(name, relation)?);
    }
    Ok(out)
}

/// The form's text for a list of guardians, one per line.
pub fn guardian_lines(guardians: &[GuardianAttending]) -> String {
    guardians
        .iter()
        .map(|g| {
            if g.relation.is_empty() {
                g.name.as_str().to_owned()
            } else {
                format!("{} {}", g.name.as_str(), g.relation)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Multi-line free text: line breaks kept (as `\n`), other control characters refused; `Err(true)`
/// when too long, `Err(false)` for a bad character.
pub(crate) fn long_text(s: &str, max: usize) -> Result<String, bool> {
    let text = s.replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim();
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(false);
    }
    if text.chars().count() > max {
        return Err(true);
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_keep_the_codes_duty_rules_name() {
        check_choice!(EventKind: "event_kind");
        let codes = EventKind::ALL.map(EventKind::code);
        assert_eq!(
            codes,
            [
                "guardian_meeting",
                "forum",
                "parent_school",
                "class_meeting"
            ]
        );
        assert_eq!(EventKind::parse("家长会"), Ok(EventKind::GuardianMeeting));
        assert!(EventKind::ClassMeeting.needs_class() && !EventKind::Forum.needs_class());
    }

    #[test]
    fn guardians_are_read_one_per_line() {
        let list = parse_guardian_lines("单大山 祖父\n\n 李秀英，母亲\n王芳(外婆)\n张三").unwrap();
        let pairs: Vec<(&str, &str)> = list
            .iter()
            .map(|g| (g.name.as_str(), g.relation.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("单大山", "祖父"),
                ("李秀英", "母亲"),
                ("王芳", "外婆"),
                ("张三", "")
            ]
        );
        assert_eq!(
            parse_guardian_lines(&guardian_lines(&list)).unwrap(),
            list,
            "the form's text reads back the same"
        );
        assert_eq!(
            parse_guardian_lines("单大山 祖父的远房表哥的朋友们"),
            Err(GroupEventError::GuardianRelation)
        );
        assert_eq!(
            parse_guardian_lines("1234 父亲"),
            Err(GroupEventError::GuardianName)
        );
    }

    #[test]
    fn bodies_count_at_least_the_guardians_named() {
        let two = parse_guardian_lines("单大山 祖父\n李秀英 母亲").unwrap();
        let body = EventBody::new(" 纪要\r\n第二行 ", two.clone(), None).unwrap();
        assert_eq!(body.minutes, "纪要\n第二行");
        assert_eq!(body.guardian_count, 2);
        assert_eq!(
            EventBody::new("", two.clone(), Some(30))
                .unwrap()
                .guardian_count,
            30
        );
        assert_eq!(
            EventBody::new("", two, Some(1)),
            Err(GroupEventError::GuardianCountLow)
        );
        assert_eq!(
            EventBody::new("a\u{7}b", Vec::new(), None),
            Err(GroupEventError::MinutesCharacter)
        );
        assert_eq!(
            EventBody::new(&"字".repeat(10_001), Vec::new(), None),
            Err(GroupEventError::MinutesTooLong)
        );
    }

    #[test]
    fn titles_and_dates() {
        assert_eq!(parse_title("  秋季监护人会议 ").unwrap(), "秋季监护人会议");
        assert_eq!(parse_title(" "), Err(GroupEventError::TitleEmpty));
        assert_eq!(parse_title("a\nb"), Err(GroupEventError::TitleCharacter));
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert!(check_date(today, today).is_ok());
        assert_eq!(
            check_date(today.succ_opt().unwrap(), today),
            Err(GroupEventError::FutureDate)
        );
        for e in GroupEventError::ALL {
            assert!(!e.field().is_empty() && e.code().contains('.'));
        }
    }
}
