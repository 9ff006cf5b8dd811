//! Child files (一人一档): the whole file sealed with the deployment key, plain projections for
//! lists and counts, duplicate checks that never leak another scope's file, versions, a revision
//! (field-level diff, sensitive values masked) for every change, and audited views and reveals.

mod export;
mod import;
mod leaves;
mod list;
pub mod masking;
mod moves;
mod projection;
mod revisions;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;
use shouhu_domain::{ChildFile, RegionCode, Role, today_shanghai};

pub use export::{ExportRequest, export};
pub use import::{
    Field as ImportField, ImportOptions, ImportRow, ImportSummary, NewClass, Notice, RowInput,
    import,
};
pub use list::{
    Caliber, ChildFilter, ChildPage, ChildSummary, ExportPlace, Search, list, prefix_end, search,
};
pub use masking::Visibility;
pub use moves::{
    Incoming, Promotion, Transfer, decide_transfer, incoming, promote_class, request_transfer,
    transfers_of,
};
pub use projection::refresh_calibers;
pub use revisions::{Revision, compare, revisions};

use crate::connection::on_inner;
use crate::crypto::DeploymentKey;
use crate::schema::{children, classes, schools};
use crate::{Conn, Scope, StoreError, StoreResult, audit, clock};
use projection::Projection;

/// Where a child is on roll: a school, and a class once placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    pub school_id: i64,
    pub class_id: Option<i64>,
}

/// A file as a reader sees it: the summary, and the typed file as JSON with sensitive values masked
/// (or removed for volunteers, or in clear after a reveal).
#[derive(Clone, Debug, Serialize)]
pub struct ChildRecord {
    #[serde(flatten)]
    pub summary: ChildSummary,
    pub file: Value,
    /// Message keys of required items still empty.
    pub missing: Vec<&'static str>,
    pub visibility: &'static str,
}

#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = children)]
struct Stored {
    id: i64,
    school_id: i64,
    class_id: Option<i64>,
    school_region: String,
    residence_region: String,
    file_sealed: Vec<u8>,
    version: i32,
}

/// Who may open files: everyone but teachers and volunteers, who come in through classes or
/// pairings.
fn may_read(scope: &Scope) -> bool {
    !matches!(scope.role, Role::Teacher | Role::Volunteer)
        || scope.classes.as_ref().is_some_and(|c| !c.is_empty())
}

fn may_edit(scope: &Scope) -> bool {
    scope.role.edits_class() || scope.role == Role::ChildDirector
}

/// Roles that need full ID numbers and phones for their work: not teachers or volunteers.
pub fn may_reveal(role: Role) -> bool {
    !matches!(role, Role::Teacher | Role::Volunteer)
}

pub(crate) fn visible(
    scope: &Scope,
    school_id: i64,
    class_id: Option<i64>,
    regions: [&str; 2],
) -> bool {
    if !may_read(scope) {
        return false;
    }
    if let Some(school) = scope.school {
        let in_class = scope
            .classes
            .as_ref()
            .is_none_or(|c| class_id.is_some_and(|id| c.contains(&id)));
        return school_id == school && in_class;
    }
    regions
        .iter()
        .any(|code| RegionCode::parse(code).is_ok_and(|c| scope.covers_region(&c)))
}

fn load(conn: &mut Conn, scope: &Scope, id: i64) -> StoreResult<Stored> {
    let row: Stored = children::table
        .find(id)
        .select(Stored::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let regions = [row.school_region.as_str(), row.residence_region.as_str()];
    if visible(scope, row.school_id, row.class_id, regions) {
        Ok(row)
    } else {
        Err(StoreError::NotFound)
    }
}

fn unseal(key: &DeploymentKey, sealed: &[u8]) -> StoreResult<ChildFile> {
    let json = key.decrypt(sealed)?;
    serde_json::from_str(&json).map_err(|e| StoreError::Internal(format!("stored file: {e}")))
}

fn to_json(file: &ChildFile) -> StoreResult<Value> {
    serde_json::to_value(file).map_err(|e| StoreError::Internal(e.to_string()))
}

fn record(
    conn: &mut Conn,
    key: &DeploymentKey,
    row: &Stored,
    visibility: Visibility,
) -> StoreResult<ChildRecord> {
    let file = unseal(key, &row.file_sealed)?;
    let mut doc = to_json(&file)?;
    masking::apply(&mut doc, visibility);
    Ok(ChildRecord {
        summary: list::summary(conn, row.id)?,
        file: doc,
        missing: file.missing(),
        visibility: match visibility {
            Visibility::Masked => "masked",
            Visibility::Hidden => "hidden",
            Visibility::Revealed => "revealed",
        },
    })
}

fn audit_child(
    conn: &mut Conn,
    scope: &Scope,
    kind: &str,
    row: &Stored,
    detail: &str,
) -> StoreResult<()> {
    let region = RegionCode::parse(&row.school_region).ok();
    audit::record(
        conn,
        scope,
        kind,
        &row.id.to_string(),
        detail,
        region.as_ref(),
    )
}

/// Opens a file, masked for the reader's role; every opening is audit-logged.
pub fn get(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    id: i64,
) -> StoreResult<ChildRecord> {
    let row = load(conn, scope, id)?;
    audit_child(conn, scope, "child.view", &row, "")?;
    record(conn, key, &row, Visibility::for_role(scope.role))
}

/// The file in clear for roles that need it, with the reason audit-logged.
pub fn reveal(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    id: i64,
    reason: &str,
) -> StoreResult<ChildRecord> {
    let row = load(conn, scope, id)?;
    scope.require(may_reveal(scope.role), "child.reveal")?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(StoreError::invalid("reason", "child.reveal_reason"));
    }
    let reason: String = reason.chars().take(200).collect();
    audit_child(conn, scope, "child.reveal", &row, &reason)?;
    record(conn, key, &row, Visibility::Revealed)
}

/// A file's list row, in scope, without opening the file (so not audited as a view).
pub fn summary_of(conn: &mut Conn, scope: &Scope, id: i64) -> StoreResult<ChildSummary> {
    let row = load(conn, scope, id)?;
    list::summary(conn, row.id)
}

/// The file as typed, unmasked, for the storage layer's own use and for documents the caller
/// has already been allowed (contact cards); opening it is audited as `kind`.
pub fn file_for(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    id: i64,
    kind: &str,
) -> StoreResult<(ChildSummary, ChildFile)> {
    let row = load(conn, scope, id)?;
    audit_child(conn, scope, kind, &row, "")?;
    Ok((list::summary(conn, row.id)?, unseal(key, &row.file_sealed)?))
}

/// Placement must be a class of the school, and the school inside the caller's reach. Returns
/// the school's region and whether the class is in compulsory education.
fn check_placement(conn: &mut Conn, scope: &Scope, at: Placement) -> StoreResult<(String, bool)> {
    let school = crate::schools::get(conn, scope, at.school_id).map_err(|e| match e {
        StoreError::NotFound => StoreError::invalid("school_id", "user.school_unknown"),
        other => other,
    })?;
    let Some(class_id) = at.class_id else {
        return Ok((school.region_code, true));
    };
    let grade: Option<i32> = classes::table
        .filter(classes::id.eq(class_id))
        .filter(classes::school_id.eq(at.school_id))
        .select(classes::grade)
        .first(conn)
        .optional()?;
    match grade {
        Some(grade) if scope.covers_class(class_id) => {
            let compulsory = i8::try_from(grade)
                .ok()
                .and_then(|g| shouhu_domain::Grade::new(g).ok())
                .is_none_or(|g| g.is_compulsory());
            Ok((school.region_code, compulsory))
        }
        _ => Err(StoreError::invalid("class_id", "child.class_unknown")),
    }
}

/// Another file for the same child: the same ID number, or (where either lacks one) the same
/// name and birth date in the same township. One the caller can see is named; one outside
/// their scope is only said to exist, with nothing of it revealed.
fn check_duplicate(
    conn: &mut Conn,
    scope: &Scope,
    p: &Projection,
    except: Option<i64>,
) -> StoreResult<()> {
    let mut query = children::table
        .select((
            children::id,
            children::school_id,
            children::class_id,
            children::school_region,
            children::residence_region,
            children::id_hash,
        ))
        .into_boxed();
    let (name, birth) = (p.name().to_owned(), p.birth_date().to_owned());
    if let Some(hash) = p.id_hash() {
        query = query.filter(
            children::id_hash.eq(hash.to_owned()).or(children::name
                .eq(name)
                .and(children::birth_date.eq(birth))
                .and(children::id_hash.is_null())),
        );
    } else {
        query = query
            .filter(children::name.eq(name))
            .filter(children::birth_date.eq(birth));
    }
    let township = &p.residence_region()[..9];
    type Found = (i64, i64, Option<i64>, String, String, Option<String>);
    let found: Vec<Found> = query.limit(20).load(conn)?;
    // The same ID number is the same child anywhere; the same name and birth date only within
    // one township, and a same-named child with an ID number of their own is someone else.
    let same_child = found.into_iter().find(|(id, _, _, _, home, hash)| {
        Some(*id) != except
            && ((hash.is_some() && hash.as_deref() == p.id_hash()) || home.starts_with(township))
    });
    let Some((id, school, class, school_region, home, _)) = same_child else {
        return Ok(());
    };
    if visible(scope, school, class, [&school_region, &home]) {
        Err(StoreError::ChildExists { id: Some(id) })
    } else {
        Err(StoreError::ChildExists { id: None })
    }
}

/// Opens a new file. `submit_key` (a form's one-time token, an API idempotency key) makes a
/// request sent twice create one file: the second returns the first's record.
pub fn create(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    at: Placement,
    file: &ChildFile,
    submit_key: Option<&str>,
) -> StoreResult<ChildRecord> {
    scope.require(may_edit(scope), "child.create")?;
    file.check()
        .map_err(|e| StoreError::invalid(e.field(), e.code()))?;
    conn.transaction(|conn| {
        if let Some(sk) = submit_key {
            let earlier: Option<i64> = children::table
                .filter(children::submit_key.eq(sk))
                .select(children::id)
                .first(conn)
                .optional()?;
            if let Some(id) = earlier {
                let row = load(conn, scope, id)?;
                return record(conn, key, &row, Visibility::for_role(scope.role));
            }
        }
        let (school_region, compulsory) = check_placement(conn, scope, at)?;
        let p = Projection::of(key, file, compulsory, today_shanghai())?;
        check_duplicate(conn, scope, &p, None)?;
        let now = clock::now_ms();
        let columns = p.columns(at, &school_region);
        let insert = diesel::insert_into(children::table)
            .values((
                &columns,
                children::submit_key.eq(submit_key),
                children::created_at.eq(now),
                children::updated_at.eq(now),
            ))
            .returning(children::id);
        // Two saves racing past the checks meet the unique indexes; the loser is told the file
        // exists, with nothing of it revealed.
        let id: i64 = match on_inner!(conn, |c| insert.get_result(c)) {
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => return Err(StoreError::ChildExists { id: None }),
            other => other?,
        };
        let row = load(conn, scope, id)?;
        revisions::record(conn, scope, id, 1, None, (file, at))?;
        crate::duties::child_changed(conn, id, today_shanghai())?;
        audit_child(conn, scope, "child.create", &row, "")?;
        record(conn, key, &row, Visibility::for_role(scope.role))
    })
}

/// How a save changes the file. Masked values left as they were read (`138****5678`) keep the
/// stored value in either form.
#[derive(Clone, Debug)]
pub enum Change {
    /// A JSON merge patch (RFC 7396) over the file.
    Patch(Value),
    /// The whole file, as a form sends it.
    Replace(Value),
}

/// Saves `change` if nobody changed the file since `version` was read; else `Conflict`.
/// `placement` moves the child within reach.
pub fn update(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    id: i64,
    version: i32,
    placement: Option<Placement>,
    change: &Change,
) -> StoreResult<ChildRecord> {
    conn.transaction(|conn| {
        let row = load(conn, scope, id)?;
        scope.require(may_edit(scope), "child.edit")?;
        if row.version != version {
            return Err(StoreError::Conflict {
                expected: version,
                current: row.version,
            });
        }
        let before = unseal(key, &row.file_sealed)?;
        let stored = to_json(&before)?;
        let mut doc = match change {
            Change::Patch(patch) => {
                let mut doc = stored.clone();
                merge_patch(&mut doc, patch);
                doc
            }
            Change::Replace(doc) => doc.clone(),
        };
        masking::restore(&mut doc, &stored);
        let after = parse_file(doc)?;
        after
            .check()
            .map_err(|e| StoreError::invalid(e.field(), e.code()))?;
        let at = placement.unwrap_or(Placement {
            school_id: row.school_id,
            class_id: row.class_id,
        });
        let (school_region, compulsory) = check_placement(conn, scope, at)?;
        let p = Projection::of(key, &after, compulsory, today_shanghai())?;
        check_duplicate(conn, scope, &p, Some(id))?;
        let moved = at.school_id != row.school_id || at.class_id != row.class_id;
        if before == after && !moved {
            return record(conn, key, &row, Visibility::for_role(scope.role));
        }
        diesel::update(
            children::table
                .find(id)
                .filter(children::version.eq(version)),
        )
        .set((
            &p.columns(at, &school_region),
            children::version.eq(version + 1),
            children::updated_at.eq(clock::now_ms()),
        ))
        .execute(conn)?;
        let was = Placement {
            school_id: row.school_id,
            class_id: row.class_id,
        };
        revisions::record(
            conn,
            scope,
            id,
            version + 1,
            Some((&before, was)),
            (&after, at),
        )?;
        crate::duties::child_changed(conn, id, today_shanghai())?;
        let row = load(conn, scope, id)?;
        audit_child(conn, scope, "child.update", &row, "")?;
        record(conn, key, &row, Visibility::for_role(scope.role))
    })
}

/// Reads a file from JSON, naming the field that failed (`father.phone`) and why, as a
/// message-catalog key: the domain's own code, or `file.missing` / `file.invalid`.
pub fn parse_file(doc: Value) -> StoreResult<ChildFile> {
    serde_path_to_error::deserialize(doc).map_err(|e| {
        // serde writes list entries as `guardians[0]`; pages and history say `guardians.0`.
        let mut field = e.path().to_string().replace('[', ".").replace(']', "");
        let text = e.into_inner().to_string();
        let is_code = !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.');
        let code = if is_code {
            text
        } else if let Some(missing) = text.strip_prefix("missing field `") {
            let name = missing.split('`').next().unwrap_or_default();
            field = if field == "." {
                name.to_owned()
            } else {
                format!("{field}.{name}")
            };
            "file.missing".to_owned()
        } else if text.starts_with("unknown field `") {
            "file.unknown_field".to_owned()
        } else {
            "file.invalid".to_owned()
        };
        StoreError::InvalidFile { field, code }
    })
}

/// RFC 7396: objects merge key by key, `null` removes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(changes) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(map) = target {
        for (k, v) in changes {
            if v.is_null() {
                map.remove(k);
            } else {
                merge_patch(map.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// The school's name and the class label of a placement, for pages and cards.
pub fn placement_names(conn: &mut Conn, at: Placement) -> StoreResult<(String, Option<String>)> {
    let school: String = schools::table
        .find(at.school_id)
        .select(schools::name)
        .first(conn)?;
    let class = match at.class_id {
        Some(id) => classes::table
            .find(id)
            .select(classes::name)
            .first::<String>(conn)
            .optional()?,
        None => None,
    };
    Ok((school, class))
}

/// The date the stored calibers were derived on, for pages that show them.
pub fn caliber_date(summary: &ChildSummary) -> Option<NaiveDate> {
    summary.lb_as_of.parse().ok()
}

/// The files of a class on roll, for its contact cards, by pinyin; one audit event for the whole
/// printout. Callers mask what the role may not reveal (see [`may_reveal`]).
pub fn class_files(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    class_id: i64,
) -> StoreResult<Vec<(ChildSummary, ChildFile)>> {
    let class = crate::classes::get(conn, scope, class_id)?;
    let ids: Vec<i64> = children::table
        .filter(children::class_id.eq(class_id))
        .order((children::name_pinyin, children::id))
        .select(children::id)
        .load(conn)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Ok(row) = load(conn, scope, id) else {
            continue;
        };
        let file = unseal(key, &row.file_sealed)?;
        if file.schooling.on_roll() {
            out.push((list::summary(conn, id)?, file));
        }
    }
    let region = crate::schools::get(conn, scope, class.class.school_id)?
        .region()
        .ok();
    audit::record(
        conn,
        scope,
        "child.cards",
        &format!("class:{class_id}"),
        &format!("{} cards", out.len()),
        region.as_ref(),
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal() -> Value {
        json!({
            "name": "张三", "sex": "male", "ethnicity": "han", "birth_date": "2015-03-01",
            "id_doc_type": "resident_id_card", "residence_region": "520502101205",
            "schooling": "in_school", "health": {"kind": "healthy"},
        })
    }

    fn refusal(doc: Value) -> (String, String) {
        match parse_file(doc) {
            Err(StoreError::InvalidFile { field, code }) => (field, code),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn bad_files_name_the_field_as_pages_and_history_do() {
        assert!(parse_file(minimal()).is_ok());
        let mut doc = minimal();
        doc["guardians"] = json!([{"name": "张大山", "relation": "祖父", "phone": "123"}]);
        let (field, code) = refusal(doc);
        assert_eq!(field, "guardians.0.phone");
        assert!(code.starts_with("phone."), "{code}");
        let mut doc = minimal();
        doc.as_object_mut().unwrap().remove("birth_date");
        assert_eq!(
            refusal(doc),
            ("birth_date".to_owned(), "file.missing".to_owned())
        );
        let mut doc = minimal();
        doc["fathr"] = json!({"name": "张建国"});
        let e = serde_json::from_value::<ChildFile>(doc.clone()).unwrap_err();
        assert_eq!(refusal(doc).1, "file.unknown_field", "a typo: {e}");
    }
}
