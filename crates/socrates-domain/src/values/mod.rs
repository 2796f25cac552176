//! Validated values: once constructed, an `Email` or a `FactKey` is known to be well formed.
//!
//! Validation happens where a request DTO becomes a domain value; everything past that point
//! takes these types instead of raw strings. Every string value trims its input, serialises as
//! the plain validated string, and validates again when deserialised.

mod confidence;
mod email;
mod paging;
mod password;
mod text;
mod wire;

pub use confidence::Confidence;
pub use email::Email;
pub use paging::{PageLimit, PageOffset};
pub use password::{PasswordRule, check_password_policy};
pub use text::{
    Answer, Description, FactKey, FactValue, MessageText, ProjectName, ResolutionNotes, SourceText,
};
pub use wire::{NEW_PASSWORD_RULE, NewPassword, StringRule};

use crate::DomainError;

/// Whether `c` is a control character other than the line breaks and tabs normal prose uses.
/// Such characters (NUL above all, which PostgreSQL refuses in text) are rejected in free text.
fn is_disallowed_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\n' | '\r' | '\t')
}

/// Adds the accessors, conversions and serde impls every validated string value shares.
/// The type must have a `parse(&str) -> Result<Self, DomainError>` constructor.
macro_rules! string_value {
    ($name:ident) => {
        impl $name {
            /// Borrows the validated text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Returns the validated text.
            #[must_use]
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.pad(&self.0)
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = $crate::DomainError;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Self::parse(raw)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let raw = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                Self::parse(&raw).map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }
    };
}

use string_value;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Code, ErrorCode, ErrorKind};

    #[test]
    fn email_errors_are_invalid_email_others_validation_errors() {
        let email = Email::parse("nope").unwrap_err();
        assert_eq!(email.code(), Code::InvalidEmail);
        let name = ProjectName::parse("").unwrap_err();
        assert_eq!(name.code(), Code::ValidationError);
        assert_eq!(name.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn display_names_field_and_message() {
        let error = DomainError::invalid("name", "must not be empty");
        assert_eq!(error.to_string(), "name: must not be empty");
    }

    #[test]
    fn control_characters_except_line_breaks_are_disallowed() {
        assert!(is_disallowed_control('\0'));
        assert!(is_disallowed_control('\u{7f}'));
        assert!(!is_disallowed_control('\n'));
        assert!(!is_disallowed_control('\t'));
        assert!(!is_disallowed_control('a'));
    }
}
