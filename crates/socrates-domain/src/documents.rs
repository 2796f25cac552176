//! The knowledge base's text rules: which uploads are documents, how their text is cut into
//! chunks, how text becomes search terms, and how chunks are ranked for a query (BM25).
//!
//! Ranking happens here, over counts the database returns, so a search gives the same results
//! on SQLite and PostgreSQL: the databases only store chunks and term postings.

use std::collections::{HashMap, HashSet};

use crate::string_enum::string_enum;

string_enum! {
    /// What a knowledge-base document is; stored as its media type's short name.
    pub enum DocumentKind as "document kind" {
        /// Plain UTF-8 text.
        Text = "text",
        /// Markdown.
        Markdown = "markdown",
        /// A PDF, whose text is extracted.
        Pdf = "pdf",
    }
}

impl DocumentKind {
    /// The media type sent back for it.
    #[must_use]
    pub const fn media_type(self) -> &'static str {
        match self {
            Self::Text => "text/plain",
            Self::Markdown => "text/markdown",
            Self::Pdf => "application/pdf",
        }
    }
}

/// The largest document accepted, in bytes (10 MiB).
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

/// The longest file name kept, in characters.
pub const MAX_FILENAME_CHARS: usize = 255;

/// Why an upload is not a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentRefusal {
    /// The type is none of plain text, Markdown or PDF.
    #[error(
        "\"{filename}\" ({media_type}) is not a document Socrates reads: send plain text \
         (.txt), Markdown (.md) or PDF (.pdf)"
    )]
    UnsupportedType {
        /// The file's name.
        filename: String,
        /// The type it was sent as.
        media_type: String,
    },
    /// The file says it is text, but is not UTF-8 text.
    #[error("\"{filename}\" is named or sent as text but holds binary data")]
    BinaryText {
        /// The file's name.
        filename: String,
    },
    /// The file says it is a PDF, but does not start like one.
    #[error("\"{filename}\" is named or sent as a PDF but is not one")]
    NotAPdf {
        /// The file's name.
        filename: String,
    },
    /// The file is empty, or holds no readable text.
    #[error("\"{filename}\" holds no text")]
    Empty {
        /// The file's name.
        filename: String,
    },
}

fn extension(filename: &str) -> Option<String> {
    filename
        .rsplit_once('.')
        .map(|(_, extension)| extension.to_ascii_lowercase())
}

/// Decides what an upload is from its name, the media type it was sent as and its first
/// bytes. Content wins: PDF bytes are a PDF whatever the name; a file named or sent as PDF
/// must start with `%PDF-`; a text file must be UTF-8 without control characters (see
/// [`text_of`]).
///
/// # Errors
/// A [`DocumentRefusal`] naming the file.
pub fn detect_kind(
    filename: &str,
    media_type: Option<&str>,
    bytes: &[u8],
) -> Result<DocumentKind, DocumentRefusal> {
    let media_type = media_type
        .map(|m| {
            m.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|m| !m.is_empty() && m != "application/octet-stream");
    let extension = extension(filename);
    let says_pdf =
        media_type.as_deref() == Some("application/pdf") || extension.as_deref() == Some("pdf");
    if bytes.starts_with(b"%PDF-") {
        return Ok(DocumentKind::Pdf);
    }
    if says_pdf {
        return Err(DocumentRefusal::NotAPdf {
            filename: filename.to_owned(),
        });
    }
    let markdown = matches!(extension.as_deref(), Some("md" | "markdown"))
        || matches!(
            media_type.as_deref(),
            Some("text/markdown" | "text/x-markdown")
        );
    let text = matches!(extension.as_deref(), Some("txt" | "text"))
        || media_type
            .as_deref()
            .is_some_and(|m| m == "text/plain" || (m.starts_with("text/") && extension.is_none()));
    if markdown {
        Ok(DocumentKind::Markdown)
    } else if text {
        Ok(DocumentKind::Text)
    } else {
        Err(DocumentRefusal::UnsupportedType {
            filename: filename.to_owned(),
            media_type: media_type.unwrap_or_else(|| "no type".to_owned()),
        })
    }
}

/// The text of a text or Markdown upload: UTF-8 (a byte-order mark dropped), with no control
/// character other than tab, line feed, carriage return and form feed, and not blank.
///
/// # Errors
/// [`DocumentRefusal::BinaryText`] or [`DocumentRefusal::Empty`].
pub fn text_of(filename: &str, bytes: &[u8]) -> Result<String, DocumentRefusal> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| DocumentRefusal::BinaryText {
        filename: filename.to_owned(),
    })?;
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}'))
    {
        return Err(DocumentRefusal::BinaryText {
            filename: filename.to_owned(),
        });
    }
    readable(filename, text.to_owned())
}

/// `text` if it holds anything to read.
///
/// # Errors
/// [`DocumentRefusal::Empty`].
pub fn readable(filename: &str, text: String) -> Result<String, DocumentRefusal> {
    if text.trim().is_empty() {
        Err(DocumentRefusal::Empty {
            filename: filename.to_owned(),
        })
    } else {
        Ok(text)
    }
}

/// The size a chunk aims at, in characters.
pub const CHUNK_TARGET_CHARS: usize = 800;
/// The most a chunk holds, in characters.
pub const CHUNK_MAX_CHARS: usize = 1_200;

/// Cuts `text` into chunks of about [`CHUNK_TARGET_CHARS`] characters: whole paragraphs
/// packed together, a paragraph longer than [`CHUNK_MAX_CHARS`] cut at sentence ends (or, for
/// a sentence that long, at spaces). Whitespace inside a paragraph is collapsed.
#[must_use]
pub fn chunk(text: &str) -> Vec<String> {
    let paragraphs = text
        .replace("\r\n", "\n")
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>();
    let mut pieces: Vec<String> = Vec::new();
    for paragraph in paragraphs {
        if paragraph.chars().count() <= CHUNK_MAX_CHARS {
            pieces.push(paragraph);
        } else {
            pieces.extend(split_long(&paragraph));
        }
    }
    let mut chunks: Vec<String> = Vec::new();
    let mut current = String::new();
    for piece in pieces {
        let joined = current.chars().count() + 1 + piece.chars().count();
        if !current.is_empty() && joined > CHUNK_TARGET_CHARS {
            chunks.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(&piece);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

/// A paragraph over [`CHUNK_MAX_CHARS`] as pieces of at most that size.
fn split_long(paragraph: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let push_word = |word: &str, current: &mut String, pieces: &mut Vec<String>| {
        let length = current.chars().count();
        if length > 0 && length + 1 + word.chars().count() > CHUNK_MAX_CHARS {
            pieces.push(std::mem::take(current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        // A single "word" over the limit (a URL, a base64 blob) is cut by characters.
        if word.chars().count() > CHUNK_MAX_CHARS {
            let chars: Vec<char> = word.chars().collect();
            for part in chars.chunks(CHUNK_MAX_CHARS) {
                if !current.is_empty() {
                    pieces.push(std::mem::take(current));
                }
                current.extend(part);
            }
        } else {
            current.push_str(word);
        }
    };
    for sentence in paragraph.split_inclusive(['.', '!', '?']) {
        let sentence = sentence.trim();
        if sentence.is_empty() {
            continue;
        }
        let fits = current.chars().count() + 1 + sentence.chars().count() <= CHUNK_MAX_CHARS;
        if fits {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(sentence);
        } else {
            for word in sentence.split(' ') {
                push_word(word, &mut current, &mut pieces);
            }
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// The longest term kept, in characters; longer tokens are not words.
pub const MAX_TERM_CHARS: usize = 40;

/// The most distinct terms a query is searched for.
pub const MAX_QUERY_TERMS: usize = 16;

/// Words too common to search by.
const STOPWORDS: &[&str] = &[
    "a", "about", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by",
    "can", "could", "do", "does", "each", "for", "from", "had", "has", "have", "how", "if", "in",
    "into", "is", "it", "its", "may", "more", "must", "no", "not", "of", "on", "or", "our",
    "should", "so", "some", "such", "than", "that", "the", "their", "them", "then", "there",
    "these", "they", "this", "to", "us", "was", "we", "were", "what", "when", "which", "while",
    "who", "will", "with", "would", "you", "your",
];

/// The search terms of `text`, in order, repeats kept: lower-cased alphanumeric runs of two
/// characters or more (one for digits), stop words dropped, each reduced to its English stem
/// ("bookings", "booked" → "book").
#[must_use]
pub fn terms(text: &str) -> Vec<String> {
    let stemmer = rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English);
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|token| !token.is_empty())
        .map(str::to_lowercase)
        .filter(|token| {
            let length = token.chars().count();
            (length >= 2 || token.chars().all(|c| c.is_ascii_digit())) && length <= MAX_TERM_CHARS
        })
        .filter(|token| !STOPWORDS.contains(&token.as_str()))
        .map(|token| stemmer.stem(&token).into_owned())
        .collect()
}

/// How often each term occurs in a chunk, and the chunk's length in terms.
#[must_use]
pub fn term_frequencies(text: &str) -> (HashMap<String, u32>, u32) {
    let all = terms(text);
    let length = u32::try_from(all.len()).unwrap_or(u32::MAX);
    let mut counts: HashMap<String, u32> = HashMap::new();
    for term in all {
        *counts.entry(term).or_default() += 1;
    }
    (counts, length)
}

/// The distinct terms of a query, at most [`MAX_QUERY_TERMS`], in order of appearance.
#[must_use]
pub fn query_terms(query: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    terms(query)
        .into_iter()
        .filter(|term| seen.insert(term.clone()))
        .take(MAX_QUERY_TERMS)
        .collect()
}

/// The corpus figures BM25 needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CorpusStats {
    /// Chunks in the project's knowledge base.
    pub chunks: u64,
    /// Their mean length in terms.
    pub mean_length: f64,
}

/// One occurrence of a query term in a chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting<K> {
    /// The chunk.
    pub chunk: K,
    /// The chunk's length in terms.
    pub chunk_length: u32,
    /// The term.
    pub term: String,
    /// How often it occurs in the chunk.
    pub frequency: u32,
}

/// BM25's term-frequency saturation.
const K1: f64 = 1.2;
/// BM25's length normalisation.
const B: f64 = 0.75;

/// Ranks the chunks of `postings` by BM25 (k1 = 1.2, b = 0.75, idf = ln(1 + (N − df + 0.5) /
/// (df + 0.5))), best first, ties by chunk order; at most `limit`. `document_frequency` gives
/// each term's count of chunks holding it.
#[must_use]
#[expect(
    clippy::cast_precision_loss,
    reason = "chunk counts stay far below 2^52"
)]
pub fn rank<K: Clone + Ord + std::hash::Hash>(
    postings: &[Posting<K>],
    document_frequency: &HashMap<String, u64>,
    corpus: CorpusStats,
    limit: usize,
) -> Vec<(K, f64)> {
    let n = corpus.chunks as f64;
    let mean = if corpus.mean_length > 0.0 {
        corpus.mean_length
    } else {
        1.0
    };
    let mut scores: HashMap<K, f64> = HashMap::new();
    for posting in postings {
        let df = document_frequency
            .get(&posting.term)
            .copied()
            .unwrap_or(1)
            .max(1) as f64;
        let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
        let tf = f64::from(posting.frequency);
        let length = f64::from(posting.chunk_length);
        let weight = tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * length / mean));
        *scores.entry(posting.chunk.clone()).or_default() += idf * weight;
    }
    let mut ranked: Vec<(K, f64)> = scores.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(limit);
    ranked
}

/// The longest snippet shown, in characters.
pub const SNIPPET_CHARS: usize = 240;

/// A window of `content` around the first word whose term is one of `query`, at most
/// [`SNIPPET_CHARS`] characters, cut at spaces, with `…` where it was cut.
#[must_use]
pub fn snippet(content: &str, query: &[String]) -> String {
    let wanted: HashSet<&str> = query.iter().map(String::as_str).collect();
    let words: Vec<&str> = content.split_whitespace().collect();
    let hit = words
        .iter()
        .position(|word| terms(word).iter().any(|t| wanted.contains(t.as_str())))
        .unwrap_or(0);
    // Start a few words before the hit, then take words while they fit.
    let mut start = hit.saturating_sub(8);
    let mut out = String::new();
    let mut end = start;
    while end < words.len() {
        let next = words[end];
        if out.chars().count() + next.chars().count() + 1 > SNIPPET_CHARS {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(next);
        end += 1;
    }
    if out.is_empty() {
        // One word over the limit.
        out = content.chars().take(SNIPPET_CHARS - 1).collect();
        start = 0;
        end = 0;
    }
    let mut shown = String::new();
    if start > 0 {
        shown.push('…');
    }
    shown.push_str(&out);
    if end < words.len() {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
#[path = "documents_tests.rs"]
mod tests;
