//! The one place that turns a configured provider into its client.

use std::sync::Arc;

use socrates_domain::LlmProviderKind;

use crate::claude::ClaudeClient;
use crate::client::LlmClient;
use crate::config::ProviderConfig;
use crate::error::LlmError;
use crate::ollama::OllamaClient;
use crate::openai::OpenAiClient;

/// Builds the client for `provider` from `config`. The offline provider has no client (it
/// is the agents' built-in reasoner), so asking for one is a configuration error.
pub fn build_client(
    provider: LlmProviderKind,
    config: ProviderConfig,
) -> Result<Arc<dyn LlmClient>, LlmError> {
    Ok(match provider {
        LlmProviderKind::Claude => Arc::new(ClaudeClient::new(config)?),
        LlmProviderKind::Openai => Arc::new(OpenAiClient::new(config)?),
        LlmProviderKind::Ollama => Arc::new(OllamaClient::new(config)?),
        LlmProviderKind::Offline => {
            return Err(LlmError::Configuration(
                "the offline provider runs without an LLM client".to_owned(),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_factory_builds_each_network_provider() {
        for provider in [
            LlmProviderKind::Claude,
            LlmProviderKind::Openai,
            LlmProviderKind::Ollama,
        ] {
            let config = ProviderConfig::new(provider, "some-model").with_api_key("sk-test-key");
            let client = build_client(provider, config).unwrap();
            assert_eq!(client.provider(), provider);
            assert_eq!(client.model(), "some-model");
        }
    }

    #[test]
    fn the_factory_refuses_what_cannot_work() {
        let offline = ProviderConfig::new(LlmProviderKind::Offline, "none");
        assert!(matches!(
            build_client(LlmProviderKind::Offline, offline),
            Err(LlmError::Configuration(_))
        ));
        let keyless = ProviderConfig::new(LlmProviderKind::Claude, "claude-sonnet-4-5");
        assert!(matches!(
            build_client(LlmProviderKind::Claude, keyless),
            Err(LlmError::Configuration(_))
        ));
        let no_model = ProviderConfig::new(LlmProviderKind::Ollama, " ");
        assert!(matches!(
            build_client(LlmProviderKind::Ollama, no_model),
            Err(LlmError::Configuration(_))
        ));
        let bad_url =
            ProviderConfig::new(LlmProviderKind::Openai, "gpt-4o").with_base_url("localhost");
        assert!(matches!(
            build_client(LlmProviderKind::Openai, bad_url),
            Err(LlmError::Configuration(_))
        ));
    }
}
