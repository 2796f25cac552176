//! The kinds of language-model provider Socrates can talk to.

use crate::string_enum::string_enum;

string_enum! {
    /// A language-model provider. `anthropic` is accepted for `claude` and `local` for `ollama`.
    pub enum LlmProviderKind as "LLM provider" {
        /// Anthropic Messages API.
        Claude = "claude" | "anthropic",
        /// OpenAI or any OpenAI-compatible server.
        Openai = "openai",
        /// A local Ollama server.
        Ollama = "ollama" | "local",
        /// The built-in deterministic reasoner: no network, no cost.
        Offline = "offline",
    }
}

impl LlmProviderKind {
    /// Whether calls to this provider leave the process (and may cost money or time out).
    #[must_use]
    pub const fn uses_network(self) -> bool {
        !matches!(self, Self::Offline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_values_and_aliases() {
        let stored: Vec<&str> = LlmProviderKind::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(stored, ["claude", "openai", "ollama", "offline"]);
        assert_eq!("anthropic".parse(), Ok(LlmProviderKind::Claude));
        assert_eq!("local".parse(), Ok(LlmProviderKind::Ollama));
        assert!("gemini".parse::<LlmProviderKind>().is_err());
        assert_eq!(
            serde_json::to_string(&LlmProviderKind::Openai).unwrap(),
            "\"openai\""
        );
        let parsed: LlmProviderKind = serde_json::from_str("\"anthropic\"").unwrap();
        assert_eq!(parsed, LlmProviderKind::Claude);
    }

    #[test]
    fn only_offline_stays_local() {
        assert!(!LlmProviderKind::Offline.uses_network());
        assert!(LlmProviderKind::Ollama.uses_network());
        assert!(LlmProviderKind::Claude.uses_network());
    }
}
