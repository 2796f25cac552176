//! Newtype identifiers, one per entity, so a `ProjectId` can never be passed where a `UserId`
//! is expected.
//!
//! Every id wraps a [`Uuid`]. New ids are UUIDv7, which sort by creation time and therefore keep
//! B-tree indexes compact. On the wire and in the database an id is the plain hyphenated UUID
//! string (`#[serde(transparent)]`).

use uuid::Uuid;

/// Defines one newtype id with the full set of conversions every id shares.
macro_rules! define_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            ::serde::Serialize,
            ::serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Creates a fresh, time-ordered (UUIDv7) id.
            #[must_use]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID, for example one read back from the database.
            #[must_use]
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// Returns the wrapped UUID, consuming the id.
            #[must_use]
            pub const fn into_uuid(self) -> Uuid {
                self.0
            }

            /// Borrows the wrapped UUID.
            #[must_use]
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl Default for $name {
            /// A default id is a fresh one: there is no meaningful "zero" entity.
            fn default() -> Self {
                Self::new()
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = ::uuid::Error;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(raw).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }
    };
}

define_id!(
    /// Identifies a user account (auth database).
    UserId
);
define_id!(
    /// Identifies a project (specs database).
    ProjectId
);
define_id!(
    /// Identifies a Socratic or direct-chat session on a project.
    SessionId
);
define_id!(
    /// Identifies a question asked in a session.
    QuestionId
);
define_id!(
    /// Identifies one version of a specification fact.
    SpecificationId
);
define_id!(
    /// Identifies a detected conflict between facts.
    ConflictId
);
define_id!(
    /// Identifies a stored (hashed) refresh token.
    RefreshTokenId
);
define_id!(
    /// Identifies a family of rotated refresh tokens; reuse revokes the whole family.
    TokenFamilyId
);
define_id!(
    /// Identifies a password reset request.
    PasswordResetId
);
define_id!(
    /// Identifies a team.
    TeamId
);
define_id!(
    /// Identifies one membership of a user in a team.
    TeamMemberId
);
define_id!(
    /// Identifies an invitation to join a team.
    TeamInvitationId
);
define_id!(
    /// Identifies a user-supplied LLM provider key (stored encrypted).
    ApiKeyId
);
define_id!(
    /// Identifies a generated project (the result of code generation).
    GenerationId
);
define_id!(
    /// Identifies one file of a generated project.
    GeneratedFileId
);
define_id!(
    /// Identifies an uploaded knowledge-base document.
    DocumentId
);
define_id!(
    /// Identifies a share of a project with another user.
    ProjectShareId
);
define_id!(
    /// Identifies a recorded quality-control metric.
    QualityMetricId
);
define_id!(
    /// Identifies one entry of a project's maturity history.
    MaturityRecordId
);
define_id!(
    /// Identifies a queued code-generation job.
    CodeGenerationJobId
);

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const SAMPLE: &str = "0190f1c2-7a3b-7c4d-8e5f-123456789abc";

    #[test]
    fn new_ids_are_version_7_and_distinct() {
        let ids: HashSet<ProjectId> = (0..100).map(|_| ProjectId::new()).collect();
        assert_eq!(ids.len(), 100);
        assert!(ids.iter().all(|id| id.as_uuid().get_version_num() == 7));
    }

    #[test]
    fn new_ids_sort_by_creation_time() {
        // `Uuid::now_v7` guarantees ordering within one process, even within one millisecond.
        let ids: Vec<SessionId> = (0..50).map(|_| SessionId::new()).collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn display_and_from_str_round_trip_as_hyphenated_uuid() {
        let id: UserId = SAMPLE.parse().unwrap();
        assert_eq!(id.to_string(), SAMPLE);
        assert_eq!(id.to_string().parse::<UserId>().unwrap(), id);
    }

    #[test]
    fn from_str_rejects_garbage() {
        assert!("not-a-uuid".parse::<UserId>().is_err());
        assert!("".parse::<ConflictId>().is_err());
    }

    #[test]
    fn uuid_conversions_preserve_the_value() {
        let uuid = Uuid::parse_str(SAMPLE).unwrap();
        let id = TeamId::from_uuid(uuid);
        assert_eq!(*id.as_uuid(), uuid);
        assert_eq!(id.into_uuid(), uuid);
        assert_eq!(TeamId::from(uuid), id);
        assert_eq!(Uuid::from(id), uuid);
    }

    #[test]
    fn serde_is_a_transparent_string() {
        let id: QuestionId = SAMPLE.parse().unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{SAMPLE}\""));
        let back: QuestionId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
    }

    #[test]
    fn default_is_a_fresh_id() {
        assert_ne!(ApiKeyId::default(), ApiKeyId::default());
    }
}
