//! How each validated string value is described on the wire: a JSON Schema `pattern` with
//! `minLength` and `maxLength` that accept exactly the raw strings its `parse` accepts, so that
//! the API document promises neither more nor less than the server does.
//!
//! The patterns are written in the common subset of the regular-expression dialects that read
//! them: ECMA-262 (the dialect of JSON Schema), Python's `re` (schemathesis and Hypothesis
//! generate from them) and Rust's `regex` (the tests below). They use only `^…$`, character
//! classes with `\uXXXX` escapes, groups and bounded repetition; `$` may stand before a final
//! line break in Python, which every pattern here allows anyway, since `parse` trims it.
//!
//! A value is trimmed before it is checked, so each pattern is `trimmed* core trimmed*`: the
//! characters `str::trim` removes (Unicode `White_Space`) may surround a core that must start
//! and end with a character that is neither white space nor a control character. The length
//! limits count the value as sent, before trimming, like `parse` does.
//!
//! The password policy counts bytes and Unicode letter cases, which no pattern in that subset
//! can express; its schema describes the printable-ASCII passwords that pass the policy (every
//! one of them does), and says in words what else is accepted.

use super::{Answer, Description, Email, FactKey, FactValue, ProjectName, ResolutionNotes};
use super::{MessageText, SourceText, password};

/// The characters `str::trim` removes: Unicode `White_Space`.
macro_rules! trimmed {
    () => {
        r"\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    };
}

/// White space that is not a control character.
macro_rules! blank {
    () => {
        r" \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    };
}

/// Control characters (`char::is_control`, Unicode `Cc`).
macro_rules! control {
    () => {
        r"\u0000-\u001f\u007f-\u009f"
    };
}

/// Control characters other than tab, line feed and carriage return.
macro_rules! disallowed_control {
    () => {
        r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
    };
}

/// Trimmed, not blank, no control characters but line breaks and tabs inside.
macro_rules! prose {
    () => {
        concat!(
            "^[",
            trimmed!(),
            "]*[^",
            control!(),
            blank!(),
            "](?:[^",
            disallowed_control!(),
            "]*[^",
            control!(),
            blank!(),
            "])?[",
            trimmed!(),
            "]*$"
        )
    };
}

/// Like [`prose!`], but possibly blank.
macro_rules! optional_prose {
    () => {
        concat!(
            "^[",
            trimmed!(),
            "]*(?:[^",
            control!(),
            blank!(),
            "](?:[^",
            disallowed_control!(),
            "]*[^",
            control!(),
            blank!(),
            "])?[",
            trimmed!(),
            "]*)?$"
        )
    };
}

/// The characters refused in project names, as a class fragment.
macro_rules! name_forbidden {
    () => {
        r#"<>"'&;|"#
    };
}

/// The wire description of a validated string value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StringRule {
    /// What the value is, for people.
    pub description: &'static str,
    /// The fewest characters a raw value may have.
    pub min_chars: usize,
    /// The most characters a raw value may have.
    pub max_chars: usize,
    /// A pattern that matches the raw values `parse` accepts (within the lengths).
    pub pattern: &'static str,
}

impl ProjectName {
    /// The wire description of a project name.
    pub const RULE: StringRule = StringRule {
        description: "1–255 characters, none of `< > \" ' & ; |` and no control characters; \
                      surrounding white space is trimmed.",
        min_chars: 1,
        max_chars: Self::MAX_CHARS,
        pattern: concat!(
            "^[",
            trimmed!(),
            "]*[^",
            control!(),
            blank!(),
            name_forbidden!(),
            "](?:[^",
            control!(),
            name_forbidden!(),
            "]*[^",
            control!(),
            blank!(),
            name_forbidden!(),
            "])?[",
            trimmed!(),
            "]*$"
        ),
    };
}

impl Description {
    /// The wire description of a project description.
    pub const RULE: StringRule = StringRule {
        description: "Up to 2 000 characters, possibly blank; control characters other than \
                      line breaks and tabs are refused.",
        min_chars: 0,
        max_chars: Self::MAX_CHARS,
        pattern: optional_prose!(),
    };
}

impl FactKey {
    /// The wire description of a fact key.
    pub const RULE: StringRule = StringRule {
        description: "Lower snake_case words starting with a letter, optionally separated by \
                      dots (`auth.session_timeout`), up to 255 characters.",
        min_chars: 1,
        max_chars: Self::MAX_CHARS,
        pattern: concat!(
            "^[",
            trimmed!(),
            "]*[a-z][a-z0-9_]*(?:\\.[a-z][a-z0-9_]*)*[",
            trimmed!(),
            "]*$"
        ),
    };
}

impl FactValue {
    /// The wire description of a fact value.
    pub const RULE: StringRule = StringRule {
        description: "Not blank, up to 10 000 characters; control characters other than line \
                      breaks and tabs are refused.",
        min_chars: 1,
        max_chars: Self::MAX_CHARS,
        pattern: prose!(),
    };
}

impl Answer {
    /// The wire description of an answer.
    pub const RULE: StringRule = StringRule {
        description: "Not blank, up to 20 000 characters; control characters other than line \
                      breaks and tabs are refused.",
        min_chars: 1,
        max_chars: Self::MAX_CHARS,
        pattern: prose!(),
    };
}

impl MessageText {
    /// The wire description of a direct-chat message.
    pub const RULE: StringRule = Answer::RULE;
}

impl SourceText {
    /// The wire description of a text to extract facts from.
    pub const RULE: StringRule = StringRule {
        description: "Not blank, up to 20 000 characters; control characters other than line \
                      breaks and tabs are refused.",
        min_chars: 1,
        max_chars: Self::MAX_CHARS,
        pattern: prose!(),
    };
}

impl ResolutionNotes {
    /// The wire description of the notes of a resolution.
    pub const RULE: StringRule = StringRule {
        description: "Up to 5 000 characters, possibly blank; control characters other than \
                      line breaks and tabs are refused.",
        min_chars: 0,
        max_chars: Self::MAX_CHARS,
        pattern: optional_prose!(),
    };
}

impl Email {
    /// The wire description of an e-mail address.
    pub const RULE: StringRule = StringRule {
        description: "An e-mail address: one `@` after 1–64 characters, a dotted domain, no \
                      white space or control characters, up to 254 characters; compared \
                      without regard to case.",
        min_chars: 3,
        max_chars: Self::MAX_CHARS,
        pattern: concat!(
            "^[",
            trimmed!(),
            "]*[^@",
            control!(),
            blank!(),
            "]{1,64}@[^@.",
            control!(),
            blank!(),
            "]+(?:\\.[^@.",
            control!(),
            blank!(),
            "]+)+[",
            trimmed!(),
            "]*$"
        ),
    };
}

/// The wire description of a new password: printable ASCII with an upper-case and a
/// lower-case letter, a digit and a symbol, 8 to 72 characters. Every such password passes
/// [`check_password_policy`](super::check_password_policy); the policy also accepts other
/// characters (it counts 8 to 72 bytes and Unicode letter cases), which a pattern cannot say.
pub const NEW_PASSWORD_RULE: StringRule = StringRule {
    description: "8–72 bytes with an upper-case and a lower-case letter, a digit (0-9) and a \
                  symbol such as ! or #. The pattern describes printable-ASCII passwords; \
                  other characters are accepted too and count with their UTF-8 length.",
    min_chars: password::MIN_BYTES,
    max_chars: password::MAX_BYTES,
    pattern: "^(?=[ -~]*[A-Z])(?=[ -~]*[a-z])(?=[ -~]*[0-9])(?=[ -~]*[!-/:-@\\[-`{-~])[ -~]*$",
};

#[cfg(feature = "openapi")]
impl StringRule {
    /// This rule as an OpenAPI string schema.
    #[must_use]
    pub fn schema(self) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(self.description))
            .min_length((self.min_chars > 0).then_some(self.min_chars))
            .max_length(Some(self.max_chars))
            .pattern(Some(self.pattern))
            .into()
    }
}

/// Lets a value type stand for its wire description in the API document
/// (`#[schema(value_type = ProjectName)]` on a DTO's `String` field).
macro_rules! described_by_rule {
    ($($name:ident),+) => {
        $(
            #[cfg(feature = "openapi")]
            impl ::utoipa::PartialSchema for $name {
                fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                    Self::RULE.schema()
                }
            }

            #[cfg(feature = "openapi")]
            impl ::utoipa::ToSchema for $name {}
        )+
    };
}

described_by_rule!(
    ProjectName,
    Description,
    FactKey,
    FactValue,
    Answer,
    MessageText,
    SourceText,
    ResolutionNotes,
    Email
);

/// A new password as the API document describes it.
#[derive(Debug, Clone, Copy)]
pub struct NewPassword;

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for NewPassword {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        NEW_PASSWORD_RULE.schema()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for NewPassword {}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
