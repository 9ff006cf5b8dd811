//! Reading single cells the ways rosters write them: dates as date cells, serial numbers or
//! text; 是/否 in its many spellings; the 学籍 codes the domain lists do not carry.

use std::sync::OnceLock;

use chrono::{Datelike, Days, NaiveDate};
use shouhu_domain::{
    AwayWork, Boarding, ChildFileError, FactText, IdDocType, Province, normalize_width,
};

use super::RowError;
use crate::read::Cell;

/// A date cell's value: a day, or only a year and month (出生年月 columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateValue {
    Day(NaiveDate),
    Month(i32, u32),
}

/// Excel serial days count from 1899-12-30, except below 61, where Excel's fictitious
/// 1900-02-29 (serial 60) shifts them by one.
fn from_serial(serial: u64) -> Option<NaiveDate> {
    let (base, days) = if serial >= 61 {
        (NaiveDate::from_ymd_opt(1899, 12, 30)?, serial)
    } else {
        (NaiveDate::from_ymd_opt(1899, 12, 31)?, serial)
    };
    base.checked_add_days(Days::new(days))
}

/// Largest serial Excel shows as a date (9999-12-31).
const MAX_SERIAL: u64 = 2_958_465;

fn ymd(y: u32, m: u32, d: u32) -> Result<DateValue, RowError> {
    let y = i32::try_from(y).map_err(|_| RowError::Date)?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(RowError::Date);
    }
    NaiveDate::from_ymd_opt(y, m, d)
        .map(DateValue::Day)
        .ok_or(RowError::NoSuchDay)
}

/// Reads 2015-3-1, 2015/03/01, 2015.3.1, 2015年3月1日, 20150301, 201503, a serial number, or
/// a date cell; a time after the date is ignored.
pub(crate) fn date(cell: &Cell) -> Result<DateValue, RowError> {
    match cell {
        Cell::Date(d) => Ok(DateValue::Day(*d)),
        Cell::Number(n) if *n >= 1.0 && n.is_finite() => {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // positive, finite
            let whole = n.floor() as u64;
            digits_date(&whole.to_string(), true)
        }
        Cell::Text(s) => text_date(s),
        _ => Err(RowError::Date),
    }
}

fn text_date(s: &str) -> Result<DateValue, RowError> {
    let s = normalize_width(s);
    let s = s.trim();
    // "2015-03-01 00:00:00" and "2015-03-01T00:00" as exported by other systems.
    let s = s.split([' ', 'T']).next().unwrap_or(s);
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return digits_date(s, false);
    }
    let parts: Vec<&str> = s
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    let numbers: Option<Vec<u32>> = parts
        .iter()
        .map(|p| {
            p.bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| p.parse().ok())?
        })
        .collect();
    // Two-digit years are left unread: 15-3-1 could be 1915 or 2015, or 3 January.
    match (numbers.as_deref(), parts.first().map(|p| p.len())) {
        (Some(&[y, m, d]), Some(4)) => ymd(y, m, d),
        (Some(&[y, m]), Some(4)) if (1..=12).contains(&m) => {
            let y = i32::try_from(y).map_err(|_| RowError::Date)?;
            Ok(DateValue::Month(y, m))
        }
        _ => Err(RowError::Date),
    }
}

/// Digits alone: 20150301, 201503, or a serial number that lost its date format. Typed as
/// text, only five digits are read as a serial (1927–2173), so that a year alone ("2015") is
/// not taken for a day in 1905.
fn digits_date(s: &str, number_cell: bool) -> Result<DateValue, RowError> {
    let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().map_err(|_| RowError::Date);
    match s.len() {
        8 => ymd(n(0..4)?, n(4..6)?, n(6..8)?),
        6 if (1..=12).contains(&n(4..6)?) && s.starts_with(['1', '2']) => {
            let y = i32::try_from(n(0..4)?).map_err(|_| RowError::Date)?;
            Ok(DateValue::Month(y, n(4..6)?))
        }
        5 => serial(s),
        1..=7 if number_cell => serial(s),
        _ => Err(RowError::Date),
    }
}

fn serial(s: &str) -> Result<DateValue, RowError> {
    s.parse::<u64>()
        .ok()
        .filter(|&v| (1..=MAX_SERIAL).contains(&v))
        .and_then(from_serial)
        .map(DateValue::Day)
        .ok_or(RowError::Date)
}

impl DateValue {
    /// The day, or the day of `fallback` when only the month was written and it agrees.
    pub(crate) fn day_or(self, fallback: Option<NaiveDate>) -> Result<NaiveDate, RowError> {
        match (self, fallback) {
            (DateValue::Day(d), _) => Ok(d),
            (DateValue::Month(y, m), Some(f)) if f.year() == y && f.month() == m => Ok(f),
            (DateValue::Month(..), Some(_)) => {
                Err(RowError::File(ChildFileError::BirthDateMismatch))
            }
            (DateValue::Month(..), None) => Err(RowError::MonthOnly),
        }
    }
}

/// 是/否 as rosters write it; `None` for a value that is neither.
pub(crate) fn yes_no(cell: &Cell) -> Option<bool> {
    match cell {
        Cell::Bool(b) => Some(*b),
        Cell::Number(n) if *n == 1.0 => Some(true),
        Cell::Number(n) if *n == 0.0 => Some(false),
        Cell::Text(s) => match normalize_width(s).trim().to_ascii_lowercase().as_str() {
            "是" | "是的" | "有" | "√" | "✓" | "✔" | "1" | "y" | "yes" | "true" => {
                Some(true)
            }
            "否" | "不是" | "无" | "没有" | "×" | "✗" | "✘" | "0" | "n" | "no" | "false" => {
                Some(false)
            }
            _ => None,
        },
        _ => None,
    }
}

/// 就读方式 in its 学籍 codes (1 走读, 2 住校) or words; under a 是否寄宿 header, 是/否.
pub(crate) fn boarding(value: &Cell, yes_no_header: bool) -> Result<Boarding, RowError> {
    let text = value.display();
    if yes_no_header && let Some(yes) = yes_no(value) {
        return Ok(if yes {
            Boarding::Boarder
        } else {
            Boarding::DayPupil
        });
    }
    match normalize_width(&text).trim() {
        "1" => Ok(Boarding::DayPupil),
        "2" => Ok(Boarding::Boarder),
        other => Boarding::parse(other).map_err(RowError::Fact),
    }
}

/// 身份证件类型, with the 学籍 code 1 for 居民身份证.
pub(crate) fn id_doc_type(text: &str) -> Result<IdDocType, RowError> {
    match normalize_width(text).trim() {
        "1" => Ok(IdDocType::ResidentIdCard),
        other => IdDocType::parse(other).map_err(RowError::Fact),
    }
}

/// Every province's full and short name, longest first, so "内蒙古自治区" wins over "内蒙古".
/// Built once: this runs for two cells of every row of a million-row import.
fn province_names() -> &'static [(Province, &'static str)] {
    static NAMES: OnceLock<Vec<(Province, &'static str)>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<_> = Province::all()
            .flat_map(|p| [(p, p.name_zh()), (p, p.short_name_zh())])
            .collect();
        names.sort_by_key(|(_, name)| std::cmp::Reverse(name.len()));
        names
    })
}

/// Work places that say the parent is not away.
const AT_HOME: [&str; 10] = [
    "无",
    "本地",
    "在家",
    "本村",
    "本乡",
    "未外出",
    "无外出",
    "/",
    "-",
    "—",
];

/// 务工地点 such as "广东省东莞市": the province, if the text starts with one, and the rest as
/// the city. `None` when the text says the parent is at home.
pub(crate) fn work_place(text: &str) -> Result<Option<AwayWork>, RowError> {
    let text = text.trim();
    if AT_HOME.contains(&text) {
        return Ok(None);
    }
    let province = province_names()
        .iter()
        .find(|(_, name)| text.starts_with(name));
    let (province, rest) = match province {
        Some(&(p, name)) => (Some(p), &text[name.len()..]),
        None => (None, text),
    };
    let rest = rest.trim();
    let city = if rest.is_empty() {
        None
    } else {
        Some(FactText::parse(rest).map_err(RowError::Fact)?)
    };
    Ok(Some(AwayWork {
        province,
        city,
        ..AwayWork::default()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> Result<DateValue, RowError> {
        Ok(DateValue::Day(NaiveDate::from_ymd_opt(y, m, d).unwrap()))
    }

    fn text(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }

    #[test]
    fn dates_in_every_spelling() {
        for s in [
            "2015-3-1",
            "2015/03/01",
            "2015.3.1",
            "2015年3月1日",
            "20150301",
            "２０１５－０３－０１",
            "2015-03-01 00:00:00",
            "42064",
        ] {
            assert_eq!(date(&text(s)), day(2015, 3, 1), "{s}");
        }
        assert_eq!(date(&Cell::Number(42064.0)), day(2015, 3, 1));
        assert_eq!(date(&Cell::Number(20150301.0)), day(2015, 3, 1));
        assert_eq!(date(&text("2015年3月")), Ok(DateValue::Month(2015, 3)));
        assert_eq!(date(&text("2015.03")), Ok(DateValue::Month(2015, 3)));
        assert_eq!(date(&text("201503")), Ok(DateValue::Month(2015, 3)));
        assert_eq!(date(&text("2015-02-30")), Err(RowError::NoSuchDay));
        assert_eq!(date(&text("15-3-1")), Err(RowError::Date));
        assert_eq!(date(&text("三月一日")), Err(RowError::Date));
        assert_eq!(date(&text("2015")), Err(RowError::Date));
        assert_eq!(date(&text("2015-13-01")), Err(RowError::Date));
        // Excel's serials before its fictitious 1900-02-29.
        assert_eq!(date(&Cell::Number(1.0)), day(1900, 1, 1));
        assert_eq!(date(&Cell::Number(61.0)), day(1900, 3, 1));
    }

    #[test]
    fn a_month_takes_the_day_from_the_id() {
        let id_day = NaiveDate::from_ymd_opt(2015, 3, 9);
        let month = DateValue::Month(2015, 3);
        assert_eq!(month.day_or(id_day), Ok(id_day.unwrap()));
        assert_eq!(month.day_or(None), Err(RowError::MonthOnly));
        let other = DateValue::Month(2015, 4).day_or(id_day);
        assert_eq!(
            other,
            Err(RowError::File(ChildFileError::BirthDateMismatch))
        );
    }

    #[test]
    fn yes_and_no() {
        for s in ["是", "√", "1", "Y"] {
            assert_eq!(yes_no(&text(s)), Some(true), "{s}");
        }
        for s in ["否", "0", "×", "无"] {
            assert_eq!(yes_no(&text(s)), Some(false), "{s}");
        }
        assert_eq!(yes_no(&Cell::Number(1.0)), Some(true));
        assert_eq!(yes_no(&text("可能")), None);
        assert_eq!(yes_no(&Cell::Empty), None);
    }

    #[test]
    fn coded_values() {
        assert_eq!(boarding(&text("1"), false), Ok(Boarding::DayPupil));
        assert_eq!(boarding(&text("2"), false), Ok(Boarding::Boarder));
        assert_eq!(boarding(&text("1"), true), Ok(Boarding::Boarder));
        assert_eq!(boarding(&text("否"), true), Ok(Boarding::DayPupil));
        assert_eq!(boarding(&text("住校"), true), Ok(Boarding::Boarder));
        assert!(boarding(&text("3"), false).is_err());
        assert_eq!(id_doc_type("1"), Ok(IdDocType::ResidentIdCard));
        assert_eq!(id_doc_type("护照"), Ok(IdDocType::Passport));
    }

    #[test]
    fn work_places() {
        let w = work_place("广东省东莞市").unwrap().unwrap();
        assert_eq!(w.province, Province::parse("广东").ok());
        assert_eq!(w.city.unwrap().as_str(), "东莞市");
        let w = work_place("上海市上海市").unwrap().unwrap();
        assert_eq!(w.province, Province::parse("上海").ok());
        let w = work_place("浙江义乌").unwrap().unwrap();
        assert_eq!(w.city.unwrap().as_str(), "义乌");
        let w = work_place("东莞").unwrap().unwrap();
        assert_eq!((w.province, w.city.unwrap().as_str()), (None, "东莞"));
        assert_eq!(work_place("本地"), Ok(None));
        let w = work_place("广东").unwrap().unwrap();
        assert!(w.province.is_some() && w.city.is_none());
    }
}
