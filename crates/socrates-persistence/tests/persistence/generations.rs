//! Code generation jobs in the database: one generation running per project, the claim with a
//! lease, a job whose worker died taken over after the lease and completed once, retries and
//! the final failure.

use socrates_domain::{GenerationStatus, Stack};
use socrates_persistence::repositories::generations::{
    self, FactVersion, NewFile, NewGeneration, Requested,
};
use socrates_persistence::testing::TestDatabases;
use uuid::Uuid;

use super::support::{self, at};

fn new_generation(
    project: &socrates_persistence::repositories::projects::Project,
) -> NewGeneration {
    NewGeneration {
        project_id: project.id,
        requested_by: project.owner_id,
        spec_fingerprint: "ab".repeat(32),
        fact_versions: vec![FactVersion {
            spec_id: Uuid::now_v7(),
            version: 1,
        }],
        stack: Stack::PythonFastapi,
    }
}

fn files() -> Vec<NewFile> {
    vec![
        NewFile {
            path: "README.md".to_owned(),
            content: "# One\n\ntwo\n".to_owned(),
            spec_ids: vec![Uuid::now_v7()],
        },
        NewFile {
            path: "app/main.py".to_owned(),
            content: "print('hi')\n".to_owned(),
            spec_ids: Vec::new(),
        },
    ]
}

#[tokio::test]
async fn a_job_whose_worker_died_is_taken_over_after_its_lease_and_completes_once() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let project = support::project(db).await;
    let Requested::Created(generation) = generations::request(db, new_generation(&project), at(0))
        .await
        .unwrap()
    else {
        panic!("a new generation");
    };
    assert_eq!(generation.status, GenerationStatus::Pending);
    assert_eq!(generation.generation_version, 1);
    // A second request while it runs returns it.
    assert_eq!(
        generations::request(db, new_generation(&project), at(1))
            .await
            .unwrap(),
        Requested::AlreadyRunning(generation.clone())
    );

    // Worker A claims it with a lease to t=10 and dies.
    let first = generations::claim(db, "a", at(10), at(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((first.generation_id, first.attempt), (generation.id, 1));
    assert_eq!(
        generations::find(db, generation.id)
            .await
            .unwrap()
            .unwrap()
            .status,
        GenerationStatus::InProgress
    );
    // Within the lease nobody else gets it.
    assert!(
        generations::claim(db, "b", at(20), at(5))
            .await
            .unwrap()
            .is_none()
    );
    // After it, worker B does.
    let second = generations::claim(db, "b", at(30), at(11))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((second.generation_id, second.attempt), (generation.id, 2));
    // A wakes up: its heartbeat and its completion are refused, nothing is written.
    assert!(
        !generations::heartbeat(db, &first, "a", at(40), 50, at(12))
            .await
            .unwrap()
    );
    assert!(
        !generations::complete(db, &first, "a", files(), at(12))
            .await
            .unwrap()
    );
    assert!(
        generations::files_of(db, generation.id)
            .await
            .unwrap()
            .is_empty()
    );
    // B finishes; the project can generate again.
    assert!(
        generations::heartbeat(db, &second, "b", at(40), 50, at(13))
            .await
            .unwrap()
    );
    assert!(
        generations::complete(db, &second, "b", files(), at(14))
            .await
            .unwrap()
    );
    assert!(
        !generations::complete(db, &second, "b", files(), at(15))
            .await
            .unwrap()
    );
    let done = generations::find(db, generation.id).await.unwrap().unwrap();
    assert_eq!(done.status, GenerationStatus::Completed);
    assert_eq!(
        (done.total_files, done.total_lines, done.progress_percent),
        (2, 4, 100)
    );
    assert_eq!(
        generations::files_of(db, generation.id)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        generations::claim(db, "c", at(100), at(50))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        generations::latest_completed(db, project.id)
            .await
            .unwrap()
            .unwrap()
            .id,
        generation.id
    );
    let Requested::Created(next) = generations::request(db, new_generation(&project), at(60))
        .await
        .unwrap()
    else {
        panic!("a second generation once the first completed");
    };
    assert_eq!(next.generation_version, 2);
}

#[tokio::test]
async fn a_failing_job_is_retried_later_then_fails_with_its_reason() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let project = support::project(db).await;
    let Requested::Created(generation) = generations::request(db, new_generation(&project), at(0))
        .await
        .unwrap()
    else {
        panic!("a new generation");
    };
    let mut now = 1;
    for attempt in 1..=3 {
        let job = generations::claim(db, "w", at(now + 60), at(now))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(job.attempt, attempt);
        let status = generations::fail(
            db,
            &job,
            "w",
            "the disk is full",
            false,
            at(now + 5),
            at(now),
        )
        .await
        .unwrap();
        if attempt < 3 {
            assert_eq!(status, GenerationStatus::Pending);
            // Not before its retry time.
            assert!(
                generations::claim(db, "w", at(now + 60), at(now + 1))
                    .await
                    .unwrap()
                    .is_none()
            );
        } else {
            assert_eq!(status, GenerationStatus::Failed);
        }
        now += 10;
    }
    let failed = generations::find(db, generation.id).await.unwrap().unwrap();
    assert_eq!(failed.status, GenerationStatus::Failed);
    assert_eq!(failed.error_message.as_deref(), Some("the disk is full"));
    assert!(
        generations::claim(db, "w", at(1_000), at(500))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        generations::active_for_project(db, project.id)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn concurrent_requests_for_one_project_make_one_generation() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let project = support::project(db).await;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let db = db.clone();
        let new = new_generation(&project);
        tasks.push(tokio::spawn(async move {
            generations::request(&db, new, at(0)).await
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    let ids: std::collections::BTreeSet<_> = results
        .into_iter()
        .map(|r| match r.unwrap() {
            Requested::Created(g) | Requested::AlreadyRunning(g) => g.id,
        })
        .collect();
    assert_eq!(ids.len(), 1);
}
