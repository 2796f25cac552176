//! One module per resource; each exposes a `configure` function that registers its routes.

pub mod auth;
pub mod conflicts;
pub mod health;
pub mod projects;
pub mod sessions;
pub mod specifications;
