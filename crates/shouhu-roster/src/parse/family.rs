//! Parents, the entrusted carer, and the sheet's own 留守 code checked against them.

use chrono::{Months, NaiveDate};
use shouhu_domain::{
    ChildFile, Disqualifications, Entrustment, Grade, Parent, XuejiLeftBehind, xueji_code,
};

use super::RowContext;
use super::error::RowError;
use super::row::RowReader;
use super::values::{self, DateValue};
use crate::Column;

/// The columns about one parent.
struct ParentColumns {
    name: Column,
    id: Column,
    place: Column,
    since: Column,
    phone: Column,
}

const FATHER: ParentColumns = ParentColumns {
    name: Column::FatherName,
    id: Column::FatherIdNumber,
    place: Column::FatherWorkPlace,
    since: Column::FatherAwaySince,
    phone: Column::FatherPhone,
};

const MOTHER: ParentColumns = ParentColumns {
    name: Column::MotherName,
    id: Column::MotherIdNumber,
    place: Column::MotherWorkPlace,
    since: Column::MotherAwaySince,
    phone: Column::MotherPhone,
};

/// Columns that say whether parents are away; without any, the sheet's 留守 code cannot be
/// compared with anything.
const AWAY_COLUMNS: [Column; 5] = [
    Column::FatherWorkPlace,
    Column::FatherAwaySince,
    Column::MotherWorkPlace,
    Column::MotherAwaySince,
    Column::BothParentsAway,
];

/// Father and mother. A parent with a work place or a leaving date is away; 父母双方同时外出
/// 是 makes both away even where the place is blank.
pub(super) fn parents(r: &mut RowReader<'_>, ctx: &RowContext) -> (Option<Parent>, Option<Parent>) {
    let both = match r.cell(Column::BothParentsAway) {
        c if c.is_empty() => None,
        c => {
            let yes = values::yes_no(c);
            if yes.is_none() {
                r.problem(Column::BothParentsAway, RowError::YesNo);
            }
            yes
        }
    };
    let father = parent(r, &FATHER, both, ctx);
    let mother = parent(r, &MOTHER, both, ctx);
    let placed = |c: Column, r: &RowReader<'_>| !r.cell(c).is_empty();
    if both == Some(false)
        && placed(FATHER.place, r)
        && placed(MOTHER.place, r)
        && [&father, &mother]
            .iter()
            .all(|p| p.as_ref().is_some_and(|p| p.away.is_some()))
    {
        r.warn(Column::BothParentsAway, RowError::BothAwayDisagrees);
    }
    (father, mother)
}

fn parent(
    r: &mut RowReader<'_>,
    cols: &ParentColumns,
    both_away: Option<bool>,
    ctx: &RowContext,
) -> Option<Parent> {
    let name = r.person(cols.name);
    let id_number = r.id_number(cols.id, ctx);
    let phone = r.phone(cols.phone);
    let mut away = r.parse(cols.place, values::work_place).flatten();
    // 外出时间 is often only a month ("2024年2月"): its first day is near enough.
    let since = r.date(cols.since).map(|d| match d {
        DateValue::Day(d) => Some(d),
        DateValue::Month(y, m) => NaiveDate::from_ymd_opt(y, m, 1),
    });
    if let Some(since) = since.flatten() {
        away.get_or_insert_default().since = Some(since);
    }
    if both_away == Some(true) {
        away.get_or_insert_default();
    }
    let any = name.is_some() || id_number.is_some() || phone.is_some() || away.is_some();
    any.then(|| Parent {
        name,
        birth_date: id_number.as_ref().map(shouhu_domain::IdCardNo::birth_date),
        id_number,
        phone,
        away,
        cannot_guard: None,
    })
}

/// 委托监护人: needs a name and the relation to the child once anything about them is written.
pub(super) fn entrustment(r: &mut RowReader<'_>) -> Option<Entrustment> {
    let cols = [
        Column::EntrustedName,
        Column::EntrustedRelation,
        Column::EntrustedPhone,
    ];
    if cols.iter().all(|&c| r.cell(c).is_empty()) {
        return None;
    }
    let name = r.person(Column::EntrustedName);
    let relation = r.text(Column::EntrustedRelation);
    let phone = r.phone(Column::EntrustedPhone);
    if r.cell(Column::EntrustedName).is_empty() {
        r.problem(Column::EntrustedName, RowError::EntrustedName);
    } else if r.cell(Column::EntrustedRelation).is_empty() {
        r.problem(Column::EntrustedRelation, RowError::EntrustedRelation);
    }
    Some(Entrustment {
        name: name?,
        id_number: None,
        relation: relation?,
        phone,
        address: None,
        age: None,
        health: None,
        disqualifications: Disqualifications::default(),
        school_told_on: None,
        village_told_on: None,
    })
}

/// What the sheet says about 留守: a 学籍 code, or only yes or no.
enum Stated {
    Code(XuejiLeftBehind),
    Flag(bool),
}

/// Reads 是否留守儿童 and warns when it disagrees with what Shouhu derives from the parents.
/// The code is returned for the caller to show, never stored.
pub(super) fn check_left_behind(
    r: &mut RowReader<'_>,
    file: &ChildFile,
    grade: Option<Grade>,
    ctx: &RowContext,
) -> Option<XuejiLeftBehind> {
    let cell = r.cell(Column::LeftBehind);
    if cell.is_empty() {
        return None;
    }
    let stated = match XuejiLeftBehind::parse(&cell.display()) {
        Ok(code) => Stated::Code(code),
        Err(_) => match values::yes_no(cell) {
            Some(flag) => Stated::Flag(flag),
            None => {
                r.warn(Column::LeftBehind, RowError::LeftBehindUnread);
                return None;
            }
        },
    };
    let code = match stated {
        Stated::Code(c) => Some(c),
        Stated::Flag(_) => None,
    };
    if !AWAY_COLUMNS.iter().any(|&c| r.has(c)) {
        return code;
    }
    // A roster gives no leaving dates; the sheet's code already claims three months, so an
    // unknown date is read as long enough. An unknown grade is read as compulsory.
    let mut facts = file.facts(grade.is_none_or(Grade::is_compulsory));
    let long_ago = ctx.today.checked_sub_months(Months::new(12));
    for parent in [&mut facts.father, &mut facts.mother].into_iter().flatten() {
        if let Some(away) = &mut parent.away {
            away.since = away.since.or(long_ago);
        }
    }
    let derived = xueji_code(&facts, ctx.today);
    let (agrees, stated_label) = match stated {
        Stated::Code(c) => (c == derived, c.label_zh()),
        Stated::Flag(f) => (f == derived.is_left_behind(), if f { "是" } else { "否" }),
    };
    if !agrees {
        r.warn(
            Column::LeftBehind,
            RowError::LeftBehindDisagrees {
                stated: stated_label.to_owned(),
                derived: derived.label_zh().to_owned(),
            },
        );
    }
    code
}
