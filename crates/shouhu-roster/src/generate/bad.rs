//! The mistakes the generator plants, each in one cell, each of a kind a real roster has.

use std::borrow::Cow;

use chrono::{Datelike, Days, NaiveDate};

use crate::columns::Column;
use crate::export::{Cell, Form};

/// One kind of bad row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BadKind {
    /// The ID number's last character is not its GB 11643 check character.
    IdCheckChar,
    /// 出生日期 is not the birth date inside the ID number.
    BirthDateMismatch,
    /// 性别 is not the sex the ID number's 17th digit gives.
    SexMismatch,
    /// A phone with a digit dropped (the 花名册's 父亲联系电话, the 学籍 form's 联系电话).
    BadPhone,
    /// 姓名 left empty.
    EmptyName,
    /// The whole line of an earlier row again, as when a block is pasted twice.
    DuplicateId,
}

impl BadKind {
    pub const ALL: [BadKind; 6] = [
        BadKind::IdCheckChar,
        BadKind::BirthDateMismatch,
        BadKind::SexMismatch,
        BadKind::BadPhone,
        BadKind::EmptyName,
        BadKind::DuplicateId,
    ];

    /// `id_check_char`, … as the command line prints them.
    pub fn code(self) -> &'static str {
        match self {
            BadKind::IdCheckChar => "id_check_char",
            BadKind::BirthDateMismatch => "birth_date_mismatch",
            BadKind::SexMismatch => "sex_mismatch",
            BadKind::BadPhone => "bad_phone",
            BadKind::EmptyName => "empty_name",
            BadKind::DuplicateId => "duplicate_id",
        }
    }

    /// The column whose value is wrong; an import should put its message there.
    pub fn column(self, form: Form) -> Column {
        match self {
            BadKind::IdCheckChar | BadKind::DuplicateId => Column::IdNumber,
            BadKind::BirthDateMismatch => Column::BirthDate,
            BadKind::SexMismatch => Column::Sex,
            BadKind::EmptyName => Column::Name,
            BadKind::BadPhone => match form {
                Form::Mca => Column::FatherPhone,
                Form::Xueji => Column::ContactPhone,
            },
        }
    }
}

const CHECK_CHARS: &[u8; 11] = b"0123456789X";

/// Plants `kind` in `cells`; `tweak` is the row's random draw, which picks the wrong value.
pub(crate) fn plant(cells: &mut [Cell<'_>], form: Form, kind: BadKind, tweak: u32) {
    let Some(at) = form.position(kind.column(form)) else {
        return;
    };
    let cell = &mut cells[at];
    match kind {
        BadKind::IdCheckChar => {
            if let Cell::Text(id) = cell {
                let mut id = id.to_string();
                let last = id.pop().map_or(0, |c| c as u8);
                let i = CHECK_CHARS.iter().position(|&c| c == last).unwrap_or(0);
                // Any other of the eleven; the tweak keeps it from always being the next.
                let wrong = CHECK_CHARS[(i + 1 + (tweak % 10) as usize) % 11];
                id.push(char::from(wrong));
                *cell = Cell::Text(Cow::Owned(id));
            }
        }
        BadKind::BirthDateMismatch => {
            *cell = match &*cell {
                Cell::Date(d) => Cell::Date(shift(*d, tweak)),
                Cell::Text(t) => match parse_written(t) {
                    Some((d, style)) => Cell::Text(Cow::Owned(style.write(shift(d, tweak)))),
                    None => cell.clone(),
                },
                other => other.clone(),
            };
        }
        BadKind::SexMismatch => {
            let flipped = match cell.to_text().as_ref() {
                "男" => "女",
                "女" => "男",
                "1" => "2",
                _ => "1",
            };
            *cell = Cell::Text(Cow::Borrowed(flipped));
        }
        BadKind::BadPhone => {
            let mut phone = cell.to_text().into_owned();
            if phone.len() < 7 {
                // No phone recorded: a mobile typed one digit short.
                phone = format!("13{:08}", tweak % 100_000_000);
            } else {
                phone.pop();
            }
            *cell = Cell::Text(Cow::Owned(phone));
        }
        BadKind::EmptyName => *cell = Cell::Empty,
        BadKind::DuplicateId => {}
    }
}

/// A different day: 1 to 200 days earlier or later, never the same.
fn shift(date: NaiveDate, tweak: u32) -> NaiveDate {
    let days = Days::new(1 + u64::from(tweak % 200));
    let moved = if tweak & 0x8000_0000 == 0 {
        date.checked_add_days(days)
    } else {
        date.checked_sub_days(days)
    };
    moved.unwrap_or(date.succ_opt().unwrap_or(date))
}

/// How a date was written as text, so a wrong one is written the same way.
#[derive(Clone, Copy)]
pub(crate) enum DateStyle {
    /// 20150301, as the 学籍 system writes dates.
    Compact,
    /// 2015年3月1日, as people type them.
    Chinese,
    /// 2015-03-01.
    Iso,
}

impl DateStyle {
    pub(crate) fn write(self, d: NaiveDate) -> String {
        match self {
            DateStyle::Compact => d.format("%Y%m%d").to_string(),
            DateStyle::Chinese => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
            DateStyle::Iso => d.format("%Y-%m-%d").to_string(),
        }
    }
}

fn parse_written(text: &str) -> Option<(NaiveDate, DateStyle)> {
    [DateStyle::Compact, DateStyle::Iso]
        .into_iter()
        .find_map(|style| {
            let format = match style {
                DateStyle::Compact => "%Y%m%d",
                _ => "%Y-%m-%d",
            };
            NaiveDate::parse_from_str(text, format)
                .ok()
                .map(|d| (d, style))
        })
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y年%m月%d日")
                .ok()
                .map(|d| (d, DateStyle::Chinese))
        })
}
