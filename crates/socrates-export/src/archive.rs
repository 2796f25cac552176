//! ZIP archives of text files. The same files always give the same bytes: entries keep their
//! order, carry the ZIP epoch (1980-01-01) as their time and mode 0644, so an unchanged
//! specification exports and generates byte-identical archives.

use std::io::{Cursor, Write as _};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// One file of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveFile {
    /// Its path inside the archive, `/`-separated, relative.
    pub path: String,
    /// Its text.
    pub content: String,
}

impl ArchiveFile {
    /// A file at `path` with `content`.
    pub fn new(path: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            content: content.into(),
        }
    }
}

/// Why an archive could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The files together are larger than the limit; nothing was compressed.
    #[error("the archive would hold {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Their total size before compression.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The ZIP writer failed.
    #[error("the archive could not be written: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// Writing into memory failed.
    #[error("the archive could not be written: {0}")]
    Io(#[from] std::io::Error),
}

/// The total size of the files before compression.
#[must_use]
pub fn uncompressed_size(files: &[ArchiveFile]) -> u64 {
    files.iter().map(|f| f.content.len() as u64).sum()
}

/// The files as one deflated ZIP, or [`ArchiveError::TooLarge`] when their total size before
/// compression exceeds `limit` bytes. CPU-bound: call it on the blocking pool.
///
/// # Errors
/// [`ArchiveError`].
pub fn zip(files: &[ArchiveFile], limit: u64) -> Result<Vec<u8>, ArchiveError> {
    let size = uncompressed_size(files);
    if size > limit {
        return Err(ArchiveError::TooLarge { size, limit });
    }
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644);
    let mut writer = ZipWriter::new(Cursor::new(Vec::with_capacity(
        usize::try_from(size / 3).unwrap_or(0),
    )));
    for file in files {
        writer.start_file(file.path.as_str(), options)?;
        writer.write_all(file.content.as_bytes())?;
    }
    Ok(writer.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    #[test]
    fn the_same_files_give_the_same_bytes_and_read_back() {
        let files = vec![
            ArchiveFile::new("a/spec.md", "# Spec\n"),
            ArchiveFile::new("b.txt", "x".repeat(10_000)),
        ];
        let first = zip(&files, 1 << 20).expect("zip");
        assert_eq!(first, zip(&files, 1 << 20).expect("zip"));
        assert!(first.len() < 2_000, "deflated: {}", first.len());
        let mut archive = zip::ZipArchive::new(Cursor::new(first)).expect("read back");
        let mut text = String::new();
        archive
            .by_name("a/spec.md")
            .expect("entry")
            .read_to_string(&mut text)
            .expect("text");
        assert_eq!(text, "# Spec\n");
    }

    #[test]
    fn files_over_the_limit_are_refused_before_compression() {
        let files = vec![ArchiveFile::new("big", "x".repeat(101))];
        assert!(matches!(
            zip(&files, 100),
            Err(ArchiveError::TooLarge {
                size: 101,
                limit: 100
            })
        ));
    }
}
