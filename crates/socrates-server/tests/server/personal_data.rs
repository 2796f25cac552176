//! `GET /api/v1/auth/me/export` and `DELETE /api/v1/auth/me`: a person's data out of both
//! databases, and nothing of theirs left behind after the account is deleted.

use sea_orm::{EntityTrait, QueryFilter};
use serde_json::json;
use socrates_domain::{
    Category, Confidence, FactKey, FactSource, FactValue, ProjectId, SessionMode, UserId,
};
use socrates_persistence::entities::auth::{
    api_keys, audit_logs, password_reset_requests, refresh_tokens, team_invitations, team_members,
    teams, user_rules, users,
};
use socrates_persistence::entities::specs::{
    conflicts, conversation_history, maturity_tracking, projects, quality_metrics, questions,
    sessions, specifications,
};
use socrates_persistence::entities::specs_extra::{
    code_generation_jobs, generated_files, generated_projects, knowledge_base_documents,
    llm_usage_tracking, project_shares, question_effectiveness, user_behavior_patterns,
};
use socrates_persistence::repositories::specifications::NewSpecification;
use socrates_persistence::repositories::{sessions as session_repo, specifications as facts};
use socrates_persistence::{Conn, repositories::personal_data::ANONYMOUS_USER};

use std::sync::Arc;

use sea_orm::PaginatorTrait;
use socrates_infra::{Clock, ManualClock, SystemClock};
use socrates_server::Application;
use socrates_server::settings::Environment;

use super::support::{
    PASSWORD, TestApp, expect_error, json_of, settings_for, spawn_app, spawn_app_with, spawn_on,
    unique_email,
};

/// Registers, logs in and returns (access token, user id).
async fn account(app: &TestApp, email: &str) -> (String, String) {
    app.register(email).await;
    let tokens = app.login(email, PASSWORD).await;
    let token = tokens["access_token"].as_str().unwrap().to_owned();
    let me = json_of(app.get_authed("/api/v1/auth/me", &token).await, 200).await;
    (token, me["user_id"].as_str().unwrap().to_owned())
}

/// A project with a session, two answers (facts, a conflict, maturity rows) and a resolution.
async fn interview(app: &TestApp, token: &str, name: &str) -> String {
    let project = json_of(
        app.post_authed("/api/v1/projects", token, &json!({"name": name}))
            .await,
        201,
    )
    .await;
    let project_id = project["project_id"].as_str().unwrap().to_owned();
    let session = json_of(
        app.post_authed(
            &format!("/api/v1/projects/{project_id}/sessions"),
            token,
            &json!({}),
        )
        .await,
        201,
    )
    .await;
    let session_id = session["session_id"].as_str().unwrap().to_owned();
    for text in [
        "The data lives in PostgreSQL 16 and we deploy on AWS with Kubernetes.",
        "Actually the database will be MySQL.",
    ] {
        let question = json_of(
            app.post_authed(
                &format!("/api/v1/sessions/{session_id}/next-question"),
                token,
                &json!({}),
            )
            .await,
            200,
        )
        .await;
        json_of(
            app.post_authed(
                &format!("/api/v1/sessions/{session_id}/answer"),
                token,
                &json!({"question_id": question["question_id"], "answer": text}),
            )
            .await,
            200,
        )
        .await;
    }
    project_id
}

/// Every row of both databases, as JSON text, one entry per row.
async fn every_row(app: &TestApp) -> Vec<String> {
    macro_rules! dump {
        ($db:expr, $rows:ident, $($entity:ident),+) => {
            $(
                for row in $entity::Entity::find().into_json().all($db).await.unwrap() {
                    $rows.push(format!("{}: {row}", stringify!($entity)));
                }
            )+
        };
    }
    let mut rows = Vec::new();
    let auth = app.auth_db().await;
    dump!(
        auth.raw(),
        rows,
        users,
        refresh_tokens,
        password_reset_requests,
        audit_logs,
        user_rules,
        api_keys,
        teams,
        team_members,
        team_invitations
    );
    let specs = app.specs_db().await;
    dump!(
        specs.raw(),
        rows,
        projects,
        sessions,
        questions,
        specifications,
        conversation_history,
        conflicts,
        quality_metrics,
        maturity_tracking,
        llm_usage_tracking,
        generated_projects,
        generated_files,
        code_generation_jobs,
        user_behavior_patterns,
        question_effectiveness,
        knowledge_base_documents,
        project_shares
    );
    rows
}

#[tokio::test]
async fn the_export_holds_everything_the_user_owns_and_no_secrets() {
    let app = spawn_app().await;
    let email = unique_email();
    let (token, user_id) = account(&app, &email).await;
    let project_id = interview(&app, &token, "Exported").await;
    let (other_token, _) = account(&app, &unique_email()).await;
    interview(&app, &other_token, "Other person").await;

    let response = app.get_authed("/api/v1/auth/me/export", &token).await;
    assert_eq!(
        response.headers()["content-disposition"],
        format!("attachment; filename=socrates-export-{user_id}.json").as_str()
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    let export = json_of(response, 200).await;
    assert_eq!(export["format_version"], 1);
    assert_eq!(export["user_id"], user_id.as_str());
    let auth = &export["socrates_auth"];
    assert_eq!(auth["users"][0]["email"], email.as_str());
    assert_eq!(auth["refresh_tokens"].as_array().unwrap().len(), 1);
    assert!(!auth["audit_logs"].as_array().unwrap().is_empty());
    let specs = &export["socrates_specs"];
    let projects = specs["projects"].as_array().unwrap();
    assert_eq!(projects.len(), 1, "only the user's own project");
    assert_eq!(projects[0]["id"], project_id.as_str());
    assert_eq!(specs["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(specs["questions"].as_array().unwrap().len(), 2);
    assert_eq!(specs["conversation_history"].as_array().unwrap().len(), 4);
    assert!(specs["specifications"].as_array().unwrap().len() >= 3);
    assert_eq!(specs["conflicts"].as_array().unwrap().len(), 1);
    assert_eq!(specs["maturity_tracking"].as_array().unwrap().len(), 3);
    for rows in specs.as_object().unwrap().values() {
        for row in rows.as_array().unwrap() {
            if let Some(project) = row.get("project_id") {
                assert_eq!(project, project_id.as_str(), "{row}");
            }
        }
    }
    let text = export.to_string();
    for secret in ["password_hash", "token_hash", "ciphertext", "$2b$", "$2a$"] {
        assert!(!text.contains(secret), "the export holds `{secret}`");
    }

    let anonymous = app.get("/api/v1/auth/me/export").await;
    expect_error(anonymous, 401, "UNAUTHENTICATED").await;
}

#[tokio::test]
async fn deleting_the_account_leaves_nothing_of_the_user_and_keeps_everyone_else() {
    let app = spawn_app().await;
    let email = unique_email();
    let (token, user_id) = account(&app, &email).await;
    interview(&app, &token, "Mine").await;
    let (other_token, other_id) = account(&app, &unique_email()).await;
    let other_project = interview(&app, &other_token, "Theirs").await;

    // The user also took part in the other person's project: a session and a fact there.
    let specs = app.specs_db().await;
    let user = UserId::from_uuid(user_id.parse().unwrap());
    let theirs = ProjectId::from_uuid(other_project.parse().unwrap());
    let now = chrono::Utc::now();
    let visit = session_repo::create(&specs, theirs, user, SessionMode::Socratic, now)
        .await
        .unwrap();
    facts::insert(
        &specs,
        NewSpecification {
            project_id: theirs,
            session_id: Some(visit.id),
            category: Category::Performance,
            key: FactKey::parse("response_time_p95").unwrap(),
            value: FactValue::parse("200 ms").unwrap(),
            source: FactSource::DirectInput,
            source_id: None,
            confidence: Confidence::CERTAIN,
            reasoning: None,
            created_by: Some(user),
            metadata: None,
            value_slot: socrates_domain::ValueSlot::of(
                &socrates_domain::Knowledge::builtin().unwrap(),
                "response_time_p95",
                "200 ms",
            ),
        },
        now,
    )
    .await
    .unwrap();
    let before = every_row(&app).await;
    assert!(before.iter().any(|row| row.contains(&user_id)));

    let wrong = app
        .send_authed(
            reqwest::Method::DELETE,
            "/api/v1/auth/me",
            &token,
            Some(&json!({"password": "not the password 1A!"})),
        )
        .await;
    let wrong = expect_error(wrong, 401, "INVALID_CREDENTIALS").await;
    // The caller is signed in: the message is about the password, not the e-mail address.
    assert_eq!(wrong["error"], "the password is wrong");
    let unconfirmed = app
        .send_authed(reqwest::Method::DELETE, "/api/v1/auth/me", &token, None)
        .await;
    expect_error(unconfirmed, 415, "UNSUPPORTED_MEDIA_TYPE").await;
    assert_eq!(
        every_row(&app).await.len(),
        before.len() + 1,
        "only the failed attempt's audit entry is new"
    );

    let deleted = json_of(
        app.send_authed(
            reqwest::Method::DELETE,
            "/api/v1/auth/me",
            &token,
            Some(&json!({"password": PASSWORD})),
        )
        .await,
        200,
    )
    .await;
    assert!(
        deleted["socrates_specs"]["deleted"].as_u64().unwrap() > 10,
        "{deleted}"
    );
    assert_eq!(deleted["socrates_specs"]["anonymised"], 2, "{deleted}");
    assert_eq!(
        deleted["socrates_auth"]["deleted"], 2,
        "the account and its token: {deleted}"
    );

    let after = every_row(&app).await;
    let left: Vec<_> = after
        .iter()
        .filter(|row| row.contains(&user_id) || row.contains(&email))
        .collect();
    assert!(left.is_empty(), "rows still naming the user: {left:#?}");

    // The other person's project is whole; the user's part of it is kept without a name.
    let visit_row = sessions::Entity::find_by_id(visit.id.into_uuid())
        .one(specs.raw())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(visit_row.user_id, ANONYMOUS_USER);
    let facts_left = facts::all_current(&specs, theirs).await.unwrap();
    assert!(
        facts_left
            .iter()
            .any(|fact| fact.key == "response_time_p95" && fact.created_by.is_none())
    );
    let status = app
        .get_authed(
            &format!("/api/v1/projects/{other_project}/status"),
            &other_token,
        )
        .await;
    assert_eq!(status.status(), 200);
    assert!(after.iter().any(|row| row.contains(&other_id)));
    let deletions = audit_logs::Entity::find()
        .filter(sea_orm::ColumnTrait::eq(
            &audit_logs::Column::Action,
            "user.deleted",
        ))
        .all(app.auth_db().await.raw())
        .await
        .unwrap();
    assert_eq!(deletions.len(), 1);
    assert_eq!(deletions[0].user_id, None);

    // Its access token is still within its lifetime, but creates nothing any more.
    let create = app
        .post_authed("/api/v1/projects", &token, &json!({"name": "Orphan"}))
        .await;
    let refused = expect_error(create, 401, "TOKEN_INVALID").await;
    assert_eq!(
        refused["error"],
        "this account has been deleted; its access token no longer works"
    );
    assert_eq!(every_row(&app).await, after, "nothing was written");

    // The account cannot log in any more.
    let login = app
        .post(
            "/api/v1/auth/login",
            &json!({"email": email, "password": PASSWORD}),
        )
        .await;
    expect_error(login, 401, "INVALID_CREDENTIALS").await;

    // A suspended account's live token reads what it has but creates nothing.
    let other = UserId::from_uuid(other_id.parse().unwrap());
    socrates_persistence::repositories::users::set_status(
        &app.auth_db().await,
        other,
        socrates_domain::UserStatus::Suspended,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    let create = app
        .post_authed("/api/v1/projects", &other_token, &json!({"name": "Later"}))
        .await;
    expect_error(create, 403, "ACCOUNT_INACTIVE").await;
    let status = app
        .get_authed(
            &format!("/api/v1/projects/{other_project}/status"),
            &other_token,
        )
        .await;
    assert_eq!(status.status(), 200);
}

#[tokio::test]
async fn the_server_prunes_conversation_history_older_than_the_retention_setting() {
    // Three days ago, someone was interviewed.
    let past = ManualClock::new(chrono::Utc::now() - chrono::Duration::days(3));
    let clock: Arc<dyn Clock> = Arc::new(past);
    let app = spawn_app_with(|_| {}, clock).await;
    let (token, _) = account(&app, &unique_email()).await;
    interview(&app, &token, "Old talk").await;
    let TestApp {
        databases, handle, ..
    } = app;
    handle.stop(true).await;

    // Restarted today with a two-day retention: the job prunes at start and then hourly.
    let mut settings = settings_for(&databases, Environment::Test);
    settings.retention.conversation_history_days = Some(2);
    let app = spawn_on(databases, &settings, Arc::new(SystemClock)).await;
    let (token, _) = account(&app, &unique_email()).await;
    interview(&app, &token, "New talk").await;
    let specs = app.specs_db().await;
    let mut left = u64::MAX;
    for _ in 0..100 {
        left = conversation_history::Entity::find()
            .count(specs.raw())
            .await
            .unwrap();
        if left == 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(left, 4, "only today's question/answer pairs remain");
    let old = conversation_history::Entity::find()
        .filter(sea_orm::ColumnTrait::lt(
            &conversation_history::Column::CreatedAt,
            chrono::Utc::now() - chrono::Duration::days(2),
        ))
        .count(specs.raw())
        .await
        .unwrap();
    assert_eq!(old, 0);
    // The facts drawn from the old conversation are the specification: they stay.
    assert!(
        specifications::Entity::find()
            .count(specs.raw())
            .await
            .unwrap()
            >= 6
    );
}

#[tokio::test]
async fn zero_retention_or_token_lifetimes_are_refused_at_start() {
    let databases = socrates_persistence::testing::TestDatabaseUrls::create().await;
    for (days, minutes, expected) in [
        (
            Some(0),
            60,
            "retention.conversation_history_days must be at least 1",
        ),
        (Some(30), 0, "retention.interval_minutes must be at least 1"),
    ] {
        let mut settings = settings_for(&databases, Environment::Test);
        settings.retention.conversation_history_days = days;
        settings.retention.interval_minutes = minutes;
        let error = Application::build(&settings)
            .await
            .err()
            .expect("a zero retention is refused");
        assert!(format!("{error:#}").contains(expected), "{error:#}");
    }
    // Token lifetimes of zero are refused the same way.
    for (minutes, days, expected) in [
        (0, 7, "auth.access_token_minutes must be at least 1, got 0"),
        (30, 0, "auth.refresh_token_days must be at least 1, got 0"),
    ] {
        let mut settings = settings_for(&databases, Environment::Test);
        settings.auth.access_token_minutes = minutes;
        settings.auth.refresh_token_days = days;
        let error = Application::build(&settings)
            .await
            .err()
            .expect("a zero token lifetime is refused");
        assert!(format!("{error:#}").contains(expected), "{error:#}");
    }
}

#[tokio::test]
async fn a_large_export_is_streamed_a_page_at_a_time_and_complete() {
    let app = spawn_app().await;
    let (token, user_id) = account(&app, &unique_email()).await;
    let project = json_of(
        app.post_authed("/api/v1/projects", &token, &json!({"name": "Many facts"}))
            .await,
        201,
    )
    .await;
    let project_id = ProjectId::from_uuid(project["project_id"].as_str().unwrap().parse().unwrap());
    let user = UserId::from_uuid(user_id.parse().unwrap());
    // More rows than two pages of one table, with text that needs escaping.
    let knowledge = socrates_domain::Knowledge::builtin().unwrap();
    let many: Vec<NewSpecification> = (0..450)
        .map(|n| {
            let key = format!("note_{n}");
            let value = format!("line \"{n}\"\nwith a quote");
            NewSpecification {
                project_id,
                session_id: None,
                category: Category::Requirements,
                value_slot: socrates_domain::ValueSlot::of(&knowledge, &key, &value),
                key: FactKey::parse(&key).unwrap(),
                value: FactValue::parse(&value).unwrap(),
                source: FactSource::DirectInput,
                source_id: None,
                confidence: Confidence::CERTAIN,
                reasoning: None,
                created_by: Some(user),
                metadata: None,
            }
        })
        .collect();
    facts::insert_all(&app.specs_db().await, many, chrono::Utc::now())
        .await
        .unwrap();

    let response = app.get_authed("/api/v1/auth/me/export", &token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    assert!(
        response.headers().get("content-length").is_none(),
        "the body is streamed, not built whole: {:?}",
        response.headers()
    );
    let export: serde_json::Value = response.json().await.unwrap();
    let rows = export["socrates_specs"]["specifications"]
        .as_array()
        .unwrap();
    assert_eq!(rows.len(), 450);
    let mut values: Vec<&str> = rows
        .iter()
        .map(|row| row["value"].as_str().unwrap())
        .collect();
    values.sort_unstable();
    values.dedup();
    assert_eq!(values.len(), 450, "no row twice, none missing");
    assert!(values.contains(&"line \"7\"\nwith a quote"));
    assert_eq!(export["user_id"], user_id.as_str());
    assert_eq!(export["format_version"], 1);
    assert_eq!(export["socrates_auth"]["users"][0]["id"], user_id.as_str());
    assert_eq!(
        export["socrates_specs"]["projects"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
