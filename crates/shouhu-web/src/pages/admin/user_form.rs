//! The user form as typed, and its checks field by field, before anything reaches the store.
//! Errors are catalog keys per field, so the form can come back in Chinese with what was typed.

use std::collections::BTreeMap;

use serde::Deserialize;
use shouhu_domain::{Password, RegionCode, Role, normalize_width};

/// Field name → catalog key of what is wrong with it.
pub type FieldErrors = BTreeMap<String, String>;

const DISPLAY_NAME_MAX: usize = 30;

/// What the browser posts; every field is text so that a bad value comes back as typed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct UserForm {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub region: String,
    pub school_id: String,
    pub password: String,
    pub version: String,
}

/// A checked form. `region` is `None` for school staff, whose node is their school's.
#[derive(Clone, Debug)]
pub struct Checked {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub region: Option<RegionCode>,
    pub school_id: Option<i64>,
    pub password: Option<Password>,
}

/// Sign-in names: 3 to 32 of `a-z 0-9 _ . -`, stored lower-case; full-width input is accepted.
pub fn parse_username(raw: &str) -> Result<String, &'static str> {
    let name = normalize_width(raw).trim().to_lowercase();
    let len = name.chars().count();
    if !(3..=32).contains(&len) {
        return Err("user.username_length");
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c);
    if !name.chars().all(allowed) {
        return Err("user.username_character");
    }
    Ok(name)
}

/// The name shown to others. Not a [`shouhu_domain::PersonName`]: staff go by titles such as
/// 王科长 or 龙老师（班主任）, so any printable text of 1 to 30 characters will do.
pub fn parse_display_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("user.display_name_empty");
    }
    if name.chars().count() > DISPLAY_NAME_MAX {
        return Err("user.display_name_too_long");
    }
    if name.chars().any(char::is_control) {
        return Err("user.display_name_character");
    }
    Ok(name.to_owned())
}

impl UserForm {
    /// Checks every field and reports all problems at once. `creating` adds the user name and
    /// the optional initial password, which an edit does not change.
    pub fn check(&self, creating: bool) -> Result<Checked, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut fail = |field: &str, key: &str| {
            errors.insert(field.to_owned(), key.to_owned());
        };
        let username = if creating {
            parse_username(&self.username)
                .map_err(|k| fail("username", k))
                .ok()
        } else {
            Some(String::new())
        };
        let display_name = parse_display_name(&self.display_name)
            .map_err(|k| fail("display_name", k))
            .ok();
        let role = Role::parse(&self.role)
            .map_err(|e| fail("role", e.code()))
            .ok();
        let school_role = role.is_some_and(Role::works_in_school);
        let school_id = if school_role {
            match self.school_id.trim() {
                "" => {
                    fail("school_id", "user.school_required");
                    None
                }
                id => match id.parse::<i64>() {
                    Ok(id) => Some(id),
                    Err(_) => {
                        fail("school_id", "user.school_unknown");
                        None
                    }
                },
            }
        } else {
            None
        };
        let region = if role.is_some() && !school_role {
            match RegionCode::parse(&normalize_width(&self.region)) {
                Ok(code) => Some(code),
                Err(e) => {
                    fail("region", e.code());
                    None
                }
            }
        } else {
            None
        };
        let password = if creating && !self.password.is_empty() {
            Password::parse(&self.password)
                .map_err(|e| fail("password", e.code()))
                .ok()
        } else {
            None
        };
        match (username, display_name, role) {
            (Some(username), Some(display_name), Some(role)) if errors.is_empty() => Ok(Checked {
                username,
                display_name,
                role,
                region,
                school_id,
                password,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_lower_cased_and_limited() {
        assert_eq!(parse_username(" Long.Li_2 "), Ok("long.li_2".to_owned()));
        assert_eq!(parse_username("ｌｏｎｇ"), Ok("long".to_owned()));
        assert_eq!(parse_username("ab"), Err("user.username_length"));
        assert_eq!(parse_username(&"a".repeat(33)), Err("user.username_length"));
        assert_eq!(parse_username("龙老师"), Err("user.username_character"));
        assert_eq!(parse_username("a b c"), Err("user.username_character"));
    }

    #[test]
    fn display_names_allow_titles_but_not_control_characters() {
        assert_eq!(
            parse_display_name(" 龙老师（班主任） "),
            Ok("龙老师（班主任）".to_owned())
        );
        assert_eq!(parse_display_name("  "), Err("user.display_name_empty"));
        assert_eq!(
            parse_display_name(&"王".repeat(31)),
            Err("user.display_name_too_long")
        );
        assert_eq!(
            parse_display_name("王\u{7}科长"),
            Err("user.display_name_character")
        );
    }

    #[test]
    fn school_staff_need_a_school_and_others_a_region() {
        let form = UserForm {
            username: "ab".into(),
            display_name: String::new(),
            role: "head_teacher".into(),
            ..UserForm::default()
        };
        let errors = form.check(true).unwrap_err();
        assert_eq!(errors["username"], "user.username_length");
        assert_eq!(errors["display_name"], "user.display_name_empty");
        assert_eq!(errors["school_id"], "user.school_required");
        assert!(!errors.contains_key("region"));

        let form = UserForm {
            username: "zhangsan".into(),
            display_name: "张三".into(),
            role: "child_director".into(),
            region: "5205021012".into(),
            password: "short".into(),
            ..UserForm::default()
        };
        let errors = form.check(true).unwrap_err();
        assert_eq!(errors["region"], "region_code.length");
        assert_eq!(errors["password"], "password.short");

        let form = UserForm {
            region: "520502101205".into(),
            password: String::new(),
            ..form
        };
        let checked = form.check(true).unwrap();
        assert_eq!(checked.role, Role::ChildDirector);
        assert!(checked.password.is_none() && checked.school_id.is_none());
    }
}
