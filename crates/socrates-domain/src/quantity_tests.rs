use super::*;

fn one(text: &str) -> Quantity {
    let all = parse_quantities(text);
    assert_eq!(all.len(), 1, "{text}: {all:?}");
    all[0].clone()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6 * b.abs().max(1.0)
}

#[test]
fn counts_with_magnitudes_and_separators() {
    let q = one("10k users");
    assert_eq!(
        (q.value, q.kind, q.noun.as_deref()),
        (10_000.0, QuantityKind::Count, Some("users"))
    );
    assert_eq!(one("10 000 concurrent users").value, 10_000.0);
    assert_eq!(
        one("10,000 concurrent writers").noun.as_deref(),
        Some("concurrent")
    );
    assert_eq!(one("2 million users").value, 2_000_000.0);
}

#[test]
fn durations_are_milliseconds() {
    assert_eq!(one("2 s").value, 2_000.0);
    assert_eq!(one("200 ms").value, 200.0);
    assert_eq!(one("200ms").kind, QuantityKind::Duration);
    assert!(close(one("90 days").days(), 90.0));
    assert!(close(one("1 year").days(), 365.0));
    assert!(close(one("15 minutes RPO").minutes(), 15.0));
    assert!(close(one("RPO of 15m RPO").minutes(), 15.0));
    assert!(close(one("4 hours").minutes(), 240.0));
}

#[test]
fn percent_money_and_rates() {
    let q = one("99.9 %");
    assert_eq!((q.value, q.kind), (99.9, QuantityKind::Percent));
    assert_eq!(one("99.99% uptime").value, 99.99);
    let q = one("a budget of $50k");
    assert_eq!((q.value, q.kind), (50_000.0, QuantityKind::Money));
    let q = one("1.5M requests/day");
    assert_eq!(q.kind, QuantityKind::Rate);
    assert!(close(q.value, 1_500_000.0 / 86_400.0));
    assert_eq!(one("500 requests per second").value, 500.0);
    assert_eq!(one("300 rps").value, 300.0);
}

#[test]
fn several_quantities_in_one_sentence() {
    let all = parse_quantities("p95 latency under 200 ms, 10k concurrent users, 99.9% uptime");
    let kinds: Vec<QuantityKind> = all.iter().map(|q| q.kind).collect();
    assert_eq!(
        kinds,
        [
            QuantityKind::Duration,
            QuantityKind::Count,
            QuantityKind::Percent
        ]
    );
    assert_eq!(one("Python 3").value, 3.0);
}

#[test]
fn display_is_readable() {
    assert_eq!(one("2 s").display(), "2000 ms");
    assert_eq!(one("99.90 %").display(), "99.9 %");
    assert_eq!(format_number(17.3611), "17.36");
}

#[test]
fn odd_input_never_panics() {
    for text in [
        "5İİİİ users",
        "",
        "$",
        "1.",
        "1,",
        "10 00",
        "3\u{a0}ms",
        "١٢ days",
        "9999999999999999999999 k",
    ] {
        let _ = parse_quantities(text);
    }
    assert_eq!(one("3\u{a0}ms").value, 3.0);
}

#[test]
fn numbers_written_in_words_are_read_when_a_unit_or_noun_follows() {
    let one = |text: &str| {
        let found = parse_quantities(text);
        assert_eq!(found.len(), 1, "{text}: {found:?}");
        (found[0].value, found[0].kind)
    };
    assert_eq!(
        one("within thirty minutes"),
        (30.0 * 60_000.0, QuantityKind::Duration)
    );
    assert_eq!(one("half a second"), (500.0, QuantityKind::Duration));
    assert_eq!(
        one("lose at most an hour of data"),
        (3_600_000.0, QuantityKind::Duration)
    );
    assert_eq!(
        one("kept for seven years"),
        (7.0 * 365.0 * 86_400_000.0, QuantityKind::Duration)
    );
    assert_eq!(one("eighty percent"), (80.0, QuantityKind::Percent));
    assert_eq!(one("twenty-five users"), (25.0, QuantityKind::Count));
    let (nines, kind) = one("three nines");
    assert!((nines - 99.9).abs() < 1e-9 && kind == QuantityKind::Percent);
    assert_eq!(
        one("a hundred requests per second"),
        (100.0, QuantityKind::Rate)
    );
    assert_eq!(one("a million users"), (1e6, QuantityKind::Count));
    assert_eq!(
        one("fifteen hundred requests a second"),
        (1_500.0, QuantityKind::Rate)
    );
    assert_eq!(
        one("two hundred and fifty thousand dollars"),
        (250_000.0, QuantityKind::Money)
    );
    assert_eq!(one("ninety-nine users"), (99.0, QuantityKind::Count));
    for nothing in ["one of the users", "a user", "an idea", "we are one team"] {
        let found = parse_quantities(nothing);
        assert!(
            found.iter().all(|q| q.kind != QuantityKind::Duration),
            "{nothing}: {found:?}"
        );
    }
    assert!(parse_quantities("a user").is_empty());
    assert!(parse_quantities("one of the users").is_empty());
}

#[test]
fn a_magnitude_before_a_slash_is_read() {
    let q = one("$6k/month");
    assert_eq!((q.value, q.kind), (6_000.0, QuantityKind::Money));
    assert_eq!(one("2k/s").value, 2_000.0);
}

#[test]
fn rates_of_any_noun_per_short_period_and_glued_per_second() {
    let q = one("we size for 2 000 msg/s");
    assert_eq!((q.kind, q.value), (QuantityKind::Rate, 2_000.0));
    let q = one("4k/s at peak");
    assert_eq!((q.kind, q.value), (QuantityKind::Rate, 4_000.0));
    let q = one("maybe 360 bookings an hour");
    assert_eq!(q.kind, QuantityKind::Rate);
    assert!((q.value - 0.1).abs() < 1e-9);
    // An amount of data a day is data, and a day is a duration.
    let all = parse_quantities("15-20 GB a day");
    assert!(all.iter().all(|q| q.kind != QuantityKind::Rate), "{all:?}");
}

#[test]
fn a_couple_of_is_two() {
    let q = one("a couple of hours we could live with");
    assert_eq!((q.kind, q.value), (QuantityKind::Duration, 7_200_000.0));
}

#[test]
fn amounts_in_other_currencies_are_not_dollars() {
    for text in ["£45,000 for this", "1,2 million euro is approved", "€300k"] {
        let q = one(text);
        assert_eq!(q.kind, QuantityKind::ForeignMoney, "{text}");
    }
    assert!((one("1,2 million euro").value - 1_200_000.0).abs() < 1e-6);
    assert_eq!(one("$57,000").kind, QuantityKind::Money);
}

#[test]
fn a_decimal_comma_is_read_but_a_list_of_numbers_is_not() {
    assert!((one("under 11,5 V").value - 11.5).abs() < 1e-9);
    assert_eq!(parse_quantities("options 10,20,30")[0].value, 10.0);
    assert_eq!(one("10,000 users").value, 10_000.0);
}

#[test]
fn a_second_region_is_no_duration() {
    assert!(parse_quantities("A second region for BI isn't worth it").is_empty());
    assert_eq!(
        one("it answers in under a second.").kind,
        QuantityKind::Duration
    );
    assert_eq!(
        parse_quantities("a second or so")[0].kind,
        QuantityKind::Duration
    );
}

#[test]
fn the_last_hour_is_one_hour() {
    assert_eq!(one("we can lose the last hour").value, 3_600_000.0);
    assert_eq!(one("at most the past day").value, 86_400_000.0);
    assert!(parse_quantities("last year we tried it").is_empty());
}

#[test]
fn the_last_hour_alone_is_one_hour() {
    assert_eq!(one("the last hour").value, 3_600_000.0);
}

#[test]
fn a_quarter_of_an_hour_is_fifteen_minutes() {
    let q = one("a quarter of an hour");
    assert_eq!((q.kind, q.value), (QuantityKind::Duration, 900_000.0));
}

#[test]
fn an_amount_of_data_per_day_is_data() {
    let q = one("~40 GB/day at launch");
    assert_eq!((q.kind, q.value), (QuantityKind::DataSize, 40.0));
}
