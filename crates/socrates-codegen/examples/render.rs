//! Writes the projects the generator makes of a sample specification, one folder per stack:
//! `cargo run -p socrates-codegen --example render -- DIR`. CI runs each project's own tests.

#[path = "../tests/sample.rs"]
mod sample;

use socrates_codegen::Generator;
use socrates_domain::{Knowledge, Stack};
use socrates_export::Brief;

#[allow(
    clippy::print_stdout,
    reason = "the example reports the folders it wrote"
)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).ok_or("usage: render DIR")?;
    let knowledge = Knowledge::builtin()?;
    for (stack, language) in [
        (Stack::PythonFastapi, "Python"),
        (Stack::TypescriptExpress, "TypeScript"),
        (Stack::RustActix, "Rust"),
    ] {
        let spec = sample::clinic(language);
        let brief = Brief::read(&spec, Some(knowledge.technologies()));
        let generator = Generator::new(&spec, &brief, stack, false)?;
        for file in generator.render_all()? {
            let path = std::path::Path::new(&out)
                .join(stack.as_str())
                .join(&file.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, file.content)?;
        }
        println!(
            "{}",
            std::path::Path::new(&out).join(stack.as_str()).display()
        );
    }
    Ok(())
}
