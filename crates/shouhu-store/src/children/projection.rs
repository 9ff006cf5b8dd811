//! The plain columns a sealed file is projected onto, so that lists filter, sort and count without
//! opening any file; and the nightly refresh of the calibers, which change with the date alone.

use chrono::NaiveDate;
use diesel::prelude::*;
use shouhu_domain::{ChildFile, LeftBehind, name_pinyin};

use super::{Placement, Stored, unseal};
use crate::crypto::DeploymentKey;
use crate::schema::{children, classes};
use crate::{Conn, StoreError, StoreResult};

/// Everything written to the row on a save, derived from the file alone; the placement is
/// filled in by [`Projection::columns`].
pub(super) struct Projection {
    row: Columns,
}

#[derive(AsChangeset)]
#[diesel(table_name = children)]
struct Calibers {
    lb_mca: bool,
    lb_xueji: i32,
    lb_census: bool,
    lb_as_of: String,
}

/// A row's values, ready for insert or update. A `None` is written as NULL, by an update too,
/// and by an insert as NULL rather than `DEFAULT`, so SQLite takes a batch in one statement.
#[derive(Clone, Insertable, AsChangeset)]
#[diesel(
    table_name = children,
    treat_none_as_null = true,
    treat_none_as_default_value = false
)]
pub(super) struct Columns {
    school_id: i64,
    class_id: Option<i64>,
    school_region: String,
    residence_region: String,
    name: String,
    name_pinyin: String,
    name_initials: String,
    sex: String,
    ethnicity: String,
    birth_date: String,
    id_hash: Option<String>,
    id_last4: Option<String>,
    hukou_type: Option<String>,
    schooling: String,
    care_arrangement: Option<String>,
    rating: Option<String>,
    tags: String,
    key_child: bool,
    lb_mca: bool,
    lb_xueji: i32,
    lb_census: bool,
    lb_as_of: String,
    completeness: i32,
    file_sealed: Vec<u8>,
}

fn calibers(file: &ChildFile, compulsory: bool, today: NaiveDate) -> Calibers {
    let lb = LeftBehind::of(&file.facts(compulsory), today);
    Calibers {
        lb_mca: lb.mca,
        lb_xueji: i32::from(lb.xueji.number()),
        lb_census: lb.census,
        lb_as_of: today.to_string(),
    }
}

/// Active tags as `,code,code,` so one `LIKE '%,code,%'` finds a tag.
fn tag_list(file: &ChildFile, today: NaiveDate) -> String {
    let tags = file.active_tags(today);
    if tags.is_empty() {
        return String::new();
    }
    let codes: Vec<&str> = tags.iter().map(|t| t.code()).collect();
    format!(",{},", codes.join(","))
}

impl Projection {
    pub fn of(
        key: &DeploymentKey,
        file: &ChildFile,
        compulsory: bool,
        today: NaiveDate,
    ) -> StoreResult<Self> {
        let generated = name_pinyin(file.name.as_str());
        let pinyin = file
            .pinyin
            .as_deref()
            .map(|p| p.to_ascii_lowercase())
            .filter(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
            .unwrap_or(generated.full);
        // A hand-corrected reading keeps the generated initials only if they still agree.
        let initials = if file.pinyin.is_some() {
            corrected_initials(&pinyin, &generated.initials)
        } else {
            generated.initials
        };
        let json = serde_json::to_string(file).map_err(|e| StoreError::Internal(e.to_string()))?;
        let id = file.id_number.as_ref().map(|n| n.as_str().to_owned());
        let c = calibers(file, compulsory, today);
        Ok(Self {
            row: Columns {
                school_id: 0,
                class_id: None,
                school_region: String::new(),
                residence_region: file.residence_region.as_str().to_owned(),
                name: file.name.as_str().to_owned(),
                name_pinyin: pinyin,
                name_initials: initials,
                sex: file.sex.code().to_string(),
                ethnicity: file.ethnicity.code().to_owned(),
                birth_date: file.birth_date.to_string(),
                id_hash: id.as_deref().map(|n| key.lookup_hash(n)),
                id_last4: id.map(|n| n[n.len() - 4..].to_owned()),
                hukou_type: file.hukou_type.map(|h| h.code().to_owned()),
                schooling: file.schooling.code().to_owned(),
                care_arrangement: file.care_arrangement.map(|c| c.code().to_owned()),
                rating: file.rating.map(|r| r.code().to_owned()),
                tags: tag_list(file, today),
                key_child: file.key_child.is_some(),
                lb_mca: c.lb_mca,
                lb_xueji: c.lb_xueji,
                lb_census: c.lb_census,
                lb_as_of: c.lb_as_of,
                completeness: i32::from(file.completeness()),
                file_sealed: key.encrypt(&json)?,
            },
        })
    }

    pub fn name(&self) -> &str {
        &self.row.name
    }

    pub fn birth_date(&self) -> &str {
        &self.row.birth_date
    }

    pub fn residence_region(&self) -> &str {
        &self.row.residence_region
    }

    pub fn id_hash(&self) -> Option<&str> {
        self.row.id_hash.as_deref()
    }

    pub fn columns(&self, at: Placement, school_region: &str) -> Columns {
        Columns {
            school_id: at.school_id,
            class_id: at.class_id,
            school_region: school_region.to_owned(),
            ..self.row.clone()
        }
    }
}

/// The first letter of the corrected reading replaces the generated first initial (单 dan → shan
/// turns `d…` into `s…`); the rest of the name keeps its initials.
fn corrected_initials(pinyin: &str, generated: &str) -> String {
    let mut out: String = pinyin.chars().take(1).collect();
    out.extend(generated.chars().skip(1));
    out
}

/// id, lb_mca, lb_xueji, lb_census, tags.
type Derived = (i64, bool, i32, bool, String);

/// The derived columns duties depend on, to tell which children a refresh changed.
fn derived(conn: &mut Conn, ids: &[i64]) -> StoreResult<Vec<Derived>> {
    Ok(children::table
        .filter(children::id.eq_any(ids))
        .select((
            children::id,
            children::lb_mca,
            children::lb_xueji,
            children::lb_census,
            children::tags,
        ))
        .load(conn)?)
}

/// Re-derives calibers and active tags as of `today` for every file derived on an earlier day;
/// returns how many rows changed. Safe to run twice, and on several servers at once.
pub fn refresh_calibers(
    conn: &mut Conn,
    key: &DeploymentKey,
    today: NaiveDate,
) -> StoreResult<usize> {
    let today_text = today.to_string();
    let mut changed = 0;
    loop {
        let batch: Vec<(Stored, Option<i32>)> = children::table
            .left_join(classes::table)
            .filter(children::lb_as_of.lt(&today_text))
            .select((Stored::as_select(), classes::grade.nullable()))
            .order(children::id)
            .limit(1000)
            .load(conn)?;
        if batch.is_empty() {
            return Ok(changed);
        }
        conn.transaction(|conn| {
            let ids: Vec<i64> = batch.iter().map(|(row, _)| row.id).collect();
            let before = derived(conn, &ids)?;
            for (row, grade) in &batch {
                let file = unseal(key, &row.file_sealed)?;
                let compulsory = grade
                    .and_then(|g| i8::try_from(g).ok())
                    .and_then(|g| shouhu_domain::Grade::new(g).ok())
                    .is_none_or(|g| g.is_compulsory());
                diesel::update(children::table.find(row.id))
                    .set((
                        calibers(&file, compulsory, today),
                        children::tags.eq(tag_list(&file, today)),
                    ))
                    .execute(conn)?;
                changed += 1;
            }
            // Children whose calibers or tags moved with the date owe other duties from today.
            let after = derived(conn, &ids)?;
            let moved: Vec<i64> = after
                .iter()
                .filter(|a| !before.contains(a))
                .map(|a| a.0)
                .collect();
            crate::duties::children_changed(conn, &moved, today)?;
            Ok::<_, StoreError>(())
        })?;
    }
}
