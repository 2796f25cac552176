//! The offline reasoner against the labelled evaluation set in `eval/`: extraction precision
//! and recall over the answers of `extraction.toml`, conflict precision and recall over the
//! pairs of `conflicts.toml`. The set was written without looking at the engine; the test
//! fails below the quality bars and prints every miss so a regression is easy to read.
//!
//! Run `cargo test -p socrates-agents --test eval -- --nocapture` to see the figures.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stdout,
    reason = "an evaluation harness reports on stdout and fails loudly"
)]

use std::collections::HashSet;

use serde::Deserialize;
use socrates_domain::fact_vocabulary::{REQUIREMENT_PREFIX, ValueKind};
use socrates_domain::technology::tokenise;
use socrates_domain::{Category, ExistingFact, FactDraft, FactSource, Knowledge};
use socrates_reasoner::{ExtractionInput, OfflineReasoner, Reasoner};

#[path = "eval_parts/llm.rs"]
mod eval_llm;

const EXTRACTION_RECALL: f64 = 0.75;
const EXTRACTION_PRECISION: f64 = 0.85;
const CONFLICT_PRECISION: f64 = 0.9;
const CONFLICT_RECALL: f64 = 0.85;

#[derive(Deserialize)]
struct ExtractionSet {
    case: Vec<ExtractionCase>,
}

#[derive(Deserialize)]
struct ExtractionCase {
    id: String,
    question: Option<String>,
    question_category: Option<Category>,
    answer: String,
    facts: Vec<Fact>,
}

#[derive(Deserialize, Clone)]
struct Fact {
    category: Category,
    key: String,
    value: String,
}

#[derive(Deserialize)]
struct ConflictSet {
    pair: Vec<ConflictPair>,
}

#[derive(Deserialize, Clone)]
struct ConflictPair {
    id: String,
    existing: Fact,
    new: Fact,
    conflict: bool,
    note: Option<String>,
}

/// Words that carry no meaning when a gold text value is compared with an extracted one.
const FILLER: &[&str] = &[
    "a", "an", "the", "and", "of", "for", "to", "in", "on", "at", "with", "is", "are", "be", "we",
    "our", "it", "by", "all", "must", "should", "can", "will", "able", "need", "needs",
];

/// The content words of a text, each reduced to a crude stem ("failing", "fails" and "fail"
/// are one word) so a paraphrase is not missed for its inflection.
fn content_words(text: &str) -> HashSet<String> {
    tokenise(text)
        .into_iter()
        .filter(|w| !FILLER.contains(&w.as_str()))
        .map(|w| stem(&w))
        .collect()
}

/// Strips one common English inflection: -ing, -ed, -es, -s (keeping at least three letters).
fn stem(word: &str) -> String {
    for suffix in ["ing", "ed", "es", "s"] {
        if let Some(base) = word.strip_suffix(suffix)
            && base.len() >= 3
            && !word.ends_with("ss")
        {
            return base.trim_end_matches('e').to_owned();
        }
    }
    word.trim_end_matches('e').to_owned()
}

/// Share of the gold value's content words found in the extracted value.
fn overlap(gold: &str, extracted: &str) -> f64 {
    let gold = content_words(gold);
    if gold.is_empty() {
        return 0.0;
    }
    let extracted = content_words(extracted);
    #[allow(clippy::cast_precision_loss, reason = "word counts are tiny")]
    let share = gold.intersection(&extracted).count() as f64 / gold.len() as f64;
    share
}

/// Whether an extracted fact is the gold fact: same category and key (any requirement key
/// for a gold "requirement"), and the same value — equal once normalised, or for text most of
/// the gold's words.
fn matches(knowledge: &Knowledge, gold: &Fact, extracted: &FactDraft) -> bool {
    // A free-form requirement is filed under the category of the question it answers (a
    // security requirement under security): the labels put every one under requirements.
    if gold.key == "requirement" {
        return extracted.key.starts_with(REQUIREMENT_PREFIX)
            && overlap(&gold.value, &extracted.value) >= 0.5;
    }
    if gold.category != extracted.category {
        return false;
    }
    if gold.key != extracted.key {
        return false;
    }
    knowledge.same_meaning(&gold.key, &gold.value, &extracted.value)
        || (knowledge.vocabulary().value_kind(&gold.key) == ValueKind::Text
            && overlap(&gold.value, &extracted.value) >= 0.6)
}

/// The shape every reasoner's facts must have, whatever produced them: a valid key and value,
/// a vocabulary key in its own category, a free-form requirement under its
/// `requirement_<slug>` key, a number where the key holds one, a known technology under its
/// canonical name, and a confidence between 0 and 1.
fn well_formed(knowledge: &Knowledge, fact: &FactDraft) -> Result<(), String> {
    socrates_domain::FactKey::parse(&fact.key).map_err(|e| e.to_string())?;
    socrates_domain::FactValue::parse(&fact.value).map_err(|e| e.to_string())?;
    if fact.value.trim() != fact.value {
        return Err("the value has surrounding whitespace".to_owned());
    }
    if !(0.0..=1.0).contains(&fact.confidence) {
        return Err(format!("confidence {} is outside 0..=1", fact.confidence));
    }
    let vocabulary = knowledge.vocabulary();
    match vocabulary.get(&fact.key) {
        Some(entry) if entry.category != fact.category => Err(format!(
            "{} belongs to {}, not {}",
            fact.key, entry.category, fact.category
        )),
        Some(entry) => match entry.value_kind {
            ValueKind::Name => match knowledge.technologies().canonical(&fact.value) {
                Some(technology)
                    if !fact
                        .value
                        .to_lowercase()
                        .starts_with(&technology.name.to_lowercase()) =>
                {
                    Err(format!(
                        "a technology is named by its canonical name, {}",
                        technology.name
                    ))
                }
                _ => Ok(()),
            },
            ValueKind::Text | ValueKind::Date => Ok(()),
            _ if knowledge.numeric_value(&fact.key, &fact.value).is_none() => {
                Err("the key holds a number and the value has none".to_owned())
            }
            _ => Ok(()),
        },
        None if fact.key.starts_with(REQUIREMENT_PREFIX)
            && fact.key != socrates_domain::fact_vocabulary::requirement_key(&fact.value) =>
        {
            Err("a requirement's key is requirement_<slug of its value>".to_owned())
        }
        None => Ok(()),
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    #[allow(clippy::cast_precision_loss, reason = "counts are tiny")]
    let value = if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    };
    value
}

fn load<T: serde::de::DeserializeOwned>(file: &str) -> T {
    let path = format!("{}/eval/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("read the evaluation set");
    toml::from_str(&text).expect("parse the evaluation set")
}

/// Counts of one extraction run: labelled facts, extracted facts, matches, and the misses.
#[derive(Default)]
struct Tally {
    gold: usize,
    extracted: usize,
    matched: usize,
    /// Extracted facts labelled on an earlier answer of the same interview (not counted).
    restated: usize,
    report: Vec<String>,
    /// Extracted facts not in the shape every reasoner must give (see [`well_formed`]).
    malformed: Vec<String>,
    /// Per interview, the maturity its extracted facts would give a project.
    maturity: Vec<String>,
}

impl Tally {
    fn add(&mut self, other: Self) {
        self.gold += other.gold;
        self.extracted += other.extracted;
        self.restated += other.restated;
        self.matched += other.matched;
        self.report.extend(other.report);
    }

    fn precision(&self) -> f64 {
        ratio(self.matched, self.extracted)
    }

    fn recall(&self) -> f64 {
        ratio(self.matched, self.gold)
    }
}

async fn run_extraction(reasoner: &OfflineReasoner, set: &ExtractionSet) -> Tally {
    let knowledge = reasoner.data().knowledge();
    let (mut gold_total, mut extracted_total, mut matched_total) = (0, 0, 0);
    let mut report = Vec::new();
    for case in &set.case {
        let input = ExtractionInput {
            question_text: case.question.clone(),
            question_category: case.question_category,
            text: case.answer.clone(),
            existing: Vec::new(),
            source: FactSource::SocraticQuestion,
        };
        let extracted = reasoner.extract_facts(&input).await.expect("extract").facts;
        let mut used = vec![false; extracted.len()];
        let mut missed = Vec::new();
        for gold in &case.facts {
            let hit = (0..extracted.len())
                .find(|&index| !used[index] && matches(knowledge, gold, &extracted[index]));
            match hit {
                Some(index) => used[index] = true,
                None => missed.push(format!("{}/{}={}", gold.category, gold.key, gold.value)),
            }
        }
        let spurious: Vec<String> = extracted
            .iter()
            .zip(&used)
            .filter(|(_, used)| !**used)
            .map(|(fact, _)| format!("{}/{}={}", fact.category, fact.key, fact.value))
            .collect();
        gold_total += case.facts.len();
        extracted_total += extracted.len();
        matched_total += used.iter().filter(|u| **u).count();
        if !missed.is_empty() || !spurious.is_empty() {
            report.push(format!(
                "{}: missed {missed:?} spurious {spurious:?}",
                case.id
            ));
        }
    }
    Tally {
        gold: gold_total,
        extracted: extracted_total,
        matched: matched_total,
        restated: 0,
        report,
        malformed: Vec::new(),
        maturity: Vec::new(),
    }
}

fn print_extraction(name: &str, answers: usize, tally: &Tally) {
    let restated = if tally.restated > 0 {
        format!(
            " ({} more restated earlier facts, not counted)",
            tally.restated
        )
    } else {
        String::new()
    };
    println!(
        "extraction, {name}, {answers} answers: {} of {} labelled facts found, {} \
         extracted{restated}; precision {:.3}, recall {:.3}",
        tally.matched,
        tally.gold,
        tally.extracted,
        tally.precision(),
        tally.recall()
    );
}

/// The development set (`extraction.toml`, used while writing the rules) and the held-out
/// set (`holdout_extraction.toml`, written afterwards and never tuned for) are reported apart;
/// the bars hold over both together.
#[tokio::test]
async fn offline_extraction_meets_the_precision_and_recall_bars() {
    let reasoner = OfflineReasoner::builtin().expect("built-in data");
    let development: ExtractionSet = load("extraction.toml");
    let holdout: ExtractionSet = load("holdout_extraction.toml");
    let categories: HashSet<Category> = development
        .case
        .iter()
        .chain(&holdout.case)
        .flat_map(|case| case.facts.iter().map(|fact| fact.category))
        .collect();
    assert!(
        development.case.len() + holdout.case.len() >= 60,
        "at least 60 answers"
    );
    assert_eq!(categories.len(), Category::ALL.len(), "every category");

    let mut total = run_extraction(&reasoner, &development).await;
    print_extraction("development set", development.case.len(), &total);
    let held_out = run_extraction(&reasoner, &holdout).await;
    print_extraction("held-out set", holdout.case.len(), &held_out);
    total.add(held_out);
    print_extraction("both", development.case.len() + holdout.case.len(), &total);
    println!("{}", total.report.join("\n"));
    let (precision, recall) = (total.precision(), total.recall());
    assert!(
        precision >= EXTRACTION_PRECISION && recall >= EXTRACTION_RECALL,
        "extraction precision {precision:.3} (bar {EXTRACTION_PRECISION}), recall {recall:.3} \
         (bar {EXTRACTION_RECALL})\n{}",
        total.report.join("\n")
    );
}

/// Confusion counts of one conflict run and the misjudged pairs.
#[derive(Default)]
struct Confusion {
    true_positive: usize,
    false_positive: usize,
    false_negative: usize,
    report: Vec<String>,
}

impl Confusion {
    fn precision(&self) -> f64 {
        ratio(self.true_positive, self.true_positive + self.false_positive)
    }

    fn recall(&self) -> f64 {
        ratio(self.true_positive, self.true_positive + self.false_negative)
    }

    fn print(&self, name: &str, pairs: usize) {
        println!(
            "conflicts, {name}, {pairs} pairs: {} found, {} false alarms, {} missed; precision \
             {:.3}, recall {:.3}",
            self.true_positive,
            self.false_positive,
            self.false_negative,
            self.precision(),
            self.recall()
        );
    }
}

/// Development and held-out pairs, reported apart; the bars hold over both together.
#[tokio::test]
async fn offline_conflict_rules_meet_the_precision_and_recall_bars() {
    let reasoner = OfflineReasoner::builtin().expect("built-in data");
    let development: ConflictSet = load("conflicts.toml");
    let holdout: ConflictSet = load("holdout_conflicts.toml");
    assert!(
        development.pair.len() + holdout.pair.len() >= 100,
        "at least 100 pairs"
    );
    let categories: HashSet<Category> = development
        .pair
        .iter()
        .chain(&holdout.pair)
        .flat_map(|pair| [pair.existing.category, pair.new.category])
        .collect();
    assert_eq!(categories.len(), Category::ALL.len(), "every category");
    let dev = run_conflicts(&reasoner, &development).await;
    dev.print("development set", development.pair.len());
    let held = run_conflicts(&reasoner, &holdout).await;
    held.print("held-out set", holdout.pair.len());
    let total = Confusion {
        true_positive: dev.true_positive + held.true_positive,
        false_positive: dev.false_positive + held.false_positive,
        false_negative: dev.false_negative + held.false_negative,
        report: dev.report.into_iter().chain(held.report).collect(),
    };
    total.print("both", development.pair.len() + holdout.pair.len());
    println!("{}", total.report.join("\n"));
    let (precision, recall) = (total.precision(), total.recall());
    assert!(
        precision >= CONFLICT_PRECISION && recall >= CONFLICT_RECALL,
        "conflict precision {precision:.3} (bar {CONFLICT_PRECISION}), recall {recall:.3} \
         (bar {CONFLICT_RECALL})\n{}",
        total.report.join("\n")
    );
}

async fn run_conflicts(reasoner: &dyn Reasoner, set: &ConflictSet) -> Confusion {
    let (mut true_positive, mut false_positive, mut false_negative) = (0, 0, 0);
    let mut report = Vec::new();
    for pair in &set.pair {
        let new = FactDraft {
            category: pair.new.category,
            key: pair.new.key.clone(),
            value: pair.new.value.clone(),
            confidence: 0.9,
            reasoning: None,
        };
        let existing = ExistingFact {
            id: None,
            category: pair.existing.category,
            key: pair.existing.key.clone(),
            value: pair.existing.value.clone(),
            confidence: 0.9,
        };
        let found = reasoner
            .judge_conflicts(&[new], &[existing])
            .await
            .expect("judge");
        let predicted = !found.is_empty();
        match (predicted, pair.conflict) {
            (true, true) => true_positive += 1,
            (true, false) => false_positive += 1,
            (false, true) => false_negative += 1,
            (false, false) => {}
        }
        if predicted != pair.conflict {
            report.push(format!(
                "{}: expected {} got {} ({}/{}=\"{}\" vs {}/{}=\"{}\") {}",
                pair.id,
                pair.conflict,
                predicted,
                pair.existing.category,
                pair.existing.key,
                pair.existing.value,
                pair.new.category,
                pair.new.key,
                pair.new.value,
                pair.note.as_deref().unwrap_or("")
            ));
        }
    }
    Confusion {
        true_positive,
        false_positive,
        false_negative,
        report,
    }
}

// ---------------------------------------------------------------------------------------------
// The interview corpus: whole interviews about six products, answered the way people write,
// and labelled statement pairs. The development part (`eval/interviews/*.toml`,
// `eval/pairs/*.toml`) may be read while improving the rules; the held-out part
// (`eval/interviews/holdout/`, `eval/holdout/pairs_*.toml`) is never read while tuning: its
// misses are not printed, only its figures and per-category counts.
// ---------------------------------------------------------------------------------------------

/// The quality the product aims at (issue: "An interview users can trust").
const CORPUS_TARGET: Bars = Bars {
    extraction_precision: 0.90,
    extraction_recall: 0.85,
    conflict_precision: 0.95,
    conflict_recall: 0.90,
};

/// What the engine is held to today on each part of the corpus: the lower of the two parts'
/// measured figures, rounded down, so that a regression fails. Raise them as the rules
/// improve, up to the target. When the corpus was added, before any change it prompted:
/// extraction precision 0.517 / 0.460 and recall 0.361 / 0.370 (development / held-out),
/// conflicts precision 0.842 / 0.848 and recall 0.800 / 0.780. Now: extraction precision
/// 0.645 / 0.485 and recall 0.740 / 0.584, conflicts 0.975 / 0.943 and 0.963 / 1.000; the
/// figures are in `eval/README.md`.
const CORPUS_FLOOR: Bars = Bars {
    extraction_precision: 0.48,
    extraction_recall: 0.58,
    conflict_precision: 0.94,
    conflict_recall: 0.96,
};

struct Bars {
    extraction_precision: f64,
    extraction_recall: f64,
    conflict_precision: f64,
    conflict_recall: f64,
}

#[derive(Deserialize)]
struct Interview {
    product: String,
    split: String,
    answer: Vec<InterviewAnswer>,
}

#[derive(Deserialize)]
struct InterviewAnswer {
    id: String,
    question_category: Category,
    question: Option<String>,
    answer: String,
    facts: Vec<Fact>,
}

/// Whether `SOCRATES_EVAL_DEVELOPMENT_ONLY` is set: while changing the rules, score the
/// development part alone, so the held-out figures are not watched change after change.
fn development_only() -> bool {
    std::env::var_os("SOCRATES_EVAL_DEVELOPMENT_ONLY").is_some()
}

/// Prints the target next to the measured (precision, recall) of part `name`, and the failure
/// when either is below the floor.
fn judge(
    name: &str,
    (precision, recall): (f64, f64),
    target: (f64, f64),
    floor: (f64, f64),
) -> Option<String> {
    println!("  target: precision {} recall {}", target.0, target.1);
    (precision < floor.0 || recall < floor.1).then(|| {
        format!(
            "{name}: precision {precision:.3} recall {recall:.3} below the floor {} / {}",
            floor.0, floor.1
        )
    })
}

/// The files of `dir` (under `eval/`) ending in `.toml`, sorted.
fn toml_files(dir: &str) -> Vec<String> {
    let path = format!("{}/eval/{dir}", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = std::fs::read_dir(&path)
        .unwrap_or_else(|error| panic!("read {path}: {error}"))
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".toml"))
        .map(|name| format!("{dir}/{name}"))
        .collect();
    files.sort();
    files
}

fn interviews(dir: &str) -> Vec<Interview> {
    toml_files(dir).iter().map(|file| load(file)).collect()
}

fn pairs(dir: &str, prefix: &str) -> ConflictSet {
    let pair = toml_files(dir)
        .iter()
        .filter(|file| {
            file.rsplit('/')
                .next()
                .is_some_and(|name| name.starts_with(prefix))
        })
        .flat_map(|file| load::<ConflictSet>(file).pair)
        .collect();
    ConflictSet { pair }
}

/// Per category: labelled facts, found, extracted.
#[derive(Default, Clone, Copy)]
struct CategoryCounts {
    gold: usize,
    matched: usize,
    extracted: usize,
}

/// The interviews' answers as extraction cases, each with its question, and the counts per
/// category of what was labelled, found and extracted.
async fn run_interviews(
    reasoner: &dyn Reasoner,
    knowledge: &Knowledge,
    interviews: &[Interview],
) -> (Tally, std::collections::BTreeMap<Category, CategoryCounts>) {
    let mut tally = Tally::default();
    let mut per_category: std::collections::BTreeMap<Category, CategoryCounts> = Default::default();
    for interview in interviews {
        // The project's current facts as the interview goes: one per single-valued key (the
        // latest), one per value of a multi-valued key, one per requirement.
        let mut current: std::collections::HashMap<(Category, String, String), f64> =
            std::collections::HashMap::new();
        // Facts labelled on earlier answers: saying one again adds nothing to the project (the
        // same value is no new version), so extracting it again is neither found nor false.
        let mut earlier: Vec<&Fact> = Vec::new();
        for answer in &interview.answer {
            let input = ExtractionInput {
                question_text: answer.question.clone(),
                question_category: Some(answer.question_category),
                text: answer.answer.clone(),
                existing: Vec::new(),
                source: FactSource::SocraticQuestion,
            };
            let extracted = reasoner.extract_facts(&input).await.expect("extract").facts;
            for fact in &extracted {
                let slot =
                    socrates_domain::placement::ValueSlot::of(knowledge, &fact.key, &fact.value);
                current.insert(
                    (fact.category, fact.key.clone(), format!("{slot:?}")),
                    fact.confidence,
                );
            }
            for fact in &extracted {
                if let Err(problem) = well_formed(knowledge, fact) {
                    tally.malformed.push(format!(
                        "{} ({}): {}/{}={}: {problem}",
                        answer.id,
                        reasoner.name(),
                        fact.category,
                        fact.key,
                        fact.value
                    ));
                }
            }
            let mut used = vec![false; extracted.len()];
            let mut missed = Vec::new();
            for gold in &answer.facts {
                per_category.entry(gold.category).or_default().gold += 1;
                let hit = (0..extracted.len())
                    .find(|&index| !used[index] && matches(knowledge, gold, &extracted[index]));
                match hit {
                    Some(index) => {
                        used[index] = true;
                        per_category.entry(gold.category).or_default().matched += 1;
                    }
                    None => missed.push(format!("{}/{}={}", gold.category, gold.key, gold.value)),
                }
            }
            let restated: Vec<bool> = extracted
                .iter()
                .zip(&used)
                .map(|(fact, used)| {
                    !used && earlier.iter().any(|gold| matches(knowledge, gold, fact))
                })
                .collect();
            earlier.extend(&answer.facts);
            for (fact, _) in extracted.iter().zip(&restated).filter(|(_, r)| !**r) {
                per_category.entry(fact.category).or_default().extracted += 1;
            }
            let spurious: Vec<String> = extracted
                .iter()
                .zip(used.iter().zip(&restated))
                .filter(|(_, (used, restated))| !**used && !**restated)
                .map(|(fact, _)| format!("{}/{}={}", fact.category, fact.key, fact.value))
                .collect();
            tally.gold += answer.facts.len();
            tally.restated += restated.iter().filter(|r| **r).count();
            tally.extracted += extracted.len() - restated.iter().filter(|r| **r).count();
            tally.matched += used.iter().filter(|u| **u).count();
            if !missed.is_empty() || !spurious.is_empty() {
                tally.report.push(format!(
                    "{} ({}): missed {missed:?} spurious {spurious:?}",
                    answer.id, interview.product
                ));
            }
        }
        let maturity = socrates_domain::compute_maturity(
            current
                .iter()
                .map(|((category, _, _), confidence)| (*category, *confidence)),
        );
        tally.maturity.push(format!(
            "{}: {:.1} % ({})",
            interview.product,
            maturity.overall,
            maturity
                .categories
                .iter()
                .map(|c| format!("{} {:.0}", c.category.as_str(), c.coverage_percent))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    (tally, per_category)
}

fn print_categories(per_category: &std::collections::BTreeMap<Category, CategoryCounts>) {
    println!("  category            labelled  found  extracted  precision  recall");
    for (category, counts) in per_category {
        println!(
            "  {:<18} {:>9} {:>6} {:>10} {:>10.3} {:>7.3}",
            category.as_str(),
            counts.gold,
            counts.matched,
            counts.extracted,
            ratio(counts.matched, counts.extracted),
            ratio(counts.matched, counts.gold)
        );
    }
}

/// Extraction over the interview corpus: the development part with every miss printed, the
/// held-out part with figures only; each part is held to the floor, and the gap to the
/// target is printed.
#[tokio::test]
async fn interview_corpus_extraction() {
    let reasoner = OfflineReasoner::builtin().expect("built-in data");
    let development = interviews("interviews");
    let holdout = interviews("interviews/holdout");
    assert!(
        development
            .iter()
            .all(|interview| interview.split == "development")
    );
    assert!(holdout.iter().all(|interview| interview.split == "holdout"));
    let answers = |set: &[Interview]| set.iter().map(|i| i.answer.len()).sum::<usize>();
    assert!(
        answers(&development) + answers(&holdout) >= 300,
        "at least 300 answers"
    );
    assert!(
        development.len() + holdout.len() >= 5,
        "at least five products"
    );

    let mut failures = Vec::new();
    for (name, set, show_misses) in [
        ("development", &development, true),
        ("held-out", &holdout, false),
    ] {
        if !show_misses && development_only() {
            continue;
        }
        let (tally, per_category) =
            run_interviews(&reasoner, reasoner.data().knowledge(), set).await;
        print_extraction(&format!("interview corpus, {name}"), answers(set), &tally);
        failures.extend(tally.malformed.iter().cloned());
        print_categories(&per_category);
        println!(
            "  maturity the extracted facts give: {}",
            tally.maturity.join("; ")
        );
        if show_misses {
            println!("{}", tally.report.join("\n"));
        }
        failures.extend(judge(
            name,
            (tally.precision(), tally.recall()),
            (
                CORPUS_TARGET.extraction_precision,
                CORPUS_TARGET.extraction_recall,
            ),
            (
                CORPUS_FLOOR.extraction_precision,
                CORPUS_FLOOR.extraction_recall,
            ),
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The conflict rules over the corpus's labelled pairs, development and held-out apart.
#[tokio::test]
async fn interview_corpus_conflicts() {
    let reasoner = OfflineReasoner::builtin().expect("built-in data");
    let development = pairs("pairs", "development");
    let holdout = pairs("holdout", "pairs");
    assert!(
        development.pair.len() + holdout.pair.len() >= 300,
        "at least 300 pairs"
    );
    let mut failures = Vec::new();
    for (name, set, show_misses) in [
        ("development", &development, true),
        ("held-out", &holdout, false),
    ] {
        if !show_misses && development_only() {
            continue;
        }
        let confusion = run_conflicts(&reasoner, set).await;
        confusion.print(&format!("interview corpus, {name}"), set.pair.len());
        if show_misses {
            println!("{}", confusion.report.join("\n"));
        }
        failures.extend(judge(
            name,
            (confusion.precision(), confusion.recall()),
            (
                CORPUS_TARGET.conflict_precision,
                CORPUS_TARGET.conflict_recall,
            ),
            (
                CORPUS_FLOOR.conflict_precision,
                CORPUS_FLOOR.conflict_recall,
            ),
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
