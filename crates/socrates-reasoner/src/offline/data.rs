//! The offline reasoner's data: the domain [`Knowledge`] (technologies, vocabulary, conflict
//! rules) plus the extractor's [`Lexicon`], the [`QuestionBank`] and the [`FollowUps`], each a
//! TOML file. The
//! built-in files are compiled in; a data directory from settings may replace any of them.
//! Everything is validated when loaded, so a bad file stops the start with a message naming
//! the file and the entry.

use std::path::Path;

use aho_corasick::{AhoCorasick, MatchKind};
use serde::Deserialize;
use socrates_domain::knowledge::{
    CONFLICT_RULES_FILE, KnowledgeSources, TECHNOLOGIES_FILE, VOCABULARY_FILE, parse_toml,
};
use socrates_domain::{Category, DomainError, Knowledge};

use super::bank::QuestionsFile;
pub use super::bank::{MIN_QUESTIONS_PER_CATEGORY, PERSONAS, QuestionBank, QuestionTemplate};
use super::follow_up::{FollowUps, FollowUpsFile};

/// File name of the extractor's word lists.
pub const LEXICON_FILE: &str = "lexicon.toml";
/// File name of the question banks.
pub const QUESTIONS_FILE: &str = "questions.toml";
/// File name of the follow-up questions on vague answers.
pub const FOLLOW_UPS_FILE: &str = "follow_ups.toml";

/// The built-in word lists.
pub const BUILTIN_LEXICON: &str = include_str!("../../data/lexicon.toml");
/// The built-in question banks.
pub const BUILTIN_QUESTIONS: &str = include_str!("../../data/questions.toml");
/// The built-in follow-up questions.
pub const BUILTIN_FOLLOW_UPS: &str = include_str!("../../data/follow_ups.toml");

/// A list of lowercase token phrases that must occur as whole words. Every list of the
/// lexicon is matched in one pass over a text by the [`PhraseScanner`]; `id` is the list's
/// place in that scanner.
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "Vec<String>")]
pub struct Phrases {
    raw: Vec<String>,
    id: usize,
}

impl From<Vec<String>> for Phrases {
    fn from(raw: Vec<String>) -> Self {
        Self { raw, id: 0 }
    }
}

impl Phrases {
    /// The phrases as written.
    #[must_use]
    pub fn raw(&self) -> &[String] {
        &self.raw
    }

    /// Whether one of the phrases was found by the scan that produced `hits`.
    #[must_use]
    pub fn found_in(&self, hits: &Hits) -> bool {
        hits.0.get(self.id).copied().unwrap_or(false)
    }
}

/// Which phrase lists a scanned text holds.
#[derive(Debug, Clone, Default)]
pub struct Hits(Vec<bool>);

/// Every phrase list of the lexicon in one automaton, so a text is scanned once however many
/// lists there are.
#[derive(Debug, Clone)]
pub struct PhraseScanner {
    matcher: AhoCorasick,
    owners: Vec<usize>,
    lists: usize,
}

impl PhraseScanner {
    /// Numbers every list and builds the automaton over all their phrases, which must be
    /// written as the tokeniser reads text ("in memory only", not "in-memory only").
    fn new(lists: &mut [&mut Phrases]) -> Result<Self, String> {
        let mut patterns = Vec::new();
        let mut owners = Vec::new();
        for (id, list) in lists.iter_mut().enumerate() {
            list.id = id;
            for phrase in &list.raw {
                let tokens = socrates_domain::technology::tokenise(phrase).join(" ");
                if tokens != *phrase {
                    return Err(format!(
                        "phrase \"{phrase}\" must be written as lowercase words separated by \
                         single spaces (it reads as \"{tokens}\")"
                    ));
                }
                patterns.push(phrase.clone());
                owners.push(id);
            }
        }
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .map_err(|error| error.to_string())?;
        Ok(Self {
            matcher,
            owners,
            lists: lists.len(),
        })
    }

    /// The lists whose phrases occur as whole words in `padded_text` (lowercase tokens
    /// joined by single spaces, a space either side).
    #[must_use]
    pub fn scan(&self, padded_text: &str) -> Hits {
        let mut hits = vec![false; self.lists];
        let bytes = padded_text.as_bytes();
        for found in self.matcher.find_overlapping_iter(padded_text) {
            let whole = found.start() > 0
                && bytes.get(found.start() - 1) == Some(&b' ')
                && bytes.get(found.end()) == Some(&b' ');
            if whole {
                hits[self.owners[found.pattern().as_usize()]] = true;
            }
        }
        Hits(hits)
    }
}

/// Lowercase stems that must start a word of the text ("rpo" matches "RPO of 15 min" but not
/// "corporate"), matched all at once.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct Stems {
    raw: Vec<String>,
    matcher: AhoCorasick,
}

impl TryFrom<Vec<String>> for Stems {
    type Error = String;

    fn try_from(raw: Vec<String>) -> Result<Self, Self::Error> {
        let matcher = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&raw)
            .map_err(|error| error.to_string())?;
        Ok(Self { raw, matcher })
    }
}

impl Stems {
    /// The stems as written.
    #[must_use]
    pub fn raw(&self) -> &[String] {
        &self.raw
    }

    /// The leftmost stem that is whole words of `lowercase_text` (starting a word and ending
    /// one, so "so that" is not found in "so that's"): its start and end offsets.
    #[must_use]
    pub fn first_at_word_start(&self, lowercase_text: &str) -> Option<(usize, usize)> {
        self.matcher
            .find_overlapping_iter(lowercase_text)
            .filter(|found| {
                lowercase_text[..found.start()]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric())
                    && lowercase_text[found.end()..]
                        .chars()
                        .next()
                        .is_none_or(|c| !c.is_alphanumeric() && c != '\'')
            })
            .map(|found| (found.start(), found.end()))
            .min_by_key(|&(start, end)| (start, std::cmp::Reverse(end)))
    }

    /// Whether `lowercase_text`, after any leading punctuation, opens with one of the stems
    /// as whole words ("that's the big one" opens with "that's"; "thats" does not).
    #[must_use]
    pub fn open(&self, lowercase_text: &str) -> bool {
        let text = lowercase_text.trim_start_matches(|c: char| !c.is_alphanumeric());
        self.raw.iter().any(|stem| {
            text.strip_prefix(stem.as_str())
                .is_some_and(|rest| rest.chars().next().is_none_or(|c| !c.is_alphanumeric()))
        })
    }

    /// Whether one of the stems starts a word of `lowercase_text`.
    #[must_use]
    pub fn start_a_word_in(&self, lowercase_text: &str) -> bool {
        self.matcher
            .find_overlapping_iter(lowercase_text)
            .any(|found| {
                lowercase_text[..found.start()]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric())
            })
    }
}

/// A project-type phrase list and the value it records.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectType {
    /// The value recorded under `goals/project_type`.
    pub value: String,
    /// Lowercase token phrases that name it.
    pub phrases: Phrases,
}

/// Phrases that state a fact on their own.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhraseFact {
    /// The fact's category.
    pub category: Category,
    /// The fact's key.
    pub key: String,
    /// The fact's value.
    pub value: String,
    /// Lowercase token phrases that state it.
    pub phrases: Phrases,
}

/// A fact stated by a trigger and a phrase in one sentence ("backups" + "every night").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoOccurrence {
    /// The fact's category.
    pub category: Category,
    /// The fact's key.
    pub key: String,
    /// The fact's value; the sentence itself when absent.
    #[serde(default)]
    pub value: Option<String>,
    /// Lowercase token phrases, one of which must occur.
    pub triggers: Phrases,
    /// Lowercase token phrases, one of which must occur too.
    pub phrases: Phrases,
}

/// Goals stated in prose.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoalWords {
    /// Nouns that name the product.
    pub product_nouns: Vec<String>,
    /// Openers after which the clause names the audience.
    pub audience_openers: Stems,
    /// What follows "app for" without naming people: a time or a purpose ("for now", "for
    /// the time being", "for free"). A candidate audience starting with one is none.
    pub not_audiences: Vec<String>,
    /// Openers after which the clause states the goal.
    pub goal_openers: Stems,
    /// Openers before a success criterion.
    pub success_openers: Stems,
    /// Closers after an "if …" success criterion.
    pub success_closers: Stems,
}

/// A question that asks for one free-text key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionKey {
    /// The key's category.
    pub category: Category,
    /// The key.
    pub key: String,
    /// Lowercase phrases of the question that ask for it.
    pub words: Vec<String>,
    /// Whether any question of the category asks for it (the category's one free-text key,
    /// as `testing_strategy` is for testing).
    #[serde(default)]
    pub whole_category: bool,
}

/// The words around a quantity that decide which key it fills.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantityContext {
    /// Availability targets.
    pub availability: Stems,
    /// Test coverage.
    pub coverage: Stems,
    /// Budgets.
    pub budget: Stems,
    /// Concurrency.
    pub concurrent: Stems,
    /// Nouns of people.
    pub people: Stems,
    /// Writers.
    pub writers: Stems,
    /// A bare number that is a total.
    pub total_question: Stems,
    /// Words that make a count of people the size of the team building it ("we're three
    /// people", "a team of 4"), never its users.
    pub team: Stems,
    /// Recovery point objectives.
    pub rpo: Stems,
    /// Recovery time objectives.
    pub rto: Stems,
    /// Tail latency.
    pub p99: Stems,
    /// Latency.
    pub latency: Stems,
    /// Deletion deadlines ("erase within 30 days"), which are no retention period.
    pub deletion: Stems,
    /// Retention periods.
    pub retention: Stems,
    /// Deadlines.
    pub deadline: Stems,
    /// Words that make a rate of some other noun a load ("300 bookings an hour at peak").
    pub throughput: Stems,
    /// Subjects of a recovery objective that reach a duration anywhere in their sentence.
    pub recovery: Stems,
    /// Words of a rate limit, whose rate is not the load ("a per-device limit of 20 req/s").
    pub rate_limit: Stems,
    /// Words of a test plan, whose figures ("a load test with 11 000 simulated trucks") are
    /// not the system's sizing.
    pub test_plan: Stems,
}

/// The contents of `lexicon.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lexicon {
    /// Words that make a statement hedged.
    pub hedges: Vec<String>,
    /// Words that negate a technology mentioned right after them.
    pub negations: Vec<String>,
    /// Words that end a negation's reach.
    pub negation_breakers: Vec<String>,
    /// Markers of a requirement sentence.
    pub requirement_markers: Vec<String>,
    /// Markers of a clause about the past or an abandoned choice.
    pub superseded_markers: Phrases,
    /// Markers of a clause about today's system.
    pub current_markers: Phrases,
    /// Markers of a contrast with today's system.
    pub contrast_markers: Phrases,
    /// Markers of a sentence that names options, not choices.
    pub undecided_markers: Phrases,
    /// Openers of a remark about what was said, not a statement of what the product does
    /// ("that's the big one for us", "honestly").
    pub remarks: Stems,
    /// Words of a story, an opinion or a report of what someone said ("I assumed…", "Dave
    /// says…", "Monday mornings are mad"): a sentence with one states no capability unless it
    /// is marked ("must", "should").
    pub narrative: Phrases,
    /// Project types.
    #[serde(rename = "project_type")]
    pub project_types: Vec<ProjectType>,
    /// Decisive phrases.
    #[serde(rename = "phrase")]
    pub phrases: Vec<PhraseFact>,
    /// Facts stated by two phrases together.
    #[serde(rename = "co_occurrence")]
    pub co_occurrences: Vec<CoOccurrence>,
    /// Goals stated in prose.
    pub goals: GoalWords,
    /// Questions that ask for one free-text key.
    #[serde(rename = "question_key")]
    pub question_keys: Vec<QuestionKey>,
    /// Quantity context words.
    pub context: QuantityContext,
}

impl Lexicon {
    /// Numbers every phrase list and builds the one automaton that finds them all.
    fn scanner(&mut self) -> Result<PhraseScanner, String> {
        let mut lists: Vec<&mut Phrases> = vec![
            &mut self.superseded_markers,
            &mut self.current_markers,
            &mut self.contrast_markers,
            &mut self.undecided_markers,
            &mut self.narrative,
        ];
        lists.extend(self.project_types.iter_mut().map(|p| &mut p.phrases));
        lists.extend(self.phrases.iter_mut().map(|p| &mut p.phrases));
        for rule in &mut self.co_occurrences {
            lists.push(&mut rule.triggers);
            lists.push(&mut rule.phrases);
        }
        PhraseScanner::new(&mut lists)
    }

    fn validate(&self, knowledge: &Knowledge) -> Result<(), String> {
        let lists = [
            ("hedges", &self.hedges),
            ("negations", &self.negations),
            ("negation_breakers", &self.negation_breakers),
            ("requirement_markers", &self.requirement_markers),
            ("superseded_markers", &self.superseded_markers.raw),
            ("current_markers", &self.current_markers.raw),
            ("contrast_markers", &self.contrast_markers.raw),
            ("undecided_markers", &self.undecided_markers.raw),
            ("goals.product_nouns", &self.goals.product_nouns),
            ("goals.audience_openers", &self.goals.audience_openers.raw),
            ("goals.not_audiences", &self.goals.not_audiences),
            ("goals.goal_openers", &self.goals.goal_openers.raw),
            ("goals.success_openers", &self.goals.success_openers.raw),
            ("goals.success_closers", &self.goals.success_closers.raw),
        ];
        let context = &self.context;
        let stems = [
            ("context.availability", &context.availability),
            ("context.coverage", &context.coverage),
            ("context.budget", &context.budget),
            ("context.concurrent", &context.concurrent),
            ("context.people", &context.people),
            ("context.writers", &context.writers),
            ("context.total_question", &context.total_question),
            ("context.team", &context.team),
            ("context.rpo", &context.rpo),
            ("context.rto", &context.rto),
            ("context.p99", &context.p99),
            ("context.latency", &context.latency),
            ("context.deletion", &context.deletion),
            ("context.retention", &context.retention),
            ("context.deadline", &context.deadline),
            ("context.throughput", &context.throughput),
            ("context.recovery", &context.recovery),
            ("context.test_plan", &context.test_plan),
            ("context.rate_limit", &context.rate_limit),
        ];
        for (name, list) in stems {
            check_phrases(name, &list.raw)?;
        }
        for (name, list) in lists {
            check_phrases(name, list)?;
        }
        for project_type in &self.project_types {
            check_phrases(
                &format!("project type \"{}\"", project_type.value),
                &project_type.phrases.raw,
            )?;
        }
        for phrase in &self.phrases {
            let entry = knowledge.vocabulary().get(&phrase.key).ok_or_else(|| {
                format!(
                    "phrase \"{}\": key \"{}\" is not in the vocabulary",
                    phrase.value, phrase.key
                )
            })?;
            if entry.category != phrase.category {
                return Err(format!(
                    "phrase \"{}\": key \"{}\" belongs to {}, not {}",
                    phrase.value, phrase.key, entry.category, phrase.category
                ));
            }
            check_phrases(&format!("phrase \"{}\"", phrase.value), &phrase.phrases.raw)?;
        }
        let keyed = self
            .co_occurrences
            .iter()
            .map(|c| {
                (
                    c.category,
                    c.key.as_str(),
                    [&c.triggers.raw, &c.phrases.raw],
                )
            })
            .chain(
                self.question_keys
                    .iter()
                    .map(|q| (q.category, q.key.as_str(), [&q.words, &q.words])),
            );
        for (category, key, lists) in keyed {
            check_key(knowledge, category, key)?;
            for list in lists {
                check_phrases(key, list)?;
            }
        }
        Ok(())
    }
}

/// The key exists and belongs to the category.
fn check_key(knowledge: &Knowledge, category: Category, key: &str) -> Result<(), String> {
    match knowledge.vocabulary().get(key) {
        Some(entry) if entry.category == category => Ok(()),
        Some(entry) => Err(format!(
            "key \"{key}\" belongs to {}, not {category}",
            entry.category
        )),
        None => Err(format!("key \"{key}\" is not in the vocabulary")),
    }
}

/// Every phrase is non-empty, lowercase and trimmed.
fn check_phrases(list: &str, phrases: &[String]) -> Result<(), String> {
    if phrases.is_empty() {
        return Err(format!("{list}: the list is empty"));
    }
    match phrases
        .iter()
        .find(|p| p.trim().is_empty() || p.to_lowercase() != **p || p.trim() != p.as_str())
    {
        Some(bad) => Err(format!(
            "{list}: \"{bad}\" must be lowercase, trimmed and non-empty"
        )),
        None => Ok(()),
    }
}

/// The texts of the six data files.
#[derive(Debug, Clone, Copy)]
pub struct OfflineSources<'a> {
    /// Technologies, vocabulary and conflict rules.
    pub knowledge: KnowledgeSources<'a>,
    /// `lexicon.toml`.
    pub lexicon: &'a str,
    /// `questions.toml`.
    pub questions: &'a str,
    /// `follow_ups.toml`.
    pub follow_ups: &'a str,
}

impl OfflineSources<'static> {
    /// The compiled-in files.
    #[must_use]
    pub const fn builtin() -> Self {
        Self {
            knowledge: KnowledgeSources::builtin(),
            lexicon: BUILTIN_LEXICON,
            questions: BUILTIN_QUESTIONS,
            follow_ups: BUILTIN_FOLLOW_UPS,
        }
    }
}

/// Everything the offline reasoner knows, validated.
#[derive(Debug, Clone)]
pub struct OfflineData {
    knowledge: Knowledge,
    lexicon: Lexicon,
    scanner: PhraseScanner,
    questions: QuestionBank,
    follow_ups: FollowUps,
}

impl OfflineData {
    /// The compiled-in data.
    ///
    /// # Errors
    /// Only if a built-in file is invalid, which the test suite rules out.
    pub fn builtin() -> Result<Self, DomainError> {
        Self::parse(OfflineSources::builtin())
    }

    /// Parses and validates the six files.
    ///
    /// # Errors
    /// [`DomainError`] naming the file and the problem.
    pub fn parse(sources: OfflineSources<'_>) -> Result<Self, DomainError> {
        let knowledge = Knowledge::parse(sources.knowledge)?;
        let mut lexicon: Lexicon = parse_toml(LEXICON_FILE, sources.lexicon)?;
        lexicon
            .validate(&knowledge)
            .map_err(|message| DomainError::knowledge(LEXICON_FILE, message))?;
        let scanner = lexicon
            .scanner()
            .map_err(|message| DomainError::knowledge(LEXICON_FILE, message))?;
        let questions: QuestionsFile = parse_toml(QUESTIONS_FILE, sources.questions)?;
        let questions = QuestionBank::new(questions.question, &knowledge)
            .map_err(|message| DomainError::knowledge(QUESTIONS_FILE, message))?;
        let follow_ups: FollowUpsFile = parse_toml(FOLLOW_UPS_FILE, sources.follow_ups)?;
        let follow_ups = FollowUps::new(follow_ups, &knowledge, &questions)
            .map_err(|message| DomainError::knowledge(FOLLOW_UPS_FILE, message))?;
        Ok(Self {
            knowledge,
            lexicon,
            scanner,
            questions,
            follow_ups,
        })
    }

    /// Loads the data, taking each file from `directory` when it holds one and the built-in
    /// file otherwise. Reads the disk: call it at start, not per request.
    ///
    /// # Errors
    /// [`DomainError`] when the directory does not exist, a file cannot be read, or the
    /// data is invalid.
    pub fn load(directory: Option<&Path>) -> Result<Self, DomainError> {
        let Some(directory) = directory else {
            return Self::builtin();
        };
        if !directory.is_dir() {
            return Err(DomainError::knowledge(
                directory.display().to_string(),
                "the offline data directory does not exist",
            ));
        }
        let read = |file: &str, builtin: &'static str| -> Result<String, DomainError> {
            let path = directory.join(file);
            if path.exists() {
                std::fs::read_to_string(&path).map_err(|error| {
                    DomainError::knowledge(path.display().to_string(), error.to_string())
                })
            } else {
                Ok(builtin.to_owned())
            }
        };
        let builtin = OfflineSources::builtin();
        let technologies = read(TECHNOLOGIES_FILE, builtin.knowledge.technologies)?;
        let vocabulary = read(VOCABULARY_FILE, builtin.knowledge.vocabulary)?;
        let conflict_rules = read(CONFLICT_RULES_FILE, builtin.knowledge.conflict_rules)?;
        let lexicon = read(LEXICON_FILE, builtin.lexicon)?;
        let questions = read(QUESTIONS_FILE, builtin.questions)?;
        let follow_ups = read(FOLLOW_UPS_FILE, builtin.follow_ups)?;
        Self::parse(OfflineSources {
            knowledge: KnowledgeSources {
                technologies: &technologies,
                vocabulary: &vocabulary,
                conflict_rules: &conflict_rules,
            },
            lexicon: &lexicon,
            questions: &questions,
            follow_ups: &follow_ups,
        })
    }

    /// Technologies, vocabulary and conflict rules.
    #[must_use]
    pub const fn knowledge(&self) -> &Knowledge {
        &self.knowledge
    }

    /// The extractor's word lists.
    #[must_use]
    pub const fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    /// The automaton over every phrase list of the lexicon.
    #[must_use]
    pub const fn scanner(&self) -> &PhraseScanner {
        &self.scanner
    }

    /// The question banks.
    #[must_use]
    pub const fn questions(&self) -> &QuestionBank {
        &self.questions
    }

    /// The follow-up questions on vague answers.
    #[must_use]
    pub const fn follow_ups(&self) -> &FollowUps {
        &self.follow_ups
    }

    /// The template a stored question came from, a bank question or a follow-up, by its id.
    #[must_use]
    pub fn template(&self, template_id: &str) -> Option<&QuestionTemplate> {
        self.questions
            .get(template_id)
            .or_else(|| self.follow_ups.by_template_id(template_id))
    }
}
