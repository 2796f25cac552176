use super::*;

#[test]
fn content_decides_what_an_upload_is() {
    let pdf = b"%PDF-1.7\n...";
    assert_eq!(detect_kind("notes.md", None, pdf), Ok(DocumentKind::Pdf));
    assert_eq!(
        detect_kind("brief.pdf", Some("application/pdf"), pdf),
        Ok(DocumentKind::Pdf)
    );
    assert_eq!(
        detect_kind("brief.pdf", None, b"just text"),
        Err(DocumentRefusal::NotAPdf {
            filename: "brief.pdf".to_owned()
        })
    );
    assert_eq!(
        detect_kind("x", Some("application/pdf"), b"<html>"),
        Err(DocumentRefusal::NotAPdf {
            filename: "x".to_owned()
        })
    );
    assert_eq!(
        detect_kind("README.MD", Some("application/octet-stream"), b"# Hi"),
        Ok(DocumentKind::Markdown)
    );
    assert_eq!(
        detect_kind("notes", Some("text/markdown; charset=utf-8"), b"# Hi"),
        Ok(DocumentKind::Markdown)
    );
    assert_eq!(
        detect_kind("notes.txt", None, b"hi"),
        Ok(DocumentKind::Text)
    );
    assert_eq!(
        detect_kind("notes", Some("text/plain"), b"hi"),
        Ok(DocumentKind::Text)
    );
    assert!(matches!(
        detect_kind("photo.png", Some("image/png"), b"\x89PNG"),
        Err(DocumentRefusal::UnsupportedType { .. })
    ));
    assert!(matches!(
        detect_kind("page.html", Some("text/html"), b"<p>"),
        Err(DocumentRefusal::UnsupportedType { .. })
    ));
    assert!(matches!(
        detect_kind("blob", None, b"abc"),
        Err(DocumentRefusal::UnsupportedType { .. })
    ));
}

#[test]
fn text_must_be_utf8_without_control_characters() {
    assert_eq!(
        text_of("a.md", b"\xEF\xBB\xBF# Title\n"),
        Ok("# Title\n".to_owned())
    );
    assert_eq!(
        text_of("a.md", b"\x00\x01\x02binary"),
        Err(DocumentRefusal::BinaryText {
            filename: "a.md".to_owned()
        })
    );
    assert_eq!(
        text_of("a.md", &[0xff, 0xfe, 0x41]),
        Err(DocumentRefusal::BinaryText {
            filename: "a.md".to_owned()
        })
    );
    assert_eq!(
        text_of("a.md", b"  \n\t "),
        Err(DocumentRefusal::Empty {
            filename: "a.md".to_owned()
        })
    );
    assert!(text_of("a.txt", "Café — 10 €\tok\r\n".as_bytes()).is_ok());
}

#[test]
fn chunks_pack_paragraphs_and_cut_long_ones() {
    let short = "First paragraph.\n\nSecond   paragraph\nwith a wrapped line.";
    assert_eq!(
        chunk(short),
        ["First paragraph.\nSecond paragraph with a wrapped line."]
    );
    let sentence = "The clinic books appointments for patients every day. ";
    let long = sentence.repeat(60);
    let chunks = chunk(&long);
    assert!(chunks.len() >= 3, "{}", chunks.len());
    assert!(chunks.iter().all(|c| c.chars().count() <= CHUNK_MAX_CHARS));
    let joined: String = chunks.join(" ");
    assert_eq!(
        joined.split_whitespace().count(),
        long.split_whitespace().count(),
        "no word is lost"
    );
    let blob = "x".repeat(3 * CHUNK_MAX_CHARS + 5);
    let cut = chunk(&blob);
    assert_eq!(cut.len(), 4);
    assert!(cut.iter().all(|c| c.chars().count() <= CHUNK_MAX_CHARS));
    assert!(chunk(" \n\n ").is_empty());
}

#[test]
fn terms_are_stemmed_lower_case_words_without_stop_words() {
    assert_eq!(
        terms("The Bookings were BOOKED by patients, in 2 clinics!"),
        ["book", "book", "patient", "2", "clinic"]
    );
    assert_eq!(query_terms("booking book BOOKS the"), ["book"]);
    assert!(terms(&"a".repeat(100)).is_empty());
    let (counts, length) = term_frequencies("Stripe payments; Stripe refunds.");
    assert_eq!(length, 4);
    assert_eq!(counts["stripe"], 2);
}

#[test]
fn bm25_prefers_rarer_terms_and_shorter_chunks() {
    let posting = |chunk: u32, length: u32, term: &str, frequency: u32| Posting {
        chunk,
        chunk_length: length,
        term: term.to_owned(),
        frequency,
    };
    let df: HashMap<String, u64> = [("stripe".to_owned(), 1), ("payment".to_owned(), 3)]
        .into_iter()
        .collect();
    let corpus = CorpusStats {
        chunks: 4,
        mean_length: 100.0,
    };
    let postings = vec![
        posting(1, 100, "payment", 1),
        posting(2, 100, "payment", 1),
        posting(2, 100, "stripe", 1),
        posting(3, 400, "payment", 1),
    ];
    let ranked = rank(&postings, &df, corpus, 10);
    let order: Vec<u32> = ranked.iter().map(|(chunk, _)| *chunk).collect();
    assert_eq!(order, [2, 1, 3]);
    // idf(stripe) = ln(1 + 3.5 / 1.5); weight at mean length, tf 1 = 1.
    let stripe = (1.0_f64 + 3.5 / 1.5).ln();
    let payment = (1.0_f64 + 1.5 / 3.5).ln();
    assert!(
        (ranked[0].1 - (stripe + payment)).abs() < 1e-9,
        "{ranked:?}"
    );
    assert_eq!(rank(&postings, &df, corpus, 1).len(), 1);
}

#[test]
fn a_snippet_shows_the_words_around_the_first_hit() {
    let content = format!(
        "{} Payments go through Stripe and refunds are manual. {}",
        "Intro words here. ".repeat(30),
        "Closing words. ".repeat(30)
    );
    let shown = snippet(&content, &query_terms("stripe"));
    assert!(shown.contains("Stripe"), "{shown}");
    assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
    assert!(shown.chars().count() <= SNIPPET_CHARS + 2);
    assert_eq!(
        snippet("Short text.", &query_terms("nothing")),
        "Short text."
    );
}
