//! Between the child form and the file's JSON: a posted form becomes the file as JSON (which the
//! store parses, naming any bad field by its path), and a stored file fills the form back in.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::fields::{Input, Section};
use crate::pages::places::Posted;

/// What the form shows in each field: path → value(s) as typed.
#[derive(Clone, Debug, Default)]
pub struct Typed(pub BTreeMap<String, Vec<String>>);

impl Typed {
    pub fn one(&self, path: &str) -> &str {
        self.0
            .get(path)
            .and_then(|v| v.first())
            .map_or("", String::as_str)
    }

    pub fn has(&self, path: &str, value: &str) -> bool {
        self.0
            .get(path)
            .is_some_and(|v| v.iter().any(|x| x == value))
    }

    pub fn posted(p: &Posted, sections: &[Section]) -> Self {
        let mut out = BTreeMap::new();
        for f in sections.iter().flat_map(|s| &s.fields) {
            let values = p.all(&f.path);
            if !values.is_empty() {
                out.insert(f.path.clone(), values);
            }
        }
        Self(out)
    }

    /// The form of a stored (masked) file.
    pub fn of_file(file: &Value) -> Self {
        let mut out = BTreeMap::new();
        fill(file, String::new(), &mut out);
        Self(out)
    }
}

fn fill(value: &Value, path: String, out: &mut BTreeMap<String, Vec<String>>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_owned()
        } else {
            format!("{path}.{k}")
        }
    };
    match value {
        Value::Object(map) => {
            if !path.is_empty() {
                // An object that exists at all ticks its presence box (`father.away`).
                out.insert(path.clone(), vec!["on".to_owned()]);
            }
            map.iter().for_each(|(k, v)| fill(v, join(k), out));
        }
        Value::Array(items) if items.iter().all(Value::is_string) => {
            let codes = items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            out.insert(path, codes);
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| fill(v, join(&i.to_string()), out)),
        Value::Null => {}
        Value::String(s) => {
            out.insert(path, vec![s.clone()]);
        }
        Value::Bool(true) => {
            out.insert(path, vec!["on".to_owned()]);
        }
        Value::Bool(false) => {}
        other => {
            out.insert(path, vec![other.to_string()]);
        }
    }
}

/// Sets `value` at a dotted path, making objects on the way.
fn set(root: &mut Map<String, Value>, path: &str, value: Value) {
    let mut parts = path.split('.').peekable();
    let mut here = root;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            here.insert(part.to_owned(), value);
            return;
        }
        let next = here
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            *next = Value::Object(Map::new());
        }
        let Value::Object(map) = next else { return };
        here = map;
    }
}

fn remove(root: &mut Map<String, Value>, path: &str) {
    let (parent, last) = match path.rsplit_once('.') {
        Some((p, l)) => (Some(p), l),
        None => (None, path),
    };
    let mut here = root;
    if let Some(parent) = parent {
        for part in parent.split('.') {
            match here.get_mut(part) {
                Some(Value::Object(map)) => here = map,
                _ => return,
            }
        }
    }
    here.remove(last);
}

/// Objects whose keys are all list indexes become lists, empty entries dropped.
fn lists(value: &mut Value) {
    if let Value::Object(map) = value {
        map.values_mut().for_each(lists);
        if !map.is_empty() && map.keys().all(|k| k.bytes().all(|b| b.is_ascii_digit())) {
            let mut items: Vec<(usize, Value)> = std::mem::take(map)
                .into_iter()
                .filter_map(|(k, v)| Some((k.parse().ok()?, v)))
                .collect();
            items.sort_by_key(|(i, _)| *i);
            *value = Value::Array(items.into_iter().map(|(_, v)| v).collect());
        }
    }
}

/// Health carries only the details of its kind; the masked `****` stands for "unchanged".
fn tidy_health(doc: &mut Map<String, Value>) {
    let Some(Value::Object(health)) = doc.get_mut("health") else {
        return;
    };
    let kind = health
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match kind {
        "****" => {
            doc.insert("health".to_owned(), Value::String("****".to_owned()));
        }
        "disabled" => {
            health.remove("illness");
        }
        "ill" => {
            health.remove("category");
            health.remove("grade");
        }
        _ => {
            health.retain(|k, _| k == "kind");
        }
    }
}

/// The file as JSON from what was typed. Empty fields are left out, so the domain's defaults
/// apply and a missing required one is named by the store.
pub fn to_json(typed: &Typed, sections: &[Section]) -> Value {
    let mut doc = Map::new();
    let mut absent = Vec::new();
    for f in sections.iter().flat_map(|s| &s.fields) {
        let raw = typed.one(&f.path);
        let value = match &f.input {
            Input::Multi(_) => {
                let codes = typed.0.get(&f.path).cloned().unwrap_or_default();
                let codes: Vec<Value> = codes
                    .into_iter()
                    .filter(|c| !c.is_empty())
                    .map(Value::String)
                    .collect();
                (!codes.is_empty()).then_some(Value::Array(codes))
            }
            Input::Check => (!raw.is_empty()).then_some(Value::Bool(true)),
            Input::Present => {
                if raw.is_empty() {
                    absent.push(f.path.clone());
                    None
                } else {
                    Some(Value::Object(Map::new()))
                }
            }
            Input::Number => (!raw.is_empty()).then(|| {
                raw.parse::<i64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| Value::String(raw.to_owned()))
            }),
            _ => (!raw.is_empty()).then(|| Value::String(raw.to_owned())),
        };
        // A presence box never wipes what its fields already put there.
        if let Some(value) = value
            && !(matches!(f.input, Input::Present) && has_path(&doc, &f.path))
        {
            set(&mut doc, &f.path, value);
        }
    }
    // An unticked presence box drops whatever was typed under it, and a parent object left
    // empty by that goes too.
    for path in absent {
        remove(&mut doc, &path);
        let mut up = path.as_str();
        while let Some((parent, _)) = up.rsplit_once('.') {
            if get(&doc, parent).is_some_and(|v| v.as_object().is_some_and(Map::is_empty)) {
                remove(&mut doc, parent);
            }
            up = parent;
        }
    }
    tidy_health(&mut doc);
    let mut doc = Value::Object(doc);
    lists(&mut doc);
    doc
}

/// The value at a dotted path of the file's JSON.
pub fn get<'a>(doc: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let (first, rest) = match path.split_once('.') {
        Some((f, r)) => (f, Some(r)),
        None => (path, None),
    };
    let here = doc.get(first)?;
    match (rest, here) {
        (None, v) => Some(v),
        (Some(rest), Value::Object(map)) => get(map, rest),
        (Some(rest), Value::Array(items)) => {
            let (index, tail) = match rest.split_once('.') {
                Some((i, t)) => (i, Some(t)),
                None => (rest, None),
            };
            let item = items.get(index.parse::<usize>().ok()?)?;
            match (tail, item) {
                (None, v) => Some(v),
                (Some(t), Value::Object(map)) => get(map, t),
                _ => None,
            }
        }
        _ => None,
    }
}

fn has_path(doc: &Map<String, Value>, path: &str) -> bool {
    get(doc, path).is_some()
}

#[cfg(test)]
mod tests {
    use super::super::fields::sections;
    use super::*;
    use serde_json::json;

    fn typed(pairs: &[(&str, &str)]) -> Typed {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in pairs {
            map.entry((*k).to_owned())
                .or_default()
                .push((*v).to_owned());
        }
        Typed(map)
    }

    #[test]
    fn a_posted_form_becomes_the_file_json() {
        let t = typed(&[
            ("name", "单𠮷"),
            ("father.name", "单建国"),
            ("father.away", "on"),
            ("father.away.province", "44"),
            ("mother.away.city", "深圳市"),
            ("guardians.0.name", "单大山"),
            ("guardians.0.is_carer", "on"),
            ("guardians.0.birth_year", "1956"),
            ("income_sources", "wage_work"),
            ("income_sources", "farming"),
            ("health.kind", "ill"),
            ("health.illness", "哮喘"),
            ("health.grade", "grade_1"),
        ]);
        let doc = to_json(&t, &sections(Vec::new()));
        assert_eq!(
            doc,
            json!({
                "name": "单𠮷",
                "father": {"name": "单建国", "away": {"province": "44"}},
                "guardians": [{"name": "单大山", "is_carer": true, "birth_year": 1956}],
                "income_sources": ["wage_work", "farming"],
                "health": {"kind": "ill", "illness": "哮喘"},
            }),
            "mother.away without its box is dropped; health keeps its kind's details"
        );
    }

    #[test]
    fn a_stored_file_fills_the_form_back_in() {
        let file = json!({
            "name": "单𠮷",
            "father": {"away": {"province": "44"}},
            "guardians": [{"name": "单大山", "is_carer": true}],
            "income_sources": ["wage_work"],
        });
        let t = Typed::of_file(&file);
        assert_eq!(t.one("father.away"), "on");
        assert_eq!(t.one("father.away.province"), "44");
        assert_eq!(t.one("guardians.0.is_carer"), "on");
        assert!(t.has("income_sources", "wage_work"));
        let back = to_json(&t, &sections(Vec::new()));
        assert_eq!(back, file);
    }
}
