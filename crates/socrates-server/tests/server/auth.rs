//! Accounts and tokens through HTTP.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use socrates_domain::{Email, UserStatus};
use socrates_persistence::repositories::{audit_logs, password_resets, users};

use super::support::{
    PASSWORD, expect_error, manual_clock, spawn_app, spawn_app_with, unique_email,
};

#[tokio::test]
async fn registration_enforces_the_email_and_password_rules() {
    let app = spawn_app().await;
    let email = unique_email();
    let body = app.register(&email.to_uppercase()).await;
    assert_eq!(body["email"], email, "stored lower-cased");
    assert!(uuid::Uuid::parse_str(body["user_id"].as_str().unwrap()).is_ok());
    assert!(body["created_at"].is_string());
    assert!(body.get("password_hash").is_none());

    let duplicate = app
        .post(
            "/api/v1/auth/register",
            &json!({ "email": email.to_uppercase(), "password": PASSWORD }),
        )
        .await;
    expect_error(duplicate, 409, "EMAIL_TAKEN").await;

    let weak = app
        .post(
            "/api/v1/auth/register",
            &json!({ "email": unique_email(), "password": "password" }),
        )
        .await;
    let body = expect_error(weak, 400, "WEAK_PASSWORD").await;
    let rules: Vec<&str> = body["details"]["failed_rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["uppercase", "digit", "symbol"]);

    let too_long = format!("Aa1!{}", "x".repeat(69));
    let long = app
        .post(
            "/api/v1/auth/register",
            &json!({ "email": unique_email(), "password": too_long }),
        )
        .await;
    let body = expect_error(long, 400, "WEAK_PASSWORD").await;
    assert_eq!(body["details"]["failed_rules"][0]["rule"], "max_length");

    let bad_email = app
        .post(
            "/api/v1/auth/register",
            &json!({ "email": "not-an-email", "password": PASSWORD }),
        )
        .await;
    expect_error(bad_email, 400, "INVALID_EMAIL").await;

    let missing = app
        .post("/api/v1/auth/register", &json!({ "email": unique_email() }))
        .await;
    expect_error(missing, 400, "INVALID_JSON").await;
    app.stop().await;
}

#[tokio::test]
async fn login_issues_tokens_and_fails_the_same_way_for_unknown_and_wrong() {
    let app = spawn_app().await;
    let email = unique_email();
    app.register(&email).await;
    let tokens = app.login(&email, PASSWORD).await;
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["expires_in"], 1800);
    assert_eq!(
        tokens["access_token"].as_str().unwrap().split('.').count(),
        3
    );
    assert_eq!(tokens["refresh_token"].as_str().unwrap().len(), 43);

    let me: Value = app
        .get_authed("/api/v1/auth/me", tokens["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], email);
    assert!(me["last_login_at"].is_string());
    assert!(me.get("password_hash").is_none());

    let wrong = app
        .post(
            "/api/v1/auth/login",
            &json!({ "email": email, "password": "Wrong123!" }),
        )
        .await;
    let wrong = expect_error(wrong, 401, "INVALID_CREDENTIALS").await;
    let unknown = app
        .post(
            "/api/v1/auth/login",
            &json!({ "email": unique_email(), "password": PASSWORD }),
        )
        .await;
    let unknown = expect_error(unknown, 401, "INVALID_CREDENTIALS").await;
    assert_eq!(wrong["error"], unknown["error"]);
    assert_eq!(wrong["details"], unknown["details"]);

    let db = app.auth_db().await;
    let user = users::find_by_email(&db, &Email::parse(&email).unwrap())
        .await
        .unwrap()
        .unwrap();
    let actions: Vec<String> = audit_logs::list_for_user(&db, user.id, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    assert_eq!(
        actions,
        ["user.login_failed", "user.login", "user.register"]
    );
    let failed = audit_logs::list_by_action(&db, "user.login_failed", 10)
        .await
        .unwrap();
    assert_eq!(failed.len(), 2, "unknown e-mail is audited too");
    assert_eq!(failed[0].ip_address.as_deref(), Some("127.0.0.1"));
    app.stop().await;
}

#[tokio::test]
async fn an_inactive_account_is_refused_with_403() {
    let app = spawn_app().await;
    let email = unique_email();
    app.register(&email).await;
    let db = app.auth_db().await;
    let user = users::find_by_email(&db, &Email::parse(&email).unwrap())
        .await
        .unwrap()
        .unwrap();
    users::set_status(&db, user.id, UserStatus::Suspended, chrono::Utc::now())
        .await
        .unwrap();
    let response = app
        .post(
            "/api/v1/auth/login",
            &json!({ "email": email, "password": PASSWORD }),
        )
        .await;
    expect_error(response, 403, "ACCOUNT_INACTIVE").await;
    app.stop().await;
}

/// Unknown e-mail and wrong password must take the same time: compare medians of repeated
/// attempts at a bcrypt cost high enough to dominate the noise.
#[tokio::test]
async fn login_failures_take_the_same_time_for_unknown_and_wrong() {
    let app = spawn_app_with(
        |settings| {
            settings.auth.bcrypt_cost = 10;
            settings.rate_limit.enabled = false;
        },
        std::sync::Arc::new(socrates_infra::SystemClock),
    )
    .await;
    let email = unique_email();
    app.register(&email).await;
    let median = |samples: &mut Vec<Duration>| {
        samples.sort();
        samples[samples.len() / 2]
    };
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..9 {
        let started = Instant::now();
        let response = app
            .post(
                "/api/v1/auth/login",
                &json!({ "email": email, "password": "Wrong123!" }),
            )
            .await;
        assert_eq!(response.status(), 401);
        wrong.push(started.elapsed());
        let started = Instant::now();
        let response = app
            .post(
                "/api/v1/auth/login",
                &json!({ "email": unique_email(), "password": "Wrong123!" }),
            )
            .await;
        assert_eq!(response.status(), 401);
        unknown.push(started.elapsed());
    }
    let (wrong, unknown) = (median(&mut wrong), median(&mut unknown));
    let ratio = wrong.as_secs_f64() / unknown.as_secs_f64();
    assert!(
        (0.6..=1.6).contains(&ratio),
        "wrong password median {wrong:?} vs unknown e-mail median {unknown:?}"
    );
    // bcrypt really ran for the unknown address (cost 10 takes several milliseconds).
    assert!(unknown > Duration::from_millis(5), "{unknown:?}");
    app.stop().await;
}

#[tokio::test]
async fn access_tokens_expire_with_the_clock() {
    let (clock, shared) = manual_clock();
    let app = spawn_app_with(|_| {}, shared).await;
    let email = unique_email();
    app.register(&email).await;
    let tokens = app.login(&email, PASSWORD).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        app.get_authed("/api/v1/auth/me", access).await.status(),
        200
    );
    clock.advance(chrono::Duration::minutes(29));
    assert_eq!(
        app.get_authed("/api/v1/auth/me", access).await.status(),
        200
    );
    clock.advance(chrono::Duration::minutes(2));
    expect_error(
        app.get_authed("/api/v1/auth/me", access).await,
        401,
        "TOKEN_EXPIRED",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn forged_and_malformed_bearer_tokens_are_refused() {
    let app = spawn_app().await;
    let email = unique_email();
    app.register(&email).await;
    let tokens = app.login(&email, PASSWORD).await;
    let access = tokens["access_token"].as_str().unwrap();
    let parts: Vec<&str> = access.split('.').collect();

    let mut signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    signature[0] ^= 0xff;
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        URL_SAFE_NO_PAD.encode(signature)
    );
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{none_header}.{}.", parts[1]);
    let hs512_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS512","typ":"JWT"}"#);
    let wrong_algorithm = format!("{hs512_header}.{}.{}", parts[1], parts[2]);
    for token in [
        tampered.as_str(),
        unsigned.as_str(),
        wrong_algorithm.as_str(),
        "garbage",
    ] {
        let response = app.get_authed("/api/v1/auth/me", token).await;
        let body = expect_error(response, 401, "TOKEN_INVALID").await;
        assert!(!body.to_string().contains(token) || token == "garbage");
    }
    let response = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .header("Authorization", access)
        .send()
        .await
        .unwrap();
    expect_error(response, 401, "TOKEN_INVALID").await;
    let response = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    expect_error(response, 401, "UNAUTHENTICATED").await;
    app.stop().await;
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_whole_family() {
    let app = spawn_app().await;
    let email = unique_email();
    app.register(&email).await;
    let first = app.login(&email, PASSWORD).await;
    let refresh = |token: &Value| json!({ "refresh_token": token["refresh_token"] });

    let second = app.post("/api/v1/auth/refresh", &refresh(&first)).await;
    assert_eq!(second.status(), 200);
    let second: Value = second.json().await.unwrap();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(
        app.get_authed("/api/v1/auth/me", second["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );

    // The rotated token is dead; presenting it is theft: the family is revoked.
    expect_error(
        app.post("/api/v1/auth/refresh", &refresh(&first)).await,
        401,
        "TOKEN_INVALID",
    )
    .await;
    expect_error(
        app.post("/api/v1/auth/refresh", &refresh(&second)).await,
        401,
        "TOKEN_INVALID",
    )
    .await;

    // Another login (another family) is unaffected.
    let other = app.login(&email, PASSWORD).await;
    assert_eq!(
        app.post("/api/v1/auth/refresh", &refresh(&other))
            .await
            .status(),
        200
    );

    let db = app.auth_db().await;
    let reuse = audit_logs::list_by_action(&db, "token.reuse_detected", 10)
        .await
        .unwrap();
    assert_eq!(reuse.len(), 1);
    expect_error(
        app.post(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": "unknown" }),
        )
        .await,
        401,
        "TOKEN_INVALID",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn logout_revokes_one_token_or_all() {
    let app = spawn_app().await;
    let email = unique_email();
    app.register(&email).await;
    let first = app.login(&email, PASSWORD).await;
    let second = app.login(&email, PASSWORD).await;
    let access = first["access_token"].as_str().unwrap();

    let response = app
        .post_authed(
            "/api/v1/auth/logout",
            access,
            &json!({ "refresh_token": first["refresh_token"] }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["revoked_tokens"], 1);
    let refresh_first = json!({ "refresh_token": first["refresh_token"] });
    expect_error(
        app.post("/api/v1/auth/refresh", &refresh_first).await,
        401,
        "TOKEN_INVALID",
    )
    .await;

    let response = app
        .post_authed("/api/v1/auth/logout", access, &json!({ "all": true }))
        .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["revoked_tokens"], 1);
    let refresh_second = json!({ "refresh_token": second["refresh_token"] });
    expect_error(
        app.post("/api/v1/auth/refresh", &refresh_second).await,
        401,
        "TOKEN_INVALID",
    )
    .await;

    let db = app.auth_db().await;
    assert_eq!(
        audit_logs::list_by_action(&db, "user.logout", 10)
            .await
            .unwrap()
            .len(),
        2
    );
    app.stop().await;
}

#[tokio::test]
async fn changing_the_password_signs_out_every_session() {
    let app = spawn_app().await;
    let email = unique_email();
    app.register(&email).await;
    let tokens = app.login(&email, PASSWORD).await;
    let access = tokens["access_token"].as_str().unwrap();

    let wrong = app
        .post_authed(
            "/api/v1/auth/change-password",
            access,
            &json!({ "current_password": "Nope123!", "new_password": "Better456?" }),
        )
        .await;
    let wrong = expect_error(wrong, 401, "INVALID_CREDENTIALS").await;
    assert_eq!(wrong["error"], "the password is wrong");
    let weak = app
        .post_authed(
            "/api/v1/auth/change-password",
            access,
            &json!({ "current_password": PASSWORD, "new_password": "weak" }),
        )
        .await;
    expect_error(weak, 400, "WEAK_PASSWORD").await;

    let changed = app
        .post_authed(
            "/api/v1/auth/change-password",
            access,
            &json!({ "current_password": PASSWORD, "new_password": "Better456?" }),
        )
        .await;
    assert_eq!(changed.status(), 200);
    let refresh = json!({ "refresh_token": tokens["refresh_token"] });
    expect_error(
        app.post("/api/v1/auth/refresh", &refresh).await,
        401,
        "TOKEN_INVALID",
    )
    .await;
    let old = app
        .post(
            "/api/v1/auth/login",
            &json!({ "email": email, "password": PASSWORD }),
        )
        .await;
    expect_error(old, 401, "INVALID_CREDENTIALS").await;
    app.login(&email, "Better456?").await;
    app.stop().await;
}

#[tokio::test]
async fn password_reset_is_silent_about_accounts_single_use_and_expires() {
    let (clock, shared) = manual_clock();
    let app = spawn_app_with(|_| {}, shared).await;
    let email = unique_email();
    app.register(&email).await;
    let tokens = app.login(&email, PASSWORD).await;

    let known = app
        .post(
            "/api/v1/auth/password-reset/request",
            &json!({ "email": email }),
        )
        .await;
    let unknown = app
        .post(
            "/api/v1/auth/password-reset/request",
            &json!({ "email": unique_email() }),
        )
        .await;
    assert_eq!(known.status(), 202);
    assert_eq!(unknown.status(), 202);
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());

    // The mailed token is only in the log; plant one whose plain text the test knows.
    let db = app.auth_db().await;
    let user = users::find_by_email(&db, &Email::parse(&email).unwrap())
        .await
        .unwrap()
        .unwrap();
    let now = chrono::Utc::now();
    let hash = |token: &str| socrates_auth::tokens::hash_token(token);
    password_resets::insert(
        &db,
        user.id,
        hash("planted-token-1"),
        now + chrono::Duration::hours(1),
        now,
    )
    .await
    .unwrap();
    password_resets::insert(
        &db,
        user.id,
        hash("planted-token-2"),
        now + chrono::Duration::hours(1),
        now,
    )
    .await
    .unwrap();

    let confirm = |token: &str, password: &str| json!({ "token": token, "new_password": password });
    let response = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            &confirm("planted-token-1", "Reset789#"),
        )
        .await;
    assert_eq!(response.status(), 200);
    app.login(&email, "Reset789#").await;
    let refresh = json!({ "refresh_token": tokens["refresh_token"] });
    expect_error(
        app.post("/api/v1/auth/refresh", &refresh).await,
        401,
        "TOKEN_INVALID",
    )
    .await;
    // Used once, and the reset invalidated the other outstanding link.
    for token in ["planted-token-1", "planted-token-2", "never-issued"] {
        let response = app
            .post(
                "/api/v1/auth/password-reset/confirm",
                &confirm(token, "Again789#"),
            )
            .await;
        expect_error(response, 401, "TOKEN_INVALID").await;
    }
    // An unused link expires after an hour.
    password_resets::insert(
        &db,
        user.id,
        hash("planted-token-3"),
        clock_now(&clock) + chrono::Duration::hours(1),
        now,
    )
    .await
    .unwrap();
    clock.advance(chrono::Duration::minutes(61));
    let response = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            &confirm("planted-token-3", "Later789#"),
        )
        .await;
    expect_error(response, 401, "TOKEN_INVALID").await;
    let requested = audit_logs::list_by_action(&db, "user.password_reset_requested", 10)
        .await
        .unwrap();
    assert_eq!(requested.len(), 1, "only the existing account gets a reset");
    assert_eq!(
        audit_logs::list_by_action(&db, "user.password_reset", 10)
            .await
            .unwrap()
            .len(),
        1
    );
    app.stop().await;
}

fn clock_now(clock: &socrates_infra::ManualClock) -> chrono::DateTime<chrono::Utc> {
    use socrates_infra::Clock;
    clock.now()
}
