//! Free-text values: project names, descriptions, the key and value of a fact, answers and
//! the notes of a conflict resolution.

use super::{DomainError, is_disallowed_control, string_value};

/// Characters refused in project names: they have no place in a title and are the usual
/// ingredients of markup and shell injection in the places names end up (exports, file names).
const NAME_FORBIDDEN: &[char] = &['<', '>', '"', '\'', '&', ';', '|'];

/// Fails when `text` is longer than `max` characters. The limit applies to the text as sent,
/// before trimming, so that it is the `maxLength` the API document states.
fn check_max_chars(field: &'static str, text: &str, max: usize) -> Result<(), DomainError> {
    if text.chars().count() > max {
        Err(DomainError::invalid(
            field,
            format!("must be at most {max} characters"),
        ))
    } else {
        Ok(())
    }
}

/// Fails on control characters other than line breaks and tabs.
fn check_controls(field: &'static str, text: &str) -> Result<(), DomainError> {
    if text.chars().any(is_disallowed_control) {
        Err(DomainError::invalid(
            field,
            "must not contain control characters",
        ))
    } else {
        Ok(())
    }
}

/// A project name: trimmed, 1 to 255 characters, no markup characters
/// (`< > " ' & ; |`) and no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProjectName(String);

impl ProjectName {
    /// The input field name used in errors.
    pub const FIELD: &'static str = "name";

    /// The longest value accepted, in characters, counted as sent (before trimming).
    pub const MAX_CHARS: usize = 255;

    /// Validates a project name.
    ///
    /// # Errors
    /// Returns a [`DomainError`] on the `name` field.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        check_max_chars(Self::FIELD, raw, Self::MAX_CHARS)?;
        let name = raw.trim();
        if name.is_empty() {
            return Err(DomainError::invalid(Self::FIELD, "must not be empty"));
        }
        if name.contains(NAME_FORBIDDEN) {
            return Err(DomainError::invalid(
                Self::FIELD,
                "must not contain any of < > \" ' & ; |",
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                Self::FIELD,
                "must not contain control characters",
            ));
        }
        Ok(Self(name.to_owned()))
    }
}

string_value!(ProjectName);

/// A project description: trimmed, at most 2000 characters, possibly empty. Line breaks and
/// tabs are kept; other control characters are refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Description(String);

impl Description {
    /// The input field name used in errors.
    pub const FIELD: &'static str = "description";

    /// The longest value accepted, in characters, counted as sent (before trimming).
    pub const MAX_CHARS: usize = 2_000;

    /// Validates a description.
    ///
    /// # Errors
    /// Returns a [`DomainError`] on the `description` field.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        check_max_chars(Self::FIELD, raw, Self::MAX_CHARS)?;
        let description = raw.trim();
        check_controls(Self::FIELD, description)?;
        Ok(Self(description.to_owned()))
    }
}

string_value!(Description);

/// The key of a specification fact: lower snake_case segments, optionally separated by dots
/// (`primary_database`, `auth.session_timeout`), trimmed, 1 to 255 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FactKey(String);

impl FactKey {
    /// The input field name used in errors.
    pub const FIELD: &'static str = "key";

    /// The longest value accepted, in characters, counted as sent (before trimming).
    pub const MAX_CHARS: usize = 255;

    /// Validates a fact key against `^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`.
    ///
    /// # Errors
    /// Returns a [`DomainError`] on the `key` field.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        check_max_chars(Self::FIELD, raw, Self::MAX_CHARS)?;
        let key = raw.trim();
        if key.is_empty() {
            return Err(DomainError::invalid(Self::FIELD, "must not be empty"));
        }
        if !key.split('.').all(is_snake_segment) {
            return Err(DomainError::invalid(
                Self::FIELD,
                "must be lower snake_case words (a-z, 0-9, _) starting with a letter, \
                 optionally separated by dots",
            ));
        }
        Ok(Self(key.to_owned()))
    }
}

/// Whether `segment` matches `[a-z][a-z0-9_]*`.
fn is_snake_segment(segment: &str) -> bool {
    let mut chars = segment.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

string_value!(FactKey);

/// The value of a specification fact: trimmed, not empty, at most 10 000 characters. Line
/// breaks and tabs are kept; other control characters are refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FactValue(String);

impl FactValue {
    /// The input field name used in errors.
    pub const FIELD: &'static str = "value";

    /// The longest value accepted, in characters, counted as sent (before trimming).
    pub const MAX_CHARS: usize = 10_000;

    /// Validates a fact value.
    ///
    /// # Errors
    /// Returns a [`DomainError`] on the `value` field.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        check_max_chars(Self::FIELD, raw, Self::MAX_CHARS)?;
        let value = raw.trim();
        if value.is_empty() {
            return Err(DomainError::invalid(Self::FIELD, "must not be empty"));
        }
        check_controls(Self::FIELD, value)?;
        Ok(Self(value.to_owned()))
    }
}

string_value!(FactValue);

/// An answer to a question of a session: trimmed, not empty, at most [`Answer::MAX_CHARS`]
/// characters. Line breaks and tabs are kept; other control characters (NUL above all, which
/// PostgreSQL refuses in text) are refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Answer(String);

impl Answer {
    /// The input field name used in errors.
    pub const FIELD: &'static str = "answer";

    /// The longest answer accepted, in characters: about eight printed pages, far beyond what
    /// people write in one answer, while a page of 50 history entries stays near 1 MB.
    pub const MAX_CHARS: usize = 20_000;

    /// Validates an answer.
    ///
    /// # Errors
    /// Returns a [`DomainError`] on the `answer` field.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        check_max_chars(Self::FIELD, raw, Self::MAX_CHARS)?;
        let answer = raw.trim();
        if answer.is_empty() {
            return Err(DomainError::invalid(Self::FIELD, "must not be empty"));
        }
        check_controls(Self::FIELD, answer)?;
        Ok(Self(answer.to_owned()))
    }
}

string_value!(Answer);

/// A direct-chat message: trimmed, not empty, at most [`MessageText::MAX_CHARS`] characters;
/// line breaks and tabs are kept, other control characters refused (as in an [`Answer`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageText(String);

impl MessageText {
    /// The input field name used in errors.
    pub const FIELD: &'static str = "message";

    /// The longest message accepted, in characters (as long as an answer).
    pub const MAX_CHARS: usize = Answer::MAX_CHARS;

    /// Validates a message.
    ///
    /// # Errors
    /// Returns a [`DomainError`] on the `message` field.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        check_max_chars(Self::FIELD, raw, Self::MAX_CHARS)?;
        let message = raw.trim();
        if message.is_empty() {
            return Err(DomainError::invalid(Self::FIELD, "must not be empty"));
        }
        check_controls(Self::FIELD, message)?;
        Ok(Self(message.to_owned()))
    }
}

string_value!(MessageText);

/// A text to draw facts from (`POST /specifications/extract`): trimmed, not empty, at most
/// [`SourceText::MAX_CHARS`] characters, without control characters other than line breaks
/// and tabs. It is read, never stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceText(String);

impl SourceText {
    /// The input field name used in errors.
    pub const FIELD: &'static str = "text";

    /// The longest text accepted, in characters (as long as an answer).
    pub const MAX_CHARS: usize = Answer::MAX_CHARS;

    /// Validates a text to extract from.
    ///
    /// # Errors
    /// Returns a [`DomainError`] on the `text` field.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        check_max_chars(Self::FIELD, raw, Self::MAX_CHARS)?;
        let text = raw.trim();
        if text.is_empty() {
            return Err(DomainError::invalid(Self::FIELD, "must not be empty"));
        }
        check_controls(Self::FIELD, text)?;
        Ok(Self(text.to_owned()))
    }
}

string_value!(SourceText);

/// The notes a person keeps with a conflict's resolution: trimmed, possibly empty, at most
/// [`ResolutionNotes::MAX_CHARS`] characters. Line breaks and tabs are kept; other control
/// characters are refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ResolutionNotes(String);

impl ResolutionNotes {
    /// The input field name used in errors.
    pub const FIELD: &'static str = "notes";

    /// The longest notes accepted, in characters.
    pub const MAX_CHARS: usize = 5_000;

    /// Validates resolution notes.
    ///
    /// # Errors
    /// Returns a [`DomainError`] on the `notes` field.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        check_max_chars(Self::FIELD, raw, Self::MAX_CHARS)?;
        let notes = raw.trim();
        check_controls(Self::FIELD, notes)?;
        Ok(Self(notes.to_owned()))
    }
}

string_value!(ResolutionNotes);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_name_is_trimmed_and_bounded() {
        assert_eq!(ProjectName::parse("  My App ").unwrap().as_str(), "My App");
        assert!(ProjectName::parse("   ").is_err());
        assert!(ProjectName::parse(&"n".repeat(255)).is_ok());
        assert!(ProjectName::parse(&"n".repeat(256)).is_err());
        // Characters, not bytes: 255 two-byte letters are fine.
        assert!(ProjectName::parse(&"é".repeat(255)).is_ok());
    }

    #[test]
    fn project_name_rejects_markup_and_control_characters() {
        for raw in [
            "<script>",
            "a > b",
            "say \"hi\"",
            "it's",
            "R&D",
            "a; rm",
            "a | b",
            "tab\there",
        ] {
            let error = ProjectName::parse(raw).unwrap_err();
            assert_eq!(error.field(), Some("name"), "{raw:?}");
        }
        assert!(ProjectName::parse("Socrates: spec-first (v2) #1!").is_ok());
    }

    #[test]
    fn description_may_be_empty_but_not_too_long() {
        assert_eq!(Description::parse("  ").unwrap().as_str(), "");
        assert_eq!(Description::default().as_str(), "");
        assert!(Description::parse(&"d".repeat(2000)).is_ok());
        let error = Description::parse(&"d".repeat(2001)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "description: must be at most 2000 characters"
        );
        assert!(Description::parse("line one\nline two\twith tab").is_ok());
        assert!(Description::parse("nul \0 byte").is_err());
    }

    #[test]
    fn fact_key_accepts_dotted_snake_case() {
        for raw in [
            "language",
            "primary_database",
            "auth.session_timeout",
            "p95_ms",
            " a.b.c ",
        ] {
            assert!(FactKey::parse(raw).is_ok(), "{raw}");
        }
        assert_eq!(FactKey::parse(" a.b ").unwrap().as_str(), "a.b");
    }

    #[test]
    fn fact_key_rejects_everything_else() {
        for raw in [
            "",
            "Language",
            "primary-database",
            "1st_choice",
            "_private",
            "a..b",
            ".a",
            "a.",
            "a.1b",
            "has space",
            "naïve",
            "a.B",
        ] {
            let error = FactKey::parse(raw).unwrap_err();
            assert_eq!(error.field(), Some("key"), "{raw:?}");
        }
        assert!(FactKey::parse(&"k".repeat(255)).is_ok());
        assert!(FactKey::parse(&"k".repeat(256)).is_err());
    }

    #[test]
    fn fact_value_is_trimmed_non_empty_and_bounded() {
        assert_eq!(
            FactValue::parse(" PostgreSQL 15 ").unwrap().as_str(),
            "PostgreSQL 15"
        );
        assert!(FactValue::parse(" \n ").is_err());
        assert!(FactValue::parse(&"v".repeat(10_000)).is_ok());
        assert!(FactValue::parse(&"v".repeat(10_001)).is_err());
        assert!(FactValue::parse("bad \u{1b}[31m escape").is_err());
    }

    #[test]
    fn values_serialise_as_strings_and_validate_on_input() {
        let key = FactKey::parse("primary_database").unwrap();
        assert_eq!(serde_json::to_string(&key).unwrap(), "\"primary_database\"");
        let back: FactKey = serde_json::from_str("\"primary_database\"").unwrap();
        assert_eq!(back, key);
        assert!(serde_json::from_str::<FactKey>("\"Primary\"").is_err());
        assert!(serde_json::from_str::<ProjectName>("\"<b>\"").is_err());
        let value: FactValue = serde_json::from_str("\" x \"").unwrap();
        assert_eq!(String::from(value), "x");
        assert_eq!("ok".parse::<ProjectName>().unwrap().into_inner(), "ok");
    }

    #[test]
    fn answers_are_trimmed_non_empty_bounded_and_free_of_control_characters() {
        assert_eq!(
            Answer::parse("  We use Django\n\tand Redis ")
                .unwrap()
                .as_str(),
            "We use Django\n\tand Redis"
        );
        assert_eq!(
            Answer::parse(" \n ").unwrap_err().to_string(),
            "answer: must not be empty"
        );
        assert!(Answer::parse(&"a".repeat(Answer::MAX_CHARS)).is_ok());
        assert!(Answer::parse(&"a".repeat(Answer::MAX_CHARS + 1)).is_err());
        for raw in [
            "We use Django\0 and Redis",
            "bell \u{7}",
            "escape \u{1b}[31m",
        ] {
            let error = Answer::parse(raw).unwrap_err();
            assert_eq!(error.field(), Some("answer"), "{raw:?}");
            assert_eq!(
                error.to_string(),
                "answer: must not contain control characters"
            );
        }
    }

    #[test]
    fn resolution_notes_may_be_empty_but_hold_no_control_characters() {
        assert_eq!(ResolutionNotes::parse("  ").unwrap().as_str(), "");
        assert_eq!(
            ResolutionNotes::parse(" Agreed\nwith the team ")
                .unwrap()
                .as_str(),
            "Agreed\nwith the team"
        );
        let error = ResolutionNotes::parse("agreed\0").unwrap_err();
        assert_eq!(error.field(), Some("notes"));
    }

    #[test]
    fn source_texts_and_notes_are_bounded() {
        assert!(SourceText::parse(&"t".repeat(SourceText::MAX_CHARS)).is_ok());
        let long = SourceText::parse(&"t".repeat(SourceText::MAX_CHARS + 1)).unwrap_err();
        assert_eq!(long.field(), Some("text"));
        assert!(SourceText::parse("  ").is_err());
        assert!(SourceText::parse("nul \0").is_err());
        assert!(ResolutionNotes::parse(&"n".repeat(ResolutionNotes::MAX_CHARS)).is_ok());
        assert!(ResolutionNotes::parse(&"n".repeat(ResolutionNotes::MAX_CHARS + 1)).is_err());
    }
}
