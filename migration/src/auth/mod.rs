//! Migrations of `socrates_auth`: identity, credentials, per-user rules, provider keys, teams.

use sea_orm_migration::MigrationTrait;

mod m20261125_000001_create_users;
mod m20261125_000002_create_credentials;
mod m20261125_000003_create_audit_and_rules;
mod m20261125_000004_create_api_keys;
mod m20261125_000005_create_teams;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261125_000001_create_users::Migration),
        Box::new(m20261125_000002_create_credentials::Migration),
        Box::new(m20261125_000003_create_audit_and_rules::Migration),
        Box::new(m20261125_000004_create_api_keys::Migration),
        Box::new(m20261125_000005_create_teams::Migration),
    ]
}
