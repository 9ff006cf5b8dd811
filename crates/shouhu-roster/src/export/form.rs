//! The two sheet forms: which columns, under which headers, holding which values.

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate};

use shouhu_domain::{
    Boarding, ChildFile, HukouType, IdCardNo, Parent, PhoneNo, Sex, mask_address, xueji_code,
};

use super::{Cell, ExportRow};
use crate::columns::Column;

/// Which form a roster follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Form {
    /// The 2016 民政 农村留守儿童花名册: words (男/女, 是/否), real dates, parents and carer.
    Mca,
    /// A 学籍 学生基本信息-style sheet: coded values (性别 1/2, 户口性质 1/2, 就读方式 1/2,
    /// 是否留守儿童 0/1/2) and one contact phone, as the 学籍 system exports them.
    Xueji,
}

use Column as C;

/// The 2016 form's columns in its order; 学校 is added because a county's export spans schools.
const MCA: &[(Column, &str)] = &[
    (C::SerialNo, "序号"),
    (C::Name, "姓名"),
    (C::Sex, "性别"),
    (C::Ethnicity, "民族"),
    (C::BirthDate, "出生日期"),
    (C::IdNumber, "公民身份证号码"),
    (C::HukouPlace, "户籍所在地"),
    (C::Address, "现居住地"),
    (C::Boarding, "是否学校寄宿"),
    (C::FatherName, "父亲姓名"),
    (C::FatherWorkPlace, "父亲务工地点"),
    (C::FatherPhone, "父亲联系电话"),
    (C::MotherName, "母亲姓名"),
    (C::MotherWorkPlace, "母亲务工地点"),
    (C::MotherPhone, "母亲联系电话"),
    (C::BothParentsAway, "父母双方同时外出"),
    (C::EntrustedName, "委托监护人姓名"),
    (C::EntrustedRelation, "与被监护人关系"),
    (C::EntrustedPhone, "受委托监护人电话"),
    (C::School, "学校"),
    (C::Grade, "年级"),
    (C::Class, "班级"),
];

/// The 学籍 system's own wording, which [`Column`] knows as aliases.
const XUEJI: &[(Column, &str)] = &[
    (C::School, "学校名称"),
    (C::XuejiNo, "全国学籍号"),
    (C::Name, "姓名"),
    (C::Sex, "性别"),
    (C::BirthDate, "出生日期"),
    (C::IdDocType, "身份证件类型"),
    (C::IdNumber, "身份证件号"),
    (C::Ethnicity, "民族"),
    (C::HukouType, "户口性质"),
    (C::Boarding, "就读方式"),
    (C::Grade, "年级"),
    (C::Class, "班级"),
    (C::LeftBehind, "是否留守儿童"),
    (C::ContactPhone, "联系电话"),
];

/// What a masked free text shows (as the pages do for values that say too much).
const HIDDEN: &str = "****";

impl Form {
    pub const ALL: [Form; 2] = [Form::Mca, Form::Xueji];

    /// `mca` or `xueji`, as the command line and URLs name them.
    pub fn code(self) -> &'static str {
        match self {
            Form::Mca => "mca",
            Form::Xueji => "xueji",
        }
    }

    pub fn parse(s: &str) -> Option<Form> {
        Form::ALL.into_iter().find(|l| l.code() == s.trim())
    }

    /// The columns in sheet order, each with the header this form writes.
    pub fn columns(self) -> &'static [(Column, &'static str)] {
        match self {
            Form::Mca => MCA,
            Form::Xueji => XUEJI,
        }
    }

    pub fn headers(self) -> impl Iterator<Item = &'static str> {
        self.columns().iter().map(|&(_, h)| h)
    }

    /// Where `column` sits, counting from 0.
    pub fn position(self, column: Column) -> Option<usize> {
        self.columns().iter().position(|&(c, _)| c == column)
    }

    /// The title an export puts above the header when the caller gives none.
    pub fn default_title(self) -> &'static str {
        match self {
            Form::Mca => "农村留守儿童花名册",
            Form::Xueji => "学生基本信息",
        }
    }

    /// The row's cells in column order; `serial` is the 序号. Without `with_sensitive`, the
    /// values the pages mask are masked here too.
    pub fn cells(self, row: &ExportRow, serial: u32, with_sensitive: bool) -> Vec<Cell<'_>> {
        let file = &row.file;
        let mask = Mask(with_sensitive);
        let compulsory = row.grade.is_some_and(|g| g.is_compulsory());
        // Only derived when a column needs it: it is the costliest value on the line.
        let xueji = || xueji_code(&file.facts(compulsory), row.as_of);
        let carer = file.carer();
        self.columns()
            .iter()
            .map(|&(column, _)| match column {
                C::SerialNo => Cell::Number(f64::from(serial)),
                C::Name => file.name.as_str().into(),
                C::Sex => match self {
                    Form::Mca => file.sex.label_zh().into(),
                    Form::Xueji => code(sex_code(file.sex)),
                },
                C::Ethnicity => file.ethnicity.label_zh().into(),
                C::BirthDate => match self {
                    Form::Mca => Cell::Date(file.birth_date),
                    Form::Xueji => compact_date(file.birth_date).into(),
                },
                C::IdDocType => {
                    // The 学籍 code for a 居民身份证 is 1; other documents go by name, which
                    // `IdDocType::parse` reads, rather than by codes we cannot confirm.
                    if file.id_doc_type.is_id_card() {
                        code("1")
                    } else {
                        file.id_doc_type.label_zh().into()
                    }
                }
                C::IdNumber => mask.document(file),
                C::HukouPlace => match (&row.hukou_place, &file.hukou_region) {
                    (Some(place), _) => place.as_str().into(),
                    (None, Some(region)) => region.as_str().into(),
                    (None, None) => Cell::Empty,
                },
                C::HukouType => match file.hukou_type {
                    Some(HukouType::Agricultural) => code("1"),
                    Some(HukouType::NonAgricultural) => code("2"),
                    None => Cell::Empty,
                },
                C::Address => mask.address(file.address.as_ref().map(|a| a.as_str())),
                C::Boarding => match (self, file.boarding) {
                    (_, None) => Cell::Empty,
                    (Form::Mca, Some(b)) => yes_no(b == Boarding::Boarder),
                    (Form::Xueji, Some(Boarding::DayPupil)) => code("1"),
                    (Form::Xueji, Some(Boarding::Boarder)) => code("2"),
                },
                C::XuejiNo => mask.xueji_no(file),
                C::FatherName => name(&file.father),
                C::FatherWorkPlace => work_place(&file.father),
                C::FatherPhone => mask.phone(phone(&file.father)),
                C::MotherName => name(&file.mother),
                C::MotherWorkPlace => work_place(&file.mother),
                C::MotherPhone => mask.phone(phone(&file.mother)),
                C::BothParentsAway => {
                    let facts = file.facts(compulsory);
                    let away = |p: Option<&shouhu_domain::ParentFacts>| {
                        p.is_some_and(|p| p.away_on(row.as_of))
                    };
                    yes_no(away(facts.father.as_ref()) && away(facts.mother.as_ref()))
                }
                C::EntrustedName => carer.map_or(Cell::Empty, |(n, _, _)| n.as_str().into()),
                C::EntrustedRelation => carer.map_or(Cell::Empty, |(_, r, _)| r.as_str().into()),
                C::EntrustedPhone => mask.phone(carer.and_then(|(_, _, p)| p)),
                C::ContactPhone => mask.phone(contact_phone(file)),
                C::School => row.school.as_str().into(),
                C::Grade => row.grade.map_or(Cell::Empty, |g| g.to_string().into()),
                C::Class => row.class.as_str().into(),
                C::LeftBehind => code(match xueji().number() {
                    0 => "0",
                    1 => "1",
                    _ => "2",
                }),
                // Columns no form writes yet.
                _ => Cell::Empty,
            })
            .collect()
    }
}

/// Whether values go out in full or masked.
#[derive(Clone, Copy)]
struct Mask(bool);

impl Mask {
    fn document<'a>(self, file: &'a ChildFile) -> Cell<'a> {
        match (&file.id_number, &file.doc_number) {
            (Some(id), _) => self.id(id),
            (None, Some(doc)) if self.0 => doc.as_str().into(),
            (None, Some(_)) => code(HIDDEN),
            (None, None) => Cell::Empty,
        }
    }

    fn id<'a>(self, id: &'a IdCardNo) -> Cell<'a> {
        if self.0 {
            id.as_str().into()
        } else {
            id.masked().into()
        }
    }

    /// The 全国学籍号 is usually G + the ID number: masked like the number it holds.
    fn xueji_no<'a>(self, file: &'a ChildFile) -> Cell<'a> {
        let Some(no) = &file.xueji_no else {
            return Cell::Empty;
        };
        if self.0 {
            return no.as_str().into();
        }
        let id = no
            .as_str()
            .strip_prefix(['G', 'g', 'L', 'l'])
            .and_then(|rest| IdCardNo::parse(rest).ok());
        match id {
            Some(id) => format!("{}{}", &no.as_str()[..1], id.masked()).into(),
            None => code(HIDDEN),
        }
    }

    fn phone<'a>(self, phone: Option<&'a PhoneNo>) -> Cell<'a> {
        match phone {
            None => Cell::Empty,
            Some(p) if self.0 => p.as_str().into(),
            Some(p) => p.masked().into(),
        }
    }

    fn address<'a>(self, address: Option<&'a str>) -> Cell<'a> {
        match address {
            None => Cell::Empty,
            Some(a) if self.0 => a.into(),
            Some(a) => mask_address(a).into(),
        }
    }
}

/// A date as the 学籍 system writes it (20150301), by hand: chrono's `format` parses its
/// pattern on every call, which showed in the export's time.
fn compact_date(d: NaiveDate) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
}

fn code(s: &'static str) -> Cell<'static> {
    Cell::Text(Cow::Borrowed(s))
}

fn yes_no(yes: bool) -> Cell<'static> {
    code(if yes { "是" } else { "否" })
}

fn sex_code(sex: Sex) -> &'static str {
    match sex {
        Sex::Male => "1",
        Sex::Female => "2",
    }
}

fn name(parent: &Option<Parent>) -> Cell<'_> {
    parent
        .as_ref()
        .and_then(|p| p.name.as_ref())
        .map_or(Cell::Empty, |n| n.as_str().into())
}

fn phone(parent: &Option<Parent>) -> Option<&PhoneNo> {
    parent.as_ref().and_then(|p| p.phone.as_ref())
}

fn work_place(parent: &Option<Parent>) -> Cell<'static> {
    parent
        .as_ref()
        .map_or(Cell::Empty, |p| Cell::from(p.work_place()))
}

/// The 学籍 form's one phone: the carer's, else a parent's.
fn contact_phone(file: &ChildFile) -> Option<&PhoneNo> {
    file.carer()
        .and_then(|(_, _, p)| p)
        .or_else(|| phone(&file.father))
        .or_else(|| phone(&file.mother))
}
