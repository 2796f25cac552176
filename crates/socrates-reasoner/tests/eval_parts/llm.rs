//! The interview corpus through the LLM reasoner: a local `wiremock` server speaks OpenAI's
//! Chat Completions API as a model that knows the labels (every extraction is answered with
//! the labelled facts of the text it was sent, every conflict question with the pair's
//! label), so what is measured is the reasoner's own code — the prompt carries the text and
//! its question, the provider client, validation, the canonical shape of the facts, the
//! choice of the pairs the model is asked about — and both reasoners' facts are held to the
//! one shape of [`super::well_formed`].

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{Value, json};
use socrates_domain::LlmProviderKind;
use socrates_llm::{ProviderConfig, RetryPolicy, build_client};
use socrates_reasoner::LlmReasoner;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::*;

/// The prefix of the extraction prompt's user message before the text.
const EXTRACTION_PREFIX: &str = "Text to extract facts from:\n\n";

/// A model that answers from the corpus's labels.
struct LabelledModel {
    /// Per answer text: its question and labelled facts.
    answers: HashMap<String, (Option<String>, Vec<Fact>)>,
    /// The labelled pairs.
    pairs: Vec<ConflictPair>,
    /// What the prompts lacked (a text the model does not know, a question not quoted).
    problems: Mutex<Vec<String>>,
}

impl LabelledModel {
    fn new(interviews: &[&Interview], pairs: &[&ConflictSet]) -> Self {
        let mut answers = HashMap::new();
        for interview in interviews {
            for answer in &interview.answer {
                answers.insert(
                    answer.answer.clone(),
                    (answer.question.clone(), answer.facts.clone()),
                );
            }
        }
        Self {
            answers,
            pairs: pairs.iter().flat_map(|set| set.pair.clone()).collect(),
            problems: Mutex::new(Vec::new()),
        }
    }

    fn problem(&self, problem: String) {
        self.problems.lock().expect("problems").push(problem);
    }

    fn extraction(&self, system: &str, text: &str) -> Value {
        let Some((question, facts)) = self.answers.get(text) else {
            self.problem(format!("an extraction of an unknown text: {text:.60}"));
            return json!({"facts": []});
        };
        if let Some(question) = question
            && !system.contains(question.as_str())
        {
            self.problem(format!(
                "the prompt does not quote the question {question:?}"
            ));
        }
        let facts: Vec<Value> = facts
            .iter()
            .map(|fact| {
                json!({
                    "category": fact.category.as_str(),
                    "key": fact.key,
                    "value": fact.value,
                    "confidence": 0.9,
                    "reasoning": "stated in the answer",
                })
            })
            .collect();
        json!({ "facts": facts })
    }

    /// Answers every candidate pair listed ("- 0 -> key") with the label of the pair whose
    /// two facts the prompt shows.
    fn conflicts(&self, system: &str) -> Value {
        let shows = |fact: &Fact| {
            system.contains(&format!(
                "{}.{} = {}",
                fact.category.as_str(),
                fact.key,
                fact.value
            ))
        };
        let Some(pair) = self
            .pairs
            .iter()
            .find(|pair| shows(&pair.new) && shows(&pair.existing))
        else {
            self.problem(format!(
                "a conflict question about no labelled pair: {system:.80}"
            ));
            return json!({"conflicts": []});
        };
        let judgements: Vec<Value> = system
            .lines()
            .filter_map(|line| line.strip_prefix("- 0 -> "))
            .map(|key| {
                json!({
                    "new_index": 0,
                    "existing_key": key.trim(),
                    "is_conflict": pair.conflict,
                    "conflict_type": "requirement",
                    "severity": "medium",
                    "explanation": pair.note.clone().unwrap_or_else(|| "labelled".to_owned()),
                })
            })
            .collect();
        json!({ "conflicts": judgements })
    }
}

impl Respond for LabelledModel {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).expect("a JSON request");
        let message = |role: &str| -> String {
            body["messages"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|message| message["role"] == role)
                .and_then(|message| message["content"].as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let (system, user) = (message("system"), message("user"));
        let content = match user.strip_prefix(EXTRACTION_PREFIX) {
            Some(text) => self.extraction(&system, text),
            None => self.conflicts(&system),
        };
        ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-labelled",
            "object": "chat.completion",
            "created": 1_764_088_000,
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content.to_string(), "refusal": null},
                "logprobs": null,
                "finish_reason": "stop",
            }],
            "usage": {"prompt_tokens": 900, "completion_tokens": 120, "total_tokens": 1020},
        }))
    }
}

async fn labelled_reasoner(model: LabelledModel) -> (MockServer, LlmReasoner) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(model)
        .mount(&server)
        .await;
    let config = ProviderConfig::new(LlmProviderKind::Openai, "gpt-4o-mini")
        .with_base_url(server.uri())
        .with_api_key("sk-test-0123456789")
        .with_retry(RetryPolicy::no_retries());
    let client = build_client(LlmProviderKind::Openai, config).expect("client");
    let reasoner = LlmReasoner::new(client, OfflineReasoner::builtin().expect("built-in data"));
    (server, reasoner)
}

/// Every answer of the corpus through the LLM reasoner: with a model that states exactly the
/// labelled facts, the reasoner must keep every one of them (precision and recall 1) and give
/// them in the shape the offline reasoner gives its own.
#[tokio::test]
async fn interview_corpus_through_the_llm_reasoner() {
    let development = interviews("interviews");
    let holdout = interviews("interviews/holdout");
    let all: Vec<&Interview> = development.iter().chain(&holdout).collect();
    let (_server, reasoner) = labelled_reasoner(LabelledModel::new(&all, &[])).await;
    let knowledge = OfflineReasoner::builtin().expect("built-in data");
    let knowledge = knowledge.data().knowledge();
    let owned: Vec<Interview> = development.into_iter().chain(holdout).collect();
    let (tally, _) = run_interviews(&reasoner, knowledge, &owned).await;
    let answers: usize = owned.iter().map(|i| i.answer.len()).sum();
    print_extraction("interview corpus through the LLM reasoner", answers, &tally);
    assert!(tally.malformed.is_empty(), "{}", tally.malformed.join("\n"));
    assert_eq!(
        (tally.matched, tally.extracted),
        (tally.gold, tally.gold),
        "the LLM reasoner lost or changed labelled facts:\n{}",
        tally.report.join("\n")
    );
}

/// Every labelled pair through the LLM reasoner's conflict judgement, with a model that
/// answers each pair it is asked about with the label: the model adds no false alarm to the
/// rules', and every conflict the rules miss reaches the model, except between facts of
/// different categories and keys, which it is never asked about (printed).
#[tokio::test]
async fn interview_corpus_conflicts_through_the_llm_reasoner() {
    let development = pairs("pairs", "development");
    let holdout = pairs("holdout", "pairs");
    let model = LabelledModel::new(&[], &[&development, &holdout]);
    let (server, reasoner) = labelled_reasoner(model).await;
    let offline = OfflineReasoner::builtin().expect("built-in data");
    for (name, set) in [("development", &development), ("held-out", &holdout)] {
        let rules = run_conflicts(&offline, set).await;
        let llm = run_conflicts(&reasoner, set).await;
        llm.print(
            &format!("interview corpus through the LLM reasoner, {name}"),
            set.pair.len(),
        );
        let unrelated = set
            .pair
            .iter()
            .filter(|pair| {
                pair.conflict
                    && pair.new.category != pair.existing.category
                    && pair.new.key != pair.existing.key
            })
            .count();
        println!("  conflicts between unrelated facts, never put to the model: {unrelated}");
        assert_eq!(
            llm.false_positive, rules.false_positive,
            "{name}: the model's answers added false alarms"
        );
        assert!(
            llm.false_negative <= unrelated,
            "{name}: {} conflicts missed, {unrelated} of them never asked about",
            llm.false_negative
        );
        assert!(llm.true_positive >= rules.true_positive);
    }
    drop(server);
}
