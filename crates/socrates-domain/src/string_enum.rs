//! The shared shape of every enum stored and sent as a snake_case string, and its parse error.
//!
//! Each enum declares its variants once, with their stored value and any accepted input
//! aliases; the macro derives the constant list of variants, `as_str`, `Display`, a strict
//! `FromStr` and serde support from that single declaration, so the four can never disagree.

/// Defines a string enum.
///
/// ```text
/// string_enum! {
///     /// Docs.
///     pub enum SessionMode as "session mode" [lenient] {
///         /// Docs.
///         Socratic = "socratic",
///         /// Docs.
///         DirectChat = "direct_chat" | "direct" | "chat",
///     }
/// }
/// ```
///
/// Values after `|` are input aliases, accepted by `FromStr` and by serde deserialisation but
/// never produced. The optional `[lenient]` flag makes `FromStr` trim and ASCII-lower-case its
/// input first; without it `FromStr` accepts only the exact values.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident as $kind:literal $([$flag:ident])? {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident = $value:literal $(| $alias:literal)*
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            ::serde::Serialize,
            ::serde::Deserialize,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $(
                $(#[$variant_meta])*
                $(#[serde(alias = $alias)])*
                $variant,
            )+
        }

        impl $name {
            /// Every variant, in canonical (declaration) order.
            pub const ALL: [Self; [$($value),+].len()] = [$(Self::$variant),+];

            /// The snake_case value stored in the database and sent over the wire.
            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $value,)+
                }
            }
        }

        #[cfg(feature = "openapi")]
        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                ::utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .description(Some(concat!("A ", $kind, ".")))
                    .enum_values(Some([$($value),+]))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl ::utoipa::ToSchema for $name {}

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = $crate::DomainError;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                let normalised;
                let candidate = if $crate::string_enum::string_enum!(@lenient $($flag)?) {
                    normalised = raw.trim().to_ascii_lowercase();
                    normalised.as_str()
                } else {
                    raw
                };
                match candidate {
                    $($value $(| $alias)* => Ok(Self::$variant),)+
                    _ => Err($crate::DomainError::unknown_value(
                        $kind,
                        raw,
                        &Self::ALL.map(Self::as_str),
                    )),
                }
            }
        }
    };
    (@lenient) => {
        false
    };
    (@lenient lenient) => {
        true
    };
}

pub(crate) use string_enum;

#[cfg(test)]
mod tests {

    string_enum! {
        /// A test enum.
        pub enum Colour as "colour" {
            /// Red.
            Red = "red",
            /// Dark blue.
            DarkBlue = "dark_blue" | "navy",
        }
    }

    string_enum! {
        /// A lenient test enum.
        pub enum Shape as "shape" [lenient] {
            /// A circle.
            Circle = "circle" | "round",
            /// A square.
            Square = "square",
        }
    }

    #[test]
    fn all_lists_variants_in_declaration_order() {
        assert_eq!(Colour::ALL, [Colour::Red, Colour::DarkBlue]);
    }

    #[test]
    fn as_str_display_and_serde_agree() {
        for colour in Colour::ALL {
            assert_eq!(colour.to_string(), colour.as_str());
            let json = serde_json::to_string(&colour).unwrap();
            assert_eq!(json, format!("\"{}\"", colour.as_str()));
        }
    }

    #[test]
    fn display_honours_width() {
        assert_eq!(format!("{:>5}", Colour::Red), "  red");
    }

    #[test]
    fn strict_from_str_accepts_values_and_aliases_only() {
        assert_eq!("dark_blue".parse(), Ok(Colour::DarkBlue));
        assert_eq!("navy".parse(), Ok(Colour::DarkBlue));
        assert!("Red".parse::<Colour>().is_err());
        assert!(" red".parse::<Colour>().is_err());
    }

    #[test]
    fn lenient_from_str_trims_and_lower_cases() {
        assert_eq!("  SQUARE ".parse(), Ok(Shape::Square));
        assert_eq!("Round".parse(), Ok(Shape::Circle));
    }

    #[test]
    fn serde_accepts_aliases_on_input() {
        let colour: Colour = serde_json::from_str("\"navy\"").unwrap();
        assert_eq!(colour, Colour::DarkBlue);
        assert!(serde_json::from_str::<Colour>("\"green\"").is_err());
    }

    #[test]
    fn unknown_value_names_kind_value_and_expected_values() {
        let error = "green".parse::<Colour>().unwrap_err();
        assert_eq!(
            error,
            crate::DomainError::UnknownValue {
                kind: "colour",
                value: "green".to_owned(),
                expected: "red, dark_blue".to_owned(),
            }
        );
        assert_eq!(
            error.to_string(),
            "unknown colour `green`; expected one of: red, dark_blue"
        );
    }
}
