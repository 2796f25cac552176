//! The specification as a PDF for people: a title page, the maturity of each category as bars,
//! the facts by category, the open conflicts and the decision log, on A4 pages numbered
//! "page n of N".
//!
//! The text is set in DejaVu Sans (embedded, subset by krilla), which covers Latin, Greek,
//! Cyrillic and most symbols; a character the font lacks (CJK, emoji) is printed as `?` rather
//! than as an empty box. Layout is done first into a list of pages of positioned lines and
//! boxes, then drawn: lines are wrapped at word boundaries with the font's own advances, and a
//! word longer than a line is cut.

use std::sync::LazyLock;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, TextDirection};
use skrifa::MetadataProvider as _;
use skrifa::instance::{LocationRef, Size};
use socrates_domain::Category;

use crate::model::Specification;

const REGULAR_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
const BOLD_TTF: &[u8] = include_bytes!("../assets/fonts/DejaVuSans-Bold.ttf");

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const BODY_BOTTOM: f32 = PAGE_HEIGHT - MARGIN - 18.0;
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;

/// Why a PDF could not be made.
#[derive(Debug, thiserror::Error)]
#[error("the PDF could not be written: {0}")]
pub struct PdfError(String);

/// One face: krilla's font to draw with, and the same font parsed once by skrifa to measure.
struct Face {
    font: Font,
    metrics: skrifa::FontRef<'static>,
}

impl Face {
    fn new(data: &'static [u8]) -> Option<Self> {
        Some(Self {
            font: Font::new(data.into(), 0)?,
            metrics: skrifa::FontRef::new(data).ok()?,
        })
    }

    fn covers(&self, c: char) -> bool {
        self.metrics.charmap().map(c).is_some()
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        let font = &self.metrics;
        let charmap = font.charmap();
        let metrics = font.glyph_metrics(Size::new(size), LocationRef::default());
        text.chars()
            .map(|c| {
                charmap
                    .map(c)
                    .and_then(|glyph| metrics.advance_width(glyph))
                    .unwrap_or(size * 0.6)
            })
            .sum()
    }
}

struct Faces {
    regular: Face,
    bold: Face,
}

static FACES: LazyLock<Option<Faces>> = LazyLock::new(|| {
    Some(Faces {
        regular: Face::new(REGULAR_TTF)?,
        bold: Face::new(BOLD_TTF)?,
    })
});

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Weight {
    Regular,
    Bold,
}

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        weight: Weight,
        grey: u8,
        text: String,
    },
    Box {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        colour: (u8, u8, u8),
    },
}

/// Lays text out onto pages.
struct Layout<'f> {
    faces: &'f Faces,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl<'f> Layout<'f> {
    fn new(faces: &'f Faces) -> Self {
        Self {
            faces,
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.faces.regular,
            Weight::Bold => &self.faces.bold,
        }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    fn room_for(&mut self, height: f32) {
        if self.y + height > BODY_BOTTOM {
            self.new_page();
        }
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    /// The text with every character the face lacks replaced by `?`, control characters by
    /// spaces.
    fn printable(&self, text: &str, weight: Weight) -> String {
        let face = self.face(weight);
        text.chars()
            .map(|c| {
                if c.is_control() {
                    ' '
                } else if face.covers(c) {
                    c
                } else {
                    '?'
                }
            })
            .collect()
    }

    /// Lines of at most `width` points.
    fn wrap(&self, text: &str, size: f32, weight: Weight, width: f32) -> Vec<String> {
        let face = self.face(weight);
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_owned()
                } else {
                    format!("{line} {word}")
                };
                if face.width(&candidate, size) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                // A word longer than the line is cut.
                let mut rest = word.to_owned();
                while face.width(&rest, size) > width {
                    let mut cut = String::new();
                    for c in rest.chars() {
                        cut.push(c);
                        if face.width(&cut, size) > width {
                            cut.pop();
                            break;
                        }
                    }
                    if cut.is_empty() {
                        break;
                    }
                    rest = rest[cut.len()..].to_owned();
                    lines.push(cut);
                }
                line = rest;
            }
            lines.push(line);
        }
        lines
    }

    fn text(&mut self, text: &str, size: f32, weight: Weight, grey: u8, indent: f32) {
        let printable = self.printable(text, weight);
        let leading = size * 1.35;
        for line in self.wrap(&printable, size, weight, TEXT_WIDTH - indent) {
            self.room_for(leading);
            self.y += leading;
            self.push(Op::Text {
                x: MARGIN + indent,
                y: self.y - size * 0.3,
                size,
                weight,
                grey,
                text: line,
            });
        }
    }

    fn gap(&mut self, points: f32) {
        self.y += points;
    }

    fn heading(&mut self, text: &str, size: f32) {
        self.room_for(size * 4.0);
        self.gap(size * 0.6);
        self.text(text, size, Weight::Bold, 0, 0.0);
        self.gap(size * 0.3);
    }

    /// `label` in bold at the left, `value` wrapped in the column to its right.
    fn row(&mut self, label: &str, value: &str, label_width: f32) {
        let size = 10.0;
        let leading = size * 1.35;
        let label = self.printable(label, Weight::Bold);
        let value = self.printable(value, Weight::Regular);
        let lines = self.wrap(&value, size, Weight::Regular, TEXT_WIDTH - label_width);
        self.room_for(leading * lines.len().min(4) as f32);
        self.y += leading;
        let label_lines = self.wrap(&label, size, Weight::Bold, label_width - 6.0);
        let first = label_lines.first().cloned().unwrap_or_default();
        self.push(Op::Text {
            x: MARGIN,
            y: self.y - size * 0.3,
            size,
            weight: Weight::Bold,
            grey: 0,
            text: first,
        });
        for (index, line) in lines.into_iter().enumerate() {
            if index > 0 {
                self.room_for(leading);
                self.y += leading;
            }
            self.push(Op::Text {
                x: MARGIN + label_width,
                y: self.y - size * 0.3,
                size,
                weight: Weight::Regular,
                grey: 0,
                text: line,
            });
        }
    }

    fn bar(&mut self, label: &str, percent: f64, note: &str) {
        let size = 10.0;
        let height = 16.0;
        self.room_for(height + 4.0);
        let top = self.y + 4.0;
        let bar_x = MARGIN + 130.0;
        let bar_width = 200.0;
        self.push(Op::Text {
            x: MARGIN,
            y: top + 11.0,
            size,
            weight: Weight::Regular,
            grey: 0,
            text: label.to_owned(),
        });
        self.push(Op::Box {
            x: bar_x,
            y: top + 2.0,
            width: bar_width,
            height: 10.0,
            colour: (226, 230, 236),
        });
        #[allow(clippy::cast_possible_truncation, reason = "0..=100")]
        let filled = (percent.clamp(0.0, 100.0) / 100.0) as f32 * bar_width;
        if filled > 0.0 {
            self.push(Op::Box {
                x: bar_x,
                y: top + 2.0,
                width: filled,
                height: 10.0,
                colour: if percent >= 100.0 {
                    (46, 125, 50)
                } else {
                    (52, 101, 164)
                },
            });
        }
        self.push(Op::Text {
            x: bar_x + bar_width + 10.0,
            y: top + 11.0,
            size,
            weight: Weight::Regular,
            grey: 60,
            text: format!("{percent:.2} %  {note}"),
        });
        self.y = top + height;
    }
}

fn fill(colour: (u8, u8, u8)) -> Fill {
    Fill {
        paint: rgb::Color::new(colour.0, colour.1, colour.2).into(),
        opacity: NormalizedF32::ONE,
        rule: krilla::paint::FillRule::default(),
    }
}

fn lay_out(spec: &Specification, faces: &Faces) -> Vec<Vec<Op>> {
    let maturity = spec.maturity();
    let version = spec.version();
    let mut layout = Layout::new(faces);

    // Title page.
    layout.gap(140.0);
    layout.text(&spec.project.name, 28.0, Weight::Bold, 0, 0.0);
    layout.gap(6.0);
    layout.text("Software specification", 14.0, Weight::Regular, 90, 0.0);
    layout.gap(18.0);
    if let Some(description) = spec.project.description.as_deref() {
        layout.text(description, 11.0, Weight::Regular, 0, 0.0);
        layout.gap(18.0);
    }
    let open = spec.open_conflicts.len();
    for (label, value) in [
        ("Phase", spec.project.phase.clone()),
        ("Maturity", format!("{:.2} %", maturity.overall)),
        ("Facts", spec.facts.len().to_string()),
        ("Open conflicts", open.to_string()),
        ("Decisions", spec.decisions.len().to_string()),
        ("Version", version.hash.clone()),
        (
            "Exported",
            spec.taken_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        ),
    ] {
        layout.row(label, &value, 110.0);
    }

    // Maturity.
    layout.new_page();
    layout.heading("Maturity by category", 18.0);
    layout.text(
        &format!(
            "Overall {:.2} %. A category is complete when the confidence of its facts adds up \
             to its weight.",
            maturity.overall
        ),
        10.0,
        Weight::Regular,
        60,
        0.0,
    );
    layout.gap(8.0);
    for coverage in &maturity.categories {
        let note = format!(
            "{} {}, weight {}",
            coverage.fact_count,
            if coverage.fact_count == 1 {
                "fact"
            } else {
                "facts"
            },
            coverage.weight
        );
        layout.bar(coverage.category.title(), coverage.coverage_percent, &note);
    }

    // Facts.
    layout.heading("Facts by category", 18.0);
    if spec.facts.is_empty() {
        layout.text("No facts yet.", 10.0, Weight::Regular, 60, 0.0);
    }
    for category in Category::ALL {
        let facts: Vec<_> = spec.in_category(category).collect();
        if facts.is_empty() {
            continue;
        }
        layout.heading(category.title(), 13.0);
        for fact in facts {
            layout.room_for(40.0);
            layout.text(&fact.key, 9.5, Weight::Bold, 40, 0.0);
            layout.text(&fact.value, 10.5, Weight::Regular, 0, 12.0);
            layout.text(
                &format!(
                    "confidence {:.2} · {} · version {}",
                    fact.confidence, fact.source, fact.version
                ),
                8.0,
                Weight::Regular,
                110,
                12.0,
            );
            layout.gap(4.0);
        }
    }

    // Conflicts.
    layout.heading("Open conflicts", 18.0);
    if spec.open_conflicts.is_empty() {
        layout.text("None.", 10.0, Weight::Regular, 60, 0.0);
    }
    for conflict in &spec.open_conflicts {
        layout.room_for(40.0);
        layout.text(
            &format!(
                "{} · {} · {}",
                conflict.category.title(),
                conflict.severity,
                conflict.detected_at.format("%Y-%m-%d")
            ),
            9.0,
            Weight::Bold,
            40,
            0.0,
        );
        layout.text(&conflict.description, 10.5, Weight::Regular, 0, 12.0);
        layout.text(
            &format!("held back: {} = {}", conflict.key, conflict.pending_value),
            9.0,
            Weight::Regular,
            80,
            12.0,
        );
        layout.gap(4.0);
    }

    // Decisions.
    layout.heading("Decision log", 18.0);
    if spec.decisions.is_empty() {
        layout.text("No decisions recorded yet.", 10.0, Weight::Regular, 60, 0.0);
    }
    for decision in &spec.decisions {
        layout.room_for(36.0);
        let when = decision
            .decided_at
            .map_or_else(String::new, |at| at.format("%Y-%m-%d").to_string());
        layout.text(
            &format!("{when} · {}", decision.outcome),
            9.0,
            Weight::Bold,
            40,
            0.0,
        );
        layout.text(&decision.description, 10.5, Weight::Regular, 0, 12.0);
        if let Some(merged) = &decision.merged_value {
            layout.text(
                &format!("merged value: {merged}"),
                9.0,
                Weight::Regular,
                80,
                12.0,
            );
        }
        if let Some(notes) = &decision.notes {
            layout.text(&format!("notes: {notes}"), 9.0, Weight::Regular, 80, 12.0);
        }
        layout.gap(4.0);
    }
    layout.pages
}

/// The specification as a PDF. CPU-bound: call it on the blocking pool.
///
/// # Errors
/// [`PdfError`] when the embedded font cannot be read or krilla refuses the document.
pub fn render(spec: &Specification) -> Result<Vec<u8>, PdfError> {
    let faces = FACES
        .as_ref()
        .ok_or_else(|| PdfError("the embedded font could not be read".to_owned()))?;
    let pages = lay_out(spec, faces);
    let count = pages.len();
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(spec.project.name.clone())
            .description(format!("Specification of {}", spec.project.name))
            .creator("Socrates".to_owned()),
    );
    let footer_name = {
        let layout = Layout::new(faces);
        layout.printable(&spec.project.name, Weight::Regular)
    };
    for (index, ops) in pages.into_iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
            .ok_or_else(|| PdfError("bad page size".to_owned()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for op in ops.iter().chain(std::iter::once(&Op::Text {
            x: MARGIN,
            y: PAGE_HEIGHT - MARGIN + 12.0,
            size: 8.0,
            weight: Weight::Regular,
            grey: 120,
            text: format!(
                "{} — page {} of {count}",
                footer_name.chars().take(80).collect::<String>(),
                index + 1
            ),
        })) {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    weight,
                    grey,
                    text,
                } => {
                    surface.set_fill(Some(fill((*grey, *grey, *grey))));
                    let font = match weight {
                        Weight::Regular => faces.regular.font.clone(),
                        Weight::Bold => faces.bold.font.clone(),
                    };
                    surface.draw_text(
                        Point::from_xy(*x, *y),
                        font,
                        *size,
                        text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Op::Box {
                    x,
                    y,
                    width,
                    height,
                    colour,
                } => {
                    if let Some(rect) = Rect::from_xywh(*x, *y, *width, *height) {
                        let mut builder = PathBuilder::new();
                        builder.push_rect(rect);
                        if let Some(path) = builder.finish() {
                            surface.set_fill(Some(fill(*colour)));
                            surface.draw_path(&path);
                        }
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|error| PdfError(format!("{error:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_words_are_cut_and_lines_fit() {
        let faces = FACES.as_ref().expect("fonts");
        let layout = Layout::new(faces);
        let lines = layout.wrap(&"x".repeat(400), 10.0, Weight::Regular, 100.0);
        assert!(lines.len() > 3);
        for line in &lines {
            assert!(faces.regular.width(line, 10.0) <= 100.0);
        }
        assert_eq!(lines.concat(), "x".repeat(400));
        assert_eq!(layout.printable("日本 ok é", Weight::Regular), "?? ok é");
    }
}
