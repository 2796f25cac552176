//! Who may do what: account states, roles in the service and in teams, and project shares.

use crate::string_enum::string_enum;

string_enum! {
    /// Whether an account may log in.
    pub enum UserStatus as "user status" {
        /// May log in.
        Active = "active",
        /// Disabled by the user; login is refused.
        Inactive = "inactive",
        /// Disabled by an administrator; login is refused.
        Suspended = "suspended",
    }
}

impl UserStatus {
    /// Whether an account in this state may authenticate.
    #[must_use]
    pub const fn can_log_in(self) -> bool {
        matches!(self, Self::Active)
    }
}

string_enum! {
    /// Service-wide role of an account.
    pub enum UserRole as "user role" {
        /// An ordinary user.
        User = "user",
        /// May use the admin endpoints.
        Admin = "admin",
    }
}

string_enum! {
    /// Role of a member inside a team, from most to least powerful.
    pub enum TeamRole as "team role" {
        /// Full control, including removing members.
        Owner = "owner",
        /// May invite members.
        Lead = "lead",
        /// May answer questions and edit specifications.
        Developer = "developer",
        /// Read-only access.
        Viewer = "viewer",
    }
}

impl TeamRole {
    /// Relative power: owner 3, lead 2, developer 1, viewer 0.
    #[must_use]
    pub const fn rank(self) -> u8 {
        match self {
            Self::Owner => 3,
            Self::Lead => 2,
            Self::Developer => 1,
            Self::Viewer => 0,
        }
    }

    /// Whether this role may invite or add members (owners and leads).
    #[must_use]
    pub const fn can_invite(self) -> bool {
        matches!(self, Self::Owner | Self::Lead)
    }

    /// Whether this role may remove members (owners only).
    #[must_use]
    pub const fn can_remove_members(self) -> bool {
        matches!(self, Self::Owner)
    }

    /// Whether this role may answer questions and change specifications (everyone but viewers).
    #[must_use]
    pub const fn can_answer(self) -> bool {
        !matches!(self, Self::Viewer)
    }
}

string_enum! {
    /// Access granted on a shared project. `view` and `edit` are accepted as input aliases.
    pub enum SharePermission as "share permission" {
        /// May read the project and its specification.
        Read = "read" | "view",
        /// May also answer questions and edit facts.
        Write = "write" | "edit",
        /// May also share the project and change its settings.
        Admin = "admin",
    }
}

impl SharePermission {
    /// Whether this permission includes everything `required` allows.
    #[must_use]
    pub const fn allows(self, required: SharePermission) -> bool {
        self as u8 >= required as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_match_serde() {
        for value in TeamRole::ALL {
            let json = serde_json::to_string(&value).unwrap();
            assert_eq!(json, format!("\"{value}\""));
        }
        for value in SharePermission::ALL {
            let json = serde_json::to_string(&value).unwrap();
            assert_eq!(json, format!("\"{value}\""));
        }
        for value in UserStatus::ALL {
            assert_eq!(value.as_str().parse(), Ok(value));
        }
        assert_eq!(
            serde_json::to_string(&UserRole::Admin).unwrap(),
            "\"admin\""
        );
    }

    #[test]
    fn only_active_accounts_log_in() {
        assert!(UserStatus::Active.can_log_in());
        assert!(!UserStatus::Inactive.can_log_in());
        assert!(!UserStatus::Suspended.can_log_in());
    }

    #[test]
    fn team_ranks_descend_from_owner_to_viewer() {
        let ranks: Vec<u8> = TeamRole::ALL.iter().map(|r| r.rank()).collect();
        assert_eq!(ranks, [3, 2, 1, 0]);
    }

    #[test]
    fn team_permissions_follow_the_digest_examples() {
        // Appendix A9: a lead may add a developer, a developer may not, only owners remove.
        assert!(TeamRole::Owner.can_invite());
        assert!(TeamRole::Lead.can_invite());
        assert!(!TeamRole::Developer.can_invite());
        assert!(!TeamRole::Viewer.can_invite());
        assert!(TeamRole::Owner.can_remove_members());
        assert!(!TeamRole::Lead.can_remove_members());
        assert!(TeamRole::Developer.can_answer());
        assert!(!TeamRole::Viewer.can_answer());
    }

    #[test]
    fn share_permission_aliases_and_ordering() {
        assert_eq!("view".parse(), Ok(SharePermission::Read));
        assert_eq!("edit".parse(), Ok(SharePermission::Write));
        assert!("owner".parse::<SharePermission>().is_err());
        let parsed: SharePermission = serde_json::from_str("\"edit\"").unwrap();
        assert_eq!(parsed, SharePermission::Write);
        assert!(SharePermission::Admin.allows(SharePermission::Write));
        assert!(SharePermission::Write.allows(SharePermission::Read));
        assert!(!SharePermission::Read.allows(SharePermission::Write));
    }
}
