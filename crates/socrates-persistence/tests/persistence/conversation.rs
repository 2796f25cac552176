//! The conversation of a session: append-only, listed oldest first.

use serde_json::json;
use socrates_domain::{ConversationRole, MessageKind};
use socrates_persistence::Page;
use socrates_persistence::repositories::conversation;
use socrates_persistence::testing::TestDatabases;

use super::support::{self, at};

#[tokio::test]
async fn entries_are_listed_oldest_first_then_in_insertion_order() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let (_, session) = support::project_and_session(db).await;
    let (_, other) = support::project_and_session(db).await;

    // Written out of time order on purpose; two entries share one instant.
    let mut late = support::entry(
        &session,
        None,
        ConversationRole::Assistant,
        MessageKind::Reply,
        "late",
    );
    late.metadata = Some(json!({"specs_extracted": 2}));
    let late = conversation::append(db, late, at(30)).await.unwrap();
    assert_eq!(late.metadata, Some(json!({"specs_extracted": 2})));
    assert_eq!(late.created_at, at(30));
    let first = conversation::append(
        db,
        support::entry(
            &session,
            None,
            ConversationRole::Assistant,
            MessageKind::Question,
            "first",
        ),
        at(10),
    )
    .await
    .unwrap();
    let tied_a = conversation::append(
        db,
        support::entry(
            &session,
            None,
            ConversationRole::User,
            MessageKind::Answer,
            "tied a",
        ),
        at(20),
    )
    .await
    .unwrap();
    let tied_b = conversation::append(
        db,
        support::entry(
            &session,
            None,
            ConversationRole::System,
            MessageKind::ConflictAlert,
            "tied b",
        ),
        at(20),
    )
    .await
    .unwrap();
    assert!(tied_a.id < tied_b.id);
    conversation::append(
        db,
        support::entry(
            &other,
            None,
            ConversationRole::User,
            MessageKind::Message,
            "elsewhere",
        ),
        at(0),
    )
    .await
    .unwrap();

    let (entries, total) = conversation::list_for_session(db, session.id, Page::default())
        .await
        .unwrap();
    assert_eq!(total, 4);
    let contents: Vec<_> = entries.iter().map(|e| e.content.as_str()).collect();
    assert_eq!(contents, ["first", "tied a", "tied b", "late"]);
    assert_eq!(entries[0], first);
    assert_eq!(entries[3], late);

    let (window, total) =
        conversation::list_for_session(db, session.id, Page::new(Some(2), Some(1)))
            .await
            .unwrap();
    assert_eq!(total, 4);
    assert_eq!(window, [tied_a, tied_b]);
}

#[tokio::test]
async fn entries_appended_together_keep_their_order_at_one_instant() {
    let databases = TestDatabases::new().await;
    let db = &databases.specs;
    let (_, session) = support::project_and_session(db).await;
    let pair = vec![
        support::entry(
            &session,
            None,
            ConversationRole::Assistant,
            MessageKind::Question,
            "the question",
        ),
        support::entry(
            &session,
            None,
            ConversationRole::User,
            MessageKind::Answer,
            "the answer",
        ),
        support::entry(
            &session,
            None,
            ConversationRole::System,
            MessageKind::ConflictAlert,
            "a note",
        ),
    ];
    conversation::append_all(db, pair, at(7)).await.unwrap();
    conversation::append_all(db, Vec::new(), at(8))
        .await
        .unwrap();
    let (entries, total) = conversation::list_for_session(db, session.id, Page::default())
        .await
        .unwrap();
    assert_eq!(total, 3);
    let contents: Vec<_> = entries.iter().map(|e| e.content.as_str()).collect();
    assert_eq!(contents, ["the question", "the answer", "a note"]);
    assert!(
        entries
            .iter()
            .all(|e| e.created_at == at(7) && e.session_id == session.id)
    );
    assert_eq!(entries[1].role, ConversationRole::User);
}
