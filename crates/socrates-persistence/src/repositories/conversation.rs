//! The conversation of each session in `socrates_specs.conversation_history`: questions,
//! answers, messages, replies and system notes, append-only.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, EntityTrait, NotSet, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Set,
};
use socrates_domain::{ConversationRole, MessageKind, ProjectId, QuestionId, SessionId};

use super::{Page, Writes, parse_stored};
use crate::db::{Conn, Specs};
use crate::entities::specs::conversation_history;
use crate::error::DbError;

const ENTITY: &str = "conversation entry";

/// One stored entry of a conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationEntry {
    /// The entry's sequence number (increasing with insertion).
    pub id: i64,
    /// The session it belongs to.
    pub session_id: SessionId,
    /// The session's project.
    pub project_id: ProjectId,
    /// Who spoke.
    pub role: ConversationRole,
    /// What kind of entry it is.
    pub kind: MessageKind,
    /// The text.
    pub content: String,
    /// The question it asks or answers, if any.
    pub question_id: Option<QuestionId>,
    /// Free-form details (extracted facts, detected conflicts, suggestions…).
    pub metadata: Option<serde_json::Value>,
    /// When it was said.
    pub created_at: DateTime<Utc>,
}

/// What is needed to append an entry.
#[derive(Debug, Clone)]
pub struct NewConversationEntry {
    /// The session it belongs to.
    pub session_id: SessionId,
    /// The session's project.
    pub project_id: ProjectId,
    /// Who speaks.
    pub role: ConversationRole,
    /// What kind of entry it is.
    pub kind: MessageKind,
    /// The text.
    pub content: String,
    /// The question it asks or answers, if any.
    pub question_id: Option<QuestionId>,
    /// Free-form details.
    pub metadata: Option<serde_json::Value>,
}

fn to_record(model: conversation_history::Model) -> Result<ConversationEntry, DbError> {
    Ok(ConversationEntry {
        id: model.id,
        session_id: SessionId::from_uuid(model.session_id),
        project_id: ProjectId::from_uuid(model.project_id),
        role: parse_stored(ENTITY, &model.role)?,
        kind: parse_stored(ENTITY, &model.kind)?,
        content: model.content,
        question_id: model.question_id.map(QuestionId::from_uuid),
        metadata: model.metadata,
        created_at: model.created_at,
    })
}

fn active_model(
    new: NewConversationEntry,
    now: DateTime<Utc>,
) -> conversation_history::ActiveModel {
    conversation_history::ActiveModel {
        id: NotSet,
        session_id: Set(new.session_id.into_uuid()),
        project_id: Set(new.project_id.into_uuid()),
        role: Set(new.role.as_str().to_owned()),
        kind: Set(new.kind.as_str().to_owned()),
        content: Set(new.content),
        question_id: Set(new.question_id.map(QuestionId::into_uuid)),
        metadata: Set(new.metadata),
        created_at: Set(now),
    }
}

/// Appends entries to conversations as **one** multi-row insert, sent with another statement
/// (see [`Writes`]); their sequence numbers increase in the order given (a question before its
/// answer).
pub fn append_all_later(entries: Vec<NewConversationEntry>, now: DateTime<Utc>) -> Writes {
    if entries.is_empty() {
        return Writes::new();
    }
    Writes::one(
        conversation_history::Entity::insert_many(
            entries.into_iter().map(|new| active_model(new, now)),
        )
        .into_query(),
    )
}

/// Appends entries to conversations now, as one multi-row insert.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn append_all(
    db: &impl Conn<Specs>,
    entries: Vec<NewConversationEntry>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    super::execute(db.raw(), append_all_later(entries, now)).await?;
    Ok(())
}

/// A page of a session's conversation, oldest first, and the session's total.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_for_session(
    db: &impl Conn<Specs>,
    session_id: SessionId,
    page: Page,
) -> Result<(Vec<ConversationEntry>, u64), DbError> {
    let query = conversation_history::Entity::find()
        .filter(conversation_history::Column::SessionId.eq(session_id.into_uuid()));
    let total = query.clone().count(db.raw()).await?;
    let rows = query
        .order_by_asc(conversation_history::Column::CreatedAt)
        .order_by_asc(conversation_history::Column::Id)
        .limit(page.limit)
        .offset(page.offset)
        .all(db.raw())
        .await?;
    let entries = rows
        .into_iter()
        .map(to_record)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((entries, total))
}

/// The last `count` entries of a session's conversation, oldest first: the context a direct-chat
/// reply is written in.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn recent_for_session(
    db: &impl Conn<Specs>,
    session_id: SessionId,
    count: u64,
) -> Result<Vec<ConversationEntry>, DbError> {
    let rows = conversation_history::Entity::find()
        .filter(conversation_history::Column::SessionId.eq(session_id.into_uuid()))
        .order_by_desc(conversation_history::Column::Id)
        .limit(count)
        .all(db.raw())
        .await?;
    let mut entries = rows
        .into_iter()
        .map(to_record)
        .collect::<Result<Vec<_>, _>>()?;
    entries.reverse();
    Ok(entries)
}

/// Deletes up to `batch` conversation entries written before `cutoff`, oldest first, and
/// returns how many went. Callers repeat until it returns less than `batch`, so no single
/// statement holds locks on a large part of the table.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete_older_than(
    db: &impl Conn<Specs>,
    cutoff: DateTime<Utc>,
    batch: u64,
) -> Result<u64, DbError> {
    let oldest = sea_orm::sea_query::Query::select()
        .column(conversation_history::Column::Id)
        .from(conversation_history::Entity)
        .and_where(conversation_history::Column::CreatedAt.lt(cutoff))
        .order_by(conversation_history::Column::CreatedAt, sea_orm::Order::Asc)
        .limit(batch)
        .to_owned();
    let deleted = conversation_history::Entity::delete_many()
        .filter(conversation_history::Column::Id.in_subquery(oldest))
        .exec(db.raw())
        .await?;
    Ok(deleted.rows_affected)
}
