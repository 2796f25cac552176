//! The word lists of the offline extractor: hedges, negations, requirement markers,
//! project types and decisive phrases. Phrases are matched on lowercase tokens joined by
//! single spaces, so "In-memory only" matches "in memory only".

use socrates_domain::Category;

/// Words that make a statement hedged.
pub(super) const HEDGES: &[&str] = &[
    "maybe",
    "probably",
    "might",
    "perhaps",
    "possibly",
    "could",
    "considering",
    "unsure",
];
/// Words that negate a technology mentioned right after them.
pub(super) const NEGATIONS: &[&str] = &[
    "not", "no", "never", "without", "avoid", "instead", "than", "won't", "don't", "nor",
];
/// Markers of a requirement sentence, padded with spaces.
pub(super) const REQUIREMENT_MARKERS: &[&str] = &[
    " must ",
    " should ",
    " need to ",
    " needs to ",
    " has to ",
    " have to ",
];

/// Project-type phrases and the value they record.
pub(super) const PROJECT_TYPES: &[(&str, &str)] = &[
    ("web application", "web app"),
    ("web app", "web app"),
    ("website", "website"),
    ("mobile app", "mobile app"),
    ("ios app", "mobile app"),
    ("android app", "mobile app"),
    ("rest api", "REST API"),
    ("graphql api", "GraphQL API"),
    ("command line tool", "CLI tool"),
    ("cli tool", "CLI tool"),
    ("desktop app", "desktop app"),
    ("saas", "SaaS platform"),
    ("e commerce", "e-commerce site"),
    ("online shop", "e-commerce site"),
    ("marketplace", "marketplace"),
    ("data pipeline", "data pipeline"),
    ("chatbot", "chatbot"),
    ("browser extension", "browser extension"),
];

/// Phrases that state a decisive fact on their own: phrases, category, key, value.
pub(super) const PHRASES: &[(&[&str], Category, &str, &str)] = &[
    (
        &[
            "no persistence",
            "in memory only",
            "nothing is persisted",
            "not persisted",
        ],
        Category::DataRetention,
        "data_persistence",
        "in-memory only, no persistence",
    ),
    (
        &[
            "single server",
            "one server",
            "single instance",
            "single machine",
            "no redundancy",
        ],
        Category::TechStack,
        "deployment_topology",
        "single server",
    ),
    (
        &["no authentication", "no login", "anonymous access"],
        Category::Security,
        "authentication_method",
        "no authentication",
    ),
    (
        &[
            "backed up daily",
            "daily backups",
            "nightly backups",
            "backup every day",
        ],
        Category::DisasterRecovery,
        "backup_frequency",
        "daily",
    ),
    (
        &["backed up hourly", "hourly backups", "backup every hour"],
        Category::DisasterRecovery,
        "backup_frequency",
        "hourly",
    ),
    (
        &["backed up weekly", "weekly backups", "backup every week"],
        Category::DisasterRecovery,
        "backup_frequency",
        "weekly",
    ),
];
