//! The `migrate` subcommand: up, down, status and fresh, per database or both.

use anyhow::bail;
use socrates_persistence::{Database, DatabaseKind};

use crate::cli::{MigrateAction, MigrateArgs, TargetDatabase};
use crate::settings::{Environment, Settings};
use crate::startup::connect_databases;

/// Runs one migration command and reports what it did on standard output.
pub async fn run(settings: &Settings, args: &MigrateArgs) -> anyhow::Result<()> {
    if matches!(args.action, MigrateAction::Fresh)
        && settings.environment == Environment::Production
        && !args.destroy_all_data
    {
        bail!("`migrate fresh` drops every table; in production it also needs --destroy-all-data");
    }
    let (auth_db, specs_db) = connect_databases(settings).await?;
    if matches!(args.db, TargetDatabase::Auth | TargetDatabase::All) {
        apply(&auth_db, args).await?;
    }
    if matches!(args.db, TargetDatabase::Specs | TargetDatabase::All) {
        apply(&specs_db, args).await?;
    }
    auth_db.close().await?;
    specs_db.close().await?;
    Ok(())
}

#[expect(
    clippy::print_stdout,
    reason = "the migrate command reports to the operator's terminal"
)]
async fn apply<K: DatabaseKind>(database: &Database<K>, args: &MigrateArgs) -> anyhow::Result<()> {
    match args.action {
        MigrateAction::Up => {
            let pending = database.pending_migrations().await?;
            database.migrate_up().await?;
            println!("{}: applied {} migration(s)", K::NAME, pending.len());
            for name in pending {
                println!("  + {name}");
            }
        }
        MigrateAction::Down => {
            let steps = if args.all { None } else { Some(args.steps) };
            let before = applied(database).await?;
            database.migrate_down(steps).await?;
            let after = applied(database).await?;
            println!(
                "{}: rolled back {} migration(s)",
                K::NAME,
                before.len() - after.len()
            );
            for name in before.iter().filter(|name| !after.contains(name)).rev() {
                println!("  - {name}");
            }
        }
        MigrateAction::Fresh => {
            database.migrate_fresh().await?;
            println!(
                "{}: dropped every table and applied all migrations",
                K::NAME
            );
        }
        MigrateAction::Status => {
            println!("{} ({})", K::NAME, database.backend().as_str());
            for state in database.migration_status().await? {
                let mark = if state.applied { "applied" } else { "pending" };
                println!("  {mark:<8} {}", state.name);
            }
        }
    }
    Ok(())
}

async fn applied<K: DatabaseKind>(database: &Database<K>) -> anyhow::Result<Vec<String>> {
    Ok(database
        .migration_status()
        .await?
        .into_iter()
        .filter(|state| state.applied)
        .map(|state| state.name)
        .collect())
}
