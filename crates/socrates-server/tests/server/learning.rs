//! Learning through HTTP: every ask and answer adds to the user's counters per question
//! template, the behaviour patterns follow the answers, the next question prefers the
//! templates that work for this user and for people like them, and only the user or an admin
//! may read what was learned.

use std::sync::Arc;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use socrates_domain::UserId;
use socrates_infra::SystemClock;
use socrates_persistence::Conn;
use socrates_persistence::entities::auth::users;
use socrates_persistence::repositories::learning;

use super::support::{
    TestApp, answer, expect_error, json_of, new_project, new_session, next_question, sign_in,
    spawn_app_with,
};

/// The app with the rate limits off and the cohort figures read on every question.
async fn learning_app() -> TestApp {
    spawn_app_with(
        |settings| {
            settings.rate_limit.enabled = false;
            settings.cache.cohort_ttl_seconds = 0;
        },
        Arc::new(SystemClock),
    )
    .await
}

async fn learned(app: &TestApp, token: &str, user: UserId, what: &str) -> Value {
    json_of(
        app.get_authed(&format!("/api/v1/learning/user/{user}/{what}"), token)
            .await,
        200,
    )
    .await
}

/// The first question of a fresh project of the caller, and its session.
async fn first_question(app: &TestApp, token: &str, name: &str) -> (String, Value) {
    let project = new_project(app, token, name).await;
    let session = new_session(app, token, &project).await;
    let question = next_question(app, token, &session).await;
    (session, question)
}

fn template_of(question: &Value) -> String {
    question["template_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no template id: {question}"))
        .to_owned()
}

fn row<'a>(page: &'a Value, template: &str) -> &'a Value {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["question_template_id"] == template)
        .unwrap_or_else(|| panic!("no row for {template}: {page}"))
}

#[tokio::test]
async fn asks_answers_facts_and_conflicts_are_counted_and_patterns_follow() {
    let app = learning_app().await;
    let (token, user) = sign_in(&app).await;
    let empty = learned(&app, &token, user, "profile").await;
    assert_eq!(empty["questions_asked"], 0);
    assert_eq!(empty["communication_style"], "balanced");
    assert_eq!(empty["detail_level"], "moderate");
    assert_eq!(empty["behavior_patterns"], json!([]));

    let (session, question) = first_question(&app, &token, "Counted").await;
    let template = template_of(&question);
    let asked = learned(&app, &token, user, "effectiveness").await;
    assert_eq!(asked["total"], 1, "{asked}");
    let waiting = row(&asked, &template);
    assert_eq!(waiting["times_asked"], 1);
    assert_eq!(waiting["times_answered"], 0);
    assert_eq!(waiting["effectiveness_score"], 0.0);
    assert_eq!(waiting["category"], question["category"]);

    let text = "A booking web app for physiotherapy clinics so patients can book, move and \
                cancel appointments online; the backend is written in Rust with PostgreSQL.";
    let answered = json_of(answer(&app, &token, &session, &question, text).await, 200).await;
    let stated = answered["specs_extracted"].as_u64().unwrap();
    assert!(stated >= 2, "{answered}");
    let page = learned(&app, &token, user, "effectiveness").await;
    let counted = row(&page, &template);
    assert_eq!(counted["times_asked"], 1, "{counted}");
    assert_eq!(counted["times_answered"], 1);
    assert_eq!(counted["times_answered_well"], 1);
    assert_eq!(counted["facts_yielded"], stated);
    assert_eq!(counted["conflicts_raised"], 0);
    assert_eq!(counted["effectiveness_score"], 1.0);
    let chars = i64::try_from(text.chars().count()).unwrap();
    assert_eq!(counted["average_answer_length"], 3 * chars / 10);

    // An answer that contradicts the specification counts its conflict.
    let next = next_question(&app, &token, &session).await;
    let contradicting = "The database will be MySQL.";
    let held = json_of(
        answer(&app, &token, &session, &next, contradicting).await,
        200,
    )
    .await;
    assert_eq!(held["conflicts_detected"], true, "{held}");
    let page = learned(&app, &token, user, "effectiveness").await;
    assert_eq!(row(&page, &template_of(&next))["conflicts_raised"], 1);

    let patterns = learned(&app, &token, user, "patterns").await;
    let kinds: Vec<&str> = patterns["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "communication_style",
            "detail_level",
            "category_strengths",
            "pace"
        ]
    );
    let style = &patterns["patterns"][0];
    assert_eq!(style["label"], "balanced", "{style}");
    assert_eq!(style["data"]["answers"], 2);
    assert_eq!(style["learned_from_projects"], 1);
    assert!((style["confidence"].as_f64().unwrap() - 2.0 / 7.0).abs() < 0.01);

    let profile = learned(&app, &token, user, "profile").await;
    assert_eq!(profile["questions_answered"], 2, "{profile}");
    assert_eq!(profile["communication_style"], "balanced");
    assert!(!profile["preferred_roles"].as_array().unwrap().is_empty());
    assert_eq!(profile["behavior_patterns"].as_array().unwrap().len(), 4);
    app.stop().await;
}

#[tokio::test]
async fn the_learned_order_differs_from_the_cold_order() {
    let app = learning_app().await;
    // Cold: a new user on a server that knows nothing is asked in the bank's order.
    let (first, _) = sign_in(&app).await;
    let (_, cold) = first_question(&app, &first, "Cold").await;
    let cold_template = template_of(&cold);

    // Another user is asked the same, answers with nothing usable, briefly.
    let (token, user) = sign_in(&app).await;
    let (session, asked) = first_question(&app, &token, "Vague").await;
    assert_eq!(template_of(&asked), cold_template);
    let vague = json_of(
        answer(&app, &token, &session, &asked, "Not sure yet.").await,
        200,
    )
    .await;
    assert_eq!(vague["specs_extracted"], 0, "{vague}");
    let page = learned(&app, &token, user, "effectiveness").await;
    assert_eq!(row(&page, &cold_template)["times_answered_well"], 0);
    let patterns = learned(&app, &token, user, "patterns").await;
    assert_eq!(patterns["patterns"][0]["label"], "brief");

    // Their next project starts elsewhere: the template that did not work for them waits.
    let (_, learned_first) = first_question(&app, &token, "Learned").await;
    assert_eq!(learned_first["category"], cold["category"]);
    assert_ne!(
        template_of(&learned_first),
        cold_template,
        "{learned_first}"
    );

    // A newcomer whose style is not known yet is like everyone: the template that worked
    // for no one is not asked first either.
    let (newcomer, _) = sign_in(&app).await;
    let (_, fresh) = first_question(&app, &newcomer, "Newcomer").await;
    assert_ne!(template_of(&fresh), cold_template, "{fresh}");

    // The cohort of brief answerers holds the vague answer; detailed ones know nothing of it.
    let db = app.specs_db().await;
    let brief = learning::cohort_tallies(&db, UserId::new(), Some("brief"), &[&cold_template])
        .await
        .unwrap();
    assert_eq!(brief[&cold_template].answered, 1, "{brief:?}");
    assert_eq!(brief[&cold_template].well, 0);
    let detailed =
        learning::cohort_tallies(&db, UserId::new(), Some("detailed"), &[&cold_template])
            .await
            .unwrap();
    assert!(detailed.is_empty(), "{detailed:?}");
    app.stop().await;
}

#[tokio::test]
async fn learning_is_read_by_the_user_or_an_admin_and_nobody_else() {
    let app = learning_app().await;
    let (token, user) = sign_in(&app).await;
    let (session, question) = first_question(&app, &token, "Private").await;
    json_of(
        answer(
            &app,
            &token,
            &session,
            &question,
            "Clinics book appointments online.",
        )
        .await,
        200,
    )
    .await;

    let (stranger, _) = sign_in(&app).await;
    for what in ["profile", "patterns", "effectiveness"] {
        let hidden = app
            .get_authed(&format!("/api/v1/learning/user/{user}/{what}"), &stranger)
            .await;
        expect_error(hidden, 404, "USER_NOT_FOUND").await;
    }

    let (admin, admin_id) = sign_in(&app).await;
    users::Entity::update_many()
        .col_expr(users::Column::Role, Expr::value("admin"))
        .filter(users::Column::Id.eq(admin_id.into_uuid()))
        .exec(app.auth_db().await.raw())
        .await
        .unwrap();
    let seen = learned(&app, &admin, user, "effectiveness").await;
    assert_eq!(seen["total"], 1, "{seen}");
    assert_eq!(seen["user_id"], user.to_string());
    let nobody = UserId::new();
    let missing = app
        .get_authed(&format!("/api/v1/learning/user/{nobody}/profile"), &admin)
        .await;
    expect_error(missing, 404, "USER_NOT_FOUND").await;

    let paged = learned(&app, &token, user, "effectiveness?limit=1&offset=1").await;
    assert_eq!(paged["items"], json!([]));
    assert_eq!(paged["total"], 1);
    let refused = app
        .get_authed(
            &format!("/api/v1/learning/user/{user}/effectiveness?limit=0"),
            &token,
        )
        .await;
    expect_error(refused, 400, "INVALID_QUERY").await;
    let unauthenticated = app
        .get(&format!("/api/v1/learning/user/{user}/profile"))
        .await;
    assert_eq!(unauthenticated.status(), 401);
    app.stop().await;
}
