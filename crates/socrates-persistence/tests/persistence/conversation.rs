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
    let entry = |session, role, kind, content| support::entry(session, None, role, kind, content);

    // Written out of time order on purpose; two entries share one instant.
    let mut late = entry(
        &session,
        ConversationRole::Assistant,
        MessageKind::Reply,
        "late",
    );
    late.metadata = Some(json!({"specs_extracted": 2}));
    support::write_conversation(db, &session, vec![late], at(30)).await;
    let first = entry(
        &session,
        ConversationRole::Assistant,
        MessageKind::Question,
        "first",
    );
    support::write_conversation(db, &session, vec![first], at(10)).await;
    let tied_a = entry(
        &session,
        ConversationRole::User,
        MessageKind::Answer,
        "tied a",
    );
    support::write_conversation(db, &session, vec![tied_a], at(20)).await;
    let tied_b = entry(
        &session,
        ConversationRole::System,
        MessageKind::ConflictAlert,
        "tied b",
    );
    support::write_conversation(db, &session, vec![tied_b], at(20)).await;
    let elsewhere = entry(
        &other,
        ConversationRole::User,
        MessageKind::Message,
        "elsewhere",
    );
    support::write_conversation(db, &other, vec![elsewhere], at(0)).await;

    let (entries, total) = conversation::list_for_session(db, session.id, Page::default())
        .await
        .unwrap();
    assert_eq!(total, 4);
    let contents: Vec<_> = entries.iter().map(|e| e.content.as_str()).collect();
    assert_eq!(contents, ["first", "tied a", "tied b", "late"]);
    assert!(entries[1].id < entries[2].id, "ties keep insertion order");
    assert_eq!(
        (entries[0].created_at, entries[0].role, entries[0].kind),
        (at(10), ConversationRole::Assistant, MessageKind::Question)
    );
    assert_eq!(entries[3].metadata, Some(json!({"specs_extracted": 2})));
    assert_eq!(entries[3].created_at, at(30));
    assert!(entries.iter().all(|e| e.session_id == session.id));

    let (window, total) =
        conversation::list_for_session(db, session.id, Page::new(Some(2), Some(1)))
            .await
            .unwrap();
    assert_eq!(total, 4);
    assert_eq!(window, entries[1..3]);
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
    support::write_conversation(db, &session, pair, at(7)).await;
    support::write_conversation(db, &session, Vec::new(), at(8)).await;
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
