//! Accounts and rotating refresh tokens in the auth database.

use socrates_domain::{Email, RefreshTokenId, TokenFamilyId, UserId, UserRole, UserStatus};
use socrates_persistence::DbError;
use socrates_persistence::repositories::password_resets;
use socrates_persistence::repositories::refresh_tokens::{self, NewRefreshToken, RefreshToken};
use socrates_persistence::repositories::users::{self, NewUser};
use socrates_persistence::testing::TestDatabases;

use super::support::{self, at, token_hash};

#[tokio::test]
async fn users_are_created_found_and_unique_by_email() {
    let databases = TestDatabases::new().await;
    let db = &databases.auth;
    let user = support::user(db, "Alice@Example.com").await;
    assert_eq!(user.email, "alice@example.com");
    assert_eq!(
        (user.status, user.role),
        (UserStatus::Active, UserRole::User)
    );
    assert!(!user.is_verified);
    assert_eq!(user.last_login_at, None);
    assert_eq!((user.created_at, user.updated_at), (at(0), at(0)));

    let duplicate = NewUser {
        email: Email::parse("ALICE@example.COM").unwrap(),
        password_hash: "other".to_owned(),
        name: Some("Impostor".to_owned()),
    };
    let error = users::create(db, duplicate, at(1)).await.unwrap_err();
    assert!(
        matches!(error, DbError::AlreadyExists { entity: "user" }),
        "{error:?}"
    );

    let by_email = users::find_by_email(db, &Email::parse("alice@EXAMPLE.com").unwrap())
        .await
        .unwrap();
    assert_eq!(by_email.as_ref(), Some(&user));
    let unknown = Email::parse("bob@example.com").unwrap();
    assert_eq!(users::find_by_email(db, &unknown).await.unwrap(), None);
    assert_eq!(
        users::find_by_id(db, user.id).await.unwrap(),
        Some(user.clone())
    );
    assert_eq!(users::find_by_id(db, UserId::new()).await.unwrap(), None);

    users::record_login(db, user.id, at(60)).await.unwrap();
    let logged_in = users::find_by_id(db, user.id).await.unwrap().unwrap();
    assert_eq!(logged_in.last_login_at, Some(at(60)));
    assert_eq!(logged_in.updated_at, at(60));
    assert_eq!(logged_in.created_at, at(0));

    let missing = users::record_login(db, UserId::new(), at(61))
        .await
        .unwrap_err();
    assert!(
        matches!(missing, DbError::NotFound { entity: "user" }),
        "{missing:?}"
    );
}

#[tokio::test]
async fn password_and_status_changes_are_stored() {
    let databases = TestDatabases::new().await;
    let db = &databases.auth;
    let user = support::user(db, "carol@example.com").await;
    users::set_password_hash(db, user.id, "new-hash".to_owned(), at(5))
        .await
        .unwrap();
    users::set_status(db, user.id, UserStatus::Suspended, at(6))
        .await
        .unwrap();
    let stored = users::find_by_id(db, user.id).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, "new-hash");
    assert_eq!(stored.status, UserStatus::Suspended);
    assert_eq!(stored.updated_at, at(6));
}

fn token(user_id: UserId, family_id: TokenFamilyId, seed: u64, expires: i64) -> NewRefreshToken {
    NewRefreshToken {
        user_id,
        family_id,
        token_hash: token_hash(seed),
        expires_at: at(expires),
        user_agent: Some("tests".to_owned()),
        ip_address: Some("127.0.0.1".to_owned()),
    }
}

async fn reload(db: &socrates_persistence::AuthDb, token: &RefreshToken) -> RefreshToken {
    refresh_tokens::find_by_hash(db, &token.token_hash)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn refresh_tokens_rotate_once_and_revoke_by_family_and_user() {
    let databases = TestDatabases::new().await;
    let db = &databases.auth;
    let alice = support::user(db, "alice@example.com").await.id;
    let bob = support::user(db, "bob@example.com").await.id;
    let family = TokenFamilyId::new();

    let first = refresh_tokens::insert(db, token(alice, family, 1, 3600), at(0))
        .await
        .unwrap();
    assert_eq!(reload(db, &first).await, first);
    assert_eq!((first.revoked, first.expires_at), (false, at(3600)));
    assert_eq!(
        refresh_tokens::find_by_hash(db, &token_hash(99))
            .await
            .unwrap(),
        None
    );
    let duplicate = refresh_tokens::insert(db, token(alice, family, 1, 3600), at(0)).await;
    assert!(
        matches!(duplicate, Err(DbError::AlreadyExists { .. })),
        "{duplicate:?}"
    );

    let second = refresh_tokens::insert(db, token(alice, family, 2, 3600), at(10))
        .await
        .unwrap();
    assert!(
        refresh_tokens::mark_rotated(db, first.id, second.id, at(10))
            .await
            .unwrap()
    );
    // A second rotation of the same token loses: the caller treats it as reuse.
    let third_id = RefreshTokenId::new();
    assert!(
        !refresh_tokens::mark_rotated(db, first.id, third_id, at(11))
            .await
            .unwrap()
    );
    let rotated = reload(db, &first).await;
    assert!(rotated.revoked);
    assert_eq!(rotated.revoked_at, Some(at(10)));
    assert_eq!(rotated.replaced_by, Some(second.id));

    // Family: `first` is already revoked, so only `second` and `third` are counted.
    let third = refresh_tokens::insert(db, token(alice, family, 3, 3600), at(20))
        .await
        .unwrap();
    let other_family =
        refresh_tokens::insert(db, token(alice, TokenFamilyId::new(), 4, 3600), at(20))
            .await
            .unwrap();
    let bobs = refresh_tokens::insert(db, token(bob, TokenFamilyId::new(), 5, 3600), at(20))
        .await
        .unwrap();
    assert_eq!(
        refresh_tokens::revoke_family(db, family, at(30))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        refresh_tokens::revoke_family(db, family, at(31))
            .await
            .unwrap(),
        0
    );
    assert!(reload(db, &second).await.revoked);
    assert_eq!(reload(db, &third).await.revoked_at, Some(at(30)));
    assert!(!reload(db, &other_family).await.revoked);

    assert_eq!(
        refresh_tokens::revoke_all_for_user(db, alice, at(40))
            .await
            .unwrap(),
        1
    );
    assert!(reload(db, &other_family).await.revoked);
    assert!(
        !reload(db, &bobs).await.revoked,
        "another user's token was revoked"
    );
    assert!(refresh_tokens::revoke(db, bobs.id, at(41)).await.unwrap());
    assert!(!refresh_tokens::revoke(db, bobs.id, at(42)).await.unwrap());
}

#[tokio::test]
async fn only_wholly_expired_token_families_are_deleted_in_batches() {
    let databases = TestDatabases::new().await;
    let db = &databases.auth;
    let user = support::user(db, "dave@example.com").await.id;

    // A rotated token past its own expiry whose successor is still live: presenting it again
    // must still reveal the theft, so it stays.
    let family = TokenFamilyId::new();
    let rotated = refresh_tokens::insert(db, token(user, family, 1, 100), at(0))
        .await
        .unwrap();
    let successor = refresh_tokens::insert(db, token(user, family, 2, 1000), at(50))
        .await
        .unwrap();
    assert!(
        refresh_tokens::mark_rotated(db, rotated.id, successor.id, at(50))
            .await
            .unwrap()
    );
    // A family whose every token has expired goes, in batches.
    let expired_family = TokenFamilyId::new();
    let mut expired = Vec::new();
    for seed in 3..6 {
        let token = token(
            user,
            expired_family,
            seed,
            100 + i64::try_from(seed).unwrap(),
        );
        expired.push(refresh_tokens::insert(db, token, at(0)).await.unwrap());
    }

    let now = at(200);
    assert_eq!(
        refresh_tokens::delete_expired_families(db, now, 2)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        refresh_tokens::delete_expired_families(db, now, 2)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        refresh_tokens::delete_expired_families(db, now, 2)
            .await
            .unwrap(),
        0
    );
    for gone in &expired {
        assert_eq!(
            refresh_tokens::find_by_hash(db, &gone.token_hash)
                .await
                .unwrap(),
            None
        );
    }
    let kept = reload(db, &rotated).await;
    assert_eq!((kept.revoked, kept.replaced_by), (true, Some(successor.id)));
    assert_eq!(reload(db, &successor).await, successor);

    // Once the successor has expired too, the whole family goes.
    assert_eq!(
        refresh_tokens::delete_expired_families(db, at(1001), 10)
            .await
            .unwrap(),
        2
    );
}

#[tokio::test]
async fn used_and_expired_reset_requests_are_deleted_in_batches() {
    let databases = TestDatabases::new().await;
    let db = &databases.auth;
    let user = support::user(db, "erin@example.com").await.id;
    let expired = password_resets::insert(db, user, token_hash(1), at(100), at(0))
        .await
        .unwrap();
    let used = password_resets::insert(db, user, token_hash(2), at(1000), at(0))
        .await
        .unwrap();
    assert!(password_resets::consume(db, used.id, at(10)).await.unwrap());
    let live = password_resets::insert(db, user, token_hash(3), at(1000), at(0))
        .await
        .unwrap();

    let now = at(200);
    for expected in [1, 1, 0] {
        assert_eq!(
            password_resets::delete_spent(db, now, 1).await.unwrap(),
            expected
        );
    }
    for gone in [&expired, &used] {
        assert_eq!(
            password_resets::find_by_hash(db, &gone.token_hash)
                .await
                .unwrap(),
            None
        );
    }
    assert_eq!(
        password_resets::find_by_hash(db, &live.token_hash)
            .await
            .unwrap(),
        Some(live)
    );
}
