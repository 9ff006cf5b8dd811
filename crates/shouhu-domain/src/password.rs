//! Account passwords: the strength rule and argon2id hashing.
//!
//! Hashing and verifying take tens of milliseconds of CPU on purpose; async callers must run
//! them off the runtime (`tokio::task::spawn_blocking`) or they stall every other request.

use std::fmt;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::Deserialize;

const MIN_CHARS: usize = 8;
const MAX_CHARS: usize = 128;

/// A new password that meets the rule. Never printed, serialised or logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("密码至少需要 8 个字符")]
    Short,
    #[error("密码必须同时包含字母和数字")]
    Weak,
    #[error("密码不能超过 128 个字符")]
    TooLong,
    #[error("密码加密失败")]
    Hash,
}

impl PasswordError {
    pub fn code(&self) -> &'static str {
        match self {
            PasswordError::Short => "password.short",
            PasswordError::Weak => "password.weak",
            PasswordError::TooLong => "password.too_long",
            PasswordError::Hash => "password.hash",
        }
    }
}

impl Password {
    /// Taken verbatim: no trimming or width folding, or the user could not log in with what
    /// they typed.
    pub fn parse(s: &str) -> Result<Password, PasswordError> {
        let chars = s.chars().count();
        if chars < MIN_CHARS {
            return Err(PasswordError::Short);
        }
        if chars > MAX_CHARS {
            return Err(PasswordError::TooLong);
        }
        if !(s.chars().any(char::is_alphabetic) && s.chars().any(char::is_numeric)) {
            return Err(PasswordError::Weak);
        }
        Ok(Password(s.to_owned()))
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

impl<'de> Deserialize<'de> for Password {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Password::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// An argon2id PHC string (default parameters, random salt). Blocking: see the module docs.
pub fn hash_password(p: &Password) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(p.0.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| PasswordError::Hash)
}

/// Whether `plain` matches the stored PHC string; a malformed hash never matches.
/// Blocking: see the module docs.
pub fn verify_password(plain: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(plain.as_bytes(), &hash)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_rule() {
        assert!(Password::parse("abcd1234").is_ok());
        assert!(Password::parse("守护儿童2026年").is_ok());
        assert_eq!(Password::parse("abc123"), Err(PasswordError::Short));
        assert_eq!(Password::parse("abcdefgh"), Err(PasswordError::Weak));
        assert_eq!(Password::parse("12345678"), Err(PasswordError::Weak));
        assert_eq!(
            Password::parse(&"a1".repeat(65)),
            Err(PasswordError::TooLong)
        );
        assert!(Password::parse(&"a1".repeat(64)).is_ok());
    }

    #[test]
    fn debug_hides_the_secret() {
        let p = Password::parse("secret123").unwrap();
        assert!(!format!("{p:?}").contains("secret"));
    }

    #[test]
    fn hash_and_verify() {
        let p = Password::parse("secret123").unwrap();
        let phc = hash_password(&p).unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert_ne!(phc, hash_password(&p).unwrap(), "salt is random");
        assert!(verify_password("secret123", &phc));
        assert!(!verify_password("secret124", &phc));
        assert!(!verify_password("secret123", "not a hash"));
    }
}
