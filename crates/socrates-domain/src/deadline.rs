//! Deadlines as people state them — "end of Q1 2027", "31 March 2027", "April", "within a
//! quarter", "3 months" — read well enough to tell whether two of them agree.

use crate::quantity::{QuantityKind, parse_quantities};
use crate::technology::tokenise;

/// A deadline: a calendar month (with its year when stated) or a span from now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Deadline {
    /// The month the work is due in.
    Month {
        /// The year, when stated.
        year: Option<i32>,
        /// 1..=12.
        month: u32,
    },
    /// Due within this many days.
    Within {
        /// Days from now.
        days: f64,
    },
}

const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("february", 2),
    ("feb", 2),
    ("march", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("may", 5),
    ("june", 6),
    ("jun", 6),
    ("july", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("october", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dec", 12),
];

/// The month a token names: a month's name or abbreviation, or a quarter ("q1" → 3, its last
/// month).
#[must_use]
pub fn month_of(token: &str) -> Option<u32> {
    let quarter = token
        .strip_prefix('q')
        .and_then(|q| q.parse::<u32>().ok())
        .filter(|q| (1..=4).contains(q))
        .map(|q| q * 3);
    quarter.or_else(|| {
        MONTHS
            .iter()
            .find(|(name, _)| *name == token)
            .map(|&(_, m)| m)
    })
}

/// Reads a deadline; `None` when the text names neither a month, a quarter, a year end nor a
/// span ("before Christmas", "soon").
#[must_use]
pub fn parse_deadline(value: &str) -> Option<Deadline> {
    let tokens = tokenise(value);
    let year = tokens
        .iter()
        .find_map(|t| t.parse::<i32>().ok().filter(|y| (2000..=2100).contains(y)));
    let month = tokens.iter().find_map(|token| month_of(token));
    let joined = tokens.join(" ");
    let year_end = ["end of the year", "end of year", "year end", "year-end"]
        .iter()
        .any(|p| joined.contains(p));
    if let Some(month) = month.or(year_end.then_some(12)) {
        return Some(Deadline::Month { year, month });
    }
    if joined.contains("a quarter") || joined.contains("one quarter") {
        return Some(Deadline::Within { days: 90.0 });
    }
    let span = parse_quantities(value)
        .into_iter()
        .find(|q| q.kind == QuantityKind::Duration)
        .map(|q| Deadline::Within { days: q.days() });
    span.or_else(|| {
        year.map(|year| Deadline::Month {
            year: Some(year),
            month: 12,
        })
    })
}

/// Whether two deadlines agree: the same month (years equal when both are stated), or spans
/// within `tolerance` of each other. `None` when they cannot be compared (a month against a
/// span, or text that is no deadline).
#[must_use]
pub fn same_deadline(left: &str, right: &str, tolerance: f64) -> Option<bool> {
    match (parse_deadline(left)?, parse_deadline(right)?) {
        (
            Deadline::Month {
                year: left_year,
                month: left_month,
            },
            Deadline::Month {
                year: right_year,
                month: right_month,
            },
        ) => Some(
            left_month == right_month
                && (left_year.is_none() || right_year.is_none() || left_year == right_year),
        ),
        (Deadline::Within { days: left }, Deadline::Within { days: right }) => {
            Some((left - right).abs() / left.max(right).max(1.0) <= tolerance)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_quarters_and_spans_are_compared() {
        assert_eq!(
            same_deadline("end of Q1 2027", "31 March 2027", 0.2),
            Some(true)
        );
        assert_eq!(
            same_deadline("3 months", "within a quarter", 0.2),
            Some(true)
        );
        assert_eq!(same_deadline("end of March", "September", 0.2), Some(false));
        assert_eq!(same_deadline("March 2027", "March 2028", 0.2), Some(false));
        assert_eq!(same_deadline("6 weeks", "6 months", 0.2), Some(false));
        assert_eq!(same_deadline("April", "3 months", 0.2), None);
        assert_eq!(same_deadline("soon", "April", 0.2), None);
        assert_eq!(
            parse_deadline("end of the year 2026"),
            Some(Deadline::Month {
                year: Some(2026),
                month: 12
            })
        );
    }
}
