//! What of a file a reader sees: sensitive values (ID numbers, phones, addresses, health, notes)
//! masked until revealed, and never shown to volunteers at all. Works on the file's JSON form so
//! that pages, the API and the revision history all mask through this one place.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use shouhu_domain::{IdCardNo, PhoneNo, Role, mask_address};

/// How much of the sensitive values a reader gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Masked (`520502********1234`, `138****5678`), the default for everyone who may read files.
    Masked,
    /// Removed: volunteers never see ID numbers, health or addresses.
    Hidden,
    /// In clear, after an audited reveal.
    Revealed,
}

impl Visibility {
    pub fn for_role(role: Role) -> Self {
        if role == Role::Volunteer {
            Self::Hidden
        } else {
            Self::Masked
        }
    }
}

/// Stands in for health and notes, whose text says too much to show even in part.
pub const HIDDEN_TEXT: &str = "****";

/// Keys whose values are sensitive wherever they appear in the file.
pub(super) fn sensitivity(key: &str) -> Option<Kind> {
    match key {
        // The 全国学籍号 is usually G + the ID number, so it is masked like one.
        "id_number" | "doc_number" | "xueji_no" => Some(Kind::Document),
        "phone" => Some(Kind::Phone),
        "address" => Some(Kind::Address),
        "health" | "notes" => Some(Kind::Text),
        _ => None,
    }
}

#[derive(Clone, Copy)]
pub(super) enum Kind {
    Document,
    Phone,
    Address,
    Text,
}

impl Kind {
    fn mask(self, value: &Value) -> Value {
        Value::String(self.masked_text(value))
    }

    pub(super) fn masked_text(self, value: &Value) -> String {
        let text = value.as_str().unwrap_or_default();
        match self {
            Kind::Document => IdCardNo::parse(text)
                .map(|n| n.masked())
                .unwrap_or_else(|_| HIDDEN_TEXT.to_owned()),
            Kind::Phone => PhoneNo::parse(text)
                .map(|p| p.masked())
                .unwrap_or_else(|_| HIDDEN_TEXT.to_owned()),
            Kind::Address => mask_address(text),
            Kind::Text => HIDDEN_TEXT.to_owned(),
        }
    }

    /// Volunteers keep masked phones (they log calls) but lose everything else.
    pub(super) fn hidden_from_volunteers(self) -> bool {
        !matches!(self, Kind::Phone)
    }
}

/// Applies `visibility` to a file's JSON in place.
pub fn apply(doc: &mut Value, visibility: Visibility) {
    if visibility == Visibility::Revealed {
        return;
    }
    match doc {
        Value::Object(map) => apply_object(map, visibility),
        Value::Array(items) => items.iter_mut().for_each(|v| apply(v, visibility)),
        _ => {}
    }
}

fn apply_object(map: &mut Map<String, Value>, visibility: Visibility) {
    let keys: Vec<String> = map.keys().cloned().collect();
    for key in keys {
        match sensitivity(&key) {
            Some(kind) if visibility == Visibility::Hidden && kind.hidden_from_volunteers() => {
                map.remove(&key);
            }
            Some(kind) => {
                if let Some(v) = map.get_mut(&key).filter(|v| !v.is_null()) {
                    *v = kind.mask(v);
                }
            }
            None => {
                if let Some(v) = map.get_mut(&key) {
                    apply(v, visibility);
                }
            }
        }
    }
}

/// Puts back the stored value wherever `doc` still holds the masked form of it, so a form or a
/// client can send a file back with `138****5678` untouched and keep the number it stands for.
pub fn restore(doc: &mut Value, current: &Value) {
    match doc {
        Value::Object(map) => {
            let cur = current.as_object();
            // `****` where nothing is stored stands for nothing, not for the text `****`.
            let mut placeholders = Vec::new();
            for (key, value) in map.iter_mut() {
                let stored = cur.and_then(|c| c.get(key));
                match (sensitivity(key), stored) {
                    (Some(kind), Some(stored))
                        if *value == kind.mask(stored) || *value == HIDDEN_TEXT =>
                    {
                        *value = stored.clone();
                    }
                    (Some(_), None) if *value == HIDDEN_TEXT => placeholders.push(key.clone()),
                    (Some(_), _) => {}
                    (None, stored) => restore(value, stored.unwrap_or(&Value::Null)),
                }
            }
            for key in placeholders {
                map.remove(&key);
            }
        }
        Value::Array(items) => {
            let cur = current.as_array();
            for (i, item) in items.iter_mut().enumerate() {
                restore(item, cur.and_then(|c| c.get(i)).unwrap_or(&Value::Null));
            }
        }
        _ => {}
    }
}

/// Field → [before, after] for every leaf that differs.
pub fn diff(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> BTreeMap<String, [String; 2]> {
    let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| {
            let get = |m: &BTreeMap<String, String>| m.get(k).cloned().unwrap_or_default();
            (k.clone(), [get(before), get(after)])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn id() -> String {
        let first17 = "52050220150301123";
        format!("{first17}{}", shouhu_domain::check_char(first17.as_bytes()))
    }

    fn doc() -> Value {
        json!({
            "name": "单𠮷",
            "id_number": id(),
            "address": "贵州省毕节市七星关区梨树镇小屯沟村三组12号",
            "health": {"kind": "ill", "illness": "哮喘"},
            "father": {"name": "单建国", "phone": "13812345678"},
            "guardians": [{"name": "单大山", "phone": "0857-8221234", "health": "腿脚不便"}],
        })
    }

    fn flatten(doc: &Value, visibility: Visibility) -> BTreeMap<String, String> {
        super::super::leaves::leaves(doc, visibility)
            .unwrap()
            .into_iter()
            .collect()
    }

    #[test]
    fn masked_readers_see_the_shape_but_not_the_values() {
        let mut d = doc();
        apply(&mut d, Visibility::Masked);
        assert_eq!(d["id_number"], format!("520502********{}", &id()[14..]));
        assert_eq!(d["address"], "贵州省毕节市****");
        assert_eq!(d["health"], HIDDEN_TEXT);
        assert_eq!(d["father"]["phone"], "138****5678");
        assert_eq!(d["guardians"][0]["phone"], "0857-***1234");
        assert_eq!(d["guardians"][0]["health"], HIDDEN_TEXT);
        assert_eq!(d["name"], "单𠮷");
    }

    #[test]
    fn volunteers_lose_documents_health_and_addresses() {
        let d = doc();
        let flat = flatten(&d, Visibility::Hidden);
        assert!(
            flat.keys().all(|k| !k.contains("id_number")
                && !k.contains("health")
                && !k.contains("address"))
        );
        assert_eq!(flat["father.phone"], "138****5678");
    }

    #[test]
    fn masked_values_sent_back_keep_what_they_stand_for() {
        let stored = doc();
        let mut sent = doc();
        apply(&mut sent, Visibility::Masked);
        sent["guardians"][0]["name"] = json!("单小河");
        sent["father"]["phone"] = json!("13700001111");
        restore(&mut sent, &stored);
        assert_eq!(sent["id_number"], stored["id_number"]);
        assert_eq!(sent["health"], stored["health"]);
        assert_eq!(
            sent["guardians"][0]["phone"],
            stored["guardians"][0]["phone"]
        );
        assert_eq!(sent["guardians"][0]["name"], "单小河");
        assert_eq!(sent["father"]["phone"], "13700001111");
    }

    #[test]
    fn a_placeholder_where_nothing_is_stored_means_nothing() {
        let stored = json!({"guardians": [{"name": "单大山"}]});
        let mut sent = json!({
            "notes": HIDDEN_TEXT,
            "guardians": [{"name": "单大山", "health": HIDDEN_TEXT}, {"name": "李四", "health": HIDDEN_TEXT}],
        });
        restore(&mut sent, &stored);
        assert_eq!(
            sent,
            json!({"guardians": [{"name": "单大山"}, {"name": "李四"}]})
        );
    }

    #[test]
    fn diffs_name_each_changed_leaf() {
        let before = flatten(&doc(), Visibility::Revealed);
        let mut changed = doc();
        changed["guardians"][0]["name"] = json!("单小河");
        changed["father"]["phone"] = Value::Null;
        let d = diff(&before, &flatten(&changed, Visibility::Revealed));
        assert_eq!(d.len(), 2);
        assert_eq!(
            d["guardians.0.name"],
            ["单大山".to_owned(), "单小河".to_owned()]
        );
        assert_eq!(d["father.phone"][1], "");
    }
}
