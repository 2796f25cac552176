//! The database, not only the application, keeps a project's current facts consistent under
//! concurrent writes: `specifications.value_slot` and a partial unique index over
//! `(project_id, category, key, value_slot) WHERE is_current`.
//!
//! The application writes the slot (`socrates_domain::ValueSlot`): the empty string for a
//! single-valued key, so two current values of one such key cannot exist however the writes
//! interleave, and a digest of the normalised value for a multi-valued key, so the same value
//! cannot be current twice. The writer that loses a race gets a unique violation, reads again
//! and is judged again (a conflict, an already-known fact or the next version).
//!
//! Likewise `conflicts.pending_slot` under a partial unique index over
//! `(project_id, pending_category, pending_key, pending_slot) WHERE status = 'open'`: one open
//! conflict per contradicted fact and held value, however many writers state it at once.
//!
//! Rows written before this migration get their own id as slot: they stay as they were
//! (duplicates included) and never block a new write; their next version takes a real slot.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema;

use crate::common::{create_indexes, drop_index, unique_index};

const SPECIFICATIONS: &str = "specifications";
const CONFLICTS: &str = "conflicts";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_slot(manager, SPECIFICATIONS, "value_slot").await?;
        add_slot(manager, CONFLICTS, "pending_slot").await?;
        let mut current = unique_index(
            SPECIFICATIONS,
            "current_value",
            &["project_id", "category", "key", "value_slot"],
        );
        current.and_where(Expr::col("is_current").eq(true));
        let mut open = unique_index(
            CONFLICTS,
            "open_pending",
            &[
                "project_id",
                "pending_category",
                "pending_key",
                "pending_slot",
            ],
        );
        open.and_where(Expr::col("status").eq("open"));
        create_indexes(manager, vec![current, open]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, CONFLICTS, "uq_conflicts_open_pending").await?;
        drop_index(manager, SPECIFICATIONS, "uq_specifications_current_value").await?;
        for (table, column) in [(CONFLICTS, "pending_slot"), (SPECIFICATIONS, "value_slot")] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Adds the slot column to `table`, every existing row taking its own id as slot.
async fn add_slot(
    manager: &SchemaManager<'_>,
    table: &'static str,
    column: &'static str,
) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(table)
                .add_column(schema::string_len(column, 64).default(""))
                .to_owned(),
        )
        .await?;
    let own_id = match manager.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => "lower(hex(id))",
        _ => "id::text",
    };
    manager
        .get_connection()
        .execute_unprepared(&format!("UPDATE {table} SET {column} = {own_id}"))
        .await?;
    Ok(())
}
