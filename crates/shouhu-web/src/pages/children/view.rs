//! What the file page and the form show, field by field, from the field table: read-only rows for
//! the file, input widgets for the form, labels for revisions. Texts are resolved here so the
//! templates only print.

use serde_json::Value;

use super::fields::{Input, Section, label_key};
use super::form::{Typed, get};
use crate::i18n::Tr;
use crate::pages::places::FieldErrors;

/// A label and the value shown beside it.
#[derive(Clone, Debug)]
pub struct Row {
    pub label: String,
    pub value: String,
}

#[derive(Clone, Debug)]
pub struct SectionRows {
    pub id: String,
    pub title: String,
    pub rows: Vec<Row>,
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The file's sections with every field that has a value, in table order.
pub fn rows(t: &Tr, sections: &[Section], file: &Value) -> Vec<SectionRows> {
    let Some(doc) = file.as_object() else {
        return Vec::new();
    };
    let yes = t.t("child.yes").to_owned();
    sections
        .iter()
        .map(|s| {
            let mut rows = Vec::new();
            for f in &s.fields {
                // Masked health is one string where the form has four fields.
                if f.path == "health.kind" && doc.get("health").is_some_and(Value::is_string) {
                    let value = doc.get("health").map(text_of).unwrap_or_default();
                    rows.push(Row {
                        label: t.t("f.health.kind").to_owned(),
                        value,
                    });
                    continue;
                }
                let Some(value) = get(doc, &f.path) else {
                    continue;
                };
                let shown = match (&f.input, value) {
                    (Input::Present, _) | (Input::Check, Value::Bool(true)) => yes.clone(),
                    (Input::Check, _) => continue,
                    (Input::Choice(opts), v) => {
                        let code = text_of(v);
                        opts.iter()
                            .find(|o| o.value == code)
                            .map(|o| {
                                if o.keyed {
                                    t.t(&o.label).to_owned()
                                } else {
                                    o.label.clone()
                                }
                            })
                            .unwrap_or(code)
                    }
                    (Input::Multi(opts), Value::Array(items)) => items
                        .iter()
                        .map(|i| {
                            let code = text_of(i);
                            opts.iter()
                                .find(|o| o.value == code)
                                .map(|o| t.t(&o.label).to_owned())
                                .unwrap_or(code)
                        })
                        .collect::<Vec<_>>()
                        .join("、"),
                    (_, Value::Object(_)) => continue,
                    (_, v) => text_of(v),
                };
                if !shown.is_empty() {
                    rows.push(Row {
                        label: slot_label(t, &f.path),
                        value: shown,
                    });
                }
            }
            SectionRows {
                id: s.key.replace('.', "-"),
                title: t.t(s.key).to_owned(),
                rows,
            }
        })
        .filter(|s| !s.rows.is_empty())
        .collect()
}

/// A path's label, with the slot number for list entries ("监护人姓名（2）").
pub fn slot_label(t: &Tr, path: &str) -> String {
    let label = t.t(&label_key(path)).to_owned();
    match path.split('.').find_map(|p| p.parse::<usize>().ok()) {
        Some(i) => format!("{label}（{}）", i + 1),
        None => label,
    }
}

/// One option of a select or checkbox group, label resolved.
#[derive(Clone, Debug)]
pub struct OptView {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One input of the form.
#[derive(Clone, Debug)]
pub struct Widget {
    pub name: String,
    pub id: String,
    pub label: String,
    /// text, secret, date, number, select, multi, check, present, area
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<OptView>,
    pub error: Option<String>,
}

#[derive(Clone, Debug)]
pub struct FormSection {
    pub title: String,
    pub open: bool,
    pub widgets: Vec<Widget>,
}

/// The form's sections, filled with what was typed and the errors beside their fields.
/// `keep_health` offers "unchanged" for a health status the reader sees masked.
pub fn widgets(
    t: &Tr,
    sections: &[Section],
    typed: &Typed,
    errors: &FieldErrors,
    keep_health: bool,
) -> Vec<FormSection> {
    sections
        .iter()
        .enumerate()
        .map(|(n, s)| {
            let widgets: Vec<Widget> = s
                .fields
                .iter()
                .map(|f| {
                    let value = typed.one(&f.path).to_owned();
                    let (kind, options) = match &f.input {
                        Input::Text => ("text", Vec::new()),
                        Input::Secret => ("secret", Vec::new()),
                        Input::Date => ("date", Vec::new()),
                        Input::Number => ("number", Vec::new()),
                        Input::Check => ("check", Vec::new()),
                        Input::Present => ("present", Vec::new()),
                        Input::LongText => ("area", Vec::new()),
                        Input::Choice(opts) | Input::Multi(opts) => {
                            let mut list: Vec<OptView> = opts
                                .iter()
                                .map(|o| OptView {
                                    value: o.value.clone(),
                                    label: if o.keyed {
                                        t.t(&o.label).to_owned()
                                    } else {
                                        o.label.clone()
                                    },
                                    selected: typed.has(&f.path, &o.value),
                                })
                                .collect();
                            if keep_health && f.path == "health.kind" {
                                list.insert(
                                    0,
                                    OptView {
                                        value: "****".to_owned(),
                                        label: t.t("child.health_unchanged").to_owned(),
                                        selected: value.is_empty() || value == "****",
                                    },
                                );
                            }
                            let kind = if matches!(f.input, Input::Multi(_)) {
                                "multi"
                            } else {
                                "select"
                            };
                            (kind, list)
                        }
                    };
                    Widget {
                        name: f.path.clone(),
                        id: format!("f-{}", f.path.replace('.', "-")),
                        label: slot_label(t, &f.path),
                        kind,
                        value,
                        options,
                        error: errors.get(&f.path).map(|k| t.t(k).to_owned()),
                    }
                })
                .collect();
            // The family sections decide the left-behind status, so they start open too.
            let open = n < 2
                || matches!(
                    s.key,
                    "section.father" | "section.mother" | "section.guardians"
                )
                || widgets
                    .iter()
                    .any(|w| w.error.is_some() || !w.value.is_empty());
            FormSection {
                title: t.t(s.key).to_owned(),
                open,
                widgets,
            }
        })
        .collect()
}
