//! Schema migrations for the two Socrates databases, one migrator each.
//!
//! This crate owns the shape of `socrates_auth` ([`AuthMigrator`]) and `socrates_specs`
//! ([`SpecsMigrator`]): every table, column, index, foreign key and check constraint, and the
//! `down` that undoes each step. The same migrations run on SQLite (the embedded default) and on
//! PostgreSQL (production), so only portable column types are used.
//!
//! It must never know anything else of Socrates: it imports no entity, no domain type and no
//! other crate of the workspace. Allowed values of text columns (phases, roles, categories…) are
//! written out here as literal lists on purpose: a migration is a frozen record of the schema at
//! the time it was written, and the persistence tests check that the domain enums still fit.
//! No foreign key ever crosses the two databases: the auth migrator and the specs migrator never
//! reference each other's tables.

#![expect(
    elided_lifetimes_in_paths,
    reason = "`MigrationTrait` is an async_trait whose signatures only match with the elided `SchemaManager` lifetime"
)]

pub use sea_orm_migration;
pub use sea_orm_migration::prelude::*;

mod auth;
mod common;
mod specs;

/// Applies the migrations of the `socrates_auth` database in order.
pub struct AuthMigrator;

#[async_trait::async_trait]
impl MigratorTrait for AuthMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        auth::migrations()
    }
}

/// Applies the migrations of the `socrates_specs` database in order.
pub struct SpecsMigrator;

#[async_trait::async_trait]
impl MigratorTrait for SpecsMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        specs::migrations()
    }
}
