//! Email addresses.

use super::{DomainError, string_value};

/// A syntactically plausible email address, trimmed and lower-cased.
///
/// The check is deliberately simple (exactly one `@`, a non-empty local part of at most 64
/// characters, a dotted domain, no whitespace); whether the address exists is for a
/// confirmation mail to find out, not a parser.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// The input field name used in errors; errors on it classify as `INVALID_EMAIL`.
    pub const FIELD: &'static str = "email";

    /// Shortest accepted address, in characters (`a@b` cannot carry a dotted domain anyway).
    const MIN_CHARS: usize = 3;
    /// Longest accepted address, in characters (the SMTP path limit).
    pub const MAX_CHARS: usize = 254;
    /// Longest accepted local part, in characters.
    const MAX_LOCAL_CHARS: usize = 64;

    /// Validates and normalises an email address.
    ///
    /// # Errors
    /// Returns a [`DomainError`] on the `email` field when the address is malformed.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let fail = |message: &str| Err(DomainError::invalid(Self::FIELD, message));
        // The limit applies to the address as sent, as the API document's `maxLength` says.
        if raw.chars().count() > Self::MAX_CHARS {
            return fail("must be at most 254 characters");
        }
        let email = raw.trim().to_lowercase();
        let length = email.chars().count();
        if length == 0 {
            return fail("must not be empty");
        }
        if length < Self::MIN_CHARS {
            return fail("is too short to be an email address");
        }
        if length > Self::MAX_CHARS {
            return fail("must be at most 254 characters");
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return fail("must not contain spaces or control characters");
        }
        let mut parts = email.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return fail("must contain exactly one @");
        };
        if local.is_empty() {
            return fail("needs a name before the @");
        }
        if local.chars().count() > Self::MAX_LOCAL_CHARS {
            return fail("the part before the @ must be at most 64 characters");
        }
        if !domain.contains('.') {
            return fail("needs a domain with a dot after the @");
        }
        if domain.split('.').any(str::is_empty) {
            return fail("the domain must not start or end with a dot or contain two dots");
        }
        Ok(Self(email))
    }
}

string_value!(Email);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_ordinary_addresses() {
        let email = Email::parse("  Alice.Smith+Spec@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "alice.smith+spec@example.com");
        assert_eq!(email.to_string(), "alice.smith+spec@example.com");
        assert!(Email::parse("a@b.co").is_ok());
    }

    #[test]
    fn rejects_malformed_addresses() {
        for raw in [
            "",
            "   ",
            "a@",
            "plainaddress",
            "@example.com",
            "a@@example.com",
            "a@b@example.com",
            "a b@example.com",
            "ab@example",
            "ab@.example.com",
            "ab@example.com.",
            "ab@example..com",
            "ab\u{0}@example.com",
        ] {
            let error = Email::parse(raw).unwrap_err();
            assert_eq!(error.field(), Some("email"), "{raw:?}");
        }
    }

    #[test]
    fn enforces_length_limits() {
        let local = "a".repeat(64);
        assert!(Email::parse(&format!("{local}@example.com")).is_ok());
        assert!(Email::parse(&format!("a{local}@example.com")).is_err());
        let longest = format!("ab@{}.com", "d".repeat(247));
        assert_eq!(longest.len(), 254);
        assert!(Email::parse(&longest).is_ok());
        assert!(Email::parse(&format!("a{longest}")).is_err());
    }

    #[test]
    fn serde_round_trips_and_validates_on_input() {
        let email = Email::parse("Bob@Example.org").unwrap();
        let json = serde_json::to_string(&email).unwrap();
        assert_eq!(json, "\"bob@example.org\"");
        let back: Email = serde_json::from_str("\" BOB@example.org\"").unwrap();
        assert_eq!(back, email);
        assert!(serde_json::from_str::<Email>("\"not-an-email\"").is_err());
    }

    #[test]
    fn from_str_matches_parse() {
        assert_eq!("x@y.io".parse::<Email>(), Email::parse("x@y.io"));
    }
}
