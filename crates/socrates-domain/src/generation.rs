//! Code generation: the states of a generation and the scaffolds it can produce.

use crate::string_enum::string_enum;

string_enum! {
    /// Where a code generation stands.
    pub enum GenerationStatus as "generation status" {
        /// Requested; no worker has taken it yet.
        Pending = "pending",
        /// A worker is writing the files.
        InProgress = "in_progress",
        /// Every file is written; the ZIP can be downloaded.
        Completed = "completed",
        /// It gave up; the reason is recorded.
        Failed = "failed",
    }
}

string_enum! {
    /// Which scaffold a generation writes, chosen from the tech-stack facts.
    pub enum Stack as "stack" {
        /// Python with FastAPI, tested with pytest.
        PythonFastapi = "python_fastapi",
        /// TypeScript on Node.js with Express, tested with the Node test runner.
        TypescriptExpress = "typescript_express",
        /// Rust with actix-web, tested with cargo test.
        RustActix = "rust_actix",
    }
}

impl Stack {
    /// The scaffold for the stated language and framework: Rust → actix-web; TypeScript,
    /// JavaScript or a Node framework → Express; anything else (Python, or nothing stated) →
    /// FastAPI. The second value says whether the facts named the stack or it was the default.
    #[must_use]
    pub fn choose(language: Option<&str>, framework: Option<&str>) -> (Self, bool) {
        let said = |text: Option<&str>, words: &[&str]| {
            text.map(str::to_lowercase)
                .is_some_and(|t| words.iter().any(|w| t.contains(w)))
        };
        if said(language, &["rust"]) || said(framework, &["actix", "axum", "rocket"]) {
            (Self::RustActix, true)
        } else if said(language, &["typescript", "javascript", "node"])
            || said(framework, &["express", "nest", "fastify", "koa", "node"])
        {
            (Self::TypescriptExpress, true)
        } else if said(language, &["python"]) || said(framework, &["fastapi", "django", "flask"]) {
            (Self::PythonFastapi, true)
        } else {
            (Self::PythonFastapi, false)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stack_follows_the_language_then_the_framework() {
        assert_eq!(Stack::choose(Some("Rust"), None), (Stack::RustActix, true));
        assert_eq!(
            Stack::choose(None, Some("Express")),
            (Stack::TypescriptExpress, true)
        );
        assert_eq!(
            Stack::choose(Some("Python"), Some("Django")),
            (Stack::PythonFastapi, true)
        );
        assert_eq!(
            Stack::choose(Some("Go"), None),
            (Stack::PythonFastapi, false)
        );
        assert_eq!(Stack::choose(None, None), (Stack::PythonFastapi, false));
    }
}
