//! Serde and `FromStr` for newtypes whose wire form is their display string.

/// Serialises via `Display` and deserialises through `parse`, so data read from JSON, forms or
/// CSV is held to the same rules as anything typed in.
macro_rules! string_form {
    ($ty:ident, $err:ty) => {
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                // Parsed from the deserializer's own text (borrowed from the input where it
                // can be), not from a `String` made first: stored files hold many of these.
                struct Visitor;
                impl ::serde::de::Visitor<'_> for Visitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($ty), " as text"))
                    }
                    fn visit_str<E: ::serde::de::Error>(self, s: &str) -> Result<$ty, E> {
                        // The code, not the text: the web layer translates it into the
                        // reader's language.
                        $ty::parse(s).map_err(|e| E::custom(e.code()))
                    }
                }
                d.deserialize_str(Visitor)
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $err;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $ty::parse(s)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::{IdCardNo, PhoneNo, RegionCode, Role, SchoolYear};

    #[test]
    fn newtypes_travel_as_checked_strings() {
        let phone: PhoneNo = serde_json::from_str(r#""+86 138 1234 5678""#).unwrap();
        assert_eq!(serde_json::to_string(&phone).unwrap(), r#""13812345678""#);
        let region: RegionCode = serde_json::from_str(r#""520502""#).unwrap();
        assert_eq!(serde_json::to_string(&region).unwrap(), r#""520502000000""#);
        let year: SchoolYear = serde_json::from_str(r#""2026""#).unwrap();
        assert_eq!(serde_json::to_string(&year).unwrap(), r#""2026-2027""#);
        assert_eq!(
            serde_json::to_string(&Role::HeadTeacher).unwrap(),
            r#""head_teacher""#
        );
        assert!(serde_json::from_str::<IdCardNo>(r#""110105194912310021""#).is_err());
        assert_eq!("520502".parse::<RegionCode>(), Ok(region));
    }
}
