//! Data written through one pool is there for a fresh connection to the same databases.

use socrates_domain::{Category, Email};
use socrates_persistence::repositories::{specifications, users};
use socrates_persistence::testing::TestDatabases;
use socrates_persistence::{AuthDb, SpecsDb};

use super::support::{self, at};

#[tokio::test]
async fn data_survives_closing_and_reconnecting() {
    let TestDatabases { auth, specs, urls } = TestDatabases::new().await;
    let user = support::user(&auth, "durable@example.com").await;
    let project = support::project_of(&specs, user.id, "Durable").await;
    let new = support::fact(project.id, Category::Goals, "purpose", "Keep data");
    let fact = specifications::insert(&specs, new, at(1)).await.unwrap();
    auth.close().await.unwrap();
    specs.close().await.unwrap();

    let (auth_options, specs_options) = urls.options();
    let auth = AuthDb::connect(&auth_options).await.unwrap();
    let specs = SpecsDb::connect(&specs_options).await.unwrap();
    assert!(auth.pending_migrations().await.unwrap().is_empty());
    let email = Email::parse("durable@example.com").unwrap();
    assert_eq!(
        users::find_by_email(&auth, &email).await.unwrap(),
        Some(user)
    );
    assert_eq!(
        specifications::all_current(&specs, project.id)
            .await
            .unwrap(),
        [fact]
    );
    auth.close().await.unwrap();
    specs.close().await.unwrap();
}
