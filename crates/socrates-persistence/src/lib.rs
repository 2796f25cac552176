//! Persistence of Socrates: the two typed database handles ([`AuthDb`], [`SpecsDb`]), the
//! SeaORM entities of every table and the repositories that are the only place queries are
//! written. It also runs the migrations of the `migration` crate on behalf of the server.
//!
//! It must never know about HTTP, the agents or language models: it speaks in domain types
//! and returns plain records, and no SeaORM model leaves this crate through a repository.
//! No function here touches both databases; keeping them consistent is the service layer's job.

#![warn(missing_docs)]

pub mod db;
#[expect(
    missing_docs,
    reason = "entity fields mirror the columns documented in the migration crate, one to one"
)]
pub mod entities;
pub mod error;
pub mod repositories;
#[cfg(feature = "test-support")]
pub mod testing;

pub use db::{
    Auth, AuthDb, AuthTx, Backend, Conn, Database, DatabaseKind, DatabaseOptions, MigrationState,
    PoolStatus, Specs, SpecsDb, SpecsTx, Transaction,
};
pub use error::DbError;
pub use repositories::Page;
