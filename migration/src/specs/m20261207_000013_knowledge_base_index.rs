//! The knowledge base's full-text index: documents cut into `knowledge_chunks`, and per chunk
//! the postings of its search terms in `knowledge_terms`. Ranking (BM25) is computed by the
//! service from these counts, so a search gives the same results on SQLite and PostgreSQL.
//!
//! A document is stored once per project (unique content digest), with how many chunks it
//! was cut into and how many facts were proposed from it. Deleting a document deletes its
//! chunks and their postings (foreign keys, `ON DELETE CASCADE`); deleting a project deletes
//! its documents.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema;

use crate::common::{
    create_indexes, drop_index, drop_tables, foreign_key, id, index, timestamp, unique_index, uuid,
};

const DOCUMENTS: &str = "knowledge_base_documents";
const CHUNKS: &str = "knowledge_chunks";
const TERMS: &str = "knowledge_terms";

/// Counters added to `knowledge_base_documents`, `NOT NULL DEFAULT 0`.
const COUNTERS: [&str; 2] = ["chunk_count", "facts_proposed"];

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in COUNTERS {
            manager
                .alter_table(
                    Table::alter()
                        .table(DOCUMENTS)
                        .add_column(schema::integer(column).default(0).take())
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(CHUNKS)
                    .col(id())
                    .col(uuid("document_id"))
                    .col(uuid("project_id"))
                    .col(schema::integer("ordinal"))
                    .col(schema::text("content"))
                    .col(schema::integer("term_count"))
                    .col(timestamp("created_at"))
                    .foreign_key(&mut foreign_key(
                        CHUNKS,
                        "document_id",
                        DOCUMENTS,
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        CHUNKS,
                        "project_id",
                        "projects",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TERMS)
                    .col(uuid("chunk_id"))
                    .col(uuid("project_id"))
                    .col(schema::string_len("term", 40))
                    .col(schema::integer("frequency"))
                    .col(schema::integer("chunk_length"))
                    .primary_key(Index::create().col("chunk_id").col("term"))
                    .foreign_key(&mut foreign_key(
                        TERMS,
                        "chunk_id",
                        CHUNKS,
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                unique_index(
                    DOCUMENTS,
                    "project_content",
                    &["project_id", "content_sha256"],
                ),
                unique_index(CHUNKS, "document_ordinal", &["document_id", "ordinal"]),
                index(CHUNKS, "project_id", &["project_id"]),
                index(TERMS, "project_term", &["project_id", "term"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &[TERMS, CHUNKS]).await?;
        drop_index(
            manager,
            DOCUMENTS,
            "uq_knowledge_base_documents_project_content",
        )
        .await?;
        for column in COUNTERS.into_iter().rev() {
            manager
                .alter_table(
                    Table::alter()
                        .table(DOCUMENTS)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
