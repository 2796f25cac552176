//! The specification read as a brief: the functional requirements with who asks for what, the
//! quality requirements the other categories state, the entities the requirements name and the
//! stack. Every export and every generated project is written from it, so they all read a
//! specification the same way.
//!
//! The reading is deterministic and modest: a requirement "Receptionists must be able to book,
//! move and cancel appointments" has the actor "Receptionists" and the capability "book, move
//! and cancel appointments"; its entity is `Appointment` (a plural noun ending a noun phrase
//! that is neither a technology nor a unit of time). A statement without a modal verb keeps its
//! words as they are and gets no actor.

use socrates_domain::Category;
use socrates_domain::technology::TechnologyIndex;
use uuid::Uuid;

use crate::model::{Fact, Specification, slug};

/// A functional requirement: one fact of the `requirements` category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// 1-based, in the order of the facts.
    pub number: usize,
    /// The fact it comes from.
    pub fact_id: Uuid,
    /// The fact's key.
    pub key: String,
    /// The statement as the user made it, without the clauses that exclude something.
    pub statement: String,
    /// Whether the subject is the system itself ("the web app must work on phones").
    pub by_system: bool,
    /// Who asks for it ("receptionist"), singular and lower case, when the statement says.
    pub actor: Option<String>,
    /// What they must be able to do ("book, move and cancel appointments"), when the statement
    /// has a modal verb.
    pub capability: Option<String>,
    /// A short title: the capability's or the statement's first words, capitalised.
    pub title: String,
    /// The entities it names (indexes into [`Brief::entities`]).
    pub entities: Vec<usize>,
}

impl Requirement {
    /// The actor, or `user` when the statement names none.
    #[must_use]
    pub fn actor_or_user(&self) -> &str {
        self.actor.as_deref().unwrap_or("user")
    }
}

/// A quality requirement: a fact of another category read as a rule the system must keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualityRequirement {
    /// 1-based, in the order of the facts.
    pub number: usize,
    /// The fact it comes from.
    pub fact_id: Uuid,
    /// Its category.
    pub category: Category,
    /// Its key.
    pub key: String,
    /// Its value.
    pub value: String,
    /// The rule in EARS form ("THE SYSTEM SHALL answer 95 % of requests within 200 ms").
    pub ears: String,
}

/// A thing the requirements keep records of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    /// `Appointment`.
    pub name: String,
    /// `appointment`.
    pub snake: String,
    /// `appointments`.
    pub plural: String,
    /// The requirements that name it (their numbers).
    pub named_by: Vec<usize>,
}

/// The stack the specification names, key by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stack {
    /// `programming_language`.
    pub language: Option<String>,
    /// `backend_framework`.
    pub backend_framework: Option<String>,
    /// `frontend_framework`.
    pub frontend_framework: Option<String>,
    /// `primary_database`.
    pub database: Option<String>,
    /// `cache`.
    pub cache: Option<String>,
    /// `message_queue`.
    pub message_queue: Option<String>,
    /// `cloud_provider`.
    pub cloud: Option<String>,
    /// `container_platform`.
    pub container_platform: Option<String>,
    /// `testing.testing_framework`.
    pub testing_framework: Option<String>,
}

/// The brief; see the module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brief {
    /// The project's name.
    pub name: String,
    /// Its name as a file and folder name.
    pub slug: String,
    /// One paragraph: the description, else the goal, else the name.
    pub summary: String,
    /// `goals.project_goal`.
    pub goal: Option<String>,
    /// `goals.target_audience`.
    pub audience: Option<String>,
    /// `goals.success_metric`.
    pub success_metric: Option<String>,
    /// `goals.deadline`.
    pub deadline: Option<String>,
    /// `goals.budget_usd`.
    pub budget: Option<String>,
    /// The functional requirements.
    pub requirements: Vec<Requirement>,
    /// The quality requirements.
    pub quality: Vec<QualityRequirement>,
    /// The entities the requirements name, in order of first mention.
    pub entities: Vec<Entity>,
    /// The actors the requirements name, singular, in order of first mention.
    pub actors: Vec<String>,
    /// The stack.
    pub stack: Stack,
    /// What the requirements exclude ("No mobile app for now").
    pub out_of_scope: Vec<String>,
    /// The facts of `goals` the fields above do not take, as (key, value).
    pub other_goals: Vec<(String, String)>,
}

/// Modal phrases, longest first, that split a statement into actor and capability.
const MODALS: &[&str] = &[
    " must be able to ",
    " should be able to ",
    " need to be able to ",
    " needs to be able to ",
    " have to be able to ",
    " has to be able to ",
    " would like to ",
    " are able to ",
    " is able to ",
    " need to ",
    " needs to ",
    " have to ",
    " has to ",
    " want to ",
    " wants to ",
    " must ",
    " should ",
    " shall ",
    " can ",
    " will ",
];

/// Plural words that end a noun phrase but are not things a system keeps records of.
const NOT_ENTITIES: &[&str] = &[
    "hours",
    "minutes",
    "seconds",
    "days",
    "weeks",
    "months",
    "years",
    "times",
    "details",
    "things",
    "users",
    "people",
    "others",
    "ones",
    "steps",
    "clicks",
    "pages",
    "screens",
    "ways",
    "means",
    "plans",
    "needs",
    "issues",
    "problems",
    "requirements",
    "features",
    "questions",
    "answers",
    "yes",
    "process",
    "access",
    "business",
    "address",
    "status",
    "class",
    "always",
    "sometimes",
    "is",
    "was",
    "has",
    "does",
    "its",
    "this",
    "thus",
    "us",
    "as",
    "across",
    "less",
    "unless",
    "various",
    "previous",
    "numerous",
    "ms",
    "gbs",
    "tbs",
    "mbs",
    "kbs",
    "percents",
    "apis",
    "terms",
    "nights",
    "mornings",
    "evenings",
    "weekends",
    "euros",
    "dollars",
    "pounds",
    "bits",
    "bytes",
    "lots",
    "tons",
    "loads",
    "kinds",
    "sorts",
    "types",
    "parts",
    "phones",
    "devices",
    "browsers",
    "desktops",
    "laptops",
    "tablets",
    "computers",
    "screens",
];

/// Words after which a plural noun is a place, a channel or a device rather than a record
/// ("on phones", "by emails", "through their browsers").
const PLACE_PREPOSITIONS: &[&str] = &[
    "on", "in", "at", "by", "via", "through", "over", "across", "from", "with", "into", "onto",
];

/// Determiners and possessives skipped when looking back for a preposition.
const DETERMINERS: &[&str] = &[
    "the", "a", "an", "their", "our", "my", "your", "his", "her", "its", "all", "any", "some",
    "many", "most", "other", "each", "every", "these", "those",
];

/// Words after which a noun phrase ends.
const PHRASE_BREAKS: &[&str] = &[
    "to", "for", "from", "with", "by", "in", "on", "at", "of", "and", "or", "but", "via",
    "through", "into", "onto", "within", "before", "after", "every", "each", "when", "while", "if",
    "so", "that", "which", "who", "as", "than", "per", "without", "about", "under", "over",
];

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// The singular of an English plural, good enough for nouns of requirements.
#[must_use]
pub fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies")
        && stem.len() > 1
    {
        return format!("{stem}y");
    }
    for suffix in ["sses", "ches", "shes", "xes", "zes"] {
        if word.ends_with(suffix) {
            return word[..word.len() - 2].to_owned();
        }
    }
    if word.ends_with("ss") || word.ends_with("us") || word.ends_with("is") {
        return word.to_owned();
    }
    word.strip_suffix('s').unwrap_or(word).to_owned()
}

fn is_plural_noun(word: &str) -> bool {
    word.len() > 3
        && word.ends_with('s')
        && !word.ends_with("ss")
        && !word.ends_with("us")
        && !word.ends_with("is")
        && word.chars().all(|c| c.is_ascii_lowercase())
        && !NOT_ENTITIES.contains(&word)
}

/// Words that name the product itself when they stand where an actor would ("the web app must
/// work on phones"): the requirement is then a property of the system.
const SYSTEM_WORDS: &[&str] = &[
    "app",
    "application",
    "system",
    "platform",
    "site",
    "website",
    "service",
    "api",
    "backend",
    "frontend",
    "product",
    "tool",
    "dashboard",
    "portal",
    "software",
    "solution",
    "it",
    "this",
    "everything",
    "ui",
    "interface",
];

/// Subjects that are no actor: the requirement is the system's.
const NO_ACTOR: &[&str] = &["we", "i", "you", "there", "they", "that", "which", "one"];

/// Clause openers that exclude something from the scope.
const EXCLUSIONS: &[&str] = &["no ", "not ", "without ", "never ", "nothing ", "none "];

/// A statement split at its first modal phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Split {
    /// Who asks, singular, lower case; `None` when the system itself is the subject.
    actor: Option<String>,
    /// What must be possible, in the statement's own case.
    capability: String,
}

/// Splits a statement at its first modal phrase. The search is ASCII-case-insensitive so the
/// capability keeps the user's capitals ("Xero").
fn split_statement(statement: &str) -> Option<Split> {
    let text = format!(" {} ", statement.trim());
    let lower = text.to_ascii_lowercase();
    let (at, modal) = MODALS
        .iter()
        .filter_map(|modal| lower.find(modal).map(|at| (at, *modal)))
        .min_by_key(|(at, modal)| (*at, std::cmp::Reverse(modal.len())))?;
    let capability = text[at + modal.len()..]
        .trim()
        .trim_end_matches(['.', '!', ';'])
        .trim();
    if capability.is_empty() {
        return None;
    }
    // The subject is the last clause before the modal.
    let subject = lower[..at]
        .rsplit([',', ';', ':', '(', '-'])
        .next()
        .unwrap_or("")
        .trim();
    let mut words: Vec<&str> = subject
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .collect();
    while words.first().is_some_and(|w| DETERMINERS.contains(w)) {
        words.remove(0);
    }
    let system = words.is_empty()
        || words.len() > 3
        || words.iter().any(|w| NO_ACTOR.contains(w))
        || words.last().is_some_and(|w| SYSTEM_WORDS.contains(w));
    if system {
        return Some(Split {
            actor: None,
            capability: capability.to_owned(),
        });
    }
    let last = words.len() - 1;
    let mut actor: Vec<String> = words[..last].iter().map(|w| (*w).to_owned()).collect();
    // Collective nouns name a group; one of its people is the actor.
    actor.push(match words[last] {
        "staff" | "personnel" => "staff member".to_owned(),
        "team" => "team member".to_owned(),
        other => singular(other),
    });
    Some(Split {
        actor: Some(actor.join(" ")),
        capability: capability.to_owned(),
    })
}

/// A statement's clauses that exclude something ("No mobile app for now"), and the rest.
fn exclusions(statement: &str) -> (Vec<String>, String) {
    let mut excluded = Vec::new();
    let mut kept = Vec::new();
    for clause in statement.split([';', '\n']).flat_map(|c| c.split(". ")) {
        let clause = clause.trim().trim_end_matches('.').trim();
        if clause.is_empty() {
            continue;
        }
        let lower = clause.to_ascii_lowercase();
        if EXCLUSIONS.iter().any(|e| lower.starts_with(e)) {
            excluded.push(clause.to_owned());
        } else {
            kept.push(clause);
        }
    }
    let kept = kept.join("; ");
    // What remains of "No mobile app for now; the web app must work on phones" is a sentence.
    let kept = if excluded.is_empty() {
        kept
    } else {
        capitalise(&kept)
    };
    (excluded, kept)
}

/// Words a title does not end on.
const DANGLING: &[&str] = &[
    "a", "an", "the", "any", "each", "every", "for", "to", "of", "and", "or", "with", "in", "on",
    "by", "at", "from", "their", "its", "our", "my", "your", "his", "her", "as", "via", "per",
];

fn title_of(text: &str) -> String {
    let mut words: Vec<&str> = text.split_whitespace().take(7).collect();
    while words.len() > 1
        && words.last().is_some_and(|w| {
            DANGLING.contains(&w.trim_end_matches([',', ';', ':']).to_lowercase().as_str())
        })
    {
        words.pop();
    }
    let mut title = words.join(" ");
    title = title
        .trim_end_matches([',', '.', ';', ':', '!', '?'])
        .to_owned();
    capitalise(&title)
}

/// The plural nouns ending noun phrases of `text`, technologies left out.
fn nouns(text: &str, technologies: Option<&TechnologyIndex>) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut technology_words: Vec<String> = Vec::new();
    if let Some(index) = technologies {
        for mention in index.find(text) {
            for alias in
                std::iter::once(&mention.technology.name).chain(&mention.technology.aliases)
            {
                technology_words.extend(alias.to_lowercase().split_whitespace().map(str::to_owned));
            }
        }
    }
    let tokens: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-')
        .collect();
    let mut found = Vec::new();
    for (i, word) in tokens.iter().enumerate() {
        if !is_plural_noun(word) || technology_words.iter().any(|t| t == word) {
            continue;
        }
        let mut back = i;
        while back > 0 && DETERMINERS.contains(&tokens[back - 1]) {
            back -= 1;
        }
        if back > 0 && PLACE_PREPOSITIONS.contains(&tokens[back - 1]) {
            continue;
        }
        // A noun phrase ends at punctuation, at the end, or before a break word; a plural
        // opening the statement is its subject.
        let next = tokens.get(i + 1).copied().unwrap_or("");
        if back == 0
            || next.is_empty()
            || PHRASE_BREAKS.contains(&next)
            || next.starts_with(|c: char| c.is_ascii_digit())
            || !lower.contains(&format!("{word} {next}"))
        {
            found.push((*word).to_owned());
        }
    }
    found
}

fn quality_ears(fact: &Fact) -> String {
    let value = fact.value.trim();
    match (fact.category, fact.key.as_str()) {
        (Category::Performance, "latency_p95_ms") => {
            format!("THE SYSTEM SHALL answer 95 % of requests within {value}.")
        }
        (Category::Performance, "latency_p99_ms") => {
            format!("THE SYSTEM SHALL answer 99 % of requests within {value}.")
        }
        (Category::Performance, "throughput_rps") => {
            format!("THE SYSTEM SHALL sustain {value} requests per second.")
        }
        (Category::Scalability, "concurrent_users") => {
            format!("THE SYSTEM SHALL serve {value} concurrent users.")
        }
        (Category::Scalability, "total_users") => {
            format!("THE SYSTEM SHALL support {value} users in total.")
        }
        (Category::Scalability, "concurrent_writers") => {
            format!("THE SYSTEM SHALL accept writes from {value} users at the same time.")
        }
        (Category::Scalability, "data_volume") => {
            format!("THE SYSTEM SHALL hold {value} of data.")
        }
        (Category::Security, "authentication_method") => {
            format!("WHEN a user signs in THE SYSTEM SHALL authenticate them with {value}.")
        }
        (Category::Security, "authorization_model") => {
            format!("WHEN a user makes a request THE SYSTEM SHALL authorise it with {value}.")
        }
        (Category::Security, "compliance_standard") => {
            format!("THE SYSTEM SHALL comply with {value}.")
        }
        (Category::Security, "data_encryption") => {
            format!("THE SYSTEM SHALL encrypt its data: {value}.")
        }
        (Category::DisasterRecovery, "availability_target_percent") => {
            format!("THE SYSTEM SHALL be available {value} of the time.")
        }
        (Category::DisasterRecovery, "rpo_minutes") => format!(
            "IF the primary data store is lost, THEN THE SYSTEM SHALL lose at most {value} of data."
        ),
        (Category::DisasterRecovery, "rto_minutes") => format!(
            "IF the primary data store is lost, THEN THE SYSTEM SHALL be serving again within {value}."
        ),
        (Category::DisasterRecovery, "backup_frequency") => {
            format!("THE SYSTEM SHALL back up its data {value}.")
        }
        (Category::DataRetention, "retention_period_days") => {
            format!("WHEN a record is older than {value} THE SYSTEM SHALL delete it.")
        }
        (Category::Monitoring, "monitoring_tool") => {
            format!("THE SYSTEM SHALL publish its metrics to {value}.")
        }
        (Category::Monitoring, "logging_tool") => {
            format!("THE SYSTEM SHALL send its logs to {value}.")
        }
        (Category::Monitoring, "alerting_channel") => {
            format!("WHEN an alert fires THE SYSTEM SHALL notify {value}.")
        }
        (Category::Testing, "test_coverage_target_percent") => format!(
            "THE SYSTEM SHALL keep its automated tests covering at least {value} of the code."
        ),
        (Category::Testing, "testing_framework") => {
            format!("THE SYSTEM SHALL be tested with {value}.")
        }
        _ => format!(
            "THE SYSTEM SHALL meet this {} requirement: {}",
            fact.category.title().to_lowercase(),
            quoted(value)
        ),
    }
}

fn quoted(value: &str) -> String {
    let value = value.trim_end_matches('.');
    format!("\u{201c}{value}\u{201d}.")
}

impl Brief {
    /// Reads a specification; `technologies` keeps named technologies out of the entities.
    #[must_use]
    pub fn read(spec: &Specification, technologies: Option<&TechnologyIndex>) -> Self {
        let goal = spec
            .value(Category::Goals, "project_goal")
            .map(str::to_owned);
        let summary = spec
            .project
            .description
            .clone()
            .filter(|d| !d.trim().is_empty())
            .or_else(|| goal.clone())
            .unwrap_or_else(|| spec.project.name.clone());
        let mut entities: Vec<Entity> = Vec::new();
        let mut actors: Vec<String> = Vec::new();
        let mut requirements = Vec::new();
        let mut out_of_scope = Vec::new();
        for fact in spec.in_category(Category::Requirements) {
            let (excluded, rest) = exclusions(&fact.value);
            out_of_scope.extend(excluded);
            if rest.is_empty() {
                continue;
            }
            let number = requirements.len() + 1;
            let split = split_statement(&rest);
            let by_system = split.as_ref().is_some_and(|s| s.actor.is_none());
            let (actor, capability) = match split {
                Some(split) => (split.actor, Some(split.capability)),
                None => (None, None),
            };
            if let Some(actor) = &actor
                && !actors.contains(actor)
            {
                actors.push(actor.clone());
            }
            let text = capability.as_deref().unwrap_or(&rest);
            let mut named = Vec::new();
            for noun in nouns(text, technologies) {
                let name = singular(&noun);
                if actor.as_deref() == Some(name.as_str()) {
                    continue;
                }
                let at = if let Some(at) = entities.iter().position(|e| e.snake == name) {
                    at
                } else {
                    entities.push(Entity {
                        name: capitalise(&name),
                        snake: name.clone(),
                        plural: noun.clone(),
                        named_by: Vec::new(),
                    });
                    entities.len() - 1
                };
                if !named.contains(&at) {
                    named.push(at);
                    entities[at].named_by.push(number);
                }
            }
            requirements.push(Requirement {
                number,
                fact_id: fact.id,
                key: fact.key.clone(),
                statement: rest.clone(),
                title: title_of(capability.as_deref().unwrap_or(&rest)),
                by_system,
                actor,
                capability,
                entities: named,
            });
        }
        let quality = spec
            .facts
            .iter()
            .filter(|f| {
                let stack = matches!(
                    f.category,
                    Category::Requirements | Category::Goals | Category::TechStack
                );
                let framework = f.category == Category::Testing && f.key == "testing_framework";
                !(stack || framework)
            })
            .enumerate()
            .map(|(index, fact)| QualityRequirement {
                number: index + 1,
                fact_id: fact.id,
                category: fact.category,
                key: fact.key.clone(),
                value: fact.value.clone(),
                ears: quality_ears(fact),
            })
            .collect();
        let tech = |key: &str| spec.value(Category::TechStack, key).map(str::to_owned);
        let stack = Stack {
            language: tech("programming_language"),
            backend_framework: tech("backend_framework"),
            frontend_framework: tech("frontend_framework"),
            database: tech("primary_database"),
            cache: tech("cache"),
            message_queue: tech("message_queue"),
            cloud: tech("cloud_provider"),
            container_platform: tech("container_platform"),
            testing_framework: spec
                .value(Category::Testing, "testing_framework")
                .map(str::to_owned),
        };
        let taken = [
            "project_goal",
            "target_audience",
            "success_metric",
            "deadline",
            "budget_usd",
        ];
        let other_goals = spec
            .in_category(Category::Goals)
            .filter(|f| !taken.contains(&f.key.as_str()))
            .map(|f| (f.key.clone(), f.value.clone()))
            .collect();
        Self {
            name: spec.project.name.clone(),
            slug: slug(&spec.project.name),
            summary,
            goal,
            audience: spec
                .value(Category::Goals, "target_audience")
                .map(str::to_owned),
            success_metric: spec
                .value(Category::Goals, "success_metric")
                .map(str::to_owned),
            deadline: spec.value(Category::Goals, "deadline").map(str::to_owned),
            budget: spec.value(Category::Goals, "budget_usd").map(str::to_owned),
            requirements,
            quality,
            entities,
            actors,
            stack,
            out_of_scope,
            other_goals,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_with_a_modal_verb_has_an_actor_and_a_capability() {
        let split =
            |text: &str| split_statement(text).map(|s| (s.actor.unwrap_or_default(), s.capability));
        assert_eq!(
            split("Receptionists must be able to book, move and cancel appointments."),
            Some((
                "receptionist".to_owned(),
                "book, move and cancel appointments".to_owned()
            ))
        );
        assert_eq!(
            split("The clinic manager should see weekly reports in Xero"),
            Some((
                "clinic manager".to_owned(),
                "see weekly reports in Xero".to_owned()
            ))
        );
        assert_eq!(split("Payments: we'd like Stripe"), None);
        // The system as the subject, or no subject: no actor.
        assert_eq!(
            split("It must work offline"),
            Some((String::new(), "work offline".to_owned()))
        );
        assert_eq!(
            split("the web app must work on phones"),
            Some((String::new(), "work on phones".to_owned()))
        );
    }

    fn split(text: &str) -> Option<Split> {
        split_statement(text)
    }

    #[test]
    fn titles_end_on_a_word_that_carries_meaning_and_staff_is_a_person() {
        assert_eq!(
            title_of("book, move and cancel appointments for any customer"),
            "Book, move and cancel appointments"
        );
        assert_eq!(
            split("Staff must be able to book appointments").map(|s| s.actor),
            Some(Some("staff member".to_owned()))
        );
    }

    #[test]
    fn clauses_that_exclude_are_out_of_scope() {
        assert_eq!(
            exclusions("No mobile app for now; the web app must work on phones."),
            (
                vec!["No mobile app for now".to_owned()],
                "The web app must work on phones".to_owned()
            )
        );
        assert_eq!(
            exclusions("Not multi-tenant."),
            (vec!["Not multi-tenant".to_owned()], String::new())
        );
    }

    #[test]
    fn plural_nouns_ending_a_phrase_are_entities_and_units_are_not() {
        assert_eq!(
            nouns("book, move and cancel appointments", None),
            vec!["appointments"]
        );
        assert_eq!(
            nouns("send reminders 24 hours before each appointment", None),
            vec!["reminders"]
        );
        assert_eq!(
            nouns("export invoices to Xero every night", None),
            vec!["invoices"]
        );
        assert_eq!(singular("categories"), "category");
        assert_eq!(singular("batches"), "batch");
        assert_eq!(singular("status"), "status");
    }
}
