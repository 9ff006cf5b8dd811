//! The roles a user account can hold, and who may hand out which role.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员
    SystemAdmin,
    /// 教育局
    Bureau,
    /// 民政
    CivilAffairs,
    /// 儿童主任
    ChildDirector,
    /// 校长
    Principal,
    /// 班主任
    HeadTeacher,
    /// 教师
    Teacher,
    /// 志愿者
    Volunteer,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleError {
    #[error("未知的角色")]
    Unknown,
}

impl RoleError {
    pub fn code(&self) -> &'static str {
        "role.unknown"
    }
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::SystemAdmin,
        Role::Bureau,
        Role::CivilAffairs,
        Role::ChildDirector,
        Role::Principal,
        Role::HeadTeacher,
        Role::Teacher,
        Role::Volunteer,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::SystemAdmin => "system_admin",
            Role::Bureau => "bureau",
            Role::CivilAffairs => "civil_affairs",
            Role::ChildDirector => "child_director",
            Role::Principal => "principal",
            Role::HeadTeacher => "head_teacher",
            Role::Teacher => "teacher",
            Role::Volunteer => "volunteer",
        }
    }

    pub fn parse(code: &str) -> Result<Role, RoleError> {
        let code = code.trim();
        Self::ALL
            .into_iter()
            .find(|r| r.code() == code)
            .ok_or(RoleError::Unknown)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Role::SystemAdmin => "role.system_admin",
            Role::Bureau => "role.bureau",
            Role::CivilAffairs => "role.civil_affairs",
            Role::ChildDirector => "role.child_director",
            Role::Principal => "role.principal",
            Role::HeadTeacher => "role.head_teacher",
            Role::Teacher => "role.teacher",
            Role::Volunteer => "role.volunteer",
        }
    }

    /// School staff are scoped to one school rather than to a region.
    pub fn works_in_school(self) -> bool {
        matches!(self, Role::Principal | Role::HeadTeacher | Role::Teacher)
    }

    pub fn manages_users(self) -> bool {
        matches!(self, Role::SystemAdmin | Role::Bureau)
    }

    // Which roles may change what. Scope (checked by the store) says what is in reach; these say
    // what the role may do there, so a 民政 officer who can see the schools of their township does
    // not also run them. Pages and the store both ask these.

    /// Region administration belongs to officers; school staff and volunteers only look.
    pub fn manages_regions(self) -> bool {
        !self.works_in_school() && self != Role::Volunteer
    }

    /// Opening and closing schools is the education bureau's work.
    pub fn manages_schools(self) -> bool {
        matches!(self, Role::SystemAdmin | Role::Bureau)
    }

    /// A principal keeps their own school's details (hotline, address) up to date.
    pub fn edits_school(self) -> bool {
        self.manages_schools() || self == Role::Principal
    }

    pub fn manages_classes(self) -> bool {
        matches!(self, Role::SystemAdmin | Role::Bureau | Role::Principal)
    }

    /// A head teacher may correct the classes they head (scope limits them to those).
    pub fn edits_class(self) -> bool {
        self.manages_classes() || self == Role::HeadTeacher
    }

    /// Only a system administrator can create another; the bureau staffs everything else.
    pub fn may_grant(&self, other: Role) -> bool {
        match self {
            Role::SystemAdmin => true,
            Role::Bureau => other != Role::SystemAdmin,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn officers_run_regions_the_bureau_runs_schools_principals_run_classes() {
        assert!(Role::CivilAffairs.manages_regions() && !Role::Principal.manages_regions());
        assert!(!Role::Volunteer.manages_regions());
        assert!(Role::Bureau.manages_schools() && !Role::CivilAffairs.manages_schools());
        assert!(Role::Principal.edits_school() && !Role::Principal.manages_schools());
        assert!(Role::HeadTeacher.edits_class() && !Role::HeadTeacher.manages_classes());
        assert!(!Role::Teacher.edits_class());
    }

    #[test]
    fn codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Ok(role));
            assert_eq!(role.label_key(), format!("role.{}", role.code()));
        }
        assert_eq!(Role::parse("admin"), Err(RoleError::Unknown));
    }

    #[test]
    fn granting() {
        assert!(Role::ALL.iter().all(|&r| Role::SystemAdmin.may_grant(r)));
        assert!(!Role::Bureau.may_grant(Role::SystemAdmin));
        assert!(Role::Bureau.may_grant(Role::Bureau) && Role::Bureau.may_grant(Role::Volunteer));
        assert!(!Role::Principal.may_grant(Role::Teacher));
        let school: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.works_in_school())
            .collect();
        assert_eq!(school, [Role::Principal, Role::HeadTeacher, Role::Teacher]);
        assert!(Role::Bureau.manages_users() && !Role::ChildDirector.manages_users());
    }
}
