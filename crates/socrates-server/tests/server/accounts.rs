//! An access token outlives its account's suspension or deletion (it is a stateless JWT). The
//! orchestrator checks the account before every action that writes, so every writing route
//! refuses such a token — 403 `ACCOUNT_INACTIVE` for a suspended account, 401 `TOKEN_INVALID`
//! for a deleted one — and writes nothing, while the suspended account can still read.

use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use socrates_domain::UserStatus;
use socrates_persistence::Conn;

use super::support::{
    Owned, PASSWORD, TestApp, expect_error, json_of, owned_things, sign_in, spawn_app,
};

/// Every route that writes, with a body it would accept from an active account.
fn writing_routes(owned: &Owned) -> Vec<(Method, String, Option<Value>)> {
    let Owned {
        user: _,
        document,
        project,
        session,
        question,
        fact,
        conflict,
        generation: _,
    } = owned;
    vec![
        (
            Method::POST,
            "/api/v1/projects/from-template".to_owned(),
            Some(json!({"template_id": "online-store"})),
        ),
        (
            Method::POST,
            "/api/v1/code/generate".to_owned(),
            Some(json!({"project_id": project})),
        ),
        (
            Method::POST,
            "/api/v1/projects".to_owned(),
            Some(json!({"name": "New"})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/projects/{project}"),
            Some(json!({"name": "Renamed"})),
        ),
        (Method::DELETE, format!("/api/v1/projects/{project}"), None),
        (
            Method::POST,
            format!("/api/v1/projects/{project}/phase/advance"),
            None,
        ),
        (
            Method::POST,
            "/api/v1/sessions".to_owned(),
            Some(json!({"project_id": project})),
        ),
        (
            Method::POST,
            format!("/api/v1/projects/{project}/sessions"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/v1/sessions/{session}/next-question"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/sessions/{session}/answer"),
            Some(json!({"question_id": question, "answer": "A booking app for clinics."})),
        ),
        (
            Method::POST,
            format!("/api/v1/sessions/{session}/end"),
            None,
        ),
        (
            Method::POST,
            "/api/v1/specifications".to_owned(),
            Some(
                json!({"project_id": project, "category": "security", "key": "authentication_method", "value": "OAuth2"}),
            ),
        ),
        (
            Method::PUT,
            format!("/api/v1/specifications/{fact}"),
            Some(json!({"value": "PostgreSQL 17"})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/specifications/{fact}"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/conflicts/{conflict}/resolve"),
            Some(json!({"resolution": "replace"})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/learning/project/{project}/documents/{document}"),
            None,
        ),
    ]
}

/// What the owner can see of the project: it must not change while the writes are refused.
async fn visible_state(app: &TestApp, token: &str, owned: &Owned) -> Vec<Value> {
    let mut state = Vec::new();
    for path in [
        format!("/api/v1/projects/{}", owned.project),
        format!("/api/v1/projects/{}/status", owned.project),
        format!("/api/v1/specifications/project/{}", owned.project),
        format!("/api/v1/conflicts/project/{}", owned.project),
        format!("/api/v1/sessions/{}", owned.session),
        format!("/api/v1/sessions/{}/history", owned.session),
        "/api/v1/projects".to_owned(),
    ] {
        let mut body = json_of(app.get_authed(&path, token).await, 200).await;
        // `last_activity` of a session moves with reads of it; the rest must not move.
        if let Some(session) = body.as_object_mut() {
            session.remove("last_activity");
        }
        state.push(body);
    }
    state
}

#[tokio::test]
async fn a_suspended_account_reads_but_every_writing_route_refuses_it() {
    let app = spawn_app().await;
    let (token, user) = sign_in(&app).await;
    let owned = owned_things(&app, &token).await;
    let before = visible_state(&app, &token, &owned).await;

    // As an administrator will: through the auth service, which drops its memos of the account.
    app.services
        .auth()
        .set_status(user, UserStatus::Suspended)
        .await
        .unwrap();
    for (method, path, body) in writing_routes(&owned) {
        let response = app
            .send_authed(method.clone(), &path, &token, body.as_ref())
            .await;
        let refused = expect_error(response, 403, "ACCOUNT_INACTIVE").await;
        assert_eq!(
            refused["error"], "this account is not active",
            "{method} {path}"
        );
    }
    assert_eq!(
        visible_state(&app, &token, &owned).await,
        before,
        "nothing was written"
    );

    // Active again, the same token writes: the refusals were about the account only.
    app.services
        .auth()
        .set_status(user, UserStatus::Active)
        .await
        .unwrap();
    let renamed = app
        .send_authed(
            Method::PATCH,
            &format!("/api/v1/projects/{}", owned.project),
            &token,
            Some(&json!({"name": "Renamed"})),
        )
        .await;
    assert_eq!(json_of(renamed, 200).await["name"], "Renamed");
}

#[tokio::test]
async fn a_deleted_accounts_live_token_writes_nothing_on_any_route() {
    let app = spawn_app().await;
    let (token, _) = sign_in(&app).await;
    let owned = owned_things(&app, &token).await;
    let deleted = app
        .send_authed(
            Method::DELETE,
            "/api/v1/auth/me",
            &token,
            Some(&json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(deleted.status(), 200);
    for (method, path, body) in writing_routes(&owned) {
        let response = app
            .send_authed(method.clone(), &path, &token, body.as_ref())
            .await;
        let refused = expect_error(response, 401, "TOKEN_INVALID").await;
        assert_eq!(
            refused["error"], "this account has been deleted; its access token no longer works",
            "{method} {path}"
        );
    }
    let specs = app.specs_db().await;
    let projects = socrates_persistence::entities::specs::projects::Entity::find()
        .all(specs.raw())
        .await
        .unwrap();
    assert!(projects.is_empty(), "{projects:?}");
}

/// Every auth route that takes an access token refuses a deleted account's live token as the
/// writing routes do, with 401 `TOKEN_INVALID`, and none answers 500 or an empty success.
#[tokio::test]
async fn every_auth_route_refuses_a_deleted_accounts_live_token() {
    let app = spawn_app().await;
    let email = super::support::unique_email();
    app.register(&email).await;
    let tokens = app.login(&email, PASSWORD).await;
    let token = tokens["access_token"].as_str().unwrap();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let deleted = app
        .send_authed(
            Method::DELETE,
            "/api/v1/auth/me",
            token,
            Some(&json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(deleted.status(), 200);
    let routes = [
        (
            Method::POST,
            "/api/v1/auth/logout",
            Some(json!({"all": true})),
        ),
        (
            Method::POST,
            "/api/v1/auth/logout",
            Some(json!({"refresh_token": refresh_token})),
        ),
        (Method::POST, "/api/v1/auth/logout", None),
        (Method::GET, "/api/v1/auth/me", None),
        (Method::GET, "/api/v1/auth/me/export", None),
        (
            Method::POST,
            "/api/v1/auth/change-password",
            Some(json!({"current_password": PASSWORD, "new_password": "Other123!"})),
        ),
        (
            Method::DELETE,
            "/api/v1/auth/me",
            Some(json!({"password": PASSWORD})),
        ),
    ];
    for (method, path, body) in routes {
        let response = app
            .send_authed(method.clone(), path, token, body.as_ref())
            .await;
        let refused = expect_error(response, 401, "TOKEN_INVALID").await;
        assert_eq!(
            refused["error"], "this account has been deleted; its access token no longer works",
            "{method} {path} {body:?}"
        );
    }
}
