//! Confidence of an extracted fact.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::DomainError;

/// How sure the extractor is that a fact was stated: a finite number in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Confidence(f64);

impl Confidence {
    /// The input field name used in errors.
    pub const FIELD: &'static str = "confidence";

    /// Confidence given to a fact when none is stated.
    pub const DEFAULT: Self = Self(0.9);

    /// Full confidence, used for facts the user entered directly.
    pub const CERTAIN: Self = Self(1.0);

    /// Validates a confidence.
    ///
    /// # Errors
    /// Returns a [`DomainError`] on the `confidence` field when the value is NaN, infinite
    /// or outside 0..=1.
    pub fn new(value: f64) -> Result<Self, DomainError> {
        if value.is_finite() && (0.0..=1.0).contains(&value) {
            Ok(Self(value))
        } else {
            Err(DomainError::invalid(
                Self::FIELD,
                "must be a number between 0 and 1",
            ))
        }
    }

    /// The confidence as a plain number.
    #[must_use]
    pub const fn value(self) -> f64 {
        self.0
    }
}

impl Default for Confidence {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl From<Confidence> for f64 {
    fn from(confidence: Confidence) -> Self {
        confidence.0
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Confidence {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.0)
    }
}

impl<'de> Deserialize<'de> for Confidence {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = f64::deserialize(deserializer)?;
        Self::new(value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_closed_unit_interval() {
        for value in [0.0, 0.5, 0.9, 1.0] {
            assert_eq!(Confidence::new(value).unwrap().value(), value);
        }
    }

    #[test]
    fn rejects_everything_outside_it() {
        for value in [-0.01, 1.01, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let error = Confidence::new(value).unwrap_err();
            assert_eq!(error.field(), Some("confidence"));
        }
    }

    #[test]
    fn default_is_point_nine() {
        assert_eq!(Confidence::default().value(), 0.9);
        assert_eq!(f64::from(Confidence::CERTAIN), 1.0);
    }

    #[test]
    fn serde_is_a_plain_number_validated_on_input() {
        let confidence = Confidence::new(0.75).unwrap();
        assert_eq!(serde_json::to_string(&confidence).unwrap(), "0.75");
        let back: Confidence = serde_json::from_str("0.75").unwrap();
        assert_eq!(back, confidence);
        assert!(serde_json::from_str::<Confidence>("1.5").is_err());
        assert_eq!(confidence.to_string(), "0.75");
    }
}
