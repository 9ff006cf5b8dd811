//! A file's leaves (`father.phone` → `138****5678`, `guardians.0.name` → `单大山`) straight from
//! its `Serialize` impl, masked as [`masking::apply`] masks the file's JSON: what the revision
//! history stores and diffs. Every save and every imported row comes through here, and building
//! the JSON tree first, only to walk it, cost more than the walk itself.
//!
//! The leaves are those of the file's JSON (`serde_json::to_value`) with `apply` run on it:
//! objects and arrays open into `key.key` and `key.0` paths, and null, `false` and `""` are no
//! leaves at all. A sensitive key's value alone goes through the JSON tree, to be masked whole.

use serde::Serialize;
use serde::ser;
use serde_json::{Error, Value};

use super::masking::{self, Visibility};

/// The leaves of `value` as a reader with `visibility` sees them, sorted by path.
pub fn leaves<T: Serialize + ?Sized>(
    value: &T,
    visibility: Visibility,
) -> Result<Vec<(String, String)>, Error> {
    let mut walker = Walker {
        visibility,
        path: String::with_capacity(48),
        out: Vec::with_capacity(48),
    };
    value.serialize(&mut walker)?;
    // Fields come in declaration order, so the paths are sorted once at the end.
    walker.out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(walker.out)
}

struct Walker {
    visibility: Visibility,
    /// Where the walk is: the keys down to here joined with dots.
    path: String,
    out: Vec<(String, String)>,
}

impl Walker {
    fn leaf(&mut self, text: String) {
        if !text.is_empty() {
            self.out.push((self.path.clone(), text));
        }
    }

    /// Steps into `key` and walks its value, masked whole when the key is sensitive.
    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        let len = self.enter(key);
        let walked = match masking::sensitivity(key) {
            Some(kind) if self.visibility != Visibility::Revealed => {
                let value = serde_json::to_value(value)?;
                let hidden = self.visibility == Visibility::Hidden && kind.hidden_from_volunteers();
                if !value.is_null() && !hidden {
                    self.leaf(kind.masked_text(&value));
                }
                Ok(())
            }
            _ => value.serialize(&mut *self),
        };
        self.path.truncate(len);
        walked
    }

    /// A value whose JSON form is worked out by serde_json (floats: NaN is null there).
    fn serialize_json<T: Serialize>(&mut self, value: &T) -> Result<(), Error> {
        match serde_json::to_value(value)? {
            Value::Null => {}
            other => self.leaf(other.to_string()),
        }
        Ok(())
    }

    /// Appends `key` to the path; returns the length to truncate back to.
    fn enter(&mut self, key: &str) -> usize {
        let len = self.path.len();
        if len > 0 {
            self.path.push('.');
        }
        self.path.push_str(key);
        len
    }
}

/// A sequence, tuple or variant being walked: items are keyed by their index, and a variant's
/// name is taken off the path at the end.
struct Items<'a> {
    walker: &'a mut Walker,
    next: usize,
    leave_to: Option<usize>,
}

impl Items<'_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self.next.to_string();
        self.next += 1;
        self.walker.field(&key, value)
    }

    fn end(self) -> Result<(), Error> {
        if let Some(len) = self.leave_to {
            self.walker.path.truncate(len);
        }
        Ok(())
    }
}

/// A struct or map being walked, with a map's key waiting for its value.
struct Fields<'a> {
    walker: &'a mut Walker,
    key: String,
    leave_to: Option<usize>,
}

impl Fields<'_> {
    fn end(self) -> Result<(), Error> {
        if let Some(len) = self.leave_to {
            self.walker.path.truncate(len);
        }
        Ok(())
    }
}

impl<'a> ser::Serializer for &'a mut Walker {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Items<'a>;
    type SerializeTuple = Items<'a>;
    type SerializeTupleStruct = Items<'a>;
    type SerializeTupleVariant = Items<'a>;
    type SerializeMap = Fields<'a>;
    type SerializeStruct = Fields<'a>;
    type SerializeStructVariant = Fields<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        if v {
            self.leaf("true".to_owned());
        }
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.leaf(v.to_string());
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.leaf(v.to_string());
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.serialize_json(&v)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.serialize_json(&v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.leaf(v.to_string());
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.leaf(v.to_owned());
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        let mut items = self.serialize_seq(Some(v.len()))?;
        v.iter().try_for_each(|b| items.item(b))?;
        items.end()
    }
    fn serialize_none(self) -> Result<(), Error> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Ok(())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.field(variant, value)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Items<'a>, Error> {
        Ok(Items {
            walker: self,
            next: 0,
            leave_to: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Items<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Items<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Items<'a>, Error> {
        let len = self.enter(variant);
        Ok(Items {
            walker: self,
            next: 0,
            leave_to: Some(len),
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Fields<'a>, Error> {
        Ok(Fields {
            walker: self,
            key: String::new(),
            leave_to: None,
        })
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Fields<'a>, Error> {
        self.serialize_map(None)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Fields<'a>, Error> {
        let len = self.enter(variant);
        Ok(Fields {
            walker: self,
            key: String::new(),
            leave_to: Some(len),
        })
    }
}

macro_rules! items {
    ($trait:ident, $method:ident) => {
        impl ser::$trait for Items<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.item(value)
            }
            fn end(self) -> Result<(), Error> {
                Items::end(self)
            }
        }
    };
}
items!(SerializeSeq, serialize_element);
items!(SerializeTuple, serialize_element);
items!(SerializeTupleStruct, serialize_field);
items!(SerializeTupleVariant, serialize_field);

macro_rules! fields {
    ($trait:ident) => {
        impl ser::$trait for Fields<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.walker.field(key, value)
            }
            fn end(self) -> Result<(), Error> {
                Fields::end(self)
            }
        }
    };
}
fields!(SerializeStruct);
fields!(SerializeStructVariant);

impl ser::SerializeMap for Fields<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        // Map keys are rare in a file (none today): the JSON form is worked out by serde_json.
        self.key = match serde_json::to_value(key)? {
            Value::String(text) => text,
            other => other.to_string(),
        };
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = std::mem::take(&mut self.key);
        self.walker.field(&key, value)
    }
    fn end(self) -> Result<(), Error> {
        Fields::end(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::children::masking::{HIDDEN_TEXT, apply};
    use serde_json::json;

    /// What `leaves` must equal: the document's JSON as `apply` leaves it, walked with nothing
    /// skipped but null, false and "".
    fn applied_then_walked(doc: &Value, visibility: Visibility) -> Vec<(String, String)> {
        fn walk(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
            let join = |key: &str| [path, key].join(".").trim_start_matches('.').to_owned();
            match value {
                Value::Object(map) => map.iter().for_each(|(k, v)| walk(v, &join(k), out)),
                Value::Array(items) => {
                    (0..items.len()).for_each(|i| walk(&items[i], &join(&i.to_string()), out))
                }
                Value::Null | Value::Bool(false) => {}
                Value::String(s) if s.is_empty() => {}
                Value::String(s) => out.push((path.to_owned(), s.clone())),
                other => out.push((path.to_owned(), other.to_string())),
            }
        }
        let mut applied = doc.clone();
        apply(&mut applied, visibility);
        let mut out = Vec::new();
        walk(&applied, "", &mut out);
        out.sort();
        out
    }

    const ALL: [Visibility; 3] = [Visibility::Masked, Visibility::Hidden, Visibility::Revealed];

    fn id() -> String {
        let first17 = "52050220150301123";
        format!("{first17}{}", shouhu_domain::check_char(first17.as_bytes()))
    }

    #[test]
    fn json_documents_walk_as_their_masked_form() {
        let doc = json!({
            "name": "单𠮷",
            "id_number": id(),
            "address": "贵州省毕节市七星关区梨树镇小屯沟村三组12号",
            "health": {"kind": "ill", "illness": "哮喘"},
            "notes": "",
            "key_child": true,
            "boarding": false,
            "grade": 4,
            "share": 0.5,
            "father": {"name": "单建国", "phone": "13812345678"},
            "mother": {"name": "王芳", "phone": null, "id_number": "5205021990"},
            "guardians": [{"name": "单大山", "phone": "0857-8221234", "health": "腿脚不便"}],
            "siblings": (0..12).map(|i| json!({"name": format!("兄弟{i}"), "address": ""})).collect::<Vec<_>>(),
        });
        for d in [doc, json!("只是一段文字"), json!(null), json!([])] {
            for v in ALL {
                assert_eq!(
                    leaves(&d, v).unwrap(),
                    applied_then_walked(&d, v),
                    "{v:?} {d}"
                );
            }
        }
    }

    #[test]
    fn a_child_file_walks_as_its_json_does() {
        let file = crate::children::parse_file(json!({
            "name": "张三", "sex": "male", "ethnicity": "han", "birth_date": "2015-03-01",
            "id_doc_type": "resident_id_card", "id_number": id(),
            "residence_region": "520502101205", "address": "贵州省毕节市七星关区梨树镇小屯沟村",
            "schooling": "in_school", "health": {"kind": "ill", "illness": "哮喘"},
            "father": {"name": "张建国", "phone": "13812345678",
                       "away": {"since": "2020-02-01", "city": "东莞市", "employer": "某电子厂"}},
            "guardians": [{"name": "张大山", "relation": "祖父", "phone": "13912345678",
                           "birth_year": 1955, "health": "腿脚不便", "is_carer": true}],
            "entrustment": {"name": "张大山", "relation": "祖父", "phone": "13912345678",
                            "address": "梨树镇小屯沟村", "age": 70, "disqualifications": {"vices": true}},
            "notes": "家中有一妹妹",
        }))
        .unwrap();
        let json = serde_json::to_value(&file).unwrap();
        for v in ALL {
            assert_eq!(
                leaves(&file, v).unwrap(),
                applied_then_walked(&json, v),
                "{v:?}"
            );
        }
        let masked: std::collections::BTreeMap<_, _> = leaves(&file, Visibility::Masked)
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(masked["health"], HIDDEN_TEXT);
        assert_eq!(masked["father.phone"], "138****5678");
        assert_eq!(
            masked["id_number"],
            format!("520502********{}", &id()[14..])
        );
    }
}
