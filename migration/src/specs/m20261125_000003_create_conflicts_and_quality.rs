//! `conflicts`, `quality_metrics` and `maturity_tracking`.
//!
//! A conflict holds the pending new fact (category, key, value, confidence, source) until the
//! user resolves it, so `replace` and `merge` can apply it later and nothing the user said is
//! lost. `maturity_tracking` is append-only: one row per recomputation, with the per-category
//! breakdown as JSON.

use super::m20261125_000002_create_conversation_and_facts::{CATEGORIES, FACT_SOURCES};
use crate::common::{
    check_in, check_range, create_indexes, drop_tables, enum_text, foreign_key, id, index, json,
    json_null, timestamp, timestamp_null, uuid, uuid_null,
};
use sea_orm_migration::{prelude::*, schema};

const CONFLICTS: &str = "conflicts";
const QUALITY: &str = "quality_metrics";
const MATURITY: &str = "maturity_tracking";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CONFLICTS)
                    .col(id())
                    .col(uuid("project_id"))
                    .col(uuid_null("session_id"))
                    .col(enum_text("conflict_type", "requirement"))
                    .col(enum_text("severity", "medium"))
                    .col(enum_text("status", "open"))
                    .col(uuid_null("old_spec_id"))
                    .col(schema::string_len("pending_category", 32))
                    .col(schema::string_len("pending_key", 255))
                    .col(schema::text("pending_value"))
                    .col(schema::double("pending_confidence"))
                    .col(enum_text("pending_source", "direct_input"))
                    .col(uuid_null("pending_source_id"))
                    .col(schema::text_null("pending_reasoning"))
                    .col(schema::text("description"))
                    .col(schema::string_len("detected_by", 64))
                    .col(json_null("options"))
                    .col(schema::string_len_null("resolution", 32))
                    .col(schema::text_null("merged_value"))
                    .col(schema::text_null("resolution_notes"))
                    .col(uuid_null("resolved_by"))
                    .col(timestamp_null("resolved_at"))
                    .col(uuid_null("resulting_spec_id"))
                    .col(uuid_null("created_by"))
                    .col(timestamp("detected_at"))
                    .col(timestamp("updated_at"))
                    .check(check_in(
                        CONFLICTS,
                        "conflict_type",
                        &[
                            "technology",
                            "requirement",
                            "timeline",
                            "resource",
                            "compatibility",
                        ],
                    ))
                    .check(check_in(
                        CONFLICTS,
                        "severity",
                        &["low", "medium", "high", "critical"],
                    ))
                    .check(check_in(
                        CONFLICTS,
                        "status",
                        &["open", "resolved", "ignored"],
                    ))
                    .check(check_in(CONFLICTS, "pending_category", CATEGORIES))
                    .check(check_in(CONFLICTS, "pending_source", FACT_SOURCES))
                    .check(check_range(CONFLICTS, "pending_confidence", 0.0, 1.0))
                    .check(Check::named(
                        "ck_conflicts_resolution",
                        Expr::col("resolution")
                            .is_null()
                            .or(Expr::col("resolution").is_in(["keep_old", "replace", "merge"])),
                    ))
                    .foreign_key(&mut foreign_key(
                        CONFLICTS,
                        "project_id",
                        "projects",
                        ForeignKeyAction::Cascade,
                    ))
                    .foreign_key(&mut foreign_key(
                        CONFLICTS,
                        "session_id",
                        "sessions",
                        ForeignKeyAction::SetNull,
                    ))
                    .foreign_key(&mut foreign_key(
                        CONFLICTS,
                        "old_spec_id",
                        "specifications",
                        ForeignKeyAction::SetNull,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(QUALITY)
                    .col(id())
                    .col(uuid("project_id"))
                    .col(schema::string_len("metric_type", 64))
                    .col(schema::double("metric_value"))
                    .col(schema::double_null("threshold"))
                    .col(schema::boolean("passed"))
                    .col(json_null("details"))
                    .col(timestamp("calculated_at"))
                    .foreign_key(&mut foreign_key(
                        QUALITY,
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
                    .table(MATURITY)
                    .col(id())
                    .col(uuid("project_id"))
                    .col(schema::double("maturity_score"))
                    .col(json("coverage"))
                    .col(schema::integer("facts_count"))
                    .col(schema::string_len("reason", 64))
                    .col(uuid_null("source_id"))
                    .col(timestamp("calculated_at"))
                    .check(check_range(MATURITY, "maturity_score", 0.0, 100.0))
                    .foreign_key(&mut foreign_key(
                        MATURITY,
                        "project_id",
                        "projects",
                        ForeignKeyAction::Cascade,
                    ))
                    .take(),
            )
            .await?;
        create_indexes(
            manager,
            vec![
                index(
                    CONFLICTS,
                    "project_status",
                    &["project_id", "status", "detected_at"],
                ),
                index(CONFLICTS, "old_spec_id", &["old_spec_id"]),
                index(
                    QUALITY,
                    "project_type",
                    &["project_id", "metric_type", "calculated_at"],
                ),
                index(
                    MATURITY,
                    "project_calculated",
                    &["project_id", "calculated_at"],
                ),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &[MATURITY, QUALITY, CONFLICTS]).await
    }
}
