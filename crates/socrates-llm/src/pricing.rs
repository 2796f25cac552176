//! Token prices, so every call's [`Usage`](crate::Usage) carries its cost.

use std::collections::HashMap;

use socrates_domain::LlmProviderKind;

/// The price of one model, in US dollars per 1 000 tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelPrice {
    /// USD per 1 000 input (prompt) tokens.
    pub input_per_1k: f64,
    /// USD per 1 000 output (completion) tokens.
    pub output_per_1k: f64,
}

impl ModelPrice {
    /// A model that costs nothing (local models).
    pub const FREE: Self = Self {
        input_per_1k: 0.0,
        output_per_1k: 0.0,
    };

    /// A price from its two rates.
    #[must_use]
    pub const fn new(input_per_1k: f64, output_per_1k: f64) -> Self {
        Self {
            input_per_1k,
            output_per_1k,
        }
    }

    /// The cost of a call with these token counts.
    #[must_use]
    pub fn cost(self, input_tokens: u32, output_tokens: u32) -> f64 {
        f64::from(input_tokens) * self.input_per_1k / 1000.0
            + f64::from(output_tokens) * self.output_per_1k / 1000.0
    }
}

/// Prices per provider and model, with a default per provider for models not listed. The
/// caller fills it from settings; [`PriceTable::default`] holds the reference figures.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceTable {
    provider_defaults: HashMap<LlmProviderKind, ModelPrice>,
    models: HashMap<(LlmProviderKind, String), ModelPrice>,
}

impl PriceTable {
    /// A table where everything is free until prices are added.
    #[must_use]
    pub fn empty() -> Self {
        Self {
            provider_defaults: HashMap::new(),
            models: HashMap::new(),
        }
    }

    /// Sets the price of every model of `provider` that has no price of its own.
    pub fn set_provider_default(&mut self, provider: LlmProviderKind, price: ModelPrice) {
        self.provider_defaults.insert(provider, price);
    }

    /// Sets the price of one model.
    pub fn set_model_price(
        &mut self,
        provider: LlmProviderKind,
        model: impl Into<String>,
        price: ModelPrice,
    ) {
        self.models.insert((provider, model.into()), price);
    }

    /// The price of `model`: its own, else the provider's default, else free.
    #[must_use]
    pub fn price(&self, provider: LlmProviderKind, model: &str) -> ModelPrice {
        self.models
            .get(&(provider, model.to_owned()))
            .or_else(|| self.provider_defaults.get(&provider))
            .copied()
            .unwrap_or(ModelPrice::FREE)
    }

    /// The cost in USD of a call to `model` with these token counts.
    #[must_use]
    pub fn cost(
        &self,
        provider: LlmProviderKind,
        model: &str,
        input_tokens: u32,
        output_tokens: u32,
    ) -> f64 {
        self.price(provider, model)
            .cost(input_tokens, output_tokens)
    }
}

impl Default for PriceTable {
    /// The reference prices of the original system: Claude 0.003 / 0.015 USD and OpenAI
    /// 0.01 / 0.03 USD per 1 000 input / output tokens; Ollama and offline are free.
    fn default() -> Self {
        let mut table = Self::empty();
        table.set_provider_default(LlmProviderKind::Claude, ModelPrice::new(0.003, 0.015));
        table.set_provider_default(LlmProviderKind::Openai, ModelPrice::new(0.01, 0.03));
        table.set_provider_default(LlmProviderKind::Ollama, ModelPrice::FREE);
        table.set_provider_default(LlmProviderKind::Offline, ModelPrice::FREE);
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 1e-12, "{actual} != {expected}");
    }

    /// Digest appendix A10: a Claude call with 1 000 input and 500 output tokens costs
    /// 0.003 + 0.0075 = 0.0105 USD.
    #[test]
    fn claude_oracle_from_the_digest() {
        let table = PriceTable::default();
        assert_close(
            table.cost(LlmProviderKind::Claude, "claude-sonnet-4-5", 1000, 500),
            0.0105,
        );
    }

    #[test]
    fn openai_and_local_defaults() {
        let table = PriceTable::default();
        assert_close(
            table.cost(LlmProviderKind::Openai, "gpt-4o", 1000, 1000),
            0.04,
        );
        assert_close(
            table.cost(LlmProviderKind::Ollama, "llama3.2", 5000, 5000),
            0.0,
        );
        assert_close(table.cost(LlmProviderKind::Offline, "offline", 10, 10), 0.0);
    }

    #[test]
    fn a_model_price_beats_the_provider_default() {
        let mut table = PriceTable::default();
        table.set_model_price(
            LlmProviderKind::Openai,
            "gpt-4o-mini",
            ModelPrice::new(0.00015, 0.0006),
        );
        assert_close(
            table.cost(LlmProviderKind::Openai, "gpt-4o-mini", 2000, 1000),
            0.0009,
        );
        assert_close(table.cost(LlmProviderKind::Openai, "gpt-4o", 1000, 0), 0.01);
        assert_close(
            PriceTable::empty().cost(LlmProviderKind::Claude, "any", 1000, 1000),
            0.0,
        );
    }
}
