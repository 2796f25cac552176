//! The patterns agree with `parse` on every short string over an alphabet of the characters
//! that matter (each kind of white space, control characters, markup, `@`, dots, letters) and
//! on the length limits; the password pattern only admits passwords the policy accepts.

#![allow(clippy::unwrap_used, reason = "tests fail loudly")]

use super::*;
use crate::values::check_password_policy;

/// Characters that each pattern treats differently from its neighbours.
const ALPHABET: &[char] = &[
    'a', 'Z', '1', '_', '.', '@', '<', '|', ' ', '\t', '\n', '\u{b}', '\u{85}', '\u{a0}',
    '\u{3000}', '\0', '\u{7f}', '\u{9f}', 'é', '\u{feff}', '\u{1c}',
];

/// Every string of up to `max_len` characters over [`ALPHABET`].
fn short_strings(max_len: u32) -> Vec<String> {
    let mut all = vec![String::new()];
    let mut previous = vec![String::new()];
    for _ in 0..max_len {
        let next: Vec<String> = previous
            .iter()
            .flat_map(|prefix| {
                ALPHABET.iter().map(move |c| {
                    let mut longer = prefix.clone();
                    longer.push(*c);
                    longer
                })
            })
            .collect();
        all.extend(next.iter().cloned());
        previous = next;
    }
    all
}

/// Whether `raw` is valid by `rule`, as a JSON Schema validator reads it.
fn matches(rule: StringRule, raw: &str) -> bool {
    let regex = regex::Regex::new(rule.pattern).unwrap();
    let length = raw.chars().count();
    (rule.min_chars..=rule.max_chars).contains(&length) && regex.is_match(raw)
}

/// Asserts that `rule` and `parse` agree on `raw`.
fn assert_agree(name: &str, rule: StringRule, parse: Accepts, raw: &str) {
    assert_eq!(
        matches(rule, raw),
        parse(raw),
        "{name}: the pattern and parse disagree on {raw:?}"
    );
}

/// Whether a value type's `parse` accepts a raw string.
type Accepts = fn(&str) -> bool;

/// Every string-value rule with its `parse`, as "is it accepted".
fn rules() -> Vec<(&'static str, StringRule, Accepts)> {
    vec![
        ("name", ProjectName::RULE, |raw| {
            ProjectName::parse(raw).is_ok()
        }),
        ("description", Description::RULE, |raw| {
            Description::parse(raw).is_ok()
        }),
        ("key", FactKey::RULE, |raw| FactKey::parse(raw).is_ok()),
        ("value", FactValue::RULE, |raw| {
            FactValue::parse(raw).is_ok()
        }),
        ("answer", Answer::RULE, |raw| Answer::parse(raw).is_ok()),
        ("message", MessageText::RULE, |raw| {
            MessageText::parse(raw).is_ok()
        }),
        ("text", SourceText::RULE, |raw| {
            SourceText::parse(raw).is_ok()
        }),
        ("notes", ResolutionNotes::RULE, |raw| {
            ResolutionNotes::parse(raw).is_ok()
        }),
        ("email", Email::RULE, |raw| Email::parse(raw).is_ok()),
    ]
}

#[test]
fn each_pattern_accepts_exactly_what_parse_accepts_on_short_strings() {
    let strings = short_strings(4);
    for (name, rule, parse) in rules() {
        let regex = regex::Regex::new(rule.pattern).unwrap();
        for raw in &strings {
            let by_schema = (rule.min_chars..=rule.max_chars).contains(&raw.chars().count())
                && regex.is_match(raw);
            assert_eq!(
                by_schema,
                parse(raw),
                "{name}: the pattern and parse disagree on {raw:?}"
            );
        }
    }
}

#[test]
fn each_pattern_agrees_with_parse_on_longer_and_boundary_strings() {
    let samples = [
        "  My App ",
        "Socrates: spec-first (v2) #1!",
        "say \"hi\"",
        "line one\nline two\twith tab",
        "bad \u{1b}[31m escape",
        "auth.session_timeout",
        " a.b.c ",
        "a..b",
        "Alice.Smith+Spec@Example.COM",
        " bob@example.org\n",
        "a@b@example.com",
        "ab@example..com",
        "x@y.io",
    ];
    for (name, rule, parse) in rules() {
        for raw in samples {
            assert_agree(name, rule, parse, raw);
        }
        for length in [rule.max_chars - 1, rule.max_chars, rule.max_chars + 1] {
            // Letters alone, and letters padded with white space the parser trims.
            let word = "k".repeat(length);
            assert_agree(name, rule, parse, &word);
            let padded = format!(" {} ", "k".repeat(length.saturating_sub(2)));
            assert_agree(name, rule, parse, &padded);
            let address = format!("a@{}.io", "d".repeat(length.saturating_sub(5)));
            assert_agree(name, rule, parse, &address);
        }
    }
    let local = "l".repeat(64);
    for raw in [
        format!("{local}@example.com"),
        format!("{local}x@example.com"),
    ] {
        assert_agree("email", Email::RULE, |raw| Email::parse(raw).is_ok(), &raw);
    }
}

#[test]
fn every_password_the_pattern_admits_passes_the_policy() {
    let rule = NEW_PASSWORD_RULE;
    // The Rust `regex` crate has no look-ahead; the classes are checked one by one instead,
    // the same way the look-aheads do.
    let admitted = |raw: &str| {
        let length = raw.chars().count();
        (rule.min_chars..=rule.max_chars).contains(&length)
            && raw.chars().all(|c| (' '..='~').contains(&c))
            && raw.chars().any(|c| c.is_ascii_uppercase())
            && raw.chars().any(|c| c.is_ascii_lowercase())
            && raw.chars().any(|c| c.is_ascii_digit())
            && raw.chars().any(|c| c.is_ascii_punctuation())
    };
    assert!(rule.pattern.contains("(?=[ -~]*[A-Z])"));
    assert!(rule.pattern.contains("(?=[ -~]*[a-z])"));
    assert!(rule.pattern.contains("(?=[ -~]*[0-9])"));
    assert!(rule.pattern.contains("(?=[ -~]*[!-/:-@\\[-`{-~])"));
    assert!(rule.pattern.ends_with("[ -~]*$"));
    let symbols: String = (' '..='~').filter(char::is_ascii_punctuation).collect();
    assert_eq!(symbols, "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");
    for raw in [
        "Test123!",
        "Fuzz123!fuzz",
        "aA1!aA1!",
        "aA1 !   ",
        &format!("aA1!{}", "x".repeat(68)),
        &format!("aA1!{}", "x".repeat(69)),
        "aA1!aA1",
        "Zürich-2024 ok",
        "abcdefg1!",
    ] {
        if admitted(raw) {
            assert_eq!(check_password_policy(raw), Ok(()), "{raw:?}");
        }
    }
    for symbol in symbols.chars() {
        let raw = format!("Abcdef1{symbol}");
        assert!(admitted(&raw));
        assert_eq!(check_password_policy(&raw), Ok(()), "{raw:?}");
    }
}
