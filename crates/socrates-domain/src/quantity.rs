//! Quantities with units inside free text: "10k users", "10 000 concurrent users", "2 s",
//! "200 ms", "99.9 %", "90 days", "1 year", "15 minutes RPO", "$50k", "1.5M requests/day".
//!
//! Every quantity is normalised to one base unit per dimension: durations in milliseconds,
//! percentages as percent, money in US dollars, rates per second and plain counts as numbers.
//! Callers convert durations to minutes or days with the helpers on [`Quantity`].

/// The dimension of a quantity and its base unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuantityKind {
    /// A duration, in milliseconds.
    Duration,
    /// A percentage, in percent (99.9 stays 99.9).
    Percent,
    /// Money, in US dollars.
    Money,
    /// Money in another currency ("£45,000", "1,2 million euro"), not converted: the amount
    /// of the currency named.
    ForeignMoney,
    /// A rate, per second.
    Rate,
    /// A plain count ("10k users").
    Count,
    /// An amount of data, in gigabytes.
    DataSize,
}

/// One quantity found in text, normalised to its base unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    /// The value in the base unit of its kind.
    pub value: f64,
    /// The dimension.
    pub kind: QuantityKind,
    /// For counts, the lowercase word after the number ("users"), if any; for rates of a noun
    /// that is not a request, message or order, that noun ("moves" in "40 moves a second").
    pub noun: Option<String>,
    /// Byte offset of the number in the input.
    pub start: usize,
    /// Byte offset just past the unit in the input.
    pub end: usize,
}

const MS_PER_MINUTE: f64 = 60_000.0;
const MS_PER_DAY: f64 = 86_400_000.0;

impl Quantity {
    /// A duration in minutes.
    #[must_use]
    pub fn minutes(&self) -> f64 {
        self.value / MS_PER_MINUTE
    }

    /// A duration in days.
    #[must_use]
    pub fn days(&self) -> f64 {
        self.value / MS_PER_DAY
    }

    /// A short readable form in the base unit: "200 ms", "99.9 %", "50000 USD", "17.36 /s".
    #[must_use]
    pub fn display(&self) -> String {
        let number = format_number(self.value);
        match self.kind {
            QuantityKind::Duration => format!("{number} ms"),
            QuantityKind::Percent => format!("{number} %"),
            QuantityKind::Money => format!("{number} USD"),
            QuantityKind::ForeignMoney => format!("{number} (not USD)"),
            QuantityKind::Rate => format!("{number} /s"),
            QuantityKind::Count => number,
            QuantityKind::DataSize => format!("{number} GB"),
        }
    }
}

/// Formats a number with at most two decimals and no trailing zeros.
#[must_use]
pub fn format_number(value: f64) -> String {
    let text = format!("{:.2}", (value * 100.0).round() / 100.0);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Units that end a quantity: spelling, kind and the factor to the base unit.
const UNITS: &[(&str, QuantityKind, f64)] = &[
    ("milliseconds", QuantityKind::Duration, 1.0),
    ("millisecond", QuantityKind::Duration, 1.0),
    ("msec", QuantityKind::Duration, 1.0),
    ("ms", QuantityKind::Duration, 1.0),
    ("seconds", QuantityKind::Duration, 1_000.0),
    ("second", QuantityKind::Duration, 1_000.0),
    ("secs", QuantityKind::Duration, 1_000.0),
    ("sec", QuantityKind::Duration, 1_000.0),
    ("s", QuantityKind::Duration, 1_000.0),
    ("minutes", QuantityKind::Duration, MS_PER_MINUTE),
    ("minute", QuantityKind::Duration, MS_PER_MINUTE),
    ("mins", QuantityKind::Duration, MS_PER_MINUTE),
    ("min", QuantityKind::Duration, MS_PER_MINUTE),
    ("hours", QuantityKind::Duration, 3_600_000.0),
    ("hour", QuantityKind::Duration, 3_600_000.0),
    ("hrs", QuantityKind::Duration, 3_600_000.0),
    ("hr", QuantityKind::Duration, 3_600_000.0),
    ("h", QuantityKind::Duration, 3_600_000.0),
    ("days", QuantityKind::Duration, MS_PER_DAY),
    ("day", QuantityKind::Duration, MS_PER_DAY),
    ("d", QuantityKind::Duration, MS_PER_DAY),
    ("weeks", QuantityKind::Duration, 7.0 * MS_PER_DAY),
    ("week", QuantityKind::Duration, 7.0 * MS_PER_DAY),
    ("months", QuantityKind::Duration, 30.0 * MS_PER_DAY),
    ("month", QuantityKind::Duration, 30.0 * MS_PER_DAY),
    ("years", QuantityKind::Duration, 365.0 * MS_PER_DAY),
    ("year", QuantityKind::Duration, 365.0 * MS_PER_DAY),
    ("yrs", QuantityKind::Duration, 365.0 * MS_PER_DAY),
    ("yr", QuantityKind::Duration, 365.0 * MS_PER_DAY),
    ("%", QuantityKind::Percent, 1.0),
    ("percent", QuantityKind::Percent, 1.0),
    ("usd", QuantityKind::Money, 1.0),
    ("dollars", QuantityKind::Money, 1.0),
    ("pb", QuantityKind::DataSize, 1e6),
    ("petabytes", QuantityKind::DataSize, 1e6),
    ("tb", QuantityKind::DataSize, 1e3),
    ("terabytes", QuantityKind::DataSize, 1e3),
    ("terabyte", QuantityKind::DataSize, 1e3),
    ("gb", QuantityKind::DataSize, 1.0),
    ("gigabytes", QuantityKind::DataSize, 1.0),
    ("gigabyte", QuantityKind::DataSize, 1.0),
    ("mb", QuantityKind::DataSize, 1e-3),
    ("megabytes", QuantityKind::DataSize, 1e-3),
    ("rps", QuantityKind::Rate, 1.0),
    ("qps", QuantityKind::Rate, 1.0),
    ("tps", QuantityKind::Rate, 1.0),
];

/// Rate denominators after "requests/", "requests per", "req/" and the like.
const RATE_PERIODS: &[(&str, f64)] = &[
    ("second", 1.0),
    ("sec", 1.0),
    ("s", 1.0),
    ("minute", 60.0),
    ("min", 60.0),
    ("m", 60.0),
    ("hour", 3_600.0),
    ("h", 3_600.0),
    ("day", 86_400.0),
    ("d", 86_400.0),
];

const RATE_NOUNS: &[&str] = &[
    "requests",
    "request",
    "req",
    "reqs",
    "queries",
    "query",
    "transactions",
    "calls",
    "events",
    "messages",
    "message",
    "msg",
    "msgs",
    "orders",
];

/// Finds every quantity in `text`, in order: numbers in digits ("10 000 users", "2 s") and in
/// words ("five minutes", "half a second", "an hour", "three nines").
#[must_use]
pub fn parse_quantities(text: &str) -> Vec<Quantity> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        let at_boundary = index == 0 || !bytes[index - 1].is_ascii_alphanumeric();
        let parsed = if !at_boundary {
            None
        } else if bytes[index].is_ascii_digit() {
            read_number(text, index).and_then(|(value, end)| parse_one(text, index, value, end))
        } else if bytes[index].is_ascii_alphabetic() {
            parse_words(text, index)
        } else {
            None
        };
        if let Some(quantity) = parsed {
            index = quantity.end.max(index + 1);
            found.push(quantity);
        } else {
            index += 1;
        }
    }
    found
}

/// Words that may follow "a second" when it is a duration ("in under a second or two", "a
/// second per request"); any other word makes it the ordinal ("a second region").
const ORDINAL_SECOND_FOLLOWERS: &[&str] = &[
    "or", "and", "to", "at", "for", "of", "is", "was", "per", "max", "tops", "on", "in", "with",
    "before", "after", "later", "ago", "from", "p95", "p99", "latency", "response", "timeout",
    "delay", "longer", "more", "less", "at", "then", "but", "so", "each", "every",
];

/// Number words and their values.
const NUMBER_WORDS: &[(&str, f64)] = &[
    ("one", 1.0),
    ("two", 2.0),
    ("three", 3.0),
    ("four", 4.0),
    ("five", 5.0),
    ("six", 6.0),
    ("seven", 7.0),
    ("eight", 8.0),
    ("nine", 9.0),
    ("ten", 10.0),
    ("eleven", 11.0),
    ("twelve", 12.0),
    ("thirteen", 13.0),
    ("fourteen", 14.0),
    ("fifteen", 15.0),
    ("sixteen", 16.0),
    ("seventeen", 17.0),
    ("eighteen", 18.0),
    ("nineteen", 19.0),
    ("twenty", 20.0),
    ("thirty", 30.0),
    ("forty", 40.0),
    ("fifty", 50.0),
    ("sixty", 60.0),
    ("seventy", 70.0),
    ("eighty", 80.0),
    ("ninety", 90.0),
];

fn number_word(word: &str) -> Option<f64> {
    NUMBER_WORDS
        .iter()
        .find(|(w, _)| *w == word)
        .map(|&(_, v)| v)
}

/// The word starting at `at` (letters only, lowercase) and the offset after it.
fn word_at(text: &str, at: usize) -> Option<(String, usize)> {
    let tail = &text[at..];
    let length = tail
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(tail.len());
    (length > 0).then(|| (tail[..length].to_ascii_lowercase(), at + length))
}

/// Reads a number written in words from `start`: "thirty", "twenty-five", "fifteen hundred",
/// "two hundred and fifty thousand". Returns the value, the offset after it and whether it
/// was a bare article ("a", "an") or "half a".
fn read_number_words(text: &str, start: usize) -> Option<(f64, usize, bool)> {
    let (first, mut end) = word_at(text, start)?;
    // "lose at most the last hour": one of the unit.
    let before = text[..start].trim_end().to_ascii_lowercase();
    if matches!(first.as_str(), "last" | "past") && (before == "the" || before.ends_with(" the")) {
        return Some((1.0, end, true));
    }
    if first == "a" || first == "an" {
        // "a quarter of an hour" is a quarter of one.
        if let Some((_, after)) = next_word(text, end).filter(|(w, _)| w == "quarter")
            && let Some((_, after_of)) = next_word(text, after).filter(|(w, _)| w == "of")
            && let Some((_, after_article)) =
                next_word(text, after_of).filter(|(w, _)| w == "a" || w == "an")
        {
            return Some((0.25, after_article, false));
        }
        // "a couple of hours" is two.
        if let Some((_, after)) = next_word(text, end).filter(|(w, _)| w == "couple")
            && let Some((of, after_of)) = next_word(text, after)
            && of == "of"
        {
            return Some((2.0, after_of, false));
        }
        return Some((1.0, end, true));
    }
    if first == "half" {
        // "half a second", "half an hour"
        let (next, after) = next_word(text, end)?;
        return (next == "a" || next == "an").then_some((0.5, after, true));
    }
    let mut total = 0.0;
    let mut current = number_word(&first)?;
    loop {
        let rest = &text[end..];
        let gap = usize::from(rest.starts_with(['-', ' ']));
        let Some((word, after)) = word_at(text, end + gap).filter(|_| gap == 1) else {
            break;
        };
        match word.as_str() {
            "hundred" => current *= 100.0,
            "thousand" => {
                total += current * 1e3;
                current = 0.0;
            }
            "million" => {
                total += current * 1e6;
                current = 0.0;
            }
            "and" => {
                // "two hundred and fifty": only when a number word follows.
                let follows = word_at(text, after + 1)
                    .filter(|_| text[after..].starts_with(' '))
                    .and_then(|(next, _)| number_word(&next));
                if follows.is_none() {
                    break;
                }
            }
            other => match number_word(other) {
                Some(small) if current % 100.0 == 0.0 || (current >= 20.0 && small < 10.0) => {
                    current += small;
                }
                _ => break,
            },
        }
        end = after;
    }
    Some((total + current, end, false))
}

/// A number written in words, kept only when a unit or a noun follows it: "thirty minutes",
/// "twenty-five users", "a hundred requests per second", "half a second", "an hour", "three
/// nines" (99.9 %). A lone "a"/"an" counts only before a unit of time.
fn parse_words(text: &str, start: usize) -> Option<Quantity> {
    let (mut value, mut end, mut article) = read_number_words(text, start)?;
    if let Some((word, after)) = next_word(text, end) {
        if article && word == "hundred" {
            value *= 100.0;
            end = after;
        }
        if matches!(
            word.as_str(),
            "hundred" | "thousand" | "million" | "billion"
        ) {
            article = false;
        }
        if word == "nines" && !article {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_possible_wrap,
                reason = "nines are counted in single digits"
            )]
            let nines = value as i32;
            return (2..=6).contains(&nines).then(|| Quantity {
                value: 100.0 - 100.0 * 10f64.powi(-nines),
                kind: QuantityKind::Percent,
                noun: None,
                start,
                end: after,
            });
        }
    }
    let quantity = parse_one(text, start, value, end)?;
    // "a second region", "a second opinion": the ordinal, not a duration.
    if article && value == 1.0 && next_word(text, end).is_some_and(|(word, _)| word == "second") {
        let ordinal = next_word(text, quantity.end).is_some_and(|(word, _)| {
            !ORDINAL_SECOND_FOLLOWERS.contains(&word.as_str()) && !word.contains('/')
        }) && text[quantity.end..].starts_with(' ');
        if ordinal {
            return None;
        }
    }
    let has_unit =
        quantity.kind != QuantityKind::Count || quantity.noun.is_some() || quantity.end > end;
    let time_unit = quantity.kind == QuantityKind::Duration;
    match (article, has_unit) {
        (true, _) if !time_unit => None,
        (_, false) => None,
        _ if quantity.kind == QuantityKind::Count
            && quantity.noun.as_deref().is_some_and(|noun| {
                matches!(
                    noun,
                    "of" | "or" | "and" | "to" | "more" | "less" | "the" | "a" | "an"
                )
            }) =>
        {
            None
        }
        _ => Some(quantity),
    }
}

/// Reads digits with group separators (`,` or a single space before exactly three digits)
/// and one decimal point; returns the number and the offset after it.
fn read_number(text: &str, start: usize) -> Option<(f64, usize)> {
    let bytes = text.as_bytes();
    let mut digits = String::new();
    let mut index = start;
    let mut seen_point = false;
    while index < bytes.len() {
        let byte = bytes[index];
        let group_follows = || {
            bytes
                .get(index + 1..index + 4)
                .is_some_and(|g| g.iter().all(u8::is_ascii_digit))
                && bytes.get(index + 4).is_none_or(|b| !b.is_ascii_digit())
        };
        if byte.is_ascii_digit() {
            digits.push(char::from(byte));
        } else if byte == b'.'
            && !seen_point
            && bytes.get(index + 1).is_some_and(u8::is_ascii_digit)
        {
            seen_point = true;
            digits.push('.');
        } else if (byte == b',' || byte == b' ') && !seen_point && group_follows() {
            // A thousands separator: skip it.
        } else if byte == b',' && !seen_point && decimal_comma(bytes, index) {
            // "1,2 million", "11,5 V": a decimal comma.
            seen_point = true;
            digits.push('.');
        } else {
            break;
        }
        index += 1;
    }
    digits.parse().ok().map(|n| (n, index))
}

/// Whether the comma at `index` is a decimal comma: one or two digits follow it, then no
/// digit and no further ",digit" (so "1,2,3" stays a list).
fn decimal_comma(bytes: &[u8], index: usize) -> bool {
    let digits = bytes[index + 1..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let after = index + 1 + digits;
    (1..=2).contains(&digits)
        && !(bytes.get(after) == Some(&b',')
            && bytes.get(after + 1).is_some_and(u8::is_ascii_digit))
        && !(bytes.get(after) == Some(&b' ')
            && bytes.get(after + 1).is_some_and(u8::is_ascii_digit))
}

/// Currency words after an amount that is not in US dollars.
const FOREIGN_CURRENCY_WORDS: &[&str] = &[
    "eur", "euro", "euros", "gbp", "pounds", "pound", "chf", "francs", "sek", "nok", "dkk", "pln",
    "zloty", "yen", "jpy", "inr", "rupees", "cad", "aud",
];

/// The next word after `at` (skipping spaces) and the offset after it. A word is letters, or
/// a single `%`, or letters joined by one `/` ("requests/day").
fn next_word(text: &str, at: usize) -> Option<(String, usize)> {
    let rest = &text[at..];
    let skipped = rest.len() - rest.trim_start_matches([' ', '\u{a0}']).len();
    let begin = at + skipped;
    let tail = &text[begin..];
    if tail.starts_with('%') {
        return Some(("%".to_owned(), begin + 1));
    }
    let length = tail
        .find(|c: char| !(c.is_alphabetic() || c == '/'))
        .unwrap_or(tail.len());
    let word = tail[..length].trim_end_matches('/');
    (!word.is_empty()).then(|| (word.to_lowercase(), begin + word.len()))
}

/// The quantity whose number `value` spans `start..end`: magnitude, money, rate, unit or the
/// noun that follows it.
fn parse_one(text: &str, start: usize, value: f64, end: usize) -> Option<Quantity> {
    let before = text[..start].trim_end();
    let dollar = before.ends_with('$') && !before.ends_with("A$") && !before.ends_with("C$");
    let foreign = before.ends_with(['£', '€', '¥', '₹']);
    let (mut value, mut end) = (value, end);
    // Magnitude: a suffix glued to the number or a following word.
    let magnitudes: &[(&str, f64)] = &[
        ("k", 1e3),
        ("thousand", 1e3),
        ("m", 1e6),
        ("mm", 1e6),
        ("million", 1e6),
        ("millions", 1e6),
        ("b", 1e9),
        ("bn", 1e9),
        ("billion", 1e9),
    ];
    if let Some((word, after)) = next_word(text, end) {
        let glued = !text[end..].starts_with([' ', '\u{a0}']);
        // "$6k/month": the magnitude is the part before the slash.
        let (word, after) = match word.split_once('/') {
            Some((head, tail)) if magnitudes.iter().any(|(m, _)| *m == head) => {
                (head.to_owned(), after - tail.len() - 1)
            }
            _ => (word, after),
        };
        let is_magnitude = magnitudes.iter().find(|(m, _)| *m == word);
        // "5 m" with a space is ambiguous (metres, minutes); only glued "5m" or long words count.
        if let Some((_, factor)) = is_magnitude.filter(|(m, _)| glued || m.len() > 2) {
            // "15m" right before "rpo"/"rto" or alone could be minutes; prefer minutes when the
            // next word is a recovery objective.
            let following = next_word(text, after).map(|(w, _)| w);
            let minutes_context = word == "m"
                && following
                    .as_deref()
                    .is_some_and(|w| w == "rpo" || w == "rto");
            if minutes_context {
                return Some(duration(value * MS_PER_MINUTE, start, after));
            }
            value *= factor;
            end = after;
        }
    }
    let foreign_word =
        next_word(text, end).filter(|(word, _)| FOREIGN_CURRENCY_WORDS.contains(&word.as_str()));
    if foreign || foreign_word.is_some() {
        return Some(Quantity {
            value,
            kind: QuantityKind::ForeignMoney,
            noun: None,
            start,
            end: foreign_word.map_or(end, |(_, after)| after),
        });
    }
    if dollar {
        return Some(Quantity {
            value,
            kind: QuantityKind::Money,
            noun: None,
            start,
            end,
        });
    }
    let Some((word, after)) = next_word(text, end) else {
        return Some(Quantity {
            value,
            kind: QuantityKind::Count,
            noun: None,
            start,
            end,
        });
    };
    let measured = |(kind, factor): (QuantityKind, f64)| Quantity {
        value: value * factor,
        kind,
        noun: None,
        start,
        end: after,
    };
    // "40 GB/day": an amount of its unit, stated per period.
    if let Some(data) = word
        .split_once('/')
        .and_then(|(head, _)| unit_of(head))
        .filter(|(kind, _)| *kind == QuantityKind::DataSize)
    {
        return Some(measured(data));
    }
    // "500 requests/day", "2 000 msg/s", "4k/s": any noun per any period.
    if let Some((noun, period)) = word.split_once('/')
        && let Some(seconds) = rate_period(period)
        && (RATE_NOUNS.contains(&noun) || unit_of(noun).is_none())
    {
        return Some(rate(value / seconds, (start, after), uncommon_noun(noun)));
    }
    let unit = unit_of(&word);
    // "5,000 orders a day", "300 bookings an hour": a rate noun per any period, any other
    // noun per second, minute or hour ("20 GB a day" is an amount of data, "3 backups a week"
    // is not a load).
    if unit.is_none()
        && let Some((per, after_per)) = next_word(text, after)
        && matches!(per.as_str(), "per" | "a" | "an" | "each" | "every")
        && let Some((period, after_period)) = next_word(text, after_per)
        && let Some(seconds) = rate_period(&period)
        && (RATE_NOUNS.contains(&word.as_str()) || seconds <= 3_600.0)
    {
        return Some(rate(
            value / seconds,
            (start, after_period),
            uncommon_noun(&word),
        ));
    }
    if let Some(unit) = unit {
        return Some(measured(unit));
    }
    Some(Quantity {
        value,
        kind: QuantityKind::Count,
        noun: Some(word),
        start,
        end,
    })
}

/// The kind and factor to the base unit of a unit word ("ms", "hours", "gb").
fn unit_of(word: &str) -> Option<(QuantityKind, f64)> {
    UNITS
        .iter()
        .find(|(unit, _, _)| *unit == word)
        .map(|&(_, kind, factor)| (kind, factor))
}

fn rate_period(period: &str) -> Option<f64> {
    let period = period
        .strip_suffix('s')
        .filter(|p| !p.is_empty())
        .unwrap_or(period);
    RATE_PERIODS
        .iter()
        .find(|(p, _)| *p == period)
        .map(|&(_, s)| s)
}

fn duration(value: f64, start: usize, end: usize) -> Quantity {
    Quantity {
        value,
        kind: QuantityKind::Duration,
        noun: None,
        start,
        end,
    }
}

fn rate(value: f64, (start, end): (usize, usize), noun: Option<String>) -> Quantity {
    Quantity {
        value,
        kind: QuantityKind::Rate,
        noun,
        start,
        end,
    }
}

/// The noun of a rate when it is not one of the usual load nouns (requests, messages, …).
fn uncommon_noun(noun: &str) -> Option<String> {
    (!noun.is_empty() && !RATE_NOUNS.contains(&noun)).then(|| noun.to_owned())
}

/// Parses a value that should hold exactly one quantity ("200 ms", "2 s", "99.9 %").
#[must_use]
pub fn parse_single_quantity(value: &str) -> Option<Quantity> {
    let mut all = parse_quantities(value);
    (all.len() == 1).then(|| all.remove(0))
}

#[cfg(test)]
#[path = "quantity_tests.rs"]
mod tests;
