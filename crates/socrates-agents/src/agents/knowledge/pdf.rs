//! The text of a PDF, by `lopdf`: every page's text in order, pages separated by a blank
//! line (so a page break ends a paragraph).

use socrates_domain::documents::DocumentRefusal;

/// The text of the PDF `bytes`.
///
/// # Errors
/// [`DocumentRefusal::NotAPdf`] when the bytes do not parse as a PDF (a damaged file, a
/// file that only starts like one), or are encrypted with a password.
pub(super) fn text(filename: &str, bytes: &[u8]) -> Result<String, DocumentRefusal> {
    let not_a_pdf = || DocumentRefusal::NotAPdf {
        filename: filename.to_owned(),
    };
    let document = lopdf::Document::load_mem(bytes).map_err(|_| not_a_pdf())?;
    if document.is_encrypted() {
        return Err(not_a_pdf());
    }
    let mut text = String::new();
    let mut unreadable = 0_usize;
    for page in document.get_pages().keys() {
        // A page whose text cannot be decoded (an unusual font encoding) is skipped rather
        // than failing the document, and logged; an empty result is refused by the caller.
        match document.extract_text(&[*page]) {
            Ok(page_text) => {
                if !text.is_empty() {
                    text.push_str("\n\n");
                }
                text.push_str(page_text.trim());
            }
            Err(_) => unreadable += 1,
        }
    }
    if unreadable > 0 {
        tracing::warn!(
            unreadable,
            "pages of an uploaded PDF whose text could not be decoded were left out"
        );
    }
    Ok(text)
}
