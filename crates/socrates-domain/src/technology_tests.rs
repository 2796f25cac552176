use super::*;

fn knowledge() -> &'static crate::Knowledge {
    static KNOWLEDGE: std::sync::OnceLock<crate::Knowledge> = std::sync::OnceLock::new();
    KNOWLEDGE.get_or_init(|| crate::Knowledge::builtin().expect("built-in knowledge is valid"))
}
use std::collections::HashSet;

fn name(value: &str) -> Option<&'static str> {
    knowledge()
        .technologies()
        .canonical(value)
        .map(|t| t.name.as_str())
}

#[test]
fn postgres_spellings_are_one_technology() {
    for spelling in [
        "Postgres",
        "PostgreSQL 16",
        "postgresql",
        "pg",
        "Postgres v15.2",
    ] {
        assert_eq!(name(spelling), Some("PostgreSQL"), "{spelling}");
    }
    assert_eq!(name("Mongo"), Some("MongoDB"));
    assert_eq!(name("k8s"), Some("Kubernetes"));
    assert_eq!(name("Amazon Web Services"), Some("AWS"));
    assert_eq!(name("Golang"), Some("Go"));
    assert_eq!(name("Python 3.12"), Some("Python"));
    assert_eq!(name("a database"), None);
}

#[test]
fn aliases_are_unique_lowercase_and_tokenise_to_themselves() {
    let mut seen = HashSet::new();
    let all = knowledge().technologies().all();
    for tech in all {
        for alias in tech.aliases.iter().chain(&tech.ambiguous) {
            assert!(seen.insert(alias.clone()), "duplicate alias {alias}");
            assert_eq!(tokenise(alias).join(" "), *alias, "{alias}");
        }
    }
    assert!(all.len() >= 60);
}

#[test]
fn finds_technologies_in_free_text() {
    let text = "We'll use Postgres 16 and Redis, deploy on AWS with Kubernetes.";
    let names: Vec<&str> = knowledge()
        .technologies()
        .find(text)
        .iter()
        .map(|m| m.technology.name.as_str())
        .collect();
    assert_eq!(names, ["PostgreSQL", "Redis", "AWS", "Kubernetes"]);
}

#[test]
fn ambiguous_words_need_a_capital_letter_mid_sentence() {
    assert!(
        knowledge()
            .technologies()
            .find("we go live in March and react quickly")
            .is_empty()
    );
    assert!(
        knowledge()
            .technologies()
            .find("Go live in March.")
            .is_empty()
    );
    let names: Vec<&str> = knowledge()
        .technologies()
        .find("The backend is in Go and React.")
        .iter()
        .map(|m| m.technology.name.as_str())
        .collect();
    assert_eq!(names, ["Go", "React"]);
}

#[test]
fn padded_tokens_match_tokenise() {
    for text in [
        "We'll use Postgres 16, deploy on AWS (k8s) — in-memory only. Node.js; C#/C++!",
        "",
        "...",
        "Ünïcode ÄRGER. ends.",
    ] {
        let expected = if tokenise(text).is_empty() {
            " ".to_owned()
        } else {
            format!(" {} ", tokenise(text).join(" "))
        };
        assert_eq!(padded_tokens(text), expected, "{text}");
    }
}

#[test]
fn an_ambiguous_name_opening_a_list_or_alone_is_the_technology() {
    let names = |text: &str| -> Vec<String> {
        knowledge()
            .technologies()
            .find(text)
            .iter()
            .map(|m| m.technology.name.clone())
            .collect()
    };
    assert_eq!(
        names("Go + Gin, postgres, Redis."),
        ["Go", "Gin", "PostgreSQL", "Redis"]
    );
    assert_eq!(names("React + Vite internal admin only."), ["React"]);
    assert_eq!(names("Snowflake."), ["Snowflake"]);
    assert!(names("Go ahead and build it.").is_empty());
    assert!(names("React quickly when it fails.").is_empty());
}
