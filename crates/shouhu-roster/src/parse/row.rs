//! One row into one child file: each cell through the domain's own `parse`, every failure
//! kept against its column, then the file checked against itself.

use shouhu_domain::{
    CareArrangement, ChildFile, ChildFileError, DisabilityCategory, DisabilityGrade, Ethnicity,
    FactText, Grade, GuardianshipRating, HealthKind, HealthStatus, HukouType, IdCardNo, IdDocType,
    PersonName, PhoneNo, Profile, RegionCode, SchoolingStatus, Sex, normalize_width,
};

use super::values::{self, DateValue};
use super::{CellProblem, Layout, ParsedRow, RowContext, RowError, RowRejection, family};
use crate::Column;
use crate::read::{Cell, RawRow};

/// The cells of one row, and the problems found so far.
pub(super) struct RowReader<'a> {
    layout: &'a Layout,
    row: &'a RawRow,
    /// With the column's place in the sheet, so the report can follow the sheet's order.
    problems: Vec<(usize, CellProblem)>,
    warnings: Vec<(usize, CellProblem)>,
}

impl<'a> RowReader<'a> {
    pub(super) fn cell(&self, column: Column) -> &'a Cell {
        match self.layout.index(column) {
            Some(i) => self.row.cell(i),
            None => &Cell::Empty,
        }
    }

    pub(super) fn has(&self, column: Column) -> bool {
        self.layout.has(column)
    }

    fn report(&self, column: Column, error: &RowError) -> (usize, CellProblem) {
        let place = self.layout.index(column).unwrap_or(usize::MAX);
        let problem = CellProblem {
            sheet_row: self.row.sheet_row,
            column: self.layout.header(column).to_owned(),
            value: self.cell(column).display(),
            message: error.to_string(),
            code: error.code(),
        };
        (place, problem)
    }

    fn has_problems(&self) -> bool {
        !self.problems.is_empty()
    }

    /// Problems or warnings in the sheet's column order.
    fn in_order(mut list: Vec<(usize, CellProblem)>) -> Vec<CellProblem> {
        list.sort_by_key(|(place, _)| *place);
        list.into_iter().map(|(_, p)| p).collect()
    }

    fn reject(self) -> RowRejection {
        RowRejection {
            sheet_row: self.row.sheet_row,
            problems: Self::in_order(self.problems),
        }
    }

    pub(super) fn problem(&mut self, column: Column, error: impl Into<RowError>) {
        let p = self.report(column, &error.into());
        self.problems.push(p);
    }

    pub(super) fn warn(&mut self, column: Column, error: RowError) {
        let p = self.report(column, &error);
        self.warnings.push(p);
    }

    /// The cell's text through `parse`; `None` when blank, or when it fails (reported).
    pub(super) fn parse<T, E: Into<RowError>>(
        &mut self,
        column: Column,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let result = match self.cell(column) {
            Cell::Empty => return None,
            // Text is most cells: parsed where it lies, without a copy.
            Cell::Text(s) => parse(s),
            other => parse(&other.display()),
        };
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(column, e);
                None
            }
        }
    }

    pub(super) fn text(&mut self, column: Column) -> Option<FactText> {
        self.parse(column, FactText::parse)
    }

    pub(super) fn phone(&mut self, column: Column) -> Option<PhoneNo> {
        self.parse(column, PhoneNo::parse)
    }

    pub(super) fn person(&mut self, column: Column) -> Option<PersonName> {
        self.parse(column, PersonName::parse)
    }

    pub(super) fn date(&mut self, column: Column) -> Option<DateValue> {
        let cell = self.cell(column);
        self.parse(column, |_| values::date(cell))
    }

    pub(super) fn id_number(&mut self, column: Column, ctx: &RowContext) -> Option<IdCardNo> {
        // 18 digits do not fit an Excel number: the last ones are already gone.
        if let Cell::Number(n) = self.cell(column)
            && *n >= 1e15
        {
            self.problem(column, RowError::IdAsNumber);
            return None;
        }
        self.parse(column, |s| IdCardNo::parse_as_of(s, ctx.today))
    }
}

/// Reads one row into a child file, or refuses it with every problem found.
pub fn parse_row(
    layout: &Layout,
    row: &RawRow,
    ctx: &RowContext,
) -> Result<ParsedRow, RowRejection> {
    let mut r = RowReader {
        layout,
        row,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    // 姓名 is parsed even when blank, so an empty name is reported on its column.
    let name = match PersonName::parse(&r.cell(Column::Name).display()) {
        Ok(n) => Some(n),
        Err(e) => {
            r.problem(Column::Name, e);
            None
        }
    };
    let doc_type = r.parse(Column::IdDocType, values::id_doc_type);
    let is_card = doc_type.is_none_or(IdDocType::is_id_card);
    let (id_number, doc_number) = if is_card {
        (r.id_number(Column::IdNumber, ctx), None)
    } else {
        (None, r.text(Column::IdNumber))
    };
    let sex = sex(&mut r, id_number.as_ref());
    let birth_date = birth_date(&mut r, id_number.as_ref(), ctx);
    let ethnicity = match r.cell(Column::Ethnicity) {
        Cell::Empty => {
            r.problem(Column::Ethnicity, RowError::Required("民族"));
            None
        }
        _ => r.parse(Column::Ethnicity, Ethnicity::parse),
    };
    let hukou_region = r.parse(Column::HukouPlace, hukou_region).flatten();
    let hukou_type = r.parse(Column::HukouType, HukouType::parse);
    let address = r.text(Column::Address);
    let boarding_yes_no = layout
        .header(Column::Boarding)
        .trim_start()
        .starts_with("是否");
    let boarding_cell = r.cell(Column::Boarding);
    let boarding = r.parse(Column::Boarding, |_| {
        values::boarding(boarding_cell, boarding_yes_no)
    });
    let schooling = r
        .parse(Column::SchoolingStatus, SchoolingStatus::parse)
        .unwrap_or(SchoolingStatus::InSchool);
    let health = r
        .parse(Column::Health, health)
        .unwrap_or(HealthStatus::Healthy);
    let school = r.text(Column::School).map(|t| t.as_str().to_owned());
    let grade = r.parse(Column::Grade, grade);
    let class = r.text(Column::Class).map(|t| t.as_str().to_owned());
    let xueji_no = r.text(Column::XuejiNo);
    let profile = Profile {
        personality: r.text(Column::Personality),
        hobbies: r.text(Column::Hobbies),
        strengths: r.text(Column::Strengths),
    };
    let (father, mother) = family::parents(&mut r, ctx);
    let entrustment = family::entrustment(&mut r);
    let care_arrangement = r.parse(Column::CareArrangement, CareArrangement::parse);
    let rating = r.parse(Column::GuardianshipRating, GuardianshipRating::parse);
    let contact_phone = r.phone(Column::ContactPhone);
    let notes = r.text(Column::Notes);

    let (Some(name), Some(sex), Some(birth_date), Some(ethnicity), true) =
        (name, sex, birth_date, ethnicity, !r.has_problems())
    else {
        return Err(r.reject());
    };
    let file = ChildFile {
        name,
        pinyin: None,
        sex,
        ethnicity,
        birth_date,
        id_doc_type: doc_type.unwrap_or(IdDocType::ResidentIdCard),
        id_number,
        doc_number,
        hukou_region,
        hukou_type,
        residence_region: ctx.default_region.clone(),
        address,
        boarding,
        schooling,
        health,
        profile,
        xueji_no,
        father,
        mother,
        guardians: Vec::new(),
        entrustment,
        care_arrangement,
        rating,
        income_sources: Vec::new(),
        assistance: Vec::new(),
        hardships: Vec::new(),
        key_child: None,
        notes,
    };
    if let Err(e) = file.check() {
        let column = match e {
            ChildFileError::BirthDateMismatch => Column::BirthDate,
            ChildFileError::SexMismatch => Column::Sex,
            ChildFileError::IdNotACard => Column::IdDocType,
        };
        r.problem(column, e);
        return Err(r.reject());
    }
    let stated_left_behind = family::check_left_behind(&mut r, &file, grade, ctx);
    Ok(ParsedRow {
        sheet_row: row.sheet_row,
        file,
        school,
        grade,
        class,
        contact_phone,
        stated_left_behind,
        warnings: RowReader::in_order(r.warnings),
    })
}

/// 性别, or the ID's when the cell is blank.
fn sex(r: &mut RowReader<'_>, id: Option<&IdCardNo>) -> Option<Sex> {
    if r.cell(Column::Sex).is_empty() {
        return match id {
            Some(id) => {
                r.warn(
                    Column::Sex,
                    RowError::FromId(id.sex().label_zh().to_owned()),
                );
                Some(id.sex())
            }
            None if r.has(Column::IdNumber) && !r.cell(Column::IdNumber).is_empty() => None,
            None => {
                r.problem(Column::Sex, RowError::Required("性别"));
                None
            }
        };
    }
    r.parse(Column::Sex, Sex::parse)
}

/// 出生日期, or the ID's when the cell is blank; a year and month alone borrow the ID's day.
fn birth_date(
    r: &mut RowReader<'_>,
    id: Option<&IdCardNo>,
    ctx: &RowContext,
) -> Option<chrono::NaiveDate> {
    let from_id = id.map(IdCardNo::birth_date);
    if r.cell(Column::BirthDate).is_empty() {
        return match from_id {
            Some(d) => {
                r.warn(
                    Column::BirthDate,
                    RowError::FromId(d.format("%Y-%m-%d").to_string()),
                );
                Some(d)
            }
            // An ID was written but is wrong: that is the problem to report, not this.
            None if !r.cell(Column::IdNumber).is_empty() => None,
            None => {
                r.problem(Column::BirthDate, RowError::Required("出生日期"));
                None
            }
        };
    }
    let day = match r.date(Column::BirthDate)?.day_or(from_id) {
        Ok(d) => d,
        Err(e) => {
            r.problem(Column::BirthDate, e);
            return None;
        }
    };
    if day > ctx.today {
        r.problem(Column::BirthDate, RowError::FutureBirthDate);
        return None;
    }
    Some(day)
}

/// 户籍所在地 is kept only when it is a region code; place names are left to the address.
fn hukou_region(s: &str) -> Result<Option<RegionCode>, RowError> {
    let s = normalize_width(s);
    let s = s.trim();
    if s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(Some(RegionCode::parse(s)?))
    } else {
        Ok(None)
    }
}

/// 年级, also when written under its stage ("幼儿园大班", "学前班" aside).
fn grade(s: &str) -> Result<Grade, RowError> {
    let s = s.trim();
    let s = s.strip_prefix("幼儿园").unwrap_or(s);
    Ok(Grade::parse(s)?)
}

/// 健康状况: 健康, an illness in words, or a disability with its category and grade.
fn health(s: &str) -> Result<HealthStatus, RowError> {
    match HealthKind::parse(s) {
        Ok(HealthKind::Healthy) => return Ok(HealthStatus::Healthy),
        Ok(HealthKind::Disabled) => return Err(RowError::HealthDetail),
        _ => {}
    }
    let category = DisabilityCategory::ALL
        .into_iter()
        .find(|c| s.contains(c.label_zh()));
    if let Some(category) = category {
        let grade = DisabilityGrade::ALL
            .into_iter()
            .find(|g| s.contains(g.label_zh()))
            .ok_or(RowError::HealthDetail)?;
        return Ok(HealthStatus::Disabled { category, grade });
    }
    Ok(HealthStatus::Ill {
        illness: FactText::parse(s)?,
    })
}
