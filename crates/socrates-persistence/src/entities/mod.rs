//! SeaORM entities, one module per table, mirroring the `migration` crate column for column.
//!
//! Entities are storage shapes, not domain types: text columns that hold enums stay `String`
//! here and are converted by the repositories, and no entity ever reaches the wire.

pub mod auth;
pub mod specs;
pub mod specs_extra;
