//! A sheet row laid over a stored file: what the sheet says wins, what it leaves blank (or has
//! no column for) keeps what is stored, so a re-import never erases work done in Shouhu.

use serde_json::Value;
use shouhu_domain::ChildFile;

use super::super::{merge_patch, parse_file, to_json};
use crate::StoreResult;

/// Drops nulls, empty lists and empty objects, at any depth; true when nothing is left.
fn prune(v: &mut Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => {
            map.retain(|_, v| !prune(v));
            map.is_empty()
        }
        _ => false,
    }
}

/// `stored` with `sheet`'s values over it. `keep` names top-level keys the sheet has no column
/// for although the parsed file holds a default (健康状况, 在校状态); the place of residence is
/// always kept, since a sheet only knows the school's.
pub(super) fn merged(
    stored: &ChildFile,
    sheet: &ChildFile,
    keep: &[String],
) -> StoreResult<ChildFile> {
    let mut doc = to_json(stored)?;
    let mut over = to_json(sheet)?;
    prune(&mut over);
    if let Value::Object(map) = &mut over {
        map.remove("residence_region");
        for k in keep {
            map.remove(k);
        }
    }
    merge_patch(&mut doc, &over);
    parse_file(doc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn blanks_keep_and_values_win() {
        let mut v =
            json!({"a": null, "b": [], "c": {"d": null}, "e": 1, "f": {"g": "x", "h": null}});
        assert!(!prune(&mut v));
        assert_eq!(v, json!({"e": 1, "f": {"g": "x"}}));
    }
}
