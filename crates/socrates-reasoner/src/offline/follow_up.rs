//! Follow-up questions on vague answers (`follow_ups.toml`): when an answer to a question that
//! aims at vocabulary keys states nothing for any of them and says "fast", "lots of users" or
//! "not sure yet" instead, the next question quotes it and asks for the number or the choice.

use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, MatchKind};
use serde::Deserialize;
use socrates_domain::technology::{padded_tokens, tokenise};
use socrates_domain::{Category, Knowledge};

use super::bank::{QuestionBank, QuestionTemplate};

/// The prefix of every follow-up's template id: `followup.<key>`.
pub const FOLLOW_UP_PREFIX: &str = "followup.";

/// The longest quotation of the user's words a follow-up repeats, in characters.
const MAX_QUOTE_CHARS: usize = 120;

/// One key's follow-up wording.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpWording {
    /// The vocabulary key it asks about.
    pub key: String,
    /// The question asking for the number or the choice.
    pub ask: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FollowUpsFile {
    why: String,
    vague_markers: Vec<String>,
    follow_up: Vec<FollowUpWording>,
}

/// The follow-up questions: vagueness markers and one wording per key, validated.
#[derive(Debug, Clone)]
pub struct FollowUps {
    why: String,
    /// The vagueness markers, matched in a text's padded tokens (" it is fast ").
    vague_markers: AhoCorasick,
    /// Per key: its template, whose text is the bare `ask`.
    by_key: HashMap<String, QuestionTemplate>,
}

/// A follow-up to ask, composed for one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpQuestion {
    /// `followup.<key>`.
    pub template_id: String,
    /// The key it asks about.
    pub key: String,
    /// The key's category.
    pub category: Category,
    /// `You said "…". <ask>`
    pub text: String,
    /// Why it matters.
    pub context: String,
}

impl FollowUps {
    /// Validates the file: known keys, a wording for every key a bank question aims at, each
    /// one open question naming no technology.
    pub(super) fn new(
        file: FollowUpsFile,
        knowledge: &Knowledge,
        bank: &QuestionBank,
    ) -> Result<Self, String> {
        let FollowUpsFile {
            why,
            vague_markers,
            follow_up,
        } = file;
        if why.trim().is_empty() {
            return Err("\"why\" is empty".to_owned());
        }
        if vague_markers.is_empty() {
            return Err("vague_markers: the list is empty".to_owned());
        }
        if let Some(marker) = vague_markers
            .iter()
            .find(|marker| tokenise(marker).join(" ") != **marker)
        {
            return Err(format!(
                "vague_markers: \"{marker}\" must be written as lowercase words separated by \
                 single spaces, as the tokeniser reads text"
            ));
        }
        // Padded with a space either side, a marker only matches whole words.
        let vague_markers = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(vague_markers.iter().map(|marker| format!(" {marker} ")))
            .map_err(|error| format!("vague_markers: {error}"))?;
        let mut by_key = HashMap::new();
        for wording in follow_up {
            let entry = knowledge
                .vocabulary()
                .get(&wording.key)
                .ok_or_else(|| format!("key \"{}\" is not in the vocabulary", wording.key))?;
            let ask = wording.ask.trim();
            let problem = if !ask.ends_with('?') || ask.matches('?').count() != 1 {
                Some("the ask must be exactly one question ending with '?'".to_owned())
            } else {
                knowledge
                    .technologies()
                    .find(ask)
                    .first()
                    .map(|mention| format!("the ask names {}", mention.technology.name))
            };
            if let Some(problem) = problem {
                return Err(format!("follow-up for {}: {problem}", wording.key));
            }
            let template = QuestionTemplate {
                template_id: format!("{FOLLOW_UP_PREFIX}{}", wording.key),
                category: entry.category,
                persona: String::new(),
                target_keys: vec![wording.key.clone()],
                text: ask.to_owned(),
                context: why.trim().to_owned(),
            };
            if by_key.insert(wording.key.clone(), template).is_some() {
                return Err(format!("key \"{}\" has two follow-ups", wording.key));
            }
        }
        let aimed_at: HashSet<&str> = bank
            .all()
            .iter()
            .flat_map(|question| question.target_keys.iter().map(String::as_str))
            .collect();
        let mut uncovered: Vec<&str> = aimed_at
            .into_iter()
            .filter(|key| !by_key.contains_key(*key))
            .collect();
        uncovered.sort_unstable();
        if let Some(key) = uncovered.first() {
            return Err(format!(
                "key \"{key}\" is aimed at by a bank question but has no follow-up"
            ));
        }
        Ok(Self {
            why,
            vague_markers,
            by_key,
        })
    }

    /// The follow-up template of a key (`followup.<key>`), whose text is the bare question.
    #[must_use]
    pub fn template(&self, key: &str) -> Option<&QuestionTemplate> {
        self.by_key.get(key)
    }

    /// The follow-up template a template id names, if it names one.
    #[must_use]
    pub fn by_template_id(&self, template_id: &str) -> Option<&QuestionTemplate> {
        template_id
            .strip_prefix(FOLLOW_UP_PREFIX)
            .and_then(|key| self.template(key))
    }

    /// Why every follow-up matters.
    #[must_use]
    pub fn why(&self) -> &str {
        &self.why
    }

    /// The first sentence of `answer` that holds a vagueness marker, as the user wrote it
    /// (without its closing punctuation, cut to a readable length), or `None` when the answer
    /// is not vague.
    #[must_use]
    pub fn vague_part<'a>(&self, answer: &'a str) -> Option<&'a str> {
        answer
            .split_inclusive(['.', '!', '?', ';', '\n'])
            .map(|sentence| {
                sentence
                    .trim()
                    .trim_end_matches(['.', '!', '?', ';'])
                    .trim()
            })
            .filter(|sentence| !sentence.is_empty())
            .find(|sentence| self.is_vague(sentence))
            .map(
                |sentence| match sentence.char_indices().nth(MAX_QUOTE_CHARS) {
                    // Cut at the last word boundary before the limit.
                    Some((end, _)) => sentence[..end]
                        .rfind(' ')
                        .map_or(&sentence[..end], |space| &sentence[..space]),
                    None => sentence,
                },
            )
    }

    fn is_vague(&self, text: &str) -> bool {
        self.vague_markers.is_match(&padded_tokens(text))
    }

    /// The follow-up to ask after `answer` to `question`, if one is due: the question aims at
    /// keys, is no follow-up itself, the answer stated nothing for any of its keys
    /// (`answered_keys` are the keys the answer stated) and holds a vagueness marker. It asks
    /// for the first of the question's keys the project does not hold (`held`).
    #[must_use]
    pub fn after_answer(
        &self,
        question: &QuestionTemplate,
        answer: &str,
        answered_keys: &HashSet<&str>,
        held: &HashSet<&str>,
    ) -> Option<FollowUpQuestion> {
        if question.template_id.starts_with(FOLLOW_UP_PREFIX)
            || question.target_keys.is_empty()
            || question
                .target_keys
                .iter()
                .any(|key| answered_keys.contains(key.as_str()))
        {
            return None;
        }
        let (key, template) = question
            .target_keys
            .iter()
            .filter(|key| !held.contains(key.as_str()))
            .find_map(|key| self.template(key).map(|template| (key, template)))?;
        let quote = self.vague_part(answer)?;
        Some(FollowUpQuestion {
            template_id: template.template_id.clone(),
            key: key.clone(),
            category: template.category,
            text: format!("You said \"{quote}\". {}", template.text),
            context: template.context.clone(),
        })
    }
}
