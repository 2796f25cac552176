//! The release this binary was built as: reported by `/health`, traces and error reports.

/// The release version reported by health and logs.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
