//! What the API refuses where a request is read: paging out of range, control characters in
//! free text, bodies that are not the documented object, and the echo of long inputs in error
//! messages. Each refusal is a 400 in the one error shape, never a dropped connection or a 500.

use serde_json::{Value, json};

use super::support::{TestApp, expect_error, json_of, owned_things, spawn_app};

/// The paged lists of a project the caller owns.
fn paged_lists(project: &str) -> [String; 3] {
    [
        "/api/v1/projects".to_owned(),
        format!("/api/v1/specifications/project/{project}"),
        format!("/api/v1/conflicts/project/{project}"),
    ]
}

#[tokio::test]
async fn an_offset_beyond_the_documented_maximum_is_refused_on_every_paged_list() {
    let app = spawn_app().await;
    let token = app.signed_in_user().await;
    let owned = owned_things(&app, &token).await;
    for list in paged_lists(&owned.project) {
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

/// How many items the list holds in all.
async fn count_of(app: &TestApp, token: &str, list: &str) -> u64 {
    let body: Value = json_of(app.get_authed(list, token).await, 200).await;
    body["total"].as_u64().unwrap()
}
