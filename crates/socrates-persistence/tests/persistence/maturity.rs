//! The maturity history: appended, read back newest first.

use socrates_domain::{Category, compute_maturity};
use socrates_persistence::repositories::maturity;
use socrates_persistence::testing::TestDatabases;
use uuid::Uuid;

use super::support::{self, at};

#[tokio::test]
async fn maturity_reports_are_recorded_and_read_back_newest_first() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let project = support::project(db).await;
    let other = support::project(db).await;
    assert!(
        maturity::history(db, project.id, 10)
            .await
            .unwrap()
            .is_empty()
    );

    let empty = compute_maturity(Vec::new());
    let first = maturity::record(db, project.id, &empty, "project_created", None, at(1))
        .await
        .unwrap();
    assert_eq!((first.maturity_score, first.facts_count), (0.0, 0));

    let report = compute_maturity([
        (Category::Goals, 0.9),
        (Category::Goals, 0.5),
        (Category::Security, 0.4),
    ]);
    let source = Uuid::now_v7();
    let second = maturity::record(db, project.id, &report, "answer", Some(source), at(2))
        .await
        .unwrap();
    assert_eq!(second.project_id, project.id);
    assert_eq!(second.maturity_score, report.overall);
    assert_eq!(second.maturity_score, 2.0);
    assert_eq!(second.facts_count, 3);
    assert_eq!(second.reason, "answer");
    assert_eq!(second.source_id, Some(source));
    assert_eq!(second.calculated_at, at(2));
    assert_eq!(
        second.coverage,
        serde_json::to_value(&report.categories).unwrap()
    );
    let coverage = second.coverage.as_array().unwrap();
    assert_eq!(coverage.len(), Category::ALL.len());
    assert_eq!(coverage[0]["category"], "goals");
    assert_eq!(coverage[0]["fact_count"], 2);

    maturity::record(db, other.id, &report, "answer", None, at(3))
        .await
        .unwrap();

    let history = maturity::history(db, project.id, 10).await.unwrap();
    assert_eq!(history, [second.clone(), first]);
    assert_eq!(
        maturity::history(db, project.id, 1).await.unwrap(),
        [second]
    );
}
