//! Who may do what: three roles, each allowing what the one below allows and more.
//!
//! - **Reader** sees the clusters and their own failures and provisions.
//! - **Operator** also creates, stops, dismisses, applies fixes and deletes the partial clusters
//!   of their own jobs.
//! - **Admin** also stops and deletes the partial clusters of anyone's jobs, and sees every
//!   user's in-flight creates.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Reader,
    Operator,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Reader, Role::Operator, Role::Admin];

    /// As the API and the configuration write it: `reader`, `operator`, `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    /// As people read it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Reader => "Reader",
            Role::Operator => "Operator",
            Role::Admin => "Admin",
        }
    }

    /// A role's name, in any case: `Reader`, `operator`, `ADMIN`.
    pub fn parse(text: &str) -> Option<Role> {
        let text = text.trim();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(text))
    }

    /// The role that claims give (an ID token's `roles`, Easy Auth's role claims, `X-Dev-Roles`):
    /// the highest one named; unknown names are ignored, and none named gives `None`.
    pub fn from_claims<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<Role> {
        values.into_iter().filter_map(Role::parse).max()
    }

    /// Whether this role allows what `needed` allows.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_allows_what_the_ones_below_allow() {
        assert!(Role::Admin.allows(Role::Operator));
        assert!(Role::Operator.allows(Role::Reader));
        assert!(!Role::Reader.allows(Role::Operator));
        assert!(!Role::Operator.allows(Role::Admin));
    }

    #[test]
    fn claims_give_the_highest_role_they_name() {
        assert_eq!(Role::from_claims(["Reader", "Admin"]), Some(Role::Admin));
        assert_eq!(Role::from_claims(["operator"]), Some(Role::Operator));
        assert_eq!(Role::from_claims(["Owner", "Contributor"]), None);
        assert_eq!(Role::from_claims([]), None);
        assert_eq!(Role::parse(" ADMIN "), Some(Role::Admin));
    }
}
