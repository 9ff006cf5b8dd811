//! Schools, grades and school years as the education system names them.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::normalize_width;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SchoolKind {
    Kindergarten,
    Primary,
    Junior,
    NineYear,
    /// 完全中学: junior and senior secondary together.
    Complete,
}

/// -2 小班, -1 中班, 0 大班, then 1–12 (7–9 初中, 10–12 高中). Serialised as that number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i8", into = "i8")]
pub struct Grade(i8);

/// A school year, named by the calendar year in which it starts on 1 September.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SchoolYear(i32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchoolError {
    #[error("未知的学校类型")]
    UnknownKind,
    #[error("无法识别的年级")]
    Grade,
    #[error("学年应写作 2026-2027 的形式")]
    SchoolYear,
}

impl SchoolError {
    pub fn code(&self) -> &'static str {
        match self {
            SchoolError::UnknownKind => "school_kind.unknown",
            SchoolError::Grade => "grade.invalid",
            SchoolError::SchoolYear => "school_year.invalid",
        }
    }
}

impl SchoolKind {
    pub const ALL: [SchoolKind; 5] = [
        SchoolKind::Kindergarten,
        SchoolKind::Primary,
        SchoolKind::Junior,
        SchoolKind::NineYear,
        SchoolKind::Complete,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SchoolKind::Kindergarten => "kindergarten",
            SchoolKind::Primary => "primary",
            SchoolKind::Junior => "junior",
            SchoolKind::NineYear => "nine_year",
            SchoolKind::Complete => "complete",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            SchoolKind::Kindergarten => "幼儿园",
            SchoolKind::Primary => "小学",
            SchoolKind::Junior => "初中",
            SchoolKind::NineYear => "九年一贯制",
            SchoolKind::Complete => "完全中学",
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            SchoolKind::Kindergarten => "school_kind.kindergarten",
            SchoolKind::Primary => "school_kind.primary",
            SchoolKind::Junior => "school_kind.junior",
            SchoolKind::NineYear => "school_kind.nine_year",
            SchoolKind::Complete => "school_kind.complete",
        }
    }

    /// Accepts the code or the Chinese label.
    pub fn parse(s: &str) -> Result<SchoolKind, SchoolError> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|k| k.code() == s || k.label_zh() == s)
            .ok_or(SchoolError::UnknownKind)
    }

    pub fn teaches(self, grade: Grade) -> bool {
        let range = match self {
            SchoolKind::Kindergarten => -2..=0,
            SchoolKind::Primary => 1..=6,
            SchoolKind::Junior => 7..=9,
            SchoolKind::NineYear => 1..=9,
            SchoolKind::Complete => 7..=12,
        };
        range.contains(&grade.0)
    }
}

const NUMERALS: [&str; 12] = [
    "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二",
];

/// Arabic or Chinese numerals from 1 to 12.
fn small_number(s: &str) -> Option<i8> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    NUMERALS
        .iter()
        .position(|&n| n == s)
        .and_then(|i| i8::try_from(i + 1).ok())
}

impl Grade {
    pub fn new(number: i8) -> Result<Grade, SchoolError> {
        if (-2..=12).contains(&number) {
            Ok(Grade(number))
        } else {
            Err(SchoolError::Grade)
        }
    }

    /// Accepts 一年级/七年级/初一/高三/小学三年级/小班 and the like, plain numbers 1–10, and
    /// 学籍 codes (11–16 小学, 21–23 初中, 31–33 高中). Two-digit numbers are always read as
    /// 学籍 codes, so "11" is 一年级: write 高二 (or use `Grade::new`) for grade 11.
    pub fn parse(s: &str) -> Result<Grade, SchoolError> {
        let s: String = normalize_width(s)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let number = match s.as_str() {
            "小班" => Some(-2),
            "中班" => Some(-1),
            "大班" => Some(0),
            digits if digits.bytes().all(|b| b.is_ascii_digit()) => match digits.parse::<i8>() {
                Ok(n @ 1..=10) => Some(n),
                Ok(n @ 11..=16) => Some(n - 10),
                Ok(n @ 21..=23) => Some(n - 14),
                Ok(n @ 31..=33) => Some(n - 21),
                _ => None,
            },
            named => {
                const STAGES: [(&str, i8, i8); 5] = [
                    ("小学", 0, 6),
                    ("初中", 6, 3),
                    ("高中", 9, 3),
                    ("初", 6, 3),
                    ("高", 9, 3),
                ];
                let (rest, offset, max) = STAGES
                    .iter()
                    .find_map(|&(p, offset, max)| named.strip_prefix(p).map(|r| (r, offset, max)))
                    .unwrap_or((named, 0, 12));
                let rest = rest.strip_suffix("年级").unwrap_or(rest);
                small_number(rest)
                    .filter(|n| (1..=max).contains(n))
                    .map(|n| n + offset)
            }
        };
        number.map(Grade).ok_or(SchoolError::Grade)
    }

    pub fn number(self) -> i8 {
        self.0
    }

    pub fn next(self) -> Option<Grade> {
        (self.0 < 12).then_some(Grade(self.0 + 1))
    }

    /// 义务教育: grades 1 to 9.
    pub fn is_compulsory(self) -> bool {
        (1..=9).contains(&self.0)
    }
}

impl TryFrom<i8> for Grade {
    type Error = SchoolError;
    fn try_from(n: i8) -> Result<Self, Self::Error> {
        Grade::new(n)
    }
}

impl From<Grade> for i8 {
    fn from(g: Grade) -> i8 {
        g.0
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            -2 => f.write_str("小班"),
            -1 => f.write_str("中班"),
            0 => f.write_str("大班"),
            n @ 1..=9 => write!(f, "{}年级", NUMERALS[n as usize - 1]),
            n => write!(f, "高{}", NUMERALS[(n - 10).clamp(0, 2) as usize]),
        }
    }
}

impl SchoolYear {
    pub fn new(start_year: i32) -> SchoolYear {
        SchoolYear(start_year)
    }

    /// Accepts `2026-2027` (also with `/` or `至`) or just the starting year `2026`.
    pub fn parse(s: &str) -> Result<SchoolYear, SchoolError> {
        let s = normalize_width(s);
        let year = |y: &str| {
            y.trim()
                .parse::<i32>()
                .ok()
                .filter(|y| (1900..=2999).contains(y))
        };
        let start = match s.split_once(['-', '/', '–', '—', '至']) {
            Some((a, b)) => year(a).filter(|&a| year(b) == Some(a + 1)),
            None => year(&s),
        };
        start.map(SchoolYear).ok_or(SchoolError::SchoolYear)
    }

    pub fn start_year(self) -> i32 {
        self.0
    }

    /// The school year a date falls in; 1 September starts a new one.
    pub fn containing(date: NaiveDate) -> SchoolYear {
        SchoolYear(if date.month() >= 9 {
            date.year()
        } else {
            date.year() - 1
        })
    }
}

impl fmt::Display for SchoolYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.0, self.0 + 1)
    }
}

string_form!(SchoolYear, SchoolError);

#[cfg(test)]
mod tests {
    use super::*;

    fn grade(s: &str) -> i8 {
        Grade::parse(s).unwrap().number()
    }

    #[test]
    fn grade_spellings() {
        let cases: [(i8, &[&str]); 10] = [
            (-2, &["小班"]),
            (-1, &["中班"]),
            (0, &["大班"]),
            (1, &["1", "一年级", "11", "１", " 一 年级 "]),
            (3, &["三年级", "13", "小学三年级", "3年级"]),
            (6, &["16", "小学六年级", "六年级"]),
            (7, &["七年级", "7年级", "初一", "初中一年级", "21"]),
            (9, &["九年级", "初三", "23"]),
            (10, &["10", "高一", "高中一年级", "31"]),
            (12, &["高三", "十二年级", "33"]),
        ];
        for (n, spellings) in cases {
            for s in spellings {
                assert_eq!(grade(s), n, "{s:?}");
            }
        }
        let rejected = "|0|17|20|24|34|高四|初四|小学七年级|年级|+1|学前班";
        for s in rejected.split('|') {
            assert_eq!(Grade::parse(s), Err(SchoolError::Grade), "{s:?}");
        }
    }

    #[test]
    fn grade_display_and_order() {
        let all: Vec<Grade> = std::iter::successors(Grade::new(-2).ok(), |g| g.next()).collect();
        assert_eq!(all.len(), 15);
        for g in &all {
            assert_eq!(Grade::parse(&g.to_string()).as_ref(), Ok(g), "{g}");
        }
        let shown: Vec<String> = all.iter().map(Grade::to_string).collect();
        assert_eq!(shown[0], "小班");
        assert_eq!(shown[2], "大班");
        assert_eq!(shown[3], "一年级");
        assert_eq!(shown[9], "七年级");
        assert_eq!(shown[12], "高一");
        assert_eq!(shown[14], "高三");
        let compulsory = all.iter().filter(|g| g.is_compulsory()).count();
        assert_eq!(compulsory, 9);
        assert_eq!(Grade::new(13), Err(SchoolError::Grade));
    }

    #[test]
    fn school_kinds() {
        for kind in SchoolKind::ALL {
            assert_eq!(SchoolKind::parse(kind.code()), Ok(kind));
            assert_eq!(SchoolKind::parse(kind.label_zh()), Ok(kind));
        }
        assert_eq!(SchoolKind::parse("大学"), Err(SchoolError::UnknownKind));
        let g = |n| Grade::new(n).unwrap();
        assert!(SchoolKind::Kindergarten.teaches(g(-2)) && !SchoolKind::Kindergarten.teaches(g(1)));
        assert!(SchoolKind::Primary.teaches(g(6)) && !SchoolKind::Primary.teaches(g(7)));
        assert!(SchoolKind::Junior.teaches(g(7)) && !SchoolKind::Junior.teaches(g(10)));
        assert!(SchoolKind::NineYear.teaches(g(1)) && SchoolKind::NineYear.teaches(g(9)));
        assert!(SchoolKind::Complete.teaches(g(12)) && !SchoolKind::Complete.teaches(g(6)));
    }

    #[test]
    fn school_years() {
        let y = SchoolYear::parse("2026-2027").unwrap();
        assert_eq!(
            (y.start_year(), y.to_string()),
            (2026, "2026-2027".to_owned())
        );
        assert_eq!(SchoolYear::parse("2026"), Ok(y));
        assert_eq!(SchoolYear::parse(" 2026 / 2027 "), Ok(y));
        assert_eq!(SchoolYear::parse("２０２６－２０２７"), Ok(y));
        for s in ["2026-2028", "26-27", "二〇二六", "", "2026-"] {
            assert_eq!(SchoolYear::parse(s), Err(SchoolError::SchoolYear), "{s:?}");
        }
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert_eq!(SchoolYear::containing(day(8, 31)), SchoolYear::new(2025));
        assert_eq!(SchoolYear::containing(day(9, 1)), y);
    }
}
