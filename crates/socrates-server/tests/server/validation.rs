//! What the API refuses where a request is read: paging out of range, control characters in
//! free text, bodies that are not the documented object, and the echo of long inputs in error
//! messages. Each refusal is a 400 in the one error shape, never a dropped connection or a 500.

use serde_json::{Value, json};

use super::support::{Owned, TestApp, expect_error, json_of, owned_things, spawn_app};

/// The paged lists of a project the caller owns, its session and its fact.
fn paged_lists(owned: &Owned) -> [String; 5] {
    [
        "/api/v1/projects".to_owned(),
        format!("/api/v1/specifications/project/{}", owned.project),
        format!("/api/v1/conflicts/project/{}", owned.project),
        format!("/api/v1/sessions/{}/history", owned.session),
        format!("/api/v1/specifications/{}/history", owned.fact),
    ]
}

#[tokio::test]
async fn an_offset_beyond_the_documented_maximum_is_refused_on_every_paged_list() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let owned = owned_things(&app, &token).await;
    for list in paged_lists(&owned) {
        // Larger than i64::MAX, u64::MAX, and one past the documented maximum.
        for offset in ["9223372036854775808", "18446744073709551615", "1000000001"] {
            let response = app
                .get_authed(&format!("{list}?offset={offset}"), &token)
                .await;
            let refused = expect_error(response, 400, "INVALID_QUERY").await;
            assert!(
                refused["error"]
                    .as_str()
                    .unwrap()
                    .contains("offset: must be at most 1000000000"),
                "{list}?offset={offset}: {refused}"
            );
        }
        // The maximum itself is a page past the end, not an error.
        let last = app
            .get_authed(&format!("{list}?offset=1000000000&limit=5"), &token)
            .await;
        let page = json_of(last, 200).await;
        assert_eq!(page["total"], json!(count_of(&app, &token, &list).await));
    }
    // The server is still there for the next request on a fresh connection.
    json_of(app.get_authed("/api/v1/projects", &token).await, 200).await;
    app.stop().await;
}

#[tokio::test]
async fn a_page_size_outside_the_documented_range_is_refused_on_every_paged_list() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let owned = owned_things(&app, &token).await;
    for list in paged_lists(&owned) {
        // Zero, one past the maximum, past i64::MAX (found by schemathesis): refused with
        // the range.
        for limit in ["0", "101", "9223372036854775808"] {
            let response = app
                .get_authed(&format!("{list}?limit={limit}"), &token)
                .await;
            let refused = expect_error(response, 400, "INVALID_QUERY").await;
            assert!(
                refused["error"]
                    .as_str()
                    .unwrap()
                    .contains("limit: must be from 1 to 100"),
                "{list}?limit={limit}: {refused}"
            );
        }
        // Not a page size at all.
        for limit in ["-1", "18446744073709551616", "ten"] {
            let response = app
                .get_authed(&format!("{list}?limit={limit}"), &token)
                .await;
            expect_error(response, 400, "INVALID_QUERY").await;
        }
        // Both ends of the range are pages.
        for limit in [1, 100] {
            let page = json_of(
                app.get_authed(&format!("{list}?limit={limit}"), &token)
                    .await,
                200,
            )
            .await;
            // The conflict list does not echo its paging; the others do.
            if !list.starts_with("/api/v1/conflicts/") {
                assert_eq!(page["limit"], json!(limit), "{list}?limit={limit}");
            }
        }
    }
    app.stop().await;
}

/// How many items the list holds in all.
async fn count_of(app: &TestApp, token: &str, list: &str) -> u64 {
    let body: Value = json_of(app.get_authed(list, token).await, 200).await;
    body["total"].as_u64().unwrap()
}

#[tokio::test]
async fn control_characters_in_answers_and_resolution_notes_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let owned = owned_things(&app, &token).await;
    let answer_path = format!("/api/v1/sessions/{}/answer", owned.session);
    let answer = |text: &str| json!({"question_id": owned.question, "answer": text});

    // PostgreSQL refuses NUL in text: the answer must be refused before it reaches a database.
    for text in ["We use Django\u{0} and Redis", "bell\u{7}", "  \n\t "] {
        let response = app.post_authed(&answer_path, &token, &answer(text)).await;
        let refused = expect_error(response, 400, "VALIDATION_ERROR").await;
        assert_eq!(refused["details"]["field"], "answer", "{text:?}: {refused}");
    }
    // Line breaks and tabs are prose; the refused answers left nothing behind.
    let accepted = app
        .post_authed(&answer_path, &token, &answer("We use Django\n\tand Redis"))
        .await;
    json_of(accepted, 200).await;
    let history = json_of(
        app.get_authed(
            &format!("/api/v1/sessions/{}/history", owned.session),
            &token,
        )
        .await,
        200,
    )
    .await;
    let answers: Vec<&Value> = history["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["kind"] == "answer")
        .map(|entry| &entry["content"])
        .collect();
    assert_eq!(answers, [&json!("We use Django\n\tand Redis")]);

    let resolve_path = format!("/api/v1/conflicts/{}/resolve", owned.conflict);
    for (body, field) in [
        (
            json!({"resolution": "keep_old", "notes": "agreed\u{0}"}),
            "notes",
        ),
        (
            json!({"resolution": "merge", "merged_value": "PostgreSQL\u{0}"}),
            "merged_value",
        ),
        // Stored with the resolution even when the resolution does not use it.
        (
            json!({"resolution": "keep_old", "merged_value": "MySQL\u{1b}[31m"}),
            "merged_value",
        ),
    ] {
        let response = app.post_authed(&resolve_path, &token, &body).await;
        let refused = expect_error(response, 400, "VALIDATION_ERROR").await;
        assert_eq!(refused["details"]["field"], field, "{body}: {refused}");
    }
    let resolved = app
        .post_authed(
            &resolve_path,
            &token,
            &json!({"resolution": "keep_old", "notes": "Agreed with the team\nyesterday"}),
        )
        .await;
    assert_eq!(json_of(resolved, 200).await["status"], "resolved");
    app.stop().await;
}

#[tokio::test]
async fn a_long_invalid_value_is_echoed_as_its_first_forty_characters() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let owned = owned_things(&app, &token).await;
    let project = &owned.project;
    // The request line of a query has to fit actix's head buffer; a body carries 100 kB.
    let (query_value, long) = ("m".repeat(8_000), "m".repeat(100_000));
    let echoed = format!("`{}…`", "m".repeat(40));
    let bodies = [
        (
            format!("/api/v1/projects/{project}/sessions"),
            json!({"mode": long}),
            "INVALID_JSON",
        ),
        (
            "/api/v1/sessions".to_owned(),
            json!({"project_id": project, "mode": long}),
            "INVALID_JSON",
        ),
        (
            format!("/api/v1/conflicts/{}/resolve", owned.conflict),
            json!({"resolution": long}),
            "INVALID_JSON",
        ),
        (
            "/api/v1/auth/logout".to_owned(),
            json!({ long.clone(): true }),
            "INVALID_JSON",
        ),
        (
            "/api/v1/specifications".to_owned(),
            json!({"project_id": project, "category": long, "key": "k", "value": "v"}),
            "INVALID_CATEGORY",
        ),
    ];
    for (path, body, code) in bodies {
        let refused = expect_error(app.post_authed(&path, &token, &body).await, 400, code).await;
        let message = refused["error"].as_str().unwrap();
        assert!(message.contains(&echoed), "{path}: {message}");
        assert!(message.chars().count() < 600, "{path}: {message}");
    }
    // A mistyped string is quoted by serde with double quotes.
    let mistyped = app
        .post_authed("/api/v1/auth/logout", &token, &json!({"all": long}))
        .await;
    let refused = expect_error(mistyped, 400, "INVALID_JSON").await;
    let message = refused["error"].as_str().unwrap();
    assert!(
        message.contains(&format!("\"{}…\"", "m".repeat(40))),
        "{message}"
    );
    assert!(message.chars().count() < 600, "{message}");
    let queries = [
        (
            format!("/api/v1/projects?status={query_value}"),
            "INVALID_QUERY",
        ),
        (
            format!("/api/v1/specifications/project/{project}?category={query_value}"),
            "INVALID_CATEGORY",
        ),
    ];
    for (path, code) in queries {
        let refused = expect_error(app.get_authed(&path, &token).await, 400, code).await;
        let message = refused["error"].as_str().unwrap();
        assert!(message.contains(&echoed), "{message}");
        assert!(message.chars().count() < 600, "{message}");
    }
    // An unknown route repeats its path only up to a long URL's length.
    let long_path = format!("/api/v1/{}", "p".repeat(5_000));
    let refused = expect_error(app.get(&long_path).await, 404, "ROUTE_NOT_FOUND").await;
    let message = refused["error"].as_str().unwrap();
    assert!(
        message.ends_with('…') && message.chars().count() < 300,
        "{message}"
    );
    app.stop().await;
}

/// Posts `body` as it is, with a JSON content type.
async fn post_raw(app: &TestApp, path: &str, token: &str, body: &'static str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_body_that_is_not_an_object_of_the_documented_shape_is_refused() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let project = json_of(
        app.post_authed("/api/v1/projects", &token, &json!({"name": "Shapes"}))
            .await,
        201,
    )
    .await;
    let sessions = format!(
        "/api/v1/projects/{}/sessions",
        project["project_id"].as_str().unwrap()
    );
    for body in [
        "[]",
        r#"["direct"]"#,
        "garbage",
        r#"{"mode":5}"#,
        r#"{"mode":null,"extra":1}"#,
        "null",
        r#""direct""#,
        "  ",
    ] {
        let refused = post_raw(&app, &sessions, &token, body).await;
        expect_error(refused, 400, "INVALID_JSON").await;
    }
    // No body, an empty body or an empty object open a socratic session; a mode is read.
    let bare = app
        .client
        .post(app.url(&sessions))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(bare, 201).await["mode"], "socratic");
    for (body, mode) in [
        ("", "socratic"),
        ("{}", "socratic"),
        (r#"{"mode":"chat"}"#, "direct_chat"),
    ] {
        let opened = post_raw(&app, &sessions, &token, body).await;
        assert_eq!(json_of(opened, 201).await["mode"], mode, "{body:?}");
    }
    // Every body is held to the same rule: an array is not an object of its fields.
    let array = post_raw(&app, "/api/v1/projects", &token, r#"["Array", null]"#).await;
    expect_error(array, 400, "INVALID_JSON").await;
    let listed = json_of(app.get_authed("/api/v1/projects", &token).await, 200).await;
    assert_eq!(listed["total"], 1);
    app.stop().await;
}

#[tokio::test]
async fn every_free_text_input_has_a_maximum_named_in_the_refusal() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let owned = owned_things(&app, &token).await;
    let too_long = |max: usize| "x".repeat(max + 1);
    let cases = [
        (
            "/api/v1/specifications/extract".to_owned(),
            json!({"project_id": owned.project, "text": too_long(20_000)}),
            "text",
        ),
        (
            format!("/api/v1/sessions/{}/answer", owned.session),
            json!({"question_id": owned.question, "answer": too_long(20_000)}),
            "answer",
        ),
        (
            format!("/api/v1/conflicts/{}/resolve", owned.conflict),
            json!({"resolution": "keep_old", "notes": too_long(5_000)}),
            "notes",
        ),
        (
            "/api/v1/specifications".to_owned(),
            json!({"project_id": owned.project, "category": "goals", "key": "k", "value": too_long(10_000)}),
            "value",
        ),
        (
            "/api/v1/projects".to_owned(),
            json!({"name": "Named", "description": too_long(2_000)}),
            "description",
        ),
    ];
    for (path, body, field) in cases {
        let refused = expect_error(
            app.post_authed(&path, &token, &body).await,
            400,
            "VALIDATION_ERROR",
        )
        .await;
        assert_eq!(refused["details"]["field"], field, "{path}: {refused}");
        assert!(
            refused["error"].as_str().unwrap().contains("at most"),
            "{path}: {refused}"
        );
    }
}
