//! `projects (owner_id, phase, maturity_score)` becomes `projects (owner_id, phase)`.
//!
//! Every answer stores the project's recomputed maturity. With `maturity_score` in an index,
//! none of those updates could be heap-only: each one wrote a new entry into all five of the
//! table's indexes (measured under the journey load: 11 750 updates, 0 heap-only). No query
//! filters or sorts projects by maturity; the listing's phase filter keeps its index.

use crate::common::{create_indexes, drop_index, index};
use sea_orm_migration::prelude::*;

const PROJECTS: &str = "projects";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, PROJECTS, "idx_projects_owner_phase_maturity").await?;
        create_indexes(
            manager,
            vec![index(PROJECTS, "owner_phase", &["owner_id", "phase"])],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, PROJECTS, "idx_projects_owner_phase").await?;
        create_indexes(
            manager,
            vec![index(
                PROJECTS,
                "owner_phase_maturity",
                &["owner_id", "phase", "maturity_score"],
            )],
        )
        .await
    }
}
