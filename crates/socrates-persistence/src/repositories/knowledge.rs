//! A project's knowledge base in `socrates_specs`: `knowledge_base_documents` (one row per
//! uploaded document, with its extracted text), `knowledge_chunks` (the pieces searched) and
//! `knowledge_terms` (per chunk, how often each search term occurs). The ranking itself is the
//! domain's ([`socrates_domain::documents::rank`]), over the counts read here, so both
//! backends give the same results.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use socrates_domain::documents::{CorpusStats, DocumentKind, Posting};
use socrates_domain::{DocumentId, ProjectId, UserId};
use uuid::Uuid;

use super::Page;
use crate::db::{Conn, Specs};
use crate::entities::specs_extra::{
    knowledge_base_documents as documents, knowledge_chunks as chunks, knowledge_terms as terms,
};
use crate::error::DbError;

/// The entity name in errors.
pub const ENTITY: &str = "knowledge_base_document";

/// Rows per multi-row insert: well under both backends' limits on bound values.
const BATCH: usize = 1_000;

/// A chunk to store: its text, its length in terms and its terms' frequencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChunk {
    /// The text.
    pub content: String,
    /// Its length in terms.
    pub length: u32,
    /// How often each term occurs.
    pub frequencies: HashMap<String, u32>,
}

/// A document to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    /// Its id (chosen before the write, so the facts drawn from it can name it).
    pub id: DocumentId,
    /// The project.
    pub project_id: ProjectId,
    /// Who uploaded it.
    pub user_id: UserId,
    /// Its file name.
    pub filename: String,
    /// What it is.
    pub kind: DocumentKind,
    /// Its size as uploaded, in bytes.
    pub file_size: u64,
    /// The SHA-256 of its bytes, in hex.
    pub content_sha256: String,
    /// Its text (as indexed).
    pub content: String,
    /// Its chunks, in order.
    pub chunks: Vec<NewChunk>,
    /// How many facts were proposed from it.
    pub facts_proposed: u32,
}

/// A stored document (without its text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Its id.
    pub id: DocumentId,
    /// The project.
    pub project_id: ProjectId,
    /// Who uploaded it.
    pub user_id: UserId,
    /// Its file name.
    pub filename: String,
    /// What it is.
    pub kind: DocumentKind,
    /// Its size as uploaded, in bytes.
    pub file_size: u64,
    /// The SHA-256 of its bytes, in hex.
    pub content_sha256: String,
    /// How many chunks it was cut into.
    pub chunk_count: u32,
    /// How many facts were proposed from it.
    pub facts_proposed: u32,
    /// When it was uploaded.
    pub uploaded_at: DateTime<Utc>,
}

fn to_document(model: documents::Model) -> Result<Document, DbError> {
    let kind = DocumentKind::ALL
        .into_iter()
        .find(|kind| kind.media_type() == model.content_type)
        .ok_or_else(|| DbError::corrupt(ENTITY, "unknown content type"))?;
    Ok(Document {
        id: DocumentId::from_uuid(model.id),
        project_id: ProjectId::from_uuid(model.project_id),
        user_id: UserId::from_uuid(model.user_id),
        filename: model.filename,
        kind,
        file_size: u64::try_from(model.file_size).unwrap_or(0),
        content_sha256: model.content_sha256,
        chunk_count: u32::try_from(model.chunk_count).unwrap_or(0),
        facts_proposed: u32::try_from(model.facts_proposed).unwrap_or(0),
        uploaded_at: model.uploaded_at,
    })
}

fn stored(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// Stores `new` with its chunks and postings. Run it in the transaction that also stores the
/// facts drawn from it. The same bytes already in the project are refused with
/// [`DbError::AlreadyExists`].
#[tracing::instrument(level = "debug", skip_all, fields(chunks = new.chunks.len()))]
pub async fn insert(
    db: &impl Conn<Specs>,
    new: NewDocument,
    now: DateTime<Utc>,
) -> Result<Document, DbError> {
    let id = new.id.into_uuid();
    let project_id = new.project_id.into_uuid();
    let model = documents::ActiveModel {
        id: Set(id),
        project_id: Set(project_id),
        user_id: Set(new.user_id.into_uuid()),
        filename: Set(new.filename),
        file_size: Set(i64::try_from(new.file_size).unwrap_or(i64::MAX)),
        content_type: Set(new.kind.media_type().to_owned()),
        content_sha256: Set(new.content_sha256),
        content: Set(Some(new.content)),
        uploaded_at: Set(now),
        chunk_count: Set(i32::try_from(new.chunks.len()).unwrap_or(i32::MAX)),
        facts_proposed: Set(stored(new.facts_proposed)),
    };
    let document = documents::Entity::insert(model)
        .exec_with_returning(db.raw())
        .await
        .map_err(|error| DbError::from_db(ENTITY, error))?;
    let mut chunk_rows = Vec::with_capacity(new.chunks.len());
    let mut term_rows = Vec::new();
    for (ordinal, chunk) in new.chunks.into_iter().enumerate() {
        let chunk_id = Uuid::now_v7();
        for (term, frequency) in chunk.frequencies {
            term_rows.push(terms::ActiveModel {
                chunk_id: Set(chunk_id),
                term: Set(term),
                project_id: Set(project_id),
                frequency: Set(stored(frequency)),
                chunk_length: Set(stored(chunk.length)),
            });
        }
        chunk_rows.push(chunks::ActiveModel {
            id: Set(chunk_id),
            document_id: Set(id),
            project_id: Set(project_id),
            ordinal: Set(i32::try_from(ordinal).unwrap_or(i32::MAX)),
            content: Set(chunk.content),
            term_count: Set(stored(chunk.length)),
            created_at: Set(now),
        });
    }
    while !chunk_rows.is_empty() {
        let rest = chunk_rows.split_off(chunk_rows.len().min(BATCH));
        chunks::Entity::insert_many(std::mem::replace(&mut chunk_rows, rest))
            .exec_without_returning(db.raw())
            .await?;
    }
    while !term_rows.is_empty() {
        let rest = term_rows.split_off(term_rows.len().min(BATCH));
        terms::Entity::insert_many(std::mem::replace(&mut term_rows, rest))
            .exec_without_returning(db.raw())
            .await?;
    }
    to_document(document)
}

/// A page of the project's documents, newest first, and how many there are.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
    page: Page,
) -> Result<(Vec<Document>, u64), DbError> {
    let query =
        documents::Entity::find().filter(documents::Column::ProjectId.eq(project_id.into_uuid()));
    let total = query.clone().count(db.raw()).await?;
    let rows = query
        .select_only()
        .columns([
            documents::Column::Id,
            documents::Column::ProjectId,
            documents::Column::UserId,
            documents::Column::Filename,
            documents::Column::FileSize,
            documents::Column::ContentType,
            documents::Column::ContentSha256,
            documents::Column::UploadedAt,
            documents::Column::ChunkCount,
            documents::Column::FactsProposed,
        ])
        // The text is not read for a listing.
        .expr_as(Expr::val(Option::<String>::None), "content")
        .order_by_desc(documents::Column::UploadedAt)
        .order_by_desc(documents::Column::Id)
        .limit(page.limit)
        .offset(page.offset)
        .into_model::<documents::Model>()
        .all(db.raw())
        .await?;
    Ok((
        rows.into_iter()
            .map(to_document)
            .collect::<Result<_, _>>()?,
        total,
    ))
}

/// Deletes the project's document `id` with its chunks and postings; whether it existed.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
    id: DocumentId,
) -> Result<bool, DbError> {
    // Its chunks and their postings go with it: the foreign keys cascade on both backends
    // (SQLite's are enforced on every connection).
    let deleted = documents::Entity::delete_many()
        .filter(documents::Column::Id.eq(id.into_uuid()))
        .filter(documents::Column::ProjectId.eq(project_id.into_uuid()))
        .exec(db.raw())
        .await?;
    Ok(deleted.rows_affected > 0)
}

#[derive(Debug, FromQueryResult)]
struct CorpusRow {
    chunks: i64,
    mean_length: Option<f64>,
}

/// How many chunks the project's knowledge base holds and their mean length in terms.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn corpus(db: &impl Conn<Specs>, project_id: ProjectId) -> Result<CorpusStats, DbError> {
    let row = chunks::Entity::find()
        .select_only()
        .expr_as(Expr::col(chunks::Column::Id).count(), "chunks")
        .expr_as(
            Expr::col(chunks::Column::TermCount).cast_as("REAL").avg(),
            "mean_length",
        )
        .filter(chunks::Column::ProjectId.eq(project_id.into_uuid()))
        .into_model::<CorpusRow>()
        .one(db.raw())
        .await?;
    Ok(row.map_or(
        CorpusStats {
            chunks: 0,
            mean_length: 0.0,
        },
        |row| CorpusStats {
            chunks: u64::try_from(row.chunks).unwrap_or(0),
            mean_length: row.mean_length.unwrap_or(0.0),
        },
    ))
}

/// The postings of `query` in the project: every (chunk, term) where a query term occurs.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn postings(
    db: &impl Conn<Specs>,
    project_id: ProjectId,
    query: &[String],
) -> Result<Vec<Posting<Uuid>>, DbError> {
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(Uuid, String, i32, i32)> = terms::Entity::find()
        .select_only()
        .columns([
            terms::Column::ChunkId,
            terms::Column::Term,
            terms::Column::Frequency,
            terms::Column::ChunkLength,
        ])
        .filter(terms::Column::ProjectId.eq(project_id.into_uuid()))
        .filter(terms::Column::Term.is_in(query.iter().cloned()))
        .into_tuple()
        .all(db.raw())
        .await?;
    Ok(rows
        .into_iter()
        .map(|(chunk, term, frequency, length)| Posting {
            chunk,
            chunk_length: u32::try_from(length).unwrap_or(0),
            term,
            frequency: u32::try_from(frequency).unwrap_or(0),
        })
        .collect())
}

/// A chunk found by a search, with its document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundChunk {
    /// The chunk.
    pub chunk_id: Uuid,
    /// Its document.
    pub document_id: DocumentId,
    /// The document's file name.
    pub filename: String,
    /// Its place in the document, from 0.
    pub ordinal: u32,
    /// Its text.
    pub content: String,
}

#[derive(Debug, FromQueryResult)]
struct FoundRow {
    id: Uuid,
    document_id: Uuid,
    filename: String,
    ordinal: i32,
    content: String,
}

/// The chunks `ids` with their documents' names, in no set order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn chunks_by_id(db: &impl Conn<Specs>, ids: &[Uuid]) -> Result<Vec<FoundChunk>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = chunks::Entity::find()
        .select_only()
        .column(chunks::Column::Id)
        .column(chunks::Column::DocumentId)
        .column(chunks::Column::Ordinal)
        .column(chunks::Column::Content)
        .column_as(
            Expr::col((documents::Entity, documents::Column::Filename)),
            "filename",
        )
        .join(
            sea_orm::JoinType::InnerJoin,
            chunks::Entity::belongs_to(documents::Entity)
                .from(chunks::Column::DocumentId)
                .to(documents::Column::Id)
                .into(),
        )
        .filter(chunks::Column::Id.is_in(ids.iter().copied()))
        .into_model::<FoundRow>()
        .all(db.raw())
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| FoundChunk {
            chunk_id: row.id,
            document_id: DocumentId::from_uuid(row.document_id),
            filename: row.filename,
            ordinal: u32::try_from(row.ordinal).unwrap_or(0),
            content: row.content,
        })
        .collect())
}
