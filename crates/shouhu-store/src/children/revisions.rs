//! The living history of a file: every save stores who, when, and each changed field with its old
//! and new value, sensitive values masked, so the history itself leaks nothing. Any two revisions
//! compare by replaying the diffs up to each.

use std::collections::BTreeMap;

use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::ChildFile;

use super::leaves;
use super::masking::{self, Visibility};
use super::{Placement, load, placement_names};
use crate::schema::child_revisions;
use crate::{Conn, Scope, StoreError, StoreResult, clock};

/// One save of a file.
#[derive(Clone, Debug, Serialize)]
pub struct Revision {
    pub id: i64,
    pub version: i32,
    pub at: i64,
    pub actor_name: String,
    /// Field path (`father.phone`) → [before, after], masked.
    pub changes: BTreeMap<String, [String; 2]>,
}

#[derive(Queryable)]
struct Row {
    id: i64,
    version: i32,
    at: i64,
    actor_name: String,
    changes: String,
}

impl TryFrom<Row> for Revision {
    type Error = StoreError;
    fn try_from(r: Row) -> StoreResult<Self> {
        let changes = serde_json::from_str(&r.changes)
            .map_err(|e| StoreError::Internal(format!("revision {}: {e}", r.id)))?;
        Ok(Revision {
            id: r.id,
            version: r.version,
            at: r.at,
            actor_name: r.actor_name,
            changes,
        })
    }
}

/// The file's masked leaves, with where the child is on roll as `_school` and `_class`, so moves
/// (promotion, transfer) show in the history beside the file's own changes.
fn masked_leaves(
    conn: &mut Conn,
    (file, at): (&ChildFile, Placement),
) -> StoreResult<BTreeMap<String, String>> {
    let (school, class) = placement_names(conn, at)?;
    Ok(leaves_at(file, &school, class.as_deref())?
        .into_iter()
        .collect())
}

/// The leaves sorted by path.
fn leaves_at(
    file: &ChildFile,
    school: &str,
    class: Option<&str>,
) -> StoreResult<Vec<(String, String)>> {
    let mut leaves = leaves::leaves(file, Visibility::Masked)
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    // `leaves` come sorted: each placement leaf goes in where it belongs.
    let mut place = |key: &str, value: &str| {
        let at = leaves.partition_point(|(k, _)| k.as_str() < key);
        leaves.insert(at, (key.to_owned(), value.to_owned()));
    };
    place("_school", school);
    if let Some(class) = class {
        place("_class", class);
    }
    Ok(leaves)
}

/// The changes of a file's first revision, as stored, for callers that know the names of the
/// school and class already (an import places thousands of files in a few classes).
/// The same text as a diff from nothing, written straight from the leaves: an import writes
/// one per child, and building the diff's maps cost a third of its sealing thread.
pub(super) fn first_changes(
    file: &ChildFile,
    school: &str,
    class: Option<&str>,
) -> StoreResult<String> {
    serde_json::to_string(&Created(&leaves_at(file, school, class)?))
        .map_err(|e| StoreError::Internal(e.to_string()))
}

/// Every leaf as `[before, after]` with nothing before, as [`masking::diff`] from an empty map
/// has it (leaves are never empty).
struct Created<'a>(&'a [(String, String)]);

impl Serialize for Created<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, ["", v.as_str()])))
    }
}

pub(super) fn record(
    conn: &mut Conn,
    scope: &Scope,
    child_id: i64,
    version: i32,
    before: Option<(&ChildFile, Placement)>,
    after: (&ChildFile, Placement),
) -> StoreResult<()> {
    let old = match before {
        Some(b) => masked_leaves(conn, b)?,
        None => BTreeMap::new(),
    };
    let changes = masking::diff(&old, &masked_leaves(conn, after)?);
    let changes =
        serde_json::to_string(&changes).map_err(|e| StoreError::Internal(e.to_string()))?;
    diesel::insert_into(child_revisions::table)
        .values((
            child_revisions::child_id.eq(child_id),
            child_revisions::at.eq(clock::now_ms()),
            child_revisions::actor_id.eq(scope.actor.id()),
            child_revisions::actor_name.eq(scope.actor.name()),
            child_revisions::version.eq(version),
            child_revisions::changes.eq(changes),
        ))
        .execute(conn)?;
    Ok(())
}

/// The file's history, newest first.
pub fn revisions(conn: &mut Conn, scope: &Scope, child_id: i64) -> StoreResult<Vec<Revision>> {
    load(conn, scope, child_id)?;
    let rows: Vec<Row> = child_revisions::table
        .filter(child_revisions::child_id.eq(child_id))
        .select((
            child_revisions::id,
            child_revisions::version,
            child_revisions::at,
            child_revisions::actor_name,
            child_revisions::changes,
        ))
        .order(child_revisions::version.desc())
        .load(conn)?;
    rows.into_iter().map(Revision::try_from).collect()
}

/// What differs between the file as of version `from` and as of version `to` (masked).
pub fn compare(
    conn: &mut Conn,
    scope: &Scope,
    child_id: i64,
    from: i32,
    to: i32,
) -> StoreResult<BTreeMap<String, [String; 2]>> {
    let mut history = revisions(conn, scope, child_id)?;
    history.reverse();
    let known = |v: i32| history.iter().any(|r| r.version == v);
    if !known(from) {
        return Err(StoreError::invalid("from", "child.revision_unknown"));
    }
    if !known(to) {
        return Err(StoreError::invalid("to", "child.revision_unknown"));
    }
    let state_at = |version: i32| {
        let mut state = BTreeMap::new();
        for rev in history.iter().take_while(|r| r.version <= version) {
            for (field, [_, after]) in &rev.changes {
                if after.is_empty() {
                    state.remove(field);
                } else {
                    state.insert(field.clone(), after.clone());
                }
            }
        }
        state
    };
    Ok(masking::diff(&state_at(from), &state_at(to)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_first_revision_is_the_diff_from_nothing() {
        let file = super::super::parse_file(json!({
            "name": "张三", "sex": "male", "ethnicity": "han", "birth_date": "2015-03-01",
            "id_doc_type": "resident_id_card", "residence_region": "520502101205",
            "schooling": "in_school", "health": {"kind": "healthy"},
            "father": {"name": "张建国", "phone": "13812345678"},
        }))
        .unwrap();
        let leaves = leaves_at(&file, "沙土镇中心小学", Some("四年级（4）班")).unwrap();
        let diff = masking::diff(&BTreeMap::new(), &leaves.into_iter().collect());
        let first = first_changes(&file, "沙土镇中心小学", Some("四年级（4）班")).unwrap();
        assert_eq!(first, serde_json::to_string(&diff).unwrap());
        assert!(
            first.contains(r#""father.phone":["","138****5678"]"#),
            "{first}"
        );
    }
}
