//! `knowledge_base`: a project's documents — upload (plain text, Markdown, PDF), list, delete —
//! and full-text search over them.
//!
//! An upload is read on the blocking pool (PDF text extraction, chunking and term counting are
//! CPU work), then the reasoner proposes facts from its first [`FACT_CHUNKS`] chunks (source
//! `document`, with the document's id), judged against the project's facts like any answer.
//! The document, its chunks, their postings, the facts, the conflicts holding the contradicting
//! ones and the new maturity are written in **one** transaction: a failure writes nothing.
//! The same bytes uploaded twice to a project are refused by a unique index.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use socrates_domain::documents::{
    self, DocumentKind, DocumentRefusal, MAX_DOCUMENT_BYTES, MAX_FILENAME_CHARS,
};
use socrates_domain::{Code, DocumentId, FactDraft, FactSource, PageOffset, ProjectId};
use socrates_infra::clock::Clock;
use socrates_persistence::SpecsDb;
use socrates_persistence::repositories::knowledge::{self, NewChunk, NewDocument};
use socrates_persistence::repositories::specifications::{self, Specification};
use socrates_persistence::repositories::{Page, projects};
use socrates_reasoner::offline::OfflineData;
use socrates_reasoner::{DocumentExcerpt, ExtractionInput, Reasoner};
use uuid::Uuid;

use crate::agent::{Action, ActionSet, Agent, AgentContext, AgentError};
use crate::agents::common::{
    FACT_WRITE_ATTEMPTS, Origin, ensure_writable, existing_facts, lost_fact_race, owned_project,
    record_maturity_with,
};
use crate::agents::drafts;
use crate::agents::views::{ConflictView, FactView, RejectedView};
use crate::usage::{self, UsageContext};
use crate::view_cache::ProjectViews;

mod pdf;

/// The agent id.
pub const ID: &str = "knowledge_base";

/// The most characters of a document's text that are indexed; the rest is kept out of search
/// and said so (`truncated`).
pub const MAX_INDEXED_CHARS: usize = 2_000_000;

/// Facts are proposed from the document's first chunks only (about 32 000 characters): a
/// model reads each chunk in one call, so the cost of an upload stays bounded.
pub const FACT_CHUNKS: usize = 40;

/// How many chunks the reasoner reads at once.
pub const PARALLEL_EXTRACTIONS: usize = 4;

/// The most results a search returns.
pub const MAX_SEARCH_RESULTS: u64 = 20;

/// The longest search query, in characters.
pub const MAX_QUERY_CHARS: usize = 500;

/// `upload-document`.
#[derive(Debug, Clone)]
pub struct UploadDocument {
    /// The project.
    pub project_id: ProjectId,
    /// The file's name as sent.
    pub filename: String,
    /// The media type it was sent as, if any.
    pub media_type: Option<String>,
    /// Its bytes (at most [`MAX_DOCUMENT_BYTES`]).
    pub bytes: Vec<u8>,
}

/// `documents`.
#[derive(Debug, Clone, Copy)]
pub struct ListDocuments {
    /// The project.
    pub project_id: ProjectId,
    /// Rows per page (1–100, default 50).
    pub limit: Option<u64>,
    /// Rows to skip.
    pub offset: Option<PageOffset>,
}

/// `delete-document`.
#[derive(Debug, Clone, Copy)]
pub struct DeleteDocument {
    /// The project.
    pub project_id: ProjectId,
    /// The document.
    pub document_id: DocumentId,
}

/// `search`.
#[derive(Debug, Clone)]
pub struct SearchDocuments {
    /// The project.
    pub project_id: ProjectId,
    /// What to look for.
    pub query: String,
    /// How many results at most (1–20, default 5).
    pub limit: Option<u64>,
}

/// A document as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentView {
    /// Its id.
    pub document_id: DocumentId,
    /// Its file name.
    pub filename: String,
    /// What it is.
    pub kind: DocumentKind,
    /// Its size as uploaded, in bytes.
    pub file_size: u64,
    /// The SHA-256 of its bytes, in hex.
    pub content_sha256: String,
    /// How many chunks it was cut into.
    pub chunks: u32,
    /// How many facts were proposed from it.
    pub facts_proposed: u32,
    /// When it was uploaded.
    pub uploaded_at: chrono::DateTime<chrono::Utc>,
}

impl From<knowledge::Document> for DocumentView {
    fn from(document: knowledge::Document) -> Self {
        Self {
            document_id: document.id,
            filename: document.filename,
            kind: document.kind,
            file_size: document.file_size,
            content_sha256: document.content_sha256,
            chunks: document.chunk_count,
            facts_proposed: document.facts_proposed,
            uploaded_at: document.uploaded_at,
        }
    }
}

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Uploaded {
    /// The document.
    pub document: DocumentView,
    /// How many characters of text it holds (as indexed).
    pub characters: u64,
    /// Whether its text was longer than [`MAX_INDEXED_CHARS`] and cut there.
    pub truncated: bool,
    /// The facts saved from it (source `document`).
    pub specifications: Vec<FactView>,
    /// Statements that could not become facts, with the reason.
    pub rejected: Vec<RejectedView>,
    /// The open conflicts holding its contradicting statements.
    pub conflicts: Vec<ConflictView>,
    /// The project's maturity after it.
    pub maturity_score: f64,
}

/// A page of documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentList {
    /// Newest first.
    pub documents: Vec<DocumentView>,
    /// How many the project holds.
    pub total: u64,
    /// The page size.
    pub limit: u64,
    /// Rows skipped.
    pub offset: u64,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    /// The document.
    pub document_id: DocumentId,
    /// Its file name.
    pub filename: String,
    /// The chunk's place in it, from 0.
    pub chunk: u32,
    /// The BM25 score, higher is better.
    pub score: f64,
    /// The words around the first match.
    pub snippet: String,
}

/// The results of a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// The query as searched: its distinct stemmed terms.
    pub terms: Vec<String>,
    /// Best first.
    pub results: Vec<SearchHit>,
}

/// The agent; see the module documentation.
#[derive(Debug, Clone)]
pub struct KnowledgeBase {
    db: SpecsDb,
    reasoner: Arc<dyn Reasoner>,
    offline: Arc<OfflineData>,
    clock: Arc<dyn Clock>,
    views: ProjectViews,
}

fn refused(refusal: &DocumentRefusal) -> AgentError {
    let code = match refusal {
        DocumentRefusal::UnsupportedType { .. }
        | DocumentRefusal::BinaryText { .. }
        | DocumentRefusal::NotAPdf { .. } => Code::UnsupportedMediaType,
        DocumentRefusal::Empty { .. } => Code::ValidationError,
    };
    AgentError::Refused {
        code,
        message: refusal.to_string(),
        details: None,
    }
}

fn invalid(message: impl Into<String>) -> AgentError {
    AgentError::Refused {
        code: Code::ValidationError,
        message: message.into(),
        details: None,
    }
}

/// The name kept for an uploaded file: its last path component, trimmed, at most
/// [`MAX_FILENAME_CHARS`] characters.
fn clean_filename(raw: &str) -> Result<String, AgentError> {
    let name = raw
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>();
    if name.is_empty() {
        return Err(invalid("the file needs a name (multipart `filename`)"));
    }
    if name.chars().count() > MAX_FILENAME_CHARS {
        return Err(invalid(format!(
            "the file name is longer than {MAX_FILENAME_CHARS} characters"
        )));
    }
    Ok(name)
}

/// A document read: its kind, text, chunks and digest.
struct Read {
    kind: DocumentKind,
    text: String,
    characters: u64,
    truncated: bool,
    chunks: Vec<NewChunk>,
    sha256: String,
}

/// Reads `bytes` (CPU work: run on the blocking pool).
fn read(filename: &str, media_type: Option<&str>, bytes: &[u8]) -> Result<Read, DocumentRefusal> {
    let kind = documents::detect_kind(filename, media_type, bytes)?;
    let text = match kind {
        DocumentKind::Pdf => documents::readable(filename, pdf::text(filename, bytes)?)?,
        DocumentKind::Text | DocumentKind::Markdown => documents::text_of(filename, bytes)?,
    };
    let (text, truncated) = match text.char_indices().nth(MAX_INDEXED_CHARS) {
        Some((cut, _)) => (text[..cut].to_owned(), true),
        None => (text, false),
    };
    let chunks = documents::chunk(&text)
        .into_iter()
        .map(|content| {
            let (frequencies, length) = documents::term_frequencies(&content);
            NewChunk {
                content,
                length,
                frequencies,
            }
        })
        .collect();
    Ok(Read {
        kind,
        characters: u64::try_from(text.chars().count()).unwrap_or(u64::MAX),
        text,
        truncated,
        chunks,
        sha256: format!("{:x}", Sha256::digest(bytes)),
    })
}

impl KnowledgeBase {
    /// The agent over the specs database and the reasoner that proposes facts.
    #[must_use]
    pub fn new(
        db: SpecsDb,
        reasoner: Arc<dyn Reasoner>,
        offline: Arc<OfflineData>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            db,
            reasoner,
            offline,
            clock,
            views: ProjectViews::uncached(),
        }
    }

    /// Drops the project's cached views in `views` after every upload.
    #[must_use]
    pub fn with_views(mut self, views: ProjectViews) -> Self {
        self.views = views;
        self
    }

    async fn project(
        &self,
        context: &AgentContext,
        id: ProjectId,
    ) -> Result<projects::Project, AgentError> {
        owned_project(&self.db, context, id).await
    }

    async fn upload(
        &self,
        context: &AgentContext,
        request: UploadDocument,
    ) -> Result<Uploaded, AgentError> {
        if request.bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(AgentError::Refused {
                code: Code::PayloadTooLarge,
                message: format!("a document may hold at most {MAX_DOCUMENT_BYTES} bytes"),
                details: None,
            });
        }
        let filename = clean_filename(&request.filename)?;
        let project = self.project(context, request.project_id).await?;
        ensure_writable(&project)?;
        let name = filename.clone();
        let media_type = request.media_type;
        let bytes = request.bytes;
        let file_size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        let read = tokio::task::spawn_blocking(move || read(&name, media_type.as_deref(), &bytes))
            .await
            .map_err(|error| AgentError::Internal(format!("reading the document: {error}")))?
            .map_err(|refusal| refused(&refusal))?;
        let id = DocumentId::new();
        let attribution = UsageContext {
            user_id: context.user_id,
            project_id: Some(project.id),
            session_id: None,
        };
        let mut current = specifications::all_current(&self.db, project.id).await?;
        let mut existing = existing_facts(&current);
        // A model reads several chunks at once (bounded), so a long document stays within the
        // request's deadline; the facts keep the document's order.
        let extractions: Vec<socrates_reasoner::Extraction> = futures_util::stream::iter(
            read.chunks
                .iter()
                .take(FACT_CHUNKS)
                .map(|chunk| chunk.content.clone())
                .collect::<Vec<String>>(),
        )
        .map(|text| {
            let input = ExtractionInput {
                question_text: None,
                question_category: None,
                text,
                existing: existing.clone(),
                source: FactSource::Document,
            };
            let reasoner = Arc::clone(&self.reasoner);
            async move { usage::attributed(attribution, reasoner.extract_facts(&input)).await }
        })
        .buffered(PARALLEL_EXTRACTIONS)
        .try_collect()
        .await?;
        let mut drafts: Vec<FactDraft> = Vec::new();
        for draft in extractions
            .into_iter()
            .flat_map(|extraction| extraction.facts)
        {
            if !drafts.contains(&draft) {
                drafts.push(draft);
            }
        }
        let origin = Origin {
            project_id: project.id,
            session_id: None,
            source: FactSource::Document,
            source_id: Some(id.into_uuid()),
            created_by: context.user_id,
        };
        let mut attempt = 1;
        loop {
            let findings = usage::attributed(
                attribution,
                self.reasoner.judge_conflicts(&drafts, &existing),
            )
            .await?;
            let written = Box::pin(self.write_upload(
                &origin, id, &filename, file_size, &read, &drafts, &findings, &current,
            ))
            .await;
            match written {
                Err(error) if attempt < FACT_WRITE_ATTEMPTS && lost_fact_race(&error) => {
                    attempt += 1;
                    current = specifications::all_current(&self.db, project.id).await?;
                    existing = existing_facts(&current);
                }
                Err(AgentError::Database(socrates_persistence::DbError::AlreadyExists {
                    entity: knowledge::ENTITY,
                })) => {
                    return Err(AgentError::Refused {
                        code: Code::DocumentAlreadyUploaded,
                        message: format!(
                            "\"{filename}\" holds the same bytes as a document already in this \
                             project"
                        ),
                        details: None,
                    });
                }
                written => return written,
            }
        }
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one upload's parts, written together"
    )]
    async fn write_upload(
        &self,
        origin: &Origin,
        id: DocumentId,
        filename: &str,
        file_size: u64,
        read: &Read,
        drafts: &[FactDraft],
        findings: &[socrates_domain::ConflictFinding],
        current: &[Specification],
    ) -> Result<Uploaded, AgentError> {
        let knowledge = self.offline.knowledge();
        let planned = drafts::plan(knowledge, origin, drafts, findings, current);
        let now = self.clock.now();
        let tx = self.db.begin().await?;
        let document = knowledge::insert(
            &tx,
            NewDocument {
                id,
                project_id: origin.project_id,
                user_id: origin.created_by,
                filename: filename.to_owned(),
                kind: read.kind,
                file_size,
                content_sha256: read.sha256.clone(),
                content: read.text.clone(),
                chunks: read.chunks.clone(),
                facts_proposed: u32::try_from(drafts.len()).unwrap_or(u32::MAX),
            },
            now,
        )
        .await?;
        let rejected = planned.rejected.clone();
        let written = planned
            .write(&tx, knowledge, origin, drafts, findings, now)
            .await?;
        let report = record_maturity_with(
            &tx,
            origin.project_id,
            "document",
            Some(id.into_uuid()),
            now,
            socrates_persistence::repositories::Writes::new(),
        )
        .await?;
        tx.commit().await?;
        self.views.invalidate(origin.project_id).await;
        Ok(Uploaded {
            document: document.into(),
            characters: read.characters,
            truncated: read.truncated,
            specifications: written.saved.iter().map(FactView::from).collect(),
            rejected,
            conflicts: written.conflicts,
            maturity_score: report.overall,
        })
    }

    async fn list(
        &self,
        context: &AgentContext,
        request: ListDocuments,
    ) -> Result<DocumentList, AgentError> {
        let project = self.project(context, request.project_id).await?;
        let page = Page::new(request.limit, request.offset.map(PageOffset::get));
        let (documents, total) = knowledge::list(&self.db, project.id, page).await?;
        Ok(DocumentList {
            documents: documents.into_iter().map(Into::into).collect(),
            total,
            limit: page.limit,
            offset: page.offset,
        })
    }

    async fn delete(
        &self,
        context: &AgentContext,
        request: DeleteDocument,
    ) -> Result<(), AgentError> {
        let project = self.project(context, request.project_id).await?;
        ensure_writable(&project)?;
        if knowledge::delete(&self.db, project.id, request.document_id).await? {
            Ok(())
        } else {
            Err(AgentError::not_found(
                Code::DocumentNotFound,
                format!("Document not found: {}", request.document_id),
            ))
        }
    }

    async fn search(
        &self,
        context: &AgentContext,
        request: SearchDocuments,
    ) -> Result<SearchResults, AgentError> {
        let query = request.query.trim();
        if query.is_empty() || query.chars().count() > MAX_QUERY_CHARS {
            return Err(invalid(format!(
                "`q` must hold 1–{MAX_QUERY_CHARS} characters"
            )));
        }
        let limit = request.limit.unwrap_or(5).clamp(1, MAX_SEARCH_RESULTS);
        let project = self.project(context, request.project_id).await?;
        let (terms, hits) = best_chunks(
            &self.db,
            project.id,
            query,
            usize::try_from(limit).unwrap_or(5),
        )
        .await?;
        Ok(SearchResults {
            results: hits
                .into_iter()
                .map(|(chunk, score)| SearchHit {
                    snippet: documents::snippet(&chunk.content, &terms),
                    document_id: chunk.document_id,
                    filename: chunk.filename,
                    chunk: chunk.ordinal,
                    score: (score * 10_000.0).round() / 10_000.0,
                })
                .collect(),
            terms,
        })
    }
}

/// The chunks of the project best matching `query`, best first, at most `limit`, with the
/// query's terms.
///
/// # Errors
/// The database's.
pub(crate) async fn best_chunks(
    db: &SpecsDb,
    project_id: ProjectId,
    query: &str,
    limit: usize,
) -> Result<(Vec<String>, Vec<(knowledge::FoundChunk, f64)>), AgentError> {
    let terms = documents::query_terms(query);
    let postings = knowledge::postings(db, project_id, &terms).await?;
    if postings.is_empty() {
        return Ok((terms, Vec::new()));
    }
    let corpus = knowledge::corpus(db, project_id).await?;
    let mut frequency: HashMap<String, u64> = HashMap::new();
    for posting in &postings {
        *frequency.entry(posting.term.clone()).or_default() += 1;
    }
    let ranked = documents::rank(&postings, &frequency, corpus, limit);
    let ids: Vec<Uuid> = ranked.iter().map(|(id, _)| *id).collect();
    let mut found: HashMap<Uuid, knowledge::FoundChunk> = knowledge::chunks_by_id(db, &ids)
        .await?
        .into_iter()
        .map(|chunk| (chunk.chunk_id, chunk))
        .collect();
    let hits = ranked
        .into_iter()
        .filter_map(|(id, score)| found.remove(&id).map(|chunk| (chunk, score)))
        .collect();
    Ok((terms, hits))
}

/// How many excerpts a model is shown.
pub(crate) const PROMPT_EXCERPTS: usize = 3;

/// The passages of the project's documents that best match `query`, for a model's prompt.
///
/// # Errors
/// The database's.
pub(crate) async fn excerpts(
    db: &SpecsDb,
    project_id: ProjectId,
    query: &str,
) -> Result<Vec<DocumentExcerpt>, AgentError> {
    let (_, hits) = best_chunks(db, project_id, query, PROMPT_EXCERPTS).await?;
    Ok(hits
        .into_iter()
        .map(|(chunk, _)| DocumentExcerpt {
            filename: chunk.filename,
            text: chunk.content,
        })
        .collect())
}

impl Agent for KnowledgeBase {
    const ID: &'static str = ID;

    fn actions(actions: &mut ActionSet<Self>) {
        actions
            .add::<UploadDocument>()
            .add::<ListDocuments>()
            .add::<DeleteDocument>()
            .add::<SearchDocuments>();
    }
}

impl Action for UploadDocument {
    type Agent = KnowledgeBase;
    type Output = Uploaded;
    const NAME: &'static str = "upload_document";
    const WRITES: bool = true;

    async fn execute(
        self,
        agent: &KnowledgeBase,
        context: &AgentContext,
    ) -> Result<Uploaded, AgentError> {
        agent.upload(context, self).await
    }
}

impl Action for ListDocuments {
    type Agent = KnowledgeBase;
    type Output = DocumentList;
    const NAME: &'static str = "documents";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &KnowledgeBase,
        context: &AgentContext,
    ) -> Result<DocumentList, AgentError> {
        agent.list(context, self).await
    }
}

impl Action for DeleteDocument {
    type Agent = KnowledgeBase;
    type Output = ();
    const NAME: &'static str = "delete_document";
    const WRITES: bool = true;

    async fn execute(
        self,
        agent: &KnowledgeBase,
        context: &AgentContext,
    ) -> Result<(), AgentError> {
        agent.delete(context, self).await
    }
}

impl Action for SearchDocuments {
    type Agent = KnowledgeBase;
    type Output = SearchResults;
    const NAME: &'static str = "search_documents";
    const WRITES: bool = false;

    async fn execute(
        self,
        agent: &KnowledgeBase,
        context: &AgentContext,
    ) -> Result<SearchResults, AgentError> {
        agent.search(context, self).await
    }
}
