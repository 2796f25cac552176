use std::collections::HashSet;

use socrates_domain::{
    Category, ConflictType, ConversationRole, ExistingFact, FactSource, compute_maturity,
};

use crate::ChatTurn;

use super::*;

fn context(category: Category, asked: &[&str], facts: Vec<ExistingFact>) -> QuestionContext {
    QuestionContext {
        asked_questions: Vec::new(),
        project_name: "Demo".to_owned(),
        project_description: String::new(),
        focus_category: category,
        persona: None,
        asked_template_ids: asked.iter().map(|id| (*id).to_owned()).collect(),
        existing_facts: facts,
        preferences: std::collections::HashMap::new(),
        documents: Vec::new(),
    }
}

fn fact(category: Category, key: &str, value: &str) -> ExistingFact {
    ExistingFact {
        id: None,
        category,
        key: key.to_owned(),
        value: value.to_owned(),
        confidence: 0.9,
    }
}

fn reasoner() -> OfflineReasoner {
    OfflineReasoner::builtin().expect("built-in data is valid")
}

#[test]
fn every_bank_has_eight_questions_and_bad_banks_are_refused() {
    let reasoner = reasoner();
    let bank = reasoner.data().questions();
    for category in Category::ALL {
        assert!(bank.of(category).count() >= 8, "{category}");
    }
    let ids: HashSet<&str> = bank.all().iter().map(|q| q.template_id.as_str()).collect();
    assert_eq!(ids.len(), bank.all().len());

    let refuse = |from: &str, to: &str, expected: &str| {
        let questions = data::BUILTIN_QUESTIONS.replacen(from, to, 1);
        assert_ne!(questions, data::BUILTIN_QUESTIONS, "{from}");
        let mut sources = data::OfflineSources::builtin();
        sources.questions = &questions;
        let error = OfflineData::parse(sources).expect_err(expected);
        let (file, message) = file_and_message(&error);
        assert_eq!(file, data::QUESTIONS_FILE);
        assert!(message.contains(expected), "{error}");
    };
    refuse(
        "What kind of product are you building, and who will use it day to day?",
        "Should we use Django for the product?",
        "suggests a solution",
    );
    refuse(
        "What kind of product are you building, and who will use it day to day?",
        "Is the product built with PostgreSQL?",
        "names PostgreSQL",
    );
    refuse(
        "What kind of product are you building, and who will use it day to day?",
        "Describe the product.",
        "exactly one question",
    );
    refuse("id = \"goals.002\"", "id = \"goals.001\"", "used twice");
    refuse("persona = \"pm\"", "persona = \"ceo\"", "persona \"ceo\"");
    refuse(
        "keys = [\"project_type\"]",
        "keys = [\"latency_p95_ms\"]",
        "belongs to performance",
    );
    refuse(
        "id = \"goals.008\"",
        "id = \"tech_stack.999\"",
        "must start with",
    );
}

#[test]
fn a_data_directory_replaces_single_files_and_bad_ones_stop_the_load() {
    let directory = tempfile::tempdir().expect("temp dir");
    let technologies = format!(
        "{}\n[[technology]]\nname = \"YugabyteDB\"\nkind = \"database\"\naliases = [\"yugabytedb\"]\n",
        socrates_domain::knowledge::BUILTIN_TECHNOLOGIES
    );
    std::fs::write(directory.path().join("technologies.toml"), technologies).expect("write");
    let data = OfflineData::load(Some(directory.path())).expect("valid");
    let reasoner = OfflineReasoner::new(Arc::new(data));
    let facts = extraction::extract(
        reasoner.data(),
        &ExtractionInput {
            question_text: None,
            question_category: None,
            text: "The data lives in YugabyteDB.".to_owned(),
            existing: Vec::new(),
            source: FactSource::SocraticQuestion,
        },
    );
    assert_eq!(facts[0].value, "YugabyteDB");
    std::fs::write(directory.path().join("lexicon.toml"), "hedges = 3\n").expect("write");
    let error = OfflineData::load(Some(directory.path())).expect_err("invalid lexicon");
    assert_eq!(file_and_message(&error).0, data::LEXICON_FILE);
    let missing = OfflineData::load(Some(&directory.path().join("nope"))).expect_err("missing");
    assert!(
        file_and_message(&missing).1.contains("does not exist"),
        "{missing}"
    );
}

#[tokio::test]
async fn questions_never_repeat_and_the_bank_runs_out_with_a_typed_error() {
    let reasoner = reasoner();
    let mut asked: Vec<String> = Vec::new();
    loop {
        let ids: Vec<&str> = asked.iter().map(String::as_str).collect();
        match reasoner
            .generate_question(&context(Category::Security, &ids, Vec::new()))
            .await
        {
            Ok(draft) => {
                assert_eq!(draft.category, Category::Security);
                let id = draft.template_id.unwrap();
                assert!(!asked.contains(&id), "{id} repeated");
                asked.push(id);
            }
            Err(error) => {
                assert_eq!(
                    error,
                    ReasonerError::QuestionBankExhausted {
                        category: Category::Security
                    }
                );
                break;
            }
        }
    }
    assert_eq!(
        asked.len(),
        reasoner.data().questions().of(Category::Security).count()
    );
}

#[tokio::test]
async fn questions_prefer_keys_still_missing() {
    let reasoner = reasoner();
    let empty = reasoner
        .generate_question(&context(Category::Goals, &[], Vec::new()))
        .await
        .unwrap();
    assert_eq!(empty.template_id.as_deref(), Some("goals.001"));
    let facts = vec![
        fact(Category::Goals, "project_type", "web app"),
        fact(Category::Goals, "project_goal", "faster invoicing"),
    ];
    let draft = reasoner
        .generate_question(&context(Category::Goals, &[], facts.clone()))
        .await
        .unwrap();
    assert_eq!(draft.template_id.as_deref(), Some("goals.003"));
    let draft = reasoner
        .generate_question(&context(Category::Goals, &["goals.003"], facts))
        .await
        .unwrap();
    assert_eq!(draft.template_id.as_deref(), Some("goals.004"));
    assert_eq!(draft.persona.as_deref(), Some("pm"));
    assert!(!draft.context.is_empty());
}

#[tokio::test]
async fn a_requested_persona_is_preferred_within_a_tier() {
    let mut request = context(Category::TechStack, &[], Vec::new());
    request.persona = Some("dba".to_owned());
    let draft = reasoner().generate_question(&request).await.unwrap();
    assert_eq!(draft.template_id.as_deref(), Some("tech_stack.004"));
}

#[tokio::test]
async fn extraction_rejects_blank_text_and_keeps_the_seed_answer() {
    let reasoner = reasoner();
    let mut input = ExtractionInput {
        question_text: Some("What kind of product are you building?".to_owned()),
        question_category: Some(Category::Goals),
        text: "   ".to_owned(),
        existing: Vec::new(),
        source: FactSource::SocraticQuestion,
    };
    assert_eq!(
        reasoner.extract_facts(&input).await,
        Err(ReasonerError::EmptyInput { field: "text" })
    );
    input.text = "I want to build a web app with FastAPI".to_owned();
    let extraction = reasoner.extract_facts(&input).await.unwrap();
    assert!(!extraction.facts.is_empty());
    assert!(extraction.rejected.is_empty());
}

#[tokio::test]
async fn judge_conflicts_applies_the_domain_rules() {
    let reasoner = reasoner();
    let input = ExtractionInput {
        question_text: None,
        question_category: None,
        text: "Actually we will use MongoDB.".to_owned(),
        existing: Vec::new(),
        source: FactSource::DirectChat,
    };
    let new = reasoner.extract_facts(&input).await.unwrap().facts;
    let existing = [fact(Category::TechStack, "primary_database", "Postgres")];
    let found = reasoner.judge_conflicts(&new, &existing).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].conflict_type, ConflictType::Technology);
    assert!(found[0].description.contains("Postgres") && found[0].description.contains("MongoDB"));
}

/// A chat context as the agent builds it: the message's facts extracted and judged, and the
/// bank's next question about `next` as the suggestion.
async fn chat_context(
    reasoner: &OfflineReasoner,
    history: Vec<ChatTurn>,
    facts: Vec<ExistingFact>,
    next: Category,
) -> ChatContext {
    let message = history.last().expect("a message").text.clone();
    let input = ExtractionInput {
        question_text: None,
        question_category: None,
        text: message,
        existing: facts.clone(),
        source: FactSource::DirectChat,
    };
    let understood = reasoner.extract_facts(&input).await.unwrap().facts;
    let conflicts = reasoner.judge_conflicts(&understood, &facts).await.unwrap();
    let suggestion = reasoner
        .generate_question(&QuestionContext {
            project_name: String::new(),
            project_description: String::new(),
            focus_category: next,
            persona: None,
            asked_template_ids: HashSet::new(),
            asked_questions: Vec::new(),
            existing_facts: facts.clone(),
            preferences: std::collections::HashMap::new(),
            documents: Vec::new(),
        })
        .await
        .ok();
    ChatContext {
        history,
        facts,
        understood,
        conflicts,
        suggestion,
        documents: Vec::new(),
    }
}

#[tokio::test]
async fn chat_reply_names_what_was_recorded_what_conflicts_and_what_comes_next() {
    let reasoner = reasoner();
    let history = vec![
        ChatTurn {
            role: ConversationRole::Assistant,
            text: "Hello!".to_owned(),
        },
        ChatTurn {
            role: ConversationRole::User,
            text: "We use MySQL and React.".to_owned(),
        },
    ];
    let facts = vec![fact(Category::TechStack, "primary_database", "PostgreSQL")];
    let chat = chat_context(
        &reasoner,
        history.clone(),
        facts.clone(),
        Category::Security,
    )
    .await;
    let reply = reasoner.chat_reply(&chat).await.unwrap();
    assert!(
        reply.starts_with("Recorded: frontend framework = React."),
        "{reply}"
    );
    assert!(
        reply.contains(
            "That contradicts the specification: primary database is \"PostgreSQL\", and you \
             now say primary database is \"MySQL\"."
        ),
        "{reply}"
    );
    let suggestion = chat.suggestion.as_ref().expect("a security question");
    assert!(
        reply.ends_with(&format!("Next, about security: {}", suggestion.text)),
        "{reply}"
    );
    assert_eq!(
        reply,
        reasoner.chat_reply(&chat).await.unwrap(),
        "deterministic"
    );

    let nothing = chat_context(
        &reasoner,
        vec![ChatTurn {
            role: ConversationRole::User,
            text: "Hmm, let me think about it.".to_owned(),
        }],
        facts,
        Category::Security,
    )
    .await;
    let reply = reasoner
        .chat_reply(&ChatContext {
            suggestion: None,
            ..nothing
        })
        .await
        .unwrap();
    assert_eq!(
        reply,
        "I found no decision, figure or requirement to record in that message. I have no \
         further question to suggest: every category is covered or asked out."
    );
    assert_eq!(
        reasoner
            .chat_reply(&ChatContext::new(history[..1].to_vec(), Vec::new()))
            .await,
        Err(ReasonerError::EmptyInput { field: "message" })
    );
    assert_eq!(reasoner.name(), "offline");
}

#[tokio::test]
async fn judge_conflicts_also_finds_contradictions_inside_the_answer() {
    let reasoner = reasoner();
    let input = ExtractionInput {
        question_text: None,
        question_category: None,
        text: "The database is PostgreSQL. On second thought, MySQL is the database.".to_owned(),
        existing: Vec::new(),
        source: FactSource::DirectChat,
    };
    let new = reasoner.extract_facts(&input).await.unwrap().facts;
    let found = reasoner.judge_conflicts(&new, &[]).await.unwrap();
    assert_eq!(found.len(), 1, "{new:?} {found:?}");
    assert_eq!(found[0].existing.value, "PostgreSQL");
    assert_eq!(found[0].new.value, "MySQL");
}

#[tokio::test]
async fn the_offline_chat_reply_streams_sentence_by_sentence() {
    use futures_util::StreamExt;
    let reasoner = reasoner();
    let history = vec![ChatTurn {
        role: ConversationRole::User,
        text: "We use Postgres and React.".to_owned(),
    }];
    let chat = chat_context(&reasoner, history, Vec::new(), Category::Goals).await;
    let whole = reasoner.chat_reply(&chat).await.unwrap();
    let deltas: Vec<String> = reasoner
        .chat_reply_stream(&chat)
        .await
        .unwrap()
        .map(Result::unwrap)
        .collect()
        .await;
    assert!(deltas.len() >= 2, "{deltas:?}");
    assert_eq!(deltas.concat(), whole);
}

/// The file and the message of a knowledge-file error.
fn file_and_message(error: &DomainError) -> (&str, &str) {
    match error {
        DomainError::Knowledge { file, message } => (file, message),
        other => panic!("not a knowledge-file error: {other:?}"),
    }
}

#[tokio::test]
async fn a_question_whose_keys_are_all_held_is_never_asked() {
    let reasoner = reasoner();
    let held: Vec<ExistingFact> = ["latency_p95_ms", "latency_p99_ms", "throughput_rps"]
        .iter()
        .map(|key| fact(Category::Performance, key, "100"))
        .collect();
    // With every key held, only the free-form questions remain, then nothing.
    let free: Vec<&str> = reasoner
        .data()
        .questions()
        .of(Category::Performance)
        .filter(|q| q.target_keys.is_empty())
        .map(|q| q.template_id.as_str())
        .collect();
    let mut asked_free: Vec<String> = Vec::new();
    while let Ok(draft) = reasoner
        .generate_question(&context(
            Category::Performance,
            &asked_free.iter().map(String::as_str).collect::<Vec<_>>(),
            held.clone(),
        ))
        .await
    {
        asked_free.push(draft.template_id.unwrap());
    }
    assert_eq!(asked_free, free);
    // With one key missing, the questions aiming at it come first, then the free-form ones.
    let mut asked: Vec<String> = Vec::new();
    loop {
        let ids: Vec<&str> = asked.iter().map(String::as_str).collect();
        match reasoner
            .generate_question(&context(Category::Performance, &ids, held[1..].to_vec()))
            .await
        {
            Ok(draft) => asked.push(draft.template_id.unwrap()),
            Err(_) => break,
        }
    }
    let aiming: Vec<&String> = asked
        .iter()
        .take_while(|id| !free.contains(&id.as_str()))
        .collect();
    assert!(!aiming.is_empty());
    for id in &aiming {
        let keys = &reasoner.data().questions().get(id).unwrap().target_keys;
        assert!(
            keys.iter().any(|key| key == "latency_p95_ms"),
            "{id}: {keys:?}"
        );
    }
    assert_eq!(asked.len(), aiming.len() + free.len());
}

fn template(id: &str) -> QuestionTemplate {
    reasoner().data().template(id).unwrap().clone()
}

#[test]
fn a_vague_answer_gets_a_follow_up_that_quotes_it_and_asks_for_the_number() {
    let reasoner = reasoner();
    let follow_ups = reasoner.data().follow_ups();
    let latency = reasoner
        .data()
        .questions()
        .of(Category::Performance)
        .find(|q| q.target_keys == ["latency_p95_ms"])
        .unwrap()
        .clone();
    let none = HashSet::new();
    let asked = follow_ups
        .after_answer(
            &latency,
            "Hmm. It should be fast! Users hate waiting.",
            &none,
            &none,
        )
        .unwrap();
    assert_eq!(asked.template_id, "followup.latency_p95_ms");
    assert_eq!(asked.key, "latency_p95_ms");
    assert_eq!(asked.category, Category::Performance);
    assert_eq!(
        asked.text,
        "You said \"It should be fast\". How long may a typical request take before users \
         notice, in milliseconds or seconds?"
    );
    assert_eq!(asked.context, follow_ups.why());
    // The follow-up carries its key: the data knows it by its template id.
    assert_eq!(
        reasoner
            .data()
            .template("followup.latency_p95_ms")
            .unwrap()
            .target_keys,
        ["latency_p95_ms"]
    );

    // A precise answer, an answer that stated the key, a held key and a follow-up itself get
    // no follow-up.
    assert_eq!(
        follow_ups.after_answer(
            &latency,
            "About 200 ms at the 95th percentile.",
            &none,
            &none
        ),
        None
    );
    let stated: HashSet<&str> = ["latency_p95_ms"].into_iter().collect();
    assert_eq!(
        follow_ups.after_answer(&latency, "Fast, 200 ms.", &stated, &none),
        None
    );
    assert_eq!(
        follow_ups.after_answer(&latency, "Fast.", &none, &stated),
        None
    );
    let follow_up = template("followup.latency_p95_ms");
    assert_eq!(
        follow_ups.after_answer(&follow_up, "Fast.", &none, &none),
        None
    );
    // Free-form questions aim at no key: nothing to follow up.
    let free = reasoner
        .data()
        .questions()
        .of(Category::Requirements)
        .next()
        .unwrap()
        .clone();
    assert_eq!(
        follow_ups.after_answer(&free, "The usual stuff.", &none, &none),
        None
    );

    // Every marker the issue names counts; a long sentence is cut at a word boundary.
    for vague in [
        "fast",
        "Lots of users",
        "pretty secure",
        "the usual",
        "Not sure yet.",
        "As cheap as possible",
        "soon",
        "I don't know",
    ] {
        assert!(follow_ups.vague_part(vague).is_some(), "{vague}");
    }
    assert_eq!(follow_ups.vague_part("About 200 ms."), None);
    let long = format!("{} and it must be fast", "word ".repeat(40));
    let quote = follow_ups.vague_part(&long).unwrap();
    assert!(quote.len() <= 120 && quote.ends_with("word"), "{quote}");
}

#[test]
fn the_follow_up_for_a_multi_key_question_asks_for_the_first_key_still_missing() {
    let reasoner = reasoner();
    let follow_ups = reasoner.data().follow_ups();
    let question = reasoner
        .data()
        .questions()
        .all()
        .iter()
        .find(|q| q.target_keys.len() >= 2)
        .unwrap()
        .clone();
    let none = HashSet::new();
    let first = follow_ups
        .after_answer(&question, "Not sure yet", &none, &none)
        .unwrap();
    assert_eq!(first.key, question.target_keys[0]);
    let held: HashSet<&str> = [question.target_keys[0].as_str()].into_iter().collect();
    let second = follow_ups
        .after_answer(&question, "Not sure yet", &none, &held)
        .unwrap();
    assert_eq!(second.key, question.target_keys[1]);
}

#[test]
fn bad_follow_up_files_are_refused() {
    let refuse = |from: &str, to: &str, expected: &str| {
        let follow_ups = data::BUILTIN_FOLLOW_UPS.replacen(from, to, 1);
        assert_ne!(follow_ups, data::BUILTIN_FOLLOW_UPS, "{from}");
        let mut sources = data::OfflineSources::builtin();
        sources.follow_ups = &follow_ups;
        let error = OfflineData::parse(sources).expect_err(expected);
        let (file, message) = file_and_message(&error);
        assert_eq!(file, data::FOLLOW_UPS_FILE);
        assert!(message.contains(expected), "{error}");
    };
    refuse(
        "key = \"project_type\"",
        "key = \"colour\"",
        "not in the vocabulary",
    );
    refuse(
        "key = \"project_type\"",
        "key = \"project_goal\"",
        "has two follow-ups",
    );
    refuse(
        "[[follow_up]]\nkey = \"backup_frequency\"",
        "[[ignored]]\nkey = \"backup_frequency\"",
        "unknown field",
    );
    let without = data::BUILTIN_FOLLOW_UPS.replacen(
        "[[follow_up]]\nkey = \"backup_frequency\"\nask = \"How often must backups be taken, every how many hours or days?\"\n",
        "",
        1,
    );
    assert_ne!(without, data::BUILTIN_FOLLOW_UPS);
    let mut sources = data::OfflineSources::builtin();
    sources.follow_ups = &without;
    let error = OfflineData::parse(sources).expect_err("a key without a follow-up");
    assert!(
        file_and_message(&error)
            .1
            .contains("\"backup_frequency\" is aimed at by a bank question but has no follow-up"),
        "{error}"
    );
    refuse(
        "Which database product will hold the system's main data?",
        "Is PostgreSQL the database?",
        "names PostgreSQL",
    );
    refuse(
        "Which database product will hold the system's main data?",
        "Name the database.",
        "exactly one question",
    );
    refuse(
        "\"fast\", \"faster\"",
        "\"Fast\", \"faster\"",
        "vague_markers",
    );
}

#[test]
fn the_plan_skips_covered_categories_and_those_with_nothing_left_to_ask() {
    let reasoner = reasoner();
    let bank = reasoner.data().questions();
    let empty = compute_maturity([]);
    let none_held = HashSet::new();
    let none_asked = HashSet::new();
    let plan = InterviewPlan::new(bank, &empty, &none_held, &none_asked);
    assert_eq!(plan.next_category(), Some(Category::Goals));
    assert_eq!(plan.open_by_need(), empty.categories_by_need());

    // Requirements covered by its weight in facts; every performance key held.
    let mut facts: Vec<(Category, f64)> = vec![(Category::Requirements, 1.0); 15];
    facts.extend([(Category::Performance, 0.9); 3]);
    let report = compute_maturity(facts);
    let held: HashSet<&str> = ["latency_p95_ms", "latency_p99_ms", "throughput_rps"]
        .into_iter()
        .collect();
    // Every goals question asked, and the free-form performance ones.
    let asked: HashSet<String> = bank
        .of(Category::Goals)
        .chain(
            bank.of(Category::Performance)
                .filter(|q| q.target_keys.is_empty()),
        )
        .map(|q| q.template_id.clone())
        .collect();
    let plan = InterviewPlan::new(bank, &report, &held, &asked);
    assert_eq!(
        plan.closure(Category::Requirements),
        Some(CategoryClosure::Covered)
    );
    assert_eq!(
        plan.closure(Category::Performance),
        Some(CategoryClosure::NothingLeftToAsk)
    );
    assert_eq!(
        plan.closure(Category::Goals),
        Some(CategoryClosure::NothingLeftToAsk)
    );
    assert_eq!(plan.closure(Category::TechStack), None);
    assert_eq!(plan.next_category(), Some(Category::TechStack));
    assert_eq!(plan.open_by_need().len(), 7);

    // Everything asked: nothing is next.
    let all: HashSet<String> = bank.all().iter().map(|q| q.template_id.clone()).collect();
    assert_eq!(
        InterviewPlan::new(bank, &empty, &none_held, &all).next_category(),
        None
    );
}

/// Free-form requirement questions each state at least one requirement when answered, so the
/// bank holds as many as the category needs facts at the explicit confidence to be covered.
#[test]
fn the_requirements_bank_is_deep_enough_to_cover_its_weight() {
    let reasoner = reasoner();
    let free_form = reasoner
        .data()
        .questions()
        .of(Category::Requirements)
        .filter(|q| q.target_keys.is_empty())
        .count();
    let needed =
        (f64::from(Category::Requirements.weight()) / extraction::EXPLICIT_CONFIDENCE).ceil();
    assert!(
        f64::from(u32::try_from(free_form).unwrap()) >= needed,
        "{free_form} free-form requirement questions, {needed} facts needed"
    );
}

#[tokio::test]
async fn a_learned_preference_reorders_equally_fit_templates_and_nothing_else() {
    let reasoner = reasoner();
    let cold = reasoner
        .generate_question(&context(Category::Goals, &[], Vec::new()))
        .await
        .unwrap();
    let cold_id = cold.template_id.clone().unwrap();
    // The cold pick was answered poorly: another template of the same tier comes first.
    let mut learned = context(Category::Goals, &[], Vec::new());
    learned.preferences.insert(cold_id.clone(), 1.0 / 3.0);
    let warm = reasoner.generate_question(&learned).await.unwrap();
    assert_ne!(warm.template_id.as_deref(), Some(cold_id.as_str()));
    let warm_template = reasoner
        .data()
        .template(warm.template_id.as_deref().unwrap())
        .unwrap();
    let cold_template = reasoner.data().template(&cold_id).unwrap();
    assert_eq!(
        warm_template.target_keys.is_empty(),
        cold_template.target_keys.is_empty(),
        "a preference never moves a free-form question before one aiming at a missing key"
    );
    // A preference of 0.5 is no preference: the bank order stands.
    let mut neutral = context(Category::Goals, &[], Vec::new());
    neutral.preferences.insert(cold_id.clone(), 0.5);
    let same = reasoner.generate_question(&neutral).await.unwrap();
    assert_eq!(same.template_id, Some(cold_id));
}
