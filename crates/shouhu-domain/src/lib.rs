//! Pure rules and types of Shouhu: identifiers, regions, roles, schools. No I/O.
//!
//! Every value that arrives as text is a newtype built by `parse`, so holding one proves it was
//! checked. Every error has a Chinese `Display` and a stable `code()` the web layer translates.

#[macro_use]
mod serde_str;

mod clock;
mod id_card;
mod password;
mod person_name;
mod phone;
mod region_code;
mod role;
mod school;
mod sex;
mod text;

pub use clock::{shanghai, today_shanghai};
pub use id_card::{IdCardError, IdCardNo, check_char};
pub use password::{Password, PasswordError, hash_password, verify_password};
pub use person_name::{PersonName, PersonNameError};
pub use phone::{PhoneError, PhoneKind, PhoneNo};
pub use region_code::{
    RegionCode, RegionCodeError, RegionLevel, RegionLevelError, TownshipKind, VillageKind,
};
pub use role::{Role, RoleError};
pub use school::{Grade, SchoolError, SchoolKind, SchoolYear};
pub use sex::{Sex, SexError};
pub use text::normalize_width;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key the web layer may look up for this crate, so a new variant cannot ship untranslated.
    fn keys() -> Vec<&'static str> {
        let mut keys = vec![SexError::Invalid.code(), RoleError::Unknown.code()];
        keys.extend([Sex::Male, Sex::Female].map(Sex::label_key));
        keys.extend(Role::ALL.map(Role::label_key));
        keys.extend(RegionLevel::ALL.map(RegionLevel::label_key));
        keys.extend(SchoolKind::ALL.map(SchoolKind::label_key));
        keys.push(RegionLevelError::Unknown.code());
        use SchoolError as S;
        keys.extend([S::UnknownKind, S::Grade, S::SchoolYear].map(|e| e.code()));
        use IdCardError as I;
        let check = I::CheckChar {
            expected: 'X',
            found: '1',
        };
        let id = [
            I::Empty,
            I::Length,
            I::Character,
            I::Region,
            I::BirthDate,
            I::FutureBirthDate,
            check,
        ];
        keys.extend(id.map(|e| e.code()));
        use RegionCodeError as R;
        keys.extend([R::Empty, R::Length, R::Character, R::Zero, R::Province].map(|e| e.code()));
        use PhoneError as P;
        keys.extend([P::Empty, P::Character, P::Mobile, P::Landline].map(|e| e.code()));
        use PersonNameError as N;
        keys.extend([N::Empty, N::TooLong, N::Character { ch: '!' }].map(|e| e.code()));
        use PasswordError as W;
        keys.extend([W::Short, W::Weak, W::TooLong, W::Hash].map(|e| e.code()));
        keys
    }

    #[test]
    fn catalogs_hold_exactly_the_keys() {
        let mut expected = keys();
        expected.sort_unstable();
        for file in [
            include_str!("../messages.zh-CN.toml"),
            include_str!("../messages.en.toml"),
        ] {
            let mut found: Vec<&str> = file
                .lines()
                .filter_map(|l| l.strip_prefix('"')?.split_once("\" = \"").map(|(k, _)| k))
                .collect();
            found.sort_unstable();
            assert_eq!(found, expected);
        }
    }
}
