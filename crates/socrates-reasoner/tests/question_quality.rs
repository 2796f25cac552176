//! Every question of the offline bank passes quality control on a project that has said
//! nothing yet: the bank never leads, never suggests a solution, and names no technology.

use socrates_domain::quality::{APPROVAL_THRESHOLD, score_question};
use socrates_reasoner::offline::OfflineData;

#[test]
fn every_bank_question_passes_quality_control() {
    let data = OfflineData::builtin().expect("the built-in data loads");
    let technologies = data.knowledge().technologies();
    let mut below = Vec::new();
    let mut warned = Vec::new();
    for template in data.questions().all() {
        let named: Vec<String> = technologies
            .find(&template.text)
            .into_iter()
            .map(|mention| mention.technology.name.clone())
            .collect();
        let quality = score_question(&template.text, &named);
        if quality.score < APPROVAL_THRESHOLD {
            below.push(format!(
                "{}: {} {:?}",
                template.template_id, template.text, quality.issues
            ));
        }
        if !quality.issues.is_empty() || !quality.warnings.is_empty() {
            warned.push(format!(
                "{} ({}): {:?} {:?}",
                template.template_id, quality.score, quality.issues, quality.warnings
            ));
        }
    }
    assert!(below.is_empty(), "{below:#?}");
    assert!(
        warned.is_empty(),
        "every bank question scores 1.0: {warned:#?}"
    );
}
