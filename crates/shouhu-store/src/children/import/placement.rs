//! Where an imported row goes: the school the sheet names (by 学校标识码 or name) or the one the
//! importer chose, and the class of the sheet's 年级 and 班级 — found, or made when the import is
//! confirmed. Resolved once per school and class, not per row.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use shouhu_domain::{Grade, RegionCode, SchoolKind, SchoolYear, normalize_width};

use super::{Field, ImportRow, Notice};
use crate::connection::on_inner;
use crate::schema::{classes, schools};
use crate::{Conn, Scope, StoreResult, audit, clock};

/// A school in reach, with what placing a child there needs.
#[derive(Clone, Debug)]
pub(super) struct SchoolRef {
    pub id: i64,
    pub name: String,
    pub region: String,
    kind: Option<SchoolKind>,
}

/// A class that did not exist and was made for the import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewClass {
    pub school: String,
    pub grade: Grade,
    pub name: String,
}

/// The resolved place of one row.
#[derive(Clone, Debug)]
pub(super) struct Place {
    pub school: SchoolRef,
    pub class: Option<(i64, String)>,
    /// In compulsory education, for the 学籍 caliber.
    pub compulsory: bool,
}

/// A class of the school year, with the key its name matches sheets by.
struct KnownClass {
    key: String,
    id: i64,
    name: String,
}

/// Caches schools and classes for one import.
pub(super) struct Placer {
    default_school: Option<SchoolRef>,
    by_text: HashMap<String, Option<SchoolRef>>,
    /// (school, grade) → classes of the current school year.
    classes: HashMap<(i64, i8), Vec<KnownClass>>,
    year: SchoolYear,
    pub new_classes: Vec<NewClass>,
}

/// `1班`, `(1)班`, `（1）班`, `九年级1班` and `1` all name class 1 of their grade.
fn class_key(name: &str, grade: Option<Grade>) -> String {
    let mut s: String = normalize_width(name)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '(' | ')'))
        .collect();
    if let Some(g) = grade {
        let label = g.to_string();
        if let Some(rest) = s.strip_prefix(&label) {
            s = rest.to_owned();
        }
    }
    s.strip_suffix('班').unwrap_or(&s).to_owned()
}

fn school_ref(conn: &mut Conn, scope: &Scope, id: i64) -> StoreResult<Option<SchoolRef>> {
    match crate::schools::get(conn, scope, id) {
        Ok(s) => Ok(Some(SchoolRef {
            id: s.id,
            kind: SchoolKind::parse(&s.kind).ok(),
            name: s.name,
            region: s.region_code,
        })),
        Err(crate::StoreError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

impl Placer {
    pub fn new(
        conn: &mut Conn,
        scope: &Scope,
        default_school: Option<i64>,
        today: NaiveDate,
    ) -> StoreResult<Placer> {
        let default_school = match default_school.or(scope.school) {
            Some(id) => school_ref(conn, scope, id)?,
            None => None,
        };
        Ok(Placer {
            default_school,
            by_text: HashMap::new(),
            classes: HashMap::new(),
            year: SchoolYear::containing(today),
            new_classes: Vec::new(),
        })
    }

    /// The school a sheet's 学校 cell names: its 学校标识码 or its exact name, in reach.
    fn school_named(
        &mut self,
        conn: &mut Conn,
        scope: &Scope,
        text: &str,
    ) -> StoreResult<Option<SchoolRef>> {
        if let Some(found) = self.by_text.get(text) {
            return Ok(found.clone());
        }
        let text_n = normalize_width(text);
        let ids: Vec<i64> = schools::table
            .filter(schools::code.eq(&text_n).or(schools::name.eq(&text_n)))
            .select(schools::id)
            .limit(2)
            .load(conn)?;
        // Two schools of one name somewhere in the country: the one in reach is meant.
        let mut found = None;
        for id in ids {
            if let Some(s) = school_ref(conn, scope, id)? {
                found = Some(s);
                break;
            }
        }
        self.by_text.insert(text.to_owned(), found.clone());
        Ok(found)
    }

    /// Places one row, or says which cell stops it. A class the school lacks is made (the
    /// caller's transaction decides whether it stays); a grade the school does not teach
    /// leaves the child at the school without a class, with a notice.
    pub fn place(
        &mut self,
        conn: &mut Conn,
        scope: &Scope,
        row: &ImportRow,
        notices: &mut Vec<Notice>,
    ) -> StoreResult<Result<Place, Notice>> {
        let (sheet_row, grade, class) = (row.sheet_row, row.grade, row.class.as_deref());
        let refuse = |field, code| Ok(Err(Notice::new(sheet_row, field, code)));
        let school = match row.school.as_deref() {
            Some(text) => match self.school_named(conn, scope, text)? {
                Some(s) => s,
                None => return refuse(Field::School, "import.school_unknown"),
            },
            None => match &self.default_school {
                Some(s) => s.clone(),
                None => return refuse(Field::School, "import.school_missing"),
            },
        };
        let compulsory = grade.is_none_or(Grade::is_compulsory);
        let unplaced = |school: SchoolRef| Place {
            school,
            class: None,
            compulsory,
        };
        let Some(grade) = grade else {
            if class.is_some() {
                notices.push(Notice::new(
                    sheet_row,
                    Field::Grade,
                    "import.class_without_grade",
                ));
            }
            return Ok(Ok(unplaced(school)));
        };
        if school.kind.is_some_and(|k| !k.teaches(grade)) {
            notices.push(Notice::new(
                sheet_row,
                Field::Grade,
                "import.grade_not_taught",
            ));
            return Ok(Ok(unplaced(school)));
        }
        let Some(class) = class else {
            return Ok(Ok(unplaced(school)));
        };
        match self.class_of(conn, scope, &school, grade, class)? {
            Some(c) => Ok(Ok(Place {
                school,
                class: Some(c),
                compulsory,
            })),
            None => refuse(Field::Class, "import.class_unknown"),
        }
    }

    fn class_of(
        &mut self,
        conn: &mut Conn,
        scope: &Scope,
        school: &SchoolRef,
        grade: Grade,
        text: &str,
    ) -> StoreResult<Option<(i64, String)>> {
        let slot = (school.id, grade.number());
        if !self.classes.contains_key(&slot) {
            let rows: Vec<(i64, String)> = classes::table
                .filter(classes::school_id.eq(school.id))
                .filter(classes::school_year.eq(self.year.start_year()))
                .filter(classes::grade.eq(i32::from(grade.number())))
                .select((classes::id, classes::name))
                .load(conn)?;
            let list = rows
                .into_iter()
                .map(|(id, name)| KnownClass {
                    key: class_key(&name, Some(grade)),
                    id,
                    name,
                })
                .collect();
            self.classes.insert(slot, list);
        }
        let key = class_key(text, Some(grade));
        if let Some(list) = self.classes.get(&slot)
            && let Some(c) = list.iter().find(|c| c.key == key)
        {
            // A head teacher imports into their own classes only.
            return Ok(scope.covers_class(c.id).then(|| (c.id, c.name.clone())));
        }
        if !scope.role.manages_classes() || scope.classes.is_some() {
            return Ok(None);
        }
        let name = if !key.is_empty() && key.chars().all(|c| c.is_ascii_digit()) {
            format!("{grade}（{key}）班")
        } else {
            normalize_width(text).trim().to_owned()
        };
        let now = clock::now_ms();
        let insert = diesel::insert_into(classes::table)
            .values((
                classes::school_id.eq(school.id),
                classes::school_year.eq(self.year.start_year()),
                classes::grade.eq(i32::from(grade.number())),
                classes::name.eq(&name),
                classes::created_at.eq(now),
                classes::updated_at.eq(now),
            ))
            .returning(classes::id);
        let id: i64 = on_inner!(conn, |c| insert.get_result(c))?;
        let region = RegionCode::parse(&school.region).ok();
        audit::record(
            conn,
            scope,
            "class.create",
            &id.to_string(),
            &name,
            region.as_ref(),
        )?;
        self.new_classes.push(NewClass {
            school: school.name.clone(),
            grade,
            name: name.clone(),
        });
        if let Some(list) = self.classes.get_mut(&slot) {
            list.push(KnownClass {
                key,
                id,
                name: name.clone(),
            });
        }
        Ok(Some((id, name)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_as_sheets_write_them() {
        let g9 = Grade::parse("九年级").unwrap();
        for written in ["1班", "(1)班", "（1）班", "九年级1班", "1", "九年级（1）班"]
        {
            assert_eq!(class_key(written, Some(g9)), "1", "{written}");
        }
        assert_eq!(class_key("火箭班", Some(g9)), "火箭");
    }
}
