//! Runs the offline extractor on text from stdin and prints the facts it finds, one per line:
//! `echo "We need it back within 8 hours." | cargo run -q -p socrates-reasoner --example
//! extract -- "How long could you manage without it?"`. The optional argument is the
//! question the text answers.

#![allow(clippy::print_stdout, reason = "a command-line tool prints its result")]

use std::io::Read as _;

use socrates_domain::FactSource;
use socrates_reasoner::{ExtractionInput, OfflineReasoner, Reasoner};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    let reasoner = OfflineReasoner::builtin()?;
    let input = ExtractionInput {
        question_text: std::env::args().nth(1),
        question_category: None,
        text,
        existing: Vec::new(),
        source: FactSource::SocraticQuestion,
    };
    for fact in reasoner.extract_facts(&input).await?.facts {
        println!("{}/{} = {}", fact.category, fact.key, fact.value);
    }
    Ok(())
}
