//! Code generation with a language model, against a local mock of Anthropic's Messages API: a
//! file plan (structured output), then one call per file; the README, the traceability table
//! and the spec-version file stay the offline generator's; every call is recorded under
//! `generate_code` for the user who asked; an unchanged specification is not sent again.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use socrates_infra::SystemClock;
use socrates_persistence::Conn;
use socrates_persistence::entities::specs_extra::llm_usage_tracking;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::support::{TestApp, json_of, new_project, spawn_app_with};

/// Claude: the file plan as a tool call, a file's content as text, no conflicts.
#[derive(Default)]
struct Claude {
    files: AtomicUsize,
}

fn message(content: &Value, stop: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": content,
        "stop_reason": stop,
        "stop_sequence": null,
        "usage": {"input_tokens": 1200, "output_tokens": 300},
    }))
}

impl Respond for Claude {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = request.body_json().unwrap();
        let tool = body["tool_choice"]["name"].as_str().unwrap_or_default();
        let user = body["messages"][0]["content"].as_str().unwrap_or_default();
        match tool {
            "file_plan" => {
                assert!(
                    user.contains("FR-001: Receptionists must be able to book"),
                    "{user}"
                );
                message(
                    &json!([{"type": "tool_use", "id": "toolu_01", "name": "file_plan", "input": {"files": [
                        {"path": "app/main.py", "purpose": "the FastAPI application"},
                        {"path": "tests/test_main.py", "purpose": "its tests"},
                        {"path": "../escape.py", "purpose": "refused: outside the project"},
                        {"path": "README.md", "purpose": "refused: the offline README stays"},
                    ]}}]),
                    "tool_use",
                )
            }
            "" => {
                self.files.fetch_add(1, Ordering::Relaxed);
                let file = if user.contains("`app/main.py`") {
                    "app/main.py"
                } else {
                    "tests/test_main.py"
                };
                message(
                    &json!([{"type": "text", "text": format!("```python\n# {file}, written by the model\n```")}]),
                    "end_turn",
                )
            }
            _ => message(
                &json!([{"type": "tool_use", "id": "toolu_02", "name": tool, "input": {"conflicts": []}}]),
                "tool_use",
            ),
        }
    }
}

async fn generated(app: &TestApp, token: &str, project: &str) -> Value {
    let requested = json_of(
        app.post_authed(
            "/api/v1/code/generate",
            token,
            &json!({"project_id": project}),
        )
        .await,
        202,
    )
    .await;
    let generation = requested["generation_id"].as_str().unwrap().to_owned();
    for _ in 0..400 {
        let status = json_of(
            app.get_authed(&format!("/api/v1/code/{generation}/status"), token)
                .await,
            200,
        )
        .await;
        if status["status"] == "completed" || status["status"] == "failed" {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the generation did not finish");
}

#[tokio::test]
async fn a_model_plans_and_writes_the_files_and_every_call_is_recorded() {
    let provider = MockServer::start().await;
    let claude = Arc::new(Claude::default());
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .respond_with(ArcResponder(Arc::clone(&claude)))
        .mount(&provider)
        .await;
    let uri = provider.uri();
    let app = spawn_app_with(
        move |settings| {
            settings.llm.provider = Some("claude".to_owned());
            settings.llm.base_url = Some(uri);
            settings.llm.anthropic_api_key =
                Some(secrecy::SecretString::from("sk-ant-test-0123456789"));
            settings.llm.max_attempts = 1;
            settings.codegen.poll_interval_ms = 50;
            settings.rate_limit.enabled = false;
        },
        Arc::new(SystemClock),
    )
    .await;
    let token = app.signed_in_user().await;
    let project = new_project(&app, &token, "Clinic Booking").await;
    let add = |category: &str, key: String, value: String| {
        let body = json!({"project_id": project, "category": category, "key": key, "value": value});
        let app = &app;
        let token = token.clone();
        async move {
            json_of(
                app.post_authed("/api/v1/specifications", &token, &body)
                    .await,
                201,
            )
            .await
        }
    };
    add("tech_stack", "programming_language".into(), "Python".into()).await;
    add(
        "requirements",
        "requirement_book".into(),
        "Receptionists must be able to book, move and cancel appointments".into(),
    )
    .await;
    for category in socrates_domain::Category::ALL {
        let have = usize::from(matches!(
            category,
            socrates_domain::Category::TechStack | socrates_domain::Category::Requirements
        ));
        for n in have..category.weight() as usize {
            add(
                category.as_str(),
                format!("detail_{n}"),
                format!("Detail {n}"),
            )
            .await;
        }
    }
    let calls_before: usize = claude.files.load(Ordering::Relaxed);
    assert_eq!(calls_before, 0);

    let done = generated(&app, &token, &project).await;
    assert_eq!(done["status"], "completed", "{done}");
    // Three fixed files and the two usable files of the plan.
    assert_eq!(done["files_generated"], 5, "{done}");
    let generation = done["generation_id"].as_str().unwrap();
    let zip = app
        .get_authed(&format!("/api/v1/code/{generation}/download"), &token)
        .await
        .bytes()
        .await
        .unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.to_vec())).unwrap();
    let mut main = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("clinic-booking/app/main.py").unwrap(),
        &mut main,
    )
    .unwrap();
    assert_eq!(main, "# app/main.py, written by the model\n");
    let mut readme = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("clinic-booking/README.md").unwrap(),
        &mut readme,
    )
    .unwrap();
    assert!(
        readme.contains("specification version `sha256:"),
        "{readme}"
    );
    assert!(archive.by_name("clinic-booking/../escape.py").is_err());

    // One plan and two files, recorded for the user under generate_code.
    let specs = app.specs_db().await;
    let recorded = async || {
        app.services.usage().flush().await;
        llm_usage_tracking::Entity::find()
            .filter(llm_usage_tracking::Column::Operation.eq("generate_code"))
            .filter(
                llm_usage_tracking::Column::ProjectId.eq(uuid::Uuid::parse_str(&project).unwrap()),
            )
            .all(specs.raw())
            .await
            .unwrap()
    };
    let rows = recorded().await;
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(
        rows.iter()
            .all(|row| row.success && row.tokens_input == 1200)
    );

    // The unchanged specification again: the same files, no new model call.
    let again = generated(&app, &token, &project).await;
    assert_eq!(again["status"], "completed");
    assert_eq!(again["files_generated"], 5);
    assert_eq!(claude.files.load(Ordering::Relaxed), 2);
    assert_eq!(recorded().await.len(), 3);
}

/// Lets the test keep a handle on the responder it mounts.
struct ArcResponder(Arc<Claude>);

impl Respond for ArcResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.respond(request)
    }
}
