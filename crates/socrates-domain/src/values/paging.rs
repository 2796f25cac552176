//! The size and the offset of a page of a listing.

use super::DomainError;

/// How many rows a page of a listing holds: from 1 to [`PageLimit::MAX`].
///
/// A size outside that range is a client's mistake, refused where the request is read, as the
/// API document says (`minimum: 1`, `maximum: 100`); it is not quietly clamped to something
/// the client did not ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PageLimit(u64);

impl PageLimit {
    /// The input field name used in errors.
    pub const FIELD: &'static str = "limit";

    /// The smallest page.
    pub const MIN: u64 = 1;

    /// The largest page any listing returns.
    pub const MAX: u64 = 100;

    /// The page size used when the caller does not ask for one.
    pub const DEFAULT: u64 = 50;

    /// Validates a page size.
    ///
    /// # Errors
    /// Returns a [`DomainError`] on the `limit` field when `limit` is outside
    /// [`Self::MIN`]..=[`Self::MAX`].
    pub fn new(limit: u64) -> Result<Self, DomainError> {
        if !(Self::MIN..=Self::MAX).contains(&limit) {
            return Err(DomainError::invalid(
                Self::FIELD,
                format!("must be from {} to {}", Self::MIN, Self::MAX),
            ));
        }
        Ok(Self(limit))
    }

    /// The number of rows.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl Default for PageLimit {
    fn default() -> Self {
        Self(Self::DEFAULT)
    }
}

impl serde::Serialize for PageLimit {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for PageLimit {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let limit = <u64 as serde::Deserialize>::deserialize(deserializer)?;
        Self::new(limit).map_err(<D::Error as serde::de::Error>::custom)
    }
}

/// How many rows a listing may skip: from 0 to [`PageOffset::MAX`].
///
/// The databases take the offset as a signed 64-bit number; a larger one used to reach the
/// query builder and abort the request. No listing holds anywhere near [`PageOffset::MAX`]
/// rows, so a larger offset is a client's mistake and is refused where the request is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PageOffset(u64);

impl PageOffset {
    /// The input field name used in errors.
    pub const FIELD: &'static str = "offset";

    /// The largest offset accepted (one billion rows): far below `i64::MAX`, so an offset
    /// plus a page size never overflows in either database.
    pub const MAX: u64 = 1_000_000_000;

    /// Validates an offset.
    ///
    /// # Errors
    /// Returns a [`DomainError`] on the `offset` field when `offset` is above [`Self::MAX`].
    pub fn new(offset: u64) -> Result<Self, DomainError> {
        if offset > Self::MAX {
            return Err(DomainError::invalid(
                Self::FIELD,
                format!("must be at most {}", Self::MAX),
            ));
        }
        Ok(Self(offset))
    }

    /// The number of rows to skip.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl serde::Serialize for PageOffset {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for PageOffset {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let offset = <u64 as serde::Deserialize>::deserialize(deserializer)?;
        Self::new(offset).map_err(<D::Error as serde::de::Error>::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_from_one_to_the_maximum_are_accepted_and_others_refused() {
        assert_eq!(PageLimit::new(1).unwrap().get(), 1);
        assert_eq!(PageLimit::new(PageLimit::MAX).unwrap().get(), 100);
        assert_eq!(PageLimit::default().get(), PageLimit::DEFAULT);
        for refused in [0, PageLimit::MAX + 1, 9_223_372_036_854_775_808, u64::MAX] {
            let error = PageLimit::new(refused).unwrap_err();
            assert_eq!(error.field(), Some("limit"));
            assert_eq!(error.to_string(), "limit: must be from 1 to 100");
        }
        let limit: PageLimit = serde_json::from_str("25").unwrap();
        assert_eq!(limit.get(), 25);
        assert!(serde_json::from_str::<PageLimit>("0").is_err());
        assert!(serde_json::from_str::<PageLimit>("-1").is_err());
        assert_eq!(serde_json::to_string(&limit).unwrap(), "25");
    }

    #[test]
    fn offsets_up_to_the_maximum_are_accepted() {
        assert_eq!(PageOffset::new(0).unwrap().get(), 0);
        assert_eq!(
            PageOffset::new(PageOffset::MAX).unwrap().get(),
            PageOffset::MAX
        );
        assert!(i64::try_from(PageOffset::MAX + 100).is_ok());
    }

    #[test]
    fn larger_offsets_are_refused_naming_the_field_and_the_maximum() {
        let error = PageOffset::new(PageOffset::MAX + 1).unwrap_err();
        assert_eq!(error.field(), Some("offset"));
        assert_eq!(error.to_string(), "offset: must be at most 1000000000");
        assert!(PageOffset::new(u64::MAX).is_err());
    }

    #[test]
    fn offsets_validate_when_deserialised() {
        let offset: PageOffset = serde_json::from_str("25").unwrap();
        assert_eq!(offset.get(), 25);
        let error = serde_json::from_str::<PageOffset>("9223372036854775808").unwrap_err();
        assert!(
            error.to_string().contains("offset: must be at most"),
            "{error}"
        );
        assert!(serde_json::from_str::<PageOffset>("-1").is_err());
        assert_eq!(serde_json::to_string(&offset).unwrap(), "25");
    }
}
