//! Who is asking, and what part of the tree they may see. Every repository function takes a `Scope`,
//! so a query cannot be written without one.

use shouhu_domain::{RegionCode, Role};

/// The acting party, as written into the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    User {
        id: i64,
        username: String,
    },
    /// The CLI run on the server by whoever operates it: full scope, audited under this name.
    LocalOperator,
}

impl Actor {
    pub fn id(&self) -> Option<i64> {
        match self {
            Self::User { id, .. } => Some(*id),
            Self::LocalOperator => None,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::User { username, .. } => username,
            Self::LocalOperator => "local-operator",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Scope {
    pub actor: Actor,
    pub role: Role,
    /// Root of the visible subtree; `None` is the whole country.
    pub region: Option<RegionCode>,
    /// For school staff: the one school they work in.
    pub school: Option<i64>,
    /// For head teachers and teachers: the classes they may open (`None` = every class in reach).
    pub classes: Option<Vec<i64>>,
    /// The client address, for the audit log.
    pub address: Option<String>,
}

impl Scope {
    pub fn local_operator() -> Self {
        Self {
            actor: Actor::LocalOperator,
            role: Role::SystemAdmin,
            region: None,
            school: None,
            classes: None,
            address: None,
        }
    }

    pub fn covers_region(&self, code: &RegionCode) -> bool {
        self.region.as_ref().is_none_or(|root| root.contains(code))
    }

    pub fn covers_school(&self, school_id: i64, school_region: &RegionCode) -> bool {
        self.covers_region(school_region) && self.school.is_none_or(|s| s == school_id)
    }

    pub fn covers_class(&self, class_id: i64) -> bool {
        self.classes.as_ref().is_none_or(|c| c.contains(&class_id))
    }

    /// Refuses with `Forbidden(key)` unless the caller's role allows the act (see `Role`'s policy).
    pub fn require(&self, allowed: bool, key: &'static str) -> Result<(), crate::StoreError> {
        if allowed {
            Ok(())
        } else {
            Err(crate::StoreError::Forbidden(key))
        }
    }

    /// Inclusive 12-digit bounds of the visible subtree, for index-friendly range queries.
    pub fn region_bounds(&self) -> (String, String) {
        match &self.region {
            Some(root) => root.subtree_bounds(),
            None => ("000000000000".to_owned(), "999999999999".to_owned()),
        }
    }
}
