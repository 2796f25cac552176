//! The canonicalisation of technologies: every known language, framework, database, cloud,
//! queue, auth method and tool (listed in `data/technologies.toml`) with its aliases, so that "Postgres", "PostgreSQL 16",
//! "postgresql" and "pg" all mean `PostgreSQL`.
//!
//! Aliases are lowercase token sequences (see [`tokenise`]). A trailing version ("16",
//! "v3.12", "3.x") after a known name is ignored. Aliases that are also ordinary English words
//! ("go", "rust", "react", "pg", "spring") are marked ambiguous: inside free text they only
//! count when written with a capital letter and not as the first word of a sentence.

use std::collections::HashMap;

use serde::Deserialize;

/// What a technology is; decides which vocabulary key it fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TechnologyKind {
    /// A programming language.
    Language,
    /// A server-side framework.
    BackendFramework,
    /// A client-side framework.
    FrontendFramework,
    /// A database used as the system of record.
    Database,
    /// An in-memory cache.
    Cache,
    /// A message queue or event log.
    MessageQueue,
    /// A cloud provider.
    Cloud,
    /// A container platform or orchestrator.
    ContainerPlatform,
    /// An authentication method or protocol.
    AuthMethod,
    /// A compliance standard.
    ComplianceStandard,
    /// A metrics or monitoring tool.
    MonitoringTool,
    /// A logging tool.
    LoggingTool,
    /// A testing framework.
    TestingFramework,
    /// An analytics warehouse, kept next to the system of record.
    Warehouse,
    /// A third-party service the product talks to (payments, messaging, accounting, CRM,
    /// maps, shops): it fills no technology key; naming one states an integration
    /// requirement.
    ExternalService,
}

/// One canonical technology and the spellings that mean it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Technology {
    /// The canonical name, as shown to users ("PostgreSQL").
    pub name: String,
    /// What it is.
    pub kind: TechnologyKind,
    /// Lowercase spellings, each a space-separated token sequence.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Spellings that are also common words; see the module documentation.
    #[serde(default)]
    pub ambiguous: Vec<String>,
}

/// Splits text into lowercase tokens: runs of letters, digits and `#+.` with trailing dots
/// removed. Hyphens, slashes and other punctuation separate tokens, except that "sign-on"
/// style words are kept whole when an alias needs them (aliases use the same splitting).
#[must_use]
pub fn tokenise(text: &str) -> Vec<String> {
    tokenise_with_case(text)
        .into_iter()
        .map(|t| t.lower)
        .collect()
}

/// The tokens of `text` (as [`tokenise`] splits them) joined by single spaces, with a space
/// either side: " we use postgres 16 ". Phrases then match whole words with a plain substring
/// search. Allocates one string.
#[must_use]
pub fn padded_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    let mut start: Option<usize> = None;
    let flush = |out: &mut String, token: &str| {
        let trimmed = token.trim_end_matches('.');
        if !trimmed.is_empty() {
            for c in trimmed.chars() {
                if c.is_ascii() {
                    out.push(c.to_ascii_lowercase());
                } else {
                    out.extend(c.to_lowercase());
                }
            }
            out.push(' ');
        }
    };
    for (index, c) in text.char_indices() {
        let in_token = c.is_alphanumeric() || matches!(c, '#' | '+' | '.');
        match (in_token, start) {
            (true, None) => start = Some(index),
            (false, Some(begin)) => {
                flush(&mut out, &text[begin..index]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(begin) = start {
        flush(&mut out, &text[begin..]);
    }
    out
}

/// A token with its original spelling and byte offset in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The lowercase form used for matching.
    pub lower: String,
    /// Whether the original token started with an uppercase letter.
    pub capitalised: bool,
    /// Whether the token starts a sentence (first token or after `.`, `!`, `?`).
    pub sentence_start: bool,
    /// Byte offset of the token in the input.
    pub start: usize,
}

/// Like [`tokenise`], keeping case and position information.
#[must_use]
pub fn tokenise_with_case(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    let mut sentence_start = true;
    let flush = |current: &mut String, start: usize, tokens: &mut Vec<Token>, ss: &mut bool| {
        let trimmed = current.trim_end_matches('.');
        if !trimmed.is_empty() {
            let ends_sentence = trimmed.len() != current.len();
            tokens.push(Token {
                lower: if trimmed.is_ascii() {
                    trimmed.to_ascii_lowercase()
                } else {
                    trimmed.to_lowercase()
                },
                capitalised: trimmed.chars().next().is_some_and(char::is_uppercase),
                sentence_start: *ss,
                start,
            });
            *ss = ends_sentence;
        }
        current.clear();
    };
    for (index, c) in text.char_indices() {
        if c.is_alphanumeric() || matches!(c, '#' | '+' | '.') {
            if current.is_empty() {
                start = index;
            }
            current.push(c);
        } else {
            flush(&mut current, start, &mut tokens, &mut sentence_start);
            if matches!(c, '!' | '?' | ':' | ';' | '\n') {
                sentence_start = true;
            }
        }
    }
    flush(&mut current, start, &mut tokens, &mut sentence_start);
    tokens
}

fn is_version_token(token: &str) -> bool {
    let rest = token.strip_prefix('v').unwrap_or(token);
    !rest.is_empty()
        && rest.chars().next().is_some_and(|c| c.is_ascii_digit())
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == 'x')
}

/// One alias of the index: its tokens, the technology and whether it is ambiguous.
#[derive(Debug, Clone)]
struct Alias {
    tokens: Vec<String>,
    technology: usize,
    ambiguous: bool,
}

/// The technologies with their aliases indexed for fast lookup: whole values by their joined
/// tokens, free text by the first token of each alias (longest alias first).
#[derive(Debug, Clone, Default)]
pub struct TechnologyIndex {
    technologies: Vec<Technology>,
    by_value: HashMap<String, usize>,
    by_first_token: HashMap<String, Vec<Alias>>,
}

impl TechnologyIndex {
    /// Indexes `technologies`.
    ///
    /// # Errors
    /// A message naming the problem when a name is empty or repeated, an alias is not in
    /// tokenised lowercase form, or a spelling is claimed by two technologies.
    pub fn new(technologies: Vec<Technology>) -> Result<Self, String> {
        let mut index = Self::default();
        for (position, technology) in technologies.iter().enumerate() {
            if technology.name.trim().is_empty() {
                return Err(format!("technology #{} has an empty name", position + 1));
            }
            if technologies[..position]
                .iter()
                .any(|other| other.name == technology.name)
            {
                return Err(format!(
                    "technology \"{}\" is listed twice",
                    technology.name
                ));
            }
            index.claim(
                &tokenise(&technology.name).join(" "),
                position,
                &technologies,
            )?;
            let plain = technology.aliases.iter().map(|a| (a, false));
            let risky = technology.ambiguous.iter().map(|a| (a, true));
            for (alias, ambiguous) in plain.chain(risky) {
                let tokens = tokenise(alias);
                if tokens.is_empty() || tokens.join(" ") != *alias {
                    return Err(format!(
                        "technology \"{}\": alias \"{alias}\" must be lowercase tokens \
                         separated by single spaces (it reads as \"{}\")",
                        technology.name,
                        tokens.join(" ")
                    ));
                }
                index.claim(alias, position, &technologies)?;
                let Some(first) = tokens.first().cloned() else {
                    continue;
                };
                index.by_first_token.entry(first).or_default().push(Alias {
                    tokens,
                    technology: position,
                    ambiguous,
                });
            }
        }
        for aliases in index.by_first_token.values_mut() {
            aliases.sort_by_key(|alias| std::cmp::Reverse(alias.tokens.len()));
        }
        index.technologies = technologies;
        Ok(index)
    }

    /// Registers a whole-value spelling of the technology at `position`.
    fn claim(
        &mut self,
        spelling: &str,
        position: usize,
        technologies: &[Technology],
    ) -> Result<(), String> {
        match self.by_value.get(spelling) {
            Some(&owner) if owner != position => Err(format!(
                "\"{spelling}\" is claimed by both \"{}\" and \"{}\"",
                technologies[owner].name, technologies[position].name
            )),
            _ => {
                self.by_value.insert(spelling.to_owned(), position);
                Ok(())
            }
        }
    }

    /// Every technology, in file order.
    #[must_use]
    pub fn all(&self) -> &[Technology] {
        &self.technologies
    }

    /// The technology with this canonical name.
    #[must_use]
    pub fn by_name(&self, name: &str) -> Option<&Technology> {
        self.technologies.iter().find(|t| t.name == name)
    }

    /// Finds the technology a whole value names, ignoring case, surrounding words such as
    /// "version" and a trailing version number: "PostgreSQL 16" → PostgreSQL.
    #[must_use]
    pub fn canonical(&self, value: &str) -> Option<&Technology> {
        let mut tokens = tokenise(value);
        while tokens
            .last()
            .is_some_and(|t| is_version_token(t) || t == "version")
        {
            tokens.pop();
        }
        self.by_value
            .get(&tokens.join(" "))
            .map(|&position| &self.technologies[position])
    }

    /// Finds every technology mentioned in free text, longest alias first, each once, in
    /// order of appearance.
    #[must_use]
    pub fn find(&self, text: &str) -> Vec<TechnologyMention<'_>> {
        let tokens = tokenise_with_case(text);
        let mut found: Vec<TechnologyMention<'_>> = Vec::new();
        let mut index = 0;
        while index < tokens.len() {
            let first = &tokens[index];
            let best = self.by_first_token.get(&first.lower).and_then(|aliases| {
                aliases.iter().find(|alias| {
                    let end = index + alias.tokens.len();
                    end <= tokens.len()
                        && alias
                            .tokens
                            .iter()
                            .zip(&tokens[index..end])
                            .all(|(part, token)| *part == token.lower)
                        && (!alias.ambiguous
                            || (first.capitalised
                                && (!first.sentence_start || listed(text, &tokens, end)))
                            || tokens
                                .get(end)
                                .is_some_and(|next| is_version_token(&next.lower)))
                })
            });
            if let Some(alias) = best {
                let technology = &self.technologies[alias.technology];
                if !found.iter().any(|m| m.technology.name == technology.name) {
                    found.push(TechnologyMention {
                        technology,
                        start: first.start,
                    });
                }
                index += alias.tokens.len();
            } else {
                index += 1;
            }
        }
        found
    }
}

/// Whether the name ending before token `end` stands alone or opens a list, so that even at
/// the start of a sentence it is the technology: "Snowflake.", "Go + Gin, Redis", "React,
/// TypeScript".
fn listed(text: &str, tokens: &[Token], end: usize) -> bool {
    let Some(last) = end.checked_sub(1).and_then(|index| tokens.get(index)) else {
        return false;
    };
    let after = text[last.start + last.lower.len().min(text.len() - last.start)..].trim_start();
    match tokens.get(end) {
        None => true,
        Some(next) => {
            next.sentence_start
                || matches!(next.lower.as_str(), "+" | "&")
                || after.starts_with([',', '/', '+', '&'])
        }
    }
}

/// A technology found inside free text, with the byte offset where it was mentioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TechnologyMention<'a> {
    /// The technology.
    pub technology: &'a Technology,
    /// Byte offset of the first token of the mention.
    pub start: usize,
}

#[cfg(test)]
#[path = "technology_tests.rs"]
mod tests;
