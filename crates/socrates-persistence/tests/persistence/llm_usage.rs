//! LLM usage rows: batches stored in one statement, totals per user over a period.

use socrates_domain::{LlmProviderKind, UserId};
use socrates_persistence::repositories::llm_usage::{self, NewUsage, UsageTotals};
use socrates_persistence::testing::TestDatabases;

use super::support::{self, at};

fn usage(user: UserId, input: u32, output: u32, cost: f64, seconds: i64) -> NewUsage {
    NewUsage {
        user_id: user,
        project_id: None,
        session_id: None,
        provider: LlmProviderKind::Claude,
        model: "claude-sonnet-4-5".to_owned(),
        operation: "extract_facts".to_owned(),
        tokens_input: input,
        tokens_output: output,
        cost_usd: cost,
        latency_ms: 850,
        success: true,
        error_code: None,
        created_at: at(seconds),
    }
}

#[tokio::test]
async fn usage_batches_are_stored_and_summed_per_user_and_period() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let project = support::project(db).await;
    let user = project.owner_id;
    let other = UserId::new();

    llm_usage::record_many(db, &[]).await.unwrap();
    let mut attributed = usage(user, 1_000, 500, 0.0105, 20);
    attributed.project_id = Some(project.id);
    let mut failed = usage(user, 0, 0, 0.0, 30);
    failed.success = false;
    failed.error_code = Some("LLM_TIMEOUT".to_owned());
    llm_usage::record_many(
        db,
        &[
            usage(user, 400, 100, 0.0027, 5),
            attributed,
            failed,
            usage(other, 9_999, 9_999, 1.0, 25),
        ],
    )
    .await
    .unwrap();

    let totals = llm_usage::totals_for_user(db, user, at(10)).await.unwrap();
    assert_eq!(
        (totals.calls, totals.tokens_input, totals.tokens_output),
        (2, 1_000, 500)
    );
    assert!((totals.cost_usd - 0.0105).abs() < 1e-9, "{totals:?}");
    let all = llm_usage::totals_for_user(db, user, at(0)).await.unwrap();
    assert_eq!((all.calls, all.tokens_input), (3, 1_400));
    let nobody = llm_usage::totals_for_user(db, UserId::new(), at(0))
        .await
        .unwrap();
    assert_eq!(nobody, UsageTotals::default());
}
