//! The knowledge base through HTTP: plain text, Markdown and PDF uploads are stored, chunked and
//! indexed; the facts they state are saved with source `document` and go through the conflict
//! rules; search ranks chunks by BM25 with snippets (the same figures on both backends); bad
//! uploads get a clear 4xx and write nothing.

use std::sync::Arc;

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use socrates_infra::SystemClock;
use socrates_persistence::Conn;

use super::support::{
    TestApp, expect_error, json_of, new_project, sign_in, spawn_app_with, upload,
};

async fn app() -> TestApp {
    spawn_app_with(
        |settings| settings.rate_limit.enabled = false,
        Arc::new(SystemClock),
    )
    .await
}

async fn documents(app: &TestApp, token: &str, project: &str) -> Value {
    json_of(
        app.get_authed(
            &format!("/api/v1/learning/project/{project}/documents"),
            token,
        )
        .await,
        200,
    )
    .await
}

async fn search(app: &TestApp, token: &str, project: &str, query: &str) -> Value {
    json_of(
        app.get_authed(
            &format!("/api/v1/learning/project/{project}/documents/search?q={query}"),
            token,
        )
        .await,
        200,
    )
    .await
}

async fn facts(app: &TestApp, token: &str, project: &str) -> Value {
    json_of(
        app.get_authed(&format!("/api/v1/specifications/project/{project}"), token)
            .await,
        200,
    )
    .await
}

const BRIEF: &str = "# Clinic booking: product brief

Patients of small physiotherapy clinics book, move and cancel appointments online.
Receptionists see the day at a glance and confirm new patients.

## Payments

Payments go through Stripe. Refunds are issued by the clinic manager within 14 days.
Invoices are exported to Xero every night.

## Platform

The backend is written in Rust with PostgreSQL as the database.
";

/// A one-page PDF whose text is `lines`, one per line (Helvetica, WinAnsi).
fn pdf(lines: &[&str]) -> Vec<u8> {
    use lopdf::content::{Content, Operation};
    use lopdf::{Document, Object, Stream, dictionary};
    let mut document = Document::with_version("1.5");
    let pages_id = document.new_object_id();
    let font_id = document.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = document.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font_id },
    });
    let mut operations = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 12.into()]),
        Operation::new("Td", vec![72.into(), 720.into()]),
        Operation::new("TL", vec![16.into()]),
    ];
    for line in lines {
        operations.push(Operation::new("Tj", vec![Object::string_literal(*line)]));
        operations.push(Operation::new("T*", vec![]));
    }
    operations.push(Operation::new("ET", vec![]));
    let content = Content { operations };
    let content_id = document.add_object(Stream::new(
        dictionary! {},
        content.encode().expect("encodes"),
    ));
    let page_id = document.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
    });
    document.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![page_id.into()],
            "Count" => 1,
            "Resources" => resources_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog_id = document.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    document.trailer.set("Root", catalog_id);
    let mut bytes = Vec::new();
    document.save_to(&mut bytes).expect("saves");
    bytes
}

#[tokio::test]
async fn a_markdown_brief_is_indexed_searched_and_states_facts() {
    let app = app().await;
    let (token, _) = sign_in(&app).await;
    let project = new_project(&app, &token, "Brief").await;
    let uploaded = json_of(
        upload(&app, &token, &project, "brief.md", BRIEF.as_bytes()).await,
        201,
    )
    .await;
    let id = uploaded["document_id"].as_str().unwrap().to_owned();
    assert_eq!(uploaded["filename"], "brief.md");
    assert_eq!(uploaded["document"]["kind"], "markdown");
    assert_eq!(uploaded["document"]["content_type"], "text/markdown");
    assert_eq!(uploaded["document"]["file_size"], BRIEF.len());
    assert_eq!(uploaded["truncated"], false);
    assert!(uploaded["document"]["chunks"].as_u64().unwrap() >= 1);
    let saved = uploaded["specifications"].as_array().unwrap();
    assert!(saved.len() >= 3, "{uploaded}");
    assert_eq!(uploaded["specs_extracted"], saved.len());
    assert!(uploaded["maturity_score"].as_f64().unwrap() > 0.0);
    for fact in saved {
        assert_eq!(fact["source"], "document", "{fact}");
        assert_eq!(fact["source_id"], id.as_str(), "{fact}");
    }
    let values: Vec<&str> = saved.iter().map(|f| f["value"].as_str().unwrap()).collect();
    assert!(values.contains(&"PostgreSQL"), "{values:?}");

    let listed = documents(&app, &token, &project).await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["documents"][0]["document_id"], id.as_str());
    assert_eq!(listed["documents"][0]["facts_proposed"], saved.len());

    let found = search(&app, &token, &project, "stripe%20refunds").await;
    assert_eq!(found["terms"], json!(["stripe", "refund"]));
    let first = &found["results"][0];
    assert_eq!(first["document_id"], id.as_str());
    assert!(first["score"].as_f64().unwrap() > 0.0);
    assert!(
        first["snippet"].as_str().unwrap().contains("Stripe"),
        "{found}"
    );
    let nothing = search(&app, &token, &project, "kubernetes").await;
    assert_eq!(nothing["results"], json!([]));

    // The same bytes again are refused; nothing is added.
    let again = upload(&app, &token, &project, "copy.md", BRIEF.as_bytes()).await;
    expect_error(again, 409, "DOCUMENT_ALREADY_UPLOADED").await;
    assert_eq!(documents(&app, &token, &project).await["total"], 1);

    // Deleting the document empties the index; the facts stay.
    let path = format!("/api/v1/learning/project/{project}/documents/{id}");
    let deleted = app
        .send_authed(reqwest::Method::DELETE, &path, &token, None)
        .await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(documents(&app, &token, &project).await["total"], 0);
    let gone = search(&app, &token, &project, "stripe").await;
    assert_eq!(gone["results"], json!([]));
    // The chunks and their postings went with the document (the foreign keys cascade).
    let db = app.specs_db().await;
    for table in ["knowledge_chunks", "knowledge_terms"] {
        let left = db
            .raw()
            .query_one_raw(sea_orm::Statement::from_string(
                db.raw().get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        assert_eq!(left, 0, "{table}");
    }
    assert_eq!(facts(&app, &token, &project).await["total"], saved.len());
    let twice = app
        .send_authed(reqwest::Method::DELETE, &path, &token, None)
        .await;
    expect_error(twice, 404, "DOCUMENT_NOT_FOUND").await;

    let (stranger, _) = sign_in(&app).await;
    let hidden = upload(&app, &stranger, &project, "x.md", b"# Mine").await;
    expect_error(hidden, 404, "PROJECT_NOT_FOUND").await;
    let hidden = app
        .get_authed(
            &format!("/api/v1/learning/project/{project}/documents/search?q=stripe"),
            &stranger,
        )
        .await;
    expect_error(hidden, 404, "PROJECT_NOT_FOUND").await;
    app.stop().await;
}

#[tokio::test]
async fn a_pdf_is_read_and_ranked_with_the_same_figures_everywhere() {
    let app = app().await;
    let (token, _) = sign_in(&app).await;
    let project = new_project(&app, &token, "PDF").await;
    let bytes = pdf(&[
        "Reminders are sent by SMS through Twilio 24 hours before each appointment.",
        "Therapists manage their own calendars.",
    ]);
    let uploaded = json_of(
        upload(&app, &token, &project, "requirements.pdf", &bytes).await,
        201,
    )
    .await;
    assert_eq!(uploaded["document"]["kind"], "pdf", "{uploaded}");
    assert!(uploaded["characters"].as_u64().unwrap() > 60, "{uploaded}");
    let notes =
        "Twilio sends the SMS reminders. Twilio also handles voice calls for the front desk.";
    json_of(
        upload(&app, &token, &project, "notes.txt", notes.as_bytes()).await,
        201,
    )
    .await;
    let found = search(&app, &token, &project, "twilio%20sms%20reminders").await;
    let results = found["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{found}");
    // BM25 over two chunks: every term occurs in both (idf = ln(1 + 0.5/2.5)); the notes are
    // shorter and say Twilio twice, so they rank first. These figures are computed by the
    // service from stored counts, the same on SQLite and PostgreSQL.
    assert_eq!(results[0]["filename"], "notes.txt", "{found}");
    assert_eq!(results[1]["filename"], "requirements.pdf");
    let scores: Vec<f64> = results
        .iter()
        .map(|r| r["score"].as_f64().unwrap())
        .collect();
    assert!(scores[0] > scores[1], "{scores:?}");
    assert!(
        results[1]["snippet"]
            .as_str()
            .unwrap()
            .contains("Twilio 24 hours"),
        "{found}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_document_that_contradicts_the_specification_is_held_in_a_conflict() {
    let app = app().await;
    let (token, _) = sign_in(&app).await;
    let project = new_project(&app, &token, "Conflicted").await;
    json_of(
        app.post_authed(
            "/api/v1/specifications",
            &token,
            &json!({"project_id": project, "category": "tech_stack",
                    "key": "primary_database", "value": "PostgreSQL"}),
        )
        .await,
        201,
    )
    .await;
    let uploaded = json_of(
        upload(
            &app,
            &token,
            &project,
            "architecture.txt",
            b"The database will be MySQL.\n",
        )
        .await,
        201,
    )
    .await;
    assert_eq!(uploaded["conflicts_detected"], true, "{uploaded}");
    let conflict = &uploaded["conflicts"][0];
    assert!(conflict["conflict_id"].is_string(), "{conflict}");
    let open = json_of(
        app.get_authed(&format!("/api/v1/conflicts/project/{project}"), &token)
            .await,
        200,
    )
    .await;
    assert_eq!(open["total"], 1, "{open}");
    app.stop().await;
}

#[tokio::test]
async fn bad_uploads_get_a_clear_4xx_and_write_nothing() {
    let app = app().await;
    let (token, _) = sign_in(&app).await;
    let project = new_project(&app, &token, "Refusals").await;
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "huge.txt",
            vec![b'a'; 10 * 1024 * 1024 + 1],
            413,
            "PAYLOAD_TOO_LARGE",
        ),
        (
            "photo.png",
            b"\x89PNG\r\n\x1a\n".to_vec(),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "notes.md",
            vec![0, 159, 146, 150, 0, 1, 2, 3],
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "brief.pdf",
            b"this is not a PDF at all".to_vec(),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "broken.pdf",
            b"%PDF-1.7\nnothing else".to_vec(),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        ("empty.md", Vec::new(), 400, "VALIDATION_ERROR"),
        ("blank.txt", b" \n\n\t".to_vec(), 400, "VALIDATION_ERROR"),
        ("", b"no name".to_vec(), 400, "VALIDATION_ERROR"),
    ];
    for (name, bytes, status, code) in cases {
        let refused = upload(&app, &token, &project, name, &bytes).await;
        let body = expect_error(refused, status, code).await;
        assert!(body["error"].as_str().unwrap().len() > 10, "{body}");
    }
    // Not multipart at all.
    let json = app
        .post_authed(
            &format!("/api/v1/learning/project/{project}/upload-document"),
            &token,
            &json!({"file": "hello"}),
        )
        .await;
    expect_error(json, 415, "UNSUPPORTED_MEDIA_TYPE").await;
    // A form without a `file` part.
    let form = reqwest::multipart::Form::new().text("note", "hello");
    let missing = app
        .client
        .post(app.url(&format!(
            "/api/v1/learning/project/{project}/upload-document"
        )))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    expect_error(missing, 400, "VALIDATION_ERROR").await;
    for query in ["q=", "q=stripe&top=0", "q=stripe&top=21", "top=3"] {
        let bad = app
            .get_authed(
                &format!("/api/v1/learning/project/{project}/documents/search?{query}"),
                &token,
            )
            .await;
        assert_eq!(bad.status(), 400, "{query}");
    }
    let long = format!("q={}", "a".repeat(501));
    let bad = app
        .get_authed(
            &format!("/api/v1/learning/project/{project}/documents/search?{long}"),
            &token,
        )
        .await;
    expect_error(bad, 400, "VALIDATION_ERROR").await;

    assert_eq!(documents(&app, &token, &project).await["total"], 0);
    assert_eq!(facts(&app, &token, &project).await["total"], 0);
    app.stop().await;
}

/// An OpenAI-compatible model: no facts from any text, one open question when asked.
struct Model;

impl wiremock::Respond for Model {
    fn respond(&self, request: &wiremock::Request) -> wiremock::ResponseTemplate {
        let body: Value = request.body_json().unwrap();
        // The category asked for, from "Ask the next question about goals."
        let category = body["messages"][1]["content"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches("Ask the next question about ")
            .trim_end_matches('.')
            .to_owned();
        let content = match body["response_format"]["json_schema"]["name"].as_str() {
            Some("socratic_question") => json!({
                "text": "Which reminders must reach patients, and how early?",
                "category": category,
                "context": "Reminders cut no-shows."
            }),
            _ => json!({"facts": []}),
        };
        wiremock::ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-k", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content.to_string()},
                "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 300, "completion_tokens": 20, "total_tokens": 320},
        }))
    }
}

#[tokio::test]
async fn a_models_question_prompt_quotes_the_most_relevant_passages() {
    use wiremock::matchers::{method, path};
    let provider = wiremock::MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(Model)
        .mount(&provider)
        .await;
    let uri = provider.uri();
    let app = spawn_app_with(
        move |settings| {
            settings.rate_limit.enabled = false;
            settings.llm.provider = Some("openai".to_owned());
            settings.llm.base_url = Some(uri);
            settings.llm.openai_api_key = Some(secrecy::SecretString::from("sk-test-key"));
            settings.llm.max_attempts = 1;
        },
        Arc::new(SystemClock),
    )
    .await;
    let (token, _) = sign_in(&app).await;
    let body = json!({"name": "Reminders", "description": "Goals of a clinic booking app"});
    let project = json_of(
        app.post_authed("/api/v1/projects", &token, &body).await,
        201,
    )
    .await;
    let project = project["project_id"].as_str().unwrap().to_owned();
    let notes = "Our goals: fewer no-shows. Twilio sends SMS reminders a day before.\n\n\
                 Unrelated: the office plants are watered on Fridays.";
    json_of(
        upload(&app, &token, &project, "goals.md", notes.as_bytes()).await,
        201,
    )
    .await;
    let session = super::support::new_session(&app, &token, &project).await;
    let question = super::support::next_question(&app, &token, &session).await;
    assert_eq!(
        question["text"],
        "Which reminders must reach patients, and how early?"
    );
    let prompts: Vec<String> = provider
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter_map(|request| {
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            (body["response_format"]["json_schema"]["name"] == "socratic_question")
                .then(|| body["messages"][0]["content"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(prompts.len(), 1);
    assert!(
        prompts[0].contains("[goals.md] Our goals: fewer no-shows. Twilio sends SMS"),
        "{}",
        prompts[0]
    );
    app.stop().await;
}
