//! The password policy.

use std::fmt;

use serde::Serialize;

use crate::{Code, ErrorCode};

/// Shortest accepted password, in bytes.
pub(crate) const MIN_BYTES: usize = 8;
/// Longest accepted password, in bytes: bcrypt ignores everything after the 72nd byte.
pub(crate) const MAX_BYTES: usize = 72;

/// One rule of the password policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordRule {
    /// At least 8 bytes.
    MinLength,
    /// At most 72 bytes.
    MaxLength,
    /// At least one upper-case letter.
    Uppercase,
    /// At least one lower-case letter.
    Lowercase,
    /// At least one ASCII digit.
    Digit,
    /// At least one symbol: a character that is neither alphanumeric nor whitespace.
    Symbol,
}

impl PasswordRule {
    /// The rule as a sentence fragment a user can act on.
    #[must_use]
    pub fn description(self) -> &'static str {
        match self {
            Self::MinLength => "must be at least 8 bytes long",
            Self::MaxLength => "must be at most 72 bytes long",
            Self::Uppercase => "must contain an upper-case letter",
            Self::Lowercase => "must contain a lower-case letter",
            Self::Digit => "must contain a digit (0-9)",
            Self::Symbol => "must contain a symbol such as ! or #",
        }
    }
}

impl fmt::Display for PasswordRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

impl ErrorCode for PasswordRule {
    fn code(&self) -> Code {
        Code::WeakPassword
    }
}

/// Checks a password against the policy: 8 to 72 bytes, with an upper-case letter, a
/// lower-case letter, an ASCII digit and a symbol. `Test123!` passes.
///
/// # Errors
/// Returns every broken rule, in the order of [`PasswordRule`]'s variants.
pub fn check_password_policy(password: &str) -> Result<(), Vec<PasswordRule>> {
    let checks = [
        (PasswordRule::MinLength, password.len() >= MIN_BYTES),
        (PasswordRule::MaxLength, password.len() <= MAX_BYTES),
        (
            PasswordRule::Uppercase,
            password.chars().any(char::is_uppercase),
        ),
        (
            PasswordRule::Lowercase,
            password.chars().any(char::is_lowercase),
        ),
        (
            PasswordRule::Digit,
            password.chars().any(|c| c.is_ascii_digit()),
        ),
        (
            PasswordRule::Symbol,
            password
                .chars()
                .any(|c| !c.is_alphanumeric() && !c.is_whitespace()),
        ),
    ];
    let broken: Vec<PasswordRule> = checks
        .into_iter()
        .filter(|&(_, passed)| !passed)
        .map(|(rule, _)| rule)
        .collect();
    if broken.is_empty() {
        Ok(())
    } else {
        Err(broken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_password_passes() {
        assert_eq!(check_password_policy("Test123!"), Ok(()));
        assert_eq!(check_password_policy("Zürich-2024 ok"), Ok(()));
    }

    #[test]
    fn reports_every_broken_rule_in_order() {
        assert_eq!(
            check_password_policy(""),
            Err(vec![
                PasswordRule::MinLength,
                PasswordRule::Uppercase,
                PasswordRule::Lowercase,
                PasswordRule::Digit,
                PasswordRule::Symbol,
            ])
        );
        assert_eq!(
            check_password_policy("password"),
            Err(vec![
                PasswordRule::Uppercase,
                PasswordRule::Digit,
                PasswordRule::Symbol
            ])
        );
    }

    #[test]
    fn each_rule_is_checked_on_its_own() {
        assert_eq!(
            check_password_policy("Te12!"),
            Err(vec![PasswordRule::MinLength])
        );
        assert_eq!(
            check_password_policy("test123!"),
            Err(vec![PasswordRule::Uppercase])
        );
        assert_eq!(
            check_password_policy("TEST123!"),
            Err(vec![PasswordRule::Lowercase])
        );
        assert_eq!(
            check_password_policy("Testabc!"),
            Err(vec![PasswordRule::Digit])
        );
        assert_eq!(
            check_password_policy("Test1234"),
            Err(vec![PasswordRule::Symbol])
        );
        // Whitespace is not a symbol.
        assert_eq!(
            check_password_policy("Test 1234"),
            Err(vec![PasswordRule::Symbol])
        );
    }

    #[test]
    fn length_is_measured_in_bytes() {
        let at_limit = format!("Aa1!{}", "x".repeat(68));
        assert_eq!(at_limit.len(), 72);
        assert_eq!(check_password_policy(&at_limit), Ok(()));
        let over = format!("{at_limit}x");
        assert_eq!(
            check_password_policy(&over),
            Err(vec![PasswordRule::MaxLength])
        );
        // 36 two-byte characters plus "Aa1!" is 40 characters but 76 bytes.
        let multibyte = format!("Aa1!{}", "é".repeat(36));
        assert_eq!(
            check_password_policy(&multibyte),
            Err(vec![PasswordRule::MaxLength])
        );
        // Four characters, eight bytes: long enough.
        assert_eq!(check_password_policy("Ää1€"), Ok(()));
    }

    #[test]
    fn rules_describe_themselves_and_serialise_in_snake_case() {
        assert_eq!(
            PasswordRule::Digit.to_string(),
            "must contain a digit (0-9)"
        );
        assert!(PasswordRule::MinLength.description().contains('8'));
        assert_eq!(
            serde_json::to_string(&PasswordRule::MinLength).unwrap(),
            "\"min_length\""
        );
        assert_eq!(PasswordRule::Symbol.code(), Code::WeakPassword);
    }
}
