//! Rule-based fact extraction: technologies by kind, quantities by the words around them,
//! project type, decisive phrases and phrase pairs, goals stated in prose, deadlines, and
//! "must / should / need to" clauses as free-form requirements. It only reports what the text
//! states: nothing is inferred (a framework does not imply its language); a mention preceded
//! by a negation ("not", "instead of") is ignored, and so are clauses about the past or the
//! system being replaced, and options named while undecided. The word lists are data
//! (`data/lexicon.toml`).

use socrates_domain::fact_vocabulary::{ValueKind, requirement_key};
use socrates_domain::quantity::{Quantity, QuantityKind, format_number, parse_quantities};
use socrates_domain::technology::{TechnologyKind, tokenise};
use socrates_domain::{Category, FactDraft};

use super::data::{Hits, Lexicon, OfflineData, Phrases};
use crate::ExtractionInput;

/// Confidence of a plainly stated fact.
pub const EXPLICIT_CONFIDENCE: f64 = 0.9;
/// Confidence of a hedged fact ("maybe", "probably", "might").
pub const HEDGED_CONFIDENCE: f64 = 0.6;

/// The facts found so far, at most one per key and value (multi-valued keys keep every
/// value; single-valued keys keep every distinct value, so a contradiction inside one answer
/// reaches the conflict rules).
struct Found<'d> {
    data: &'d OfflineData,
    facts: Vec<FactDraft>,
    /// Where free-form statements go: the category the question asked about ("certificates
    /// rotate every 12 months" answers a security question and is a security requirement),
    /// or requirements when nothing was asked.
    home: Category,
    /// The category of the question answered, if any.
    asked: Option<Category>,
}

impl Found<'_> {
    fn push(&mut self, category: Category, key: &str, value: String, confidence: f64, why: &str) {
        let knowledge = self.data.knowledge();
        let duplicate = self.facts.iter().any(|fact| {
            fact.key == key
                && (fact.value == value || knowledge.same_meaning(key, &fact.value, &value))
        });
        if !duplicate {
            self.facts.push(FactDraft {
                category,
                key: key.to_owned(),
                value,
                confidence,
                reasoning: Some(format!("Stated in the answer: \"{why}\"")),
            });
        }
    }
}

/// A free-text value told over several sentences stops growing at this length.
const EXTENDED_VALUE_MAX_BYTES: usize = 2_000;

impl Found<'_> {
    /// Records a sentence as the value of a free-text key, or, when the answer already gave
    /// that single-valued key a value, adds the sentence to it: a policy told over three
    /// sentences is one policy.
    fn push_or_extend(&mut self, category: Category, key: &str, sentence: &str, confidence: f64) {
        let single = !self.data.knowledge().vocabulary().is_multi(key);
        let earlier = self.facts.iter_mut().find(|fact| fact.key == key);
        match earlier {
            Some(fact) if single => {
                if !fact.value.contains(sentence)
                    && fact.value.len() + sentence.len() < EXTENDED_VALUE_MAX_BYTES
                {
                    fact.value = format!("{}. {sentence}", fact.value);
                    fact.confidence = fact.confidence.min(confidence);
                }
            }
            _ => self.push(category, key, sentence.to_owned(), confidence, sentence),
        }
    }
}

/// Extracts the facts `input.text` states.
pub fn extract(data: &OfflineData, input: &ExtractionInput) -> Vec<FactDraft> {
    let lexicon = data.lexicon();
    let mut found = Found {
        data,
        facts: Vec::new(),
        home: input.question_category.unwrap_or(Category::Requirements),
        asked: input.question_category,
    };
    let question = input
        .question_text
        .as_deref()
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let asked = Asked {
        hits: data.scanner().scan(&padded(&question)),
        text: &question,
        category: input.question_category,
    };
    let all = sentences(&input.text);
    let all_hits: Vec<Hits> = all
        .iter()
        .map(|sentence| data.scanner().scan(&padded(sentence)))
        .collect();
    for (index, (sentence, hits)) in all.iter().zip(&all_hits).enumerate() {
        // "The current engine is PHP on MySQL. The rewrite will be Go": a contrast in the next
        // sentence also marks this one's current-system clauses.
        let next_contrasts = all_hits
            .get(index + 1)
            .is_some_and(|next| lexicon.contrast_markers.found_in(next));
        read_sentence(
            &mut found,
            (sentence, hits),
            &asked,
            (next_contrasts, index < ANSWERING_SENTENCES),
        );
    }
    answer_to_the_question(
        &mut found,
        lexicon,
        (&question, input.question_category),
        &all,
    );
    keep_the_peak(data, &mut found.facts);
    found.facts
}

/// The question an answer answers: its lowercase text, its phrases and its category.
struct Asked<'q> {
    text: &'q str,
    hits: Hits,
    category: Option<Category>,
}

/// What every segment of a sentence reads from the whole sentence, worked out once.
struct SentenceView<'s> {
    /// The sentence without surrounding whitespace, quoted as the reason of its facts.
    why: &'s str,
    /// Its lowercase text.
    lower: String,
    hits: &'s Hits,
    confidence: f64,
    /// People are named in the sentence or the question.
    people: bool,
    /// One of the answer's first sentences, which take their subject from the question.
    answering: bool,
    /// Figures of a test plan ("a load test with 11 000 simulated trucks").
    test_plan: bool,
}

/// The most words of a clause that lists the options a doubt just named ("Kafka or
/// RabbitMQ").
const OPTION_LIST_MAX_WORDS: usize = 3;

/// The first sentences of an answer take the subject of a bare quantity from the question
/// ("About 200." to "How many at once?"); later ones drift to anecdotes, where a number can
/// be about anything.
const ANSWERING_SENTENCES: usize = 3;

/// Lowercase tokens joined by single spaces, padded with a space either side, so phrases
/// match whole words: `padded.contains(" in memory only ")`.
fn padded(text: &str) -> String {
    socrates_domain::technology::padded_tokens(text)
}

/// One sentence: technologies, quantities, phrases and requirements per segment (a segment
/// ends at ", " or " but "), skipping segments about the past or today's system when the
/// sentence contrasts it with the new one; then goals stated in prose.
fn read_sentence(
    found: &mut Found<'_>,
    (sentence, sentence_hits): (&str, &Hits),
    asked: &Asked<'_>,
    (next_contrasts, answering): (bool, bool),
) {
    let question_category = asked.category;
    // Asked about how the product must be, people state it without "must"; asked about
    // goals, they tell the story around them, and only what they mark ("we want…", "it has
    // to…") is a statement.
    let statement_question = question_category.is_some_and(|c| c != Category::Goals);
    let lexicon = found.data.lexicon();
    let scanner = found.data.scanner();
    let confidence = if has_any_word(sentence, &lexicon.hedges) {
        HEDGED_CONFIDENCE
    } else {
        EXPLICIT_CONFIDENCE
    };
    let undecided =
        sentence.trim_end().ends_with('?') || lexicon.undecided_markers.found_in(sentence_hits);
    let contrast = next_contrasts || lexicon.contrast_markers.found_in(sentence_hits);
    let why = sentence.trim();
    let lower = why.to_ascii_lowercase();
    let view = SentenceView {
        why,
        people: lexicon.context.people.start_a_word_in(&lower)
            || lexicon.context.people.start_a_word_in(asked.text),
        test_plan: lexicon.context.test_plan.start_a_word_in(&lower),
        lower,
        hits: sentence_hits,
        confidence,
        answering,
    };
    let mut requirement: Option<String> = None;
    let mut any_marked = false;
    let facts_before = found.facts.len();
    let question_back = sentence.trim_end().ends_with('?');
    // Options are named where the doubt is: "$45k but could be €50k, Postgres on AWS" leaves
    // Postgres decided. A doubt reaches the short list right after it ("not sure, Kafka or
    // RabbitMQ"), not the clauses that follow.
    let mut options_follow = false;
    for segment in segments(sentence) {
        let hits = scanner.scan(&padded(segment));
        let doubt = lexicon.undecided_markers.found_in(&hits);
        let short_list = tokenise(segment).len() <= OPTION_LIST_MAX_WORDS;
        let options_here = question_back || doubt || (options_follow && short_list);
        options_follow = doubt || (options_follow && short_list);
        let superseded = lexicon.superseded_markers.found_in(&hits)
            || (contrast && lexicon.current_markers.found_in(&hits));
        let before = found.facts.len();
        if !superseded {
            read_segment(found, (segment, &hits, options_here), &view, asked);
        }
        let stated_fact = found.facts.len() > before;
        let marked = is_requirement(lexicon, segment);
        any_marked |= marked;
        match requirement.take() {
            Some(open) if !marked && !stated_fact && !superseded => {
                requirement = Some(format!("{open}, {}", segment.trim()));
            }
            Some(open) => {
                push_requirement(found, &open, confidence, why);
                if marked && !stated_fact && !superseded {
                    requirement = Some(segment.trim().to_owned());
                }
            }
            None if marked && !stated_fact && !superseded => {
                requirement = Some(segment.trim().to_owned());
            }
            None => {}
        }
    }
    if let Some(open) = requirement {
        push_requirement(found, &open, confidence, why);
    }
    // Asked what the product must do, people state capabilities without "must": a whole
    // sentence of substance that states nothing else is one, unless it is about today's
    // system, undecided, a remark ("that's the big one for us") or a question back.
    if statement_question
        && !any_marked
        && !undecided
        && found.facts.len() == facts_before
        && !lexicon.current_markers.found_in(sentence_hits)
        && !lexicon.superseded_markers.found_in(sentence_hits)
        && !lexicon.remarks.open(&sentence.to_ascii_lowercase())
        && !lexicon.narrative.found_in(sentence_hits)
        && is_capability(sentence)
    {
        push_requirement(found, sentence, confidence, why);
    }
    // Goals in prose are read where goals are asked about (or nothing was asked): in an
    // answer about outages, "we want to stop that" is no project goal.
    if matches!(question_category, None | Some(Category::Goals)) {
        read_goals(found, sentence, confidence);
    }
}

/// Technologies, project type, phrases, co-occurrences and quantities of one segment.
fn read_segment(
    found: &mut Found<'_>,
    (segment, hits, options_here): (&str, &Hits, bool),
    sentence: &SentenceView<'_>,
    asked: &Asked<'_>,
) {
    let (confidence, why, sentence_hits) = (sentence.confidence, sentence.why, sentence.hits);
    let question = asked.text;
    let data = found.data;
    let lexicon = data.lexicon();
    let knowledge = data.knowledge();
    if !options_here {
        let mentions = knowledge.technologies().find(segment);
        let services: Vec<&str> = mentions
            .iter()
            .filter(|m| m.technology.kind == TechnologyKind::ExternalService)
            .map(|m| m.technology.name.as_str())
            .collect();
        for mention in &mentions {
            if negated(lexicon, &segment[..mention.start]) {
                continue;
            }
            if mention.technology.kind == TechnologyKind::ExternalService {
                // Today's workflow ("right now analysts pull CSVs out of Shopify") is no
                // requirement, and neither is a service ruled out after its name.
                let after = padded(&segment[mention.start..]);
                let today = lexicon.current_markers.found_in(sentence_hits);
                if !today
                    && !RULED_OUT_AFTER.iter().any(|phrase| after.contains(phrase))
                    && let Some(statement) =
                        integration(segment, &services, &mention.technology.name)
                {
                    push_statement(found, Category::Requirements, &statement, (confidence, why));
                }
                continue;
            }
            if let Some((category, key)) = knowledge
                .vocabulary()
                .key_for_technology(mention.technology.kind)
            {
                found.push(
                    category,
                    key,
                    mention.technology.name.clone(),
                    confidence,
                    why,
                );
            }
        }
    }

    // The kind of product is stated where goals are discussed: in an answer about the stack,
    // "Gin for the HTTP API" or "the insurer's REST API" names a part, not the product.
    let about_the_product = matches!(found.asked, None | Some(Category::Goals));
    if let Some(project_type) = lexicon.project_types.iter().find(|project_type| {
        about_the_product
            && project_type.phrases.found_in(hits)
            && stated_not_ruled_out(lexicon, segment, &project_type.phrases)
    }) {
        found.push(
            Category::Goals,
            "project_type",
            project_type.value.clone(),
            confidence,
            why,
        );
    }
    let sentence_text = clean(why);
    for phrase in &lexicon.phrases {
        if phrase.phrases.found_in(hits) {
            let value = if knowledge
                .vocabulary()
                .get(&phrase.key)
                .is_some_and(|k| k.free_text)
            {
                sentence_text.clone()
            } else {
                phrase.value.clone()
            };
            found.push(phrase.category, &phrase.key, value, confidence, why);
        }
    }
    // "Who should be notified, and how?" — "Email for not urgent things.": an answer's first
    // sentences take the trigger from the question.
    for rule in &lexicon.co_occurrences {
        let triggered = rule.triggers.found_in(sentence_hits)
            || (sentence.answering && rule.triggers.found_in(&asked.hits));
        if triggered && rule.phrases.found_in(hits) {
            match &rule.value {
                Some(value) => found.push(rule.category, &rule.key, value.clone(), confidence, why),
                None => found.push_or_extend(rule.category, &rule.key, &sentence_text, confidence),
            }
        }
    }
    let sentence_lower = &sentence.lower;
    for clause in segment.split(" and ") {
        let context = clause.to_ascii_lowercase();
        for quantity in parse_quantities(clause) {
            if inside_a_name(data, clause, &quantity) {
                continue;
            }
            // "we'll commit to 2 hours, not 30 min": the figure ruled out is no fact.
            if ruled_out_figure(&context[..quantity.start]) {
                continue;
            }
            // "load test at 2x forecast, 300k simulated players": the figures of a test plan
            // are no sizing.
            if sentence.test_plan
                && matches!(
                    quantity.kind,
                    QuantityKind::Count | QuantityKind::Rate | QuantityKind::DataSize
                )
            {
                continue;
            }
            let following = words_after(&context, quantity.end);
            let key = classify(lexicon, &quantity, (&context, &following), sentence.people)
                // "Failover is manual, by runbook, and must be done in 30 minutes": a
                // recovery objective's subject can sit earlier in the sentence.
                .or_else(|| {
                    (quantity.kind == QuantityKind::Duration
                        && lexicon.context.recovery.start_a_word_in(sentence_lower))
                    .then(|| classify_duration(lexicon, &quantity, sentence_lower))
                    .flatten()
                })
                .or_else(|| {
                    sentence
                        .answering
                        .then(|| classify(lexicon, &quantity, (question, &following), true))
                        .flatten()
                });
            if let Some((category, key)) = key {
                let span = &clause[quantity.start..quantity.end];
                let value = readable_value(data, key, (span, &context[quantity.end..]), &quantity);
                found.push(category, key, value, confidence, why);
            }
        }
    }
    // A sentence that is little more than a date ("End of June 2027.") gives the deadline
    // whatever was asked.
    let deadline_context = lexicon.context.deadline.start_a_word_in(sentence_lower)
        || lexicon.context.deadline.start_a_word_in(question)
        || sentence_lower.contains(" by ")
        || tokenise(why).len() <= BARE_DATE_MAX_WORDS;
    let segment_lower = segment.to_ascii_lowercase();
    let in_segment =
        lexicon.context.deadline.start_a_word_in(&segment_lower) || segment_lower.contains(" by ");
    // A month named in a sentence about dates is the deadline when it has a year ("End of June
    // 2027."); without one ("we open in July") only next to a deadline word.
    if deadline_context
        && let Some(deadline) = deadline_in(segment)
        && (in_segment
            || deadline
                .split(' ')
                .any(|w| w.len() == 4 && w.parse::<u32>().is_ok()))
    {
        found.push(Category::Goals, "deadline", deadline, confidence, why);
    }
}

/// Whether the words right before a figure rule it out: "not 30 min", "instead of 5
/// minutes", "rather than 2 s" (but "no more than 30 minutes" is a bound).
fn ruled_out_figure(before: &str) -> bool {
    let before = before.trim_end();
    [" not", " instead of", " rather than", " not even"]
        .iter()
        .any(|words| format!(" {before}").ends_with(words))
}

/// Whether a number is part of a technology's name ("Dynamics 365", "Windows 11").
fn inside_a_name(data: &OfflineData, clause: &str, quantity: &Quantity) -> bool {
    let before = clause[..quantity.start].trim_end();
    let word_start = before
        .rfind(|c: char| c.is_whitespace())
        .map_or(0, |space| space + 1);
    let name = &clause[word_start..quantity.end];
    data.knowledge()
        .technologies()
        .find(name)
        .iter()
        .any(|mention| mention.start == 0 && before.len() > word_start)
}

/// The most words a sentence holding only a date has ("By the end of June 2027.").
const BARE_DATE_MAX_WORDS: usize = 7;

/// The first two words after offset `end` of a lowercase clause ("named users in looker" →
/// "named users"), so a count's noun phrase can be read.
fn words_after(context: &str, end: usize) -> String {
    context
        .get(end..)
        .unwrap_or_default()
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|word| !word.is_empty())
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The requirement a third-party service states: the clause naming it when it says what
/// for ("Shopify for orders", "in-app purchases through App Store and Google Play", stated
/// once for its first service), else "integrate with X" for each ("Xero, Stripe and
/// Twilio.").
fn integration(segment: &str, services: &[&str], name: &str) -> Option<String> {
    let service_words: Vec<String> = services.iter().flat_map(|s| tokenise(s)).collect();
    let other_words = tokenise(segment)
        .into_iter()
        .filter(|word| {
            !service_words.contains(word) && !INTEGRATION_FILLER.contains(&word.as_str())
        })
        .count();
    if other_words < 2 {
        Some(format!("integrate with {name}"))
    } else {
        (services.first() == Some(&name)).then(|| segment.trim().to_owned())
    }
}

/// Words that say nothing about what a service is for.
const INTEGRATION_FILLER: &[&str] = &[
    "a", "an", "the", "and", "or", "with", "we", "use", "using", "also", "too", "plus", "via",
    "through", "it", "is", "are", "to", "of", "our", "already", "have", "has", "account",
];

/// Words after a mention that rule it out of what is being built ("the mobile app is out of
/// scope", "a mobile app can come later", "Zendesk maybe at some point").
const RULED_OUT_AFTER: &[&str] = &[
    " out of scope ",
    " not in scope ",
    " not needed ",
    " isn't needed ",
    " is not needed ",
    " not required ",
    " can wait ",
    " come later ",
    " comes later ",
    " for later ",
    " maybe later ",
    " phase 2 ",
    " phase two ",
    " at some point ",
    " not in this phase ",
    " not this phase ",
    " next phase ",
    " one day ",
];

/// The sentence without surrounding whitespace and final punctuation.
fn clean(text: &str) -> String {
    text.trim()
        .trim_end_matches(['.', '!', '?'])
        .trim()
        .to_owned()
}

fn is_requirement(lexicon: &Lexicon, segment: &str) -> bool {
    let lower = format!(" {} ", segment.trim().to_ascii_lowercase());
    if lexicon
        .requirement_markers
        .iter()
        .any(|marker| lower.contains(&format!(" {marker} ")))
    {
        return true;
    }
    // "customers can track…", "admins can reset…"
    let tokens = tokenise(segment);
    tokens.windows(2).any(|pair| {
        pair[1] == "can"
            && lexicon
                .context
                .people
                .raw()
                .iter()
                .any(|person| pair[0].starts_with(person.as_str()))
    })
}

/// A clause that can state a capability on its own: a few words, not a question.
fn is_capability(segment: &str) -> bool {
    let segment = segment.trim();
    !segment.ends_with('?') && tokenise(segment).len() >= CAPABILITY_MIN_WORDS
}

/// Words a clause needs to state a capability ("staff export bookings").
const CAPABILITY_MIN_WORDS: usize = 4;

/// A free-form statement of what the product must do, filed where the question points.
fn push_requirement(found: &mut Found<'_>, statement: &str, confidence: f64, why: &str) {
    push_statement(found, found.home, statement, (confidence, why));
}

/// One `requirement_<slug>` fact per verb of `statement` in `category`.
fn push_statement(
    found: &mut Found<'_>,
    category: Category,
    statement: &str,
    (confidence, why): (f64, &str),
) {
    let statement = clean(statement);
    let statement = statement.strip_prefix("and ").unwrap_or(&statement);
    for one in split_coordinated(statement) {
        found.push(category, &requirement_key(&one), one, confidence, why);
    }
}

/// Words after which a list of verbs can follow: "patients can book, move or cancel".
const VERB_OPENERS: &[&str] = &["can", "to", "must", "should", "will", "may", "shall"];

/// One requirement per verb of a coordinated list: "patients can book, move or cancel
/// appointments" → "patients can book appointments", "… move …", "… cancel …". A list is
/// two to four lowercase single words after "can", "to", "must"…, joined by commas and a
/// final "and" or "or", followed by the object they share.
fn split_coordinated(statement: &str) -> Vec<String> {
    let words: Vec<&str> = statement.split(' ').collect();
    for (index, opener) in words.iter().enumerate() {
        if !VERB_OPENERS.contains(&opener.to_ascii_lowercase().as_str()) {
            continue;
        }
        let mut verbs: Vec<&str> = Vec::new();
        let mut at = index + 1;
        let mut closed = false;
        while let Some(word) = words.get(at) {
            let bare = word.trim_end_matches(',');
            if !bare.chars().all(|c| c.is_ascii_lowercase()) || bare.is_empty() {
                break;
            }
            if matches!(bare, "and" | "or") {
                if verbs.is_empty() || closed {
                    break;
                }
                closed = true;
                at += 1;
                continue;
            }
            verbs.push(bare);
            at += 1;
            let and_or_follows = words
                .get(at)
                .is_some_and(|next| matches!(*next, "and" | "or"));
            if closed || !(word.ends_with(',') || and_or_follows) {
                break;
            }
        }
        let object = words.get(at..).unwrap_or_default();
        if closed && (2..=4).contains(&verbs.len()) && !object.is_empty() {
            // "…book online, and to move or cancel it": the clause before the list's own
            // clause stays a requirement of its own.
            let clause_start = words[..index]
                .iter()
                .rposition(|word| word.ends_with(','))
                .map_or(0, |comma| comma + 1);
            let mut result = Vec::new();
            if clause_start > 0 {
                result.push(
                    words[..clause_start]
                        .join(" ")
                        .trim_end_matches(',')
                        .to_owned(),
                );
            }
            let mut head = words[clause_start..=index].join(" ");
            if let Some(rest) = head.strip_prefix("and ") {
                head = rest.to_owned();
            }
            let tail = object.join(" ");
            result.extend(verbs.iter().map(|verb| format!("{head} {verb} {tail}")));
            return result;
        }
    }
    vec![statement.to_owned()]
}

/// Splits a sentence at ", " and " but ", so a clause about the old system stays apart from
/// the one about the new ("10,000" keeps its comma).
fn segments(sentence: &str) -> Vec<&str> {
    sentence
        .split(", ")
        .flat_map(|part| part.split(" but "))
        .filter(|part| part.chars().any(char::is_alphanumeric))
        .collect()
}

/// A deadline month named in a segment of a sentence about dates: "live by end of October
/// 2026" → "end of October 2026", "15 Sept 2027" → "15 September 2027". "May" counts as a
/// month only next to a year or a day.
fn deadline_in(segment: &str) -> Option<String> {
    let tokens = tokenise(segment);
    let is_year = |token: &String| token.len() == 4 && token.parse::<u32>().is_ok();
    let is_day = |token: &String| {
        token.len() <= 2
            && token
                .parse::<u32>()
                .is_ok_and(|day| (1..=31).contains(&day))
    };
    let position = tokens.iter().enumerate().position(|(index, token)| {
        socrates_domain::deadline::month_of(token).is_some_and(|_| {
            token != "may"
                || tokens
                    .get(index + 1)
                    .is_some_and(|next| is_year(next) || is_day(next))
                || index
                    .checked_sub(1)
                    .is_some_and(|before| is_day(&tokens[before]))
        })
    })?;
    let month = socrates_domain::deadline::month_of(&tokens[position])?;
    let mut words: Vec<String> = Vec::new();
    if position >= 2 && tokens[position - 2] == "end" && tokens[position - 1] == "of" {
        words.extend(["end".to_owned(), "of".to_owned()]);
    } else if position >= 1 && is_day(&tokens[position - 1]) {
        words.push(tokens[position - 1].clone());
    }
    let Some(name) = usize::try_from(month)
        .ok()
        .and_then(|m| MONTH_NAMES.get(m.wrapping_sub(1)))
    else {
        // A quarter ("Q3 2026").
        words.push(tokens[position].to_ascii_uppercase());
        return Some(words.join(" "));
    };
    words.push((*name).to_owned());
    let mut rest = tokens.iter().skip(position + 1).take(3);
    if words.len() == 1
        && let Some(day) = tokens.get(position + 1).filter(|t| is_day(t))
    {
        // "Sep 15 2027"
        words.insert(0, day.clone());
    }
    if let Some(year) = rest.find(|t| is_year(t)) {
        words.push(year.clone());
    }
    Some(words.join(" "))
}

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Audience, goal and success criterion stated in prose: "a mobile app for dog walkers to
/// find clients", "our customers are small clinics", "success means 500 subscribers".
fn read_goals(found: &mut Found<'_>, sentence: &str, confidence: f64) {
    let goals = &found.data.lexicon().goals;
    let lower = sentence.to_ascii_lowercase();
    let why = sentence.trim();
    let mut audience: Option<String> = None;
    let mut goal: Option<String> = None;
    let mut success: Option<String> = None;
    // The product noun and what follows it.
    let tokens = socrates_domain::technology::tokenise_with_case(sentence);
    if let Some(noun) = tokens
        .iter()
        .find(|t| goals.product_nouns.contains(&t.lower))
    {
        let after_noun = noun.start + noun.lower.len();
        let rest = &sentence[after_noun..];
        let rest_lower = rest.to_ascii_lowercase();
        if let Some(tail) = rest_lower.strip_prefix(" for ") {
            let end = stop_at(
                tail,
                &[" to ", " that ", " who ", " which ", " where ", ":", " so "],
            );
            let candidate = &rest[5..5 + end];
            let candidate_lower = candidate.trim().to_ascii_lowercase();
            let names_no_one = goals.not_audiences.iter().any(|phrase| {
                candidate_lower
                    .strip_prefix(phrase.as_str())
                    .is_some_and(|after| {
                        after.is_empty() || !after.starts_with(char::is_alphanumeric)
                    })
            });
            if !names_no_one
                && !candidate.trim().is_empty()
                && candidate.split_whitespace().count() <= 8
            {
                audience = Some(clean(candidate));
            }
            let after = &rest[5 + end..];
            goal = goal_after(after);
        } else {
            goal = goal_after(rest);
        }
    }
    if let Some((_, end)) = goals.audience_openers.first_at_word_start(&lower) {
        let tail = &sentence[end..];
        let stop = stop_at(
            &tail.to_ascii_lowercase(),
            &[", ", " who ", " that ", " - ", ";"],
        );
        audience = Some(clean(&tail[..stop]));
    }
    if goal.is_none()
        && let Some((_, end)) = goals.goal_openers.first_at_word_start(&lower)
    {
        goal = Some(clean(&sentence[end..]));
    }
    if let Some((_, end)) = goals.success_openers.first_at_word_start(&lower) {
        success = Some(clean(sentence[end..].trim_start_matches([' ', ':', '='])));
    }
    if success.is_none()
        && lower.trim_start().starts_with("if ")
        && goals.success_closers.start_a_word_in(&lower)
        && let Some(comma) = lower.find(", ")
    {
        let start = sentence.len() - sentence.trim_start().len() + 3;
        success = Some(clean(&sentence[start.min(comma)..comma]));
    }
    for (key, value) in [
        ("target_audience", audience),
        ("project_goal", goal),
        ("success_metric", success),
    ] {
        if let Some(value) = value.filter(|v| v.split_whitespace().count() >= 1 && v.len() >= 3) {
            found.push(Category::Goals, key, value, confidence, why);
        }
    }
}

/// The goal stated right after the product ("… to find clients", "… that highlights price
/// drops", "…: booking and invoicing in one place").
fn goal_after(rest: &str) -> Option<String> {
    let lower = rest.to_ascii_lowercase();
    for opener in [" to ", " that ", " which ", " where ", ": "] {
        if lower.starts_with(opener) {
            let goal = clean(&rest[opener.len()..]);
            let goal = goal.split(". ").next().unwrap_or_default().to_owned();
            return (goal.split_whitespace().count() >= 2).then_some(goal);
        }
    }
    None
}

/// The offset of the first stop marker in `text`, or its length.
fn stop_at(text: &str, stops: &[&str]) -> usize {
    stops
        .iter()
        .filter_map(|stop| text.find(stop))
        .chain(text.find(['.', ',', ';']))
        .min()
        .unwrap_or(text.len())
}

/// The answer to a question that asks for one free-text key states that key's value in its
/// first sentence of substance ("Who will use it?" — "Warehouse staff and a few
/// supervisors."), unless the rules already found the key.
fn answer_to_the_question(
    found: &mut Found<'_>,
    lexicon: &Lexicon,
    (question, category): (&str, Option<Category>),
    sentences: &[&str],
) {
    let Some(first) = sentences.iter().find(|sentence| {
        !sentence.trim_end().ends_with('?')
            && !lexicon.remarks.open(&sentence.to_ascii_lowercase())
            && sentence.split_whitespace().count() >= 2
    }) else {
        return;
    };
    // "Hmm, not sure yet" answers nothing: an undecided sentence is no value of the key.
    if lexicon
        .undecided_markers
        .found_in(&found.data.scanner().scan(&padded(first)))
    {
        return;
    }
    for wanted in &lexicon.question_keys {
        // Any question of the category asks for its one free-text key when the answer stated
        // nothing else of the category in a real sentence ("PHPUnit and Cypress" is a
        // framework, "Kind of" says nothing).
        let by_category = wanted.whole_category
            && category == Some(wanted.category)
            && !found
                .facts
                .iter()
                .any(|fact| fact.category == wanted.category)
            && tokenise(first).len() >= CAPABILITY_MIN_WORDS;
        let asked = wanted.words.iter().any(|w| question.contains(w.as_str())) || by_category;
        if asked && !found.facts.iter().any(|fact| fact.key == wanted.key) {
            found.push(
                wanted.category,
                &wanted.key,
                clean(first),
                EXPLICIT_CONFIDENCE,
                first.trim(),
            );
            return;
        }
    }
}

/// Splits text into sentences at `.`, `!`, `?`, `;` or a newline followed by whitespace or
/// the end, so "99.9" and "Node.js" stay whole.
fn sentences(text: &str) -> Vec<&str> {
    let mut result = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (index, &byte) in bytes.iter().enumerate() {
        let boundary = matches!(byte, b'.' | b'!' | b'?' | b';')
            && bytes.get(index + 1).is_none_or(u8::is_ascii_whitespace);
        if boundary || byte == b'\n' {
            result.push(&text[start..=index]);
            start = index + 1;
        }
    }
    result.push(&text[start..]);
    result
        .into_iter()
        .filter(|s| s.chars().any(char::is_alphanumeric))
        .collect()
}

fn has_any_word(text: &str, words: &[String]) -> bool {
    tokenise(text).iter().any(|t| words.contains(t))
}

/// Whether a negation among the three words before a mention reaches it: "not MySQL",
/// "instead of Mongo", but not "replace MySQL with PostgreSQL" (the "with" ends its reach).
fn negated(lexicon: &Lexicon, before: &str) -> bool {
    let lower = before.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .collect();
    for word in words.iter().rev().take(3) {
        if lexicon.negation_breakers.iter().any(|b| b == word) {
            return false;
        }
        if lexicon.negations.iter().any(|n| n == word) {
            return true;
        }
    }
    false
}

/// Whether one of `phrases` occurs in `segment` as something being built: not after a
/// negation ("no mobile app for now") and not ruled out after it ("… is out of scope").
fn stated_not_ruled_out(lexicon: &Lexicon, segment: &str, phrases: &Phrases) -> bool {
    let words = padded(segment);
    phrases.raw().iter().any(|phrase| {
        let needle = format!(" {phrase} ");
        words.match_indices(&needle).any(|(at, _)| {
            let after = &words[at + needle.len() - 1..];
            !negated(lexicon, &words[..at]) && !RULED_OUT_AFTER.iter().any(|w| after.contains(w))
        })
    })
}

/// Which vocabulary key a quantity fills, judged from the words of its context and the two
/// words after the number.
fn classify(
    lexicon: &Lexicon,
    quantity: &Quantity,
    (context, following): (&str, &str),
    people_nearby: bool,
) -> Option<(Category, &'static str)> {
    let words = &lexicon.context;
    match quantity.kind {
        QuantityKind::Duration => classify_duration(lexicon, quantity, context),
        QuantityKind::Percent if words.availability.start_a_word_in(context) => {
            Some((Category::DisasterRecovery, "availability_target_percent"))
        }
        QuantityKind::Percent if words.coverage.start_a_word_in(context) => {
            Some((Category::Testing, "test_coverage_target_percent"))
        }
        QuantityKind::Money if words.budget.start_a_word_in(context) => {
            Some((Category::Goals, "budget_usd"))
        }
        // A year is never a count ("from 2028"), and neither is a budget's year.
        QuantityKind::Count if is_year(quantity) => None,
        // "a budget of 40k", or "About 40k." to a question about the budget; "500 trucks"
        // counts trucks.
        QuantityKind::Count
            if context.contains("budget")
                && quantity
                    .noun
                    .as_deref()
                    .is_none_or(|noun| words.budget.start_a_word_in(noun)) =>
        {
            Some((Category::Goals, "budget_usd"))
        }
        // "40 moves a second" is a load only when the context speaks of one ("300 bookings an
        // hour at the busiest time").
        // "20 requests per second per device", "a per-device limit of 20 req/s" is a rate
        // limit, not the load.
        QuantityKind::Rate
            if (quantity.noun.is_none() || words.throughput.start_a_word_in(context))
                && !following.starts_with("per ")
                && !words.rate_limit.start_a_word_in(context) =>
        {
            Some((Category::Performance, "throughput_rps"))
        }
        // "128 GB RAM" is a machine's memory, not the data.
        QuantityKind::DataSize
            if !following
                .split(' ')
                .next()
                .is_some_and(|word| matches!(word, "ram" | "memory" | "heap" | "of"))
                || following.starts_with("of data") =>
        {
            Some((Category::Scalability, "data_volume"))
        }
        QuantityKind::Count => {
            classify_count(lexicon, quantity, (context, following), people_nearby)
        }
        _ => None,
    }
}

/// The smallest count read as users or writers: "one" and "two" are phrasing.
const MIN_USER_COUNT: f64 = 3.0;

/// Nouns after "concurrent" that count something other than people ("200 concurrent
/// connections").
const CONCURRENT_THINGS: &[&str] = &[
    "requests",
    "connections",
    "jobs",
    "sessions",
    "streams",
    "queries",
    "calls",
    "transactions",
    "writes",
    "tasks",
    "uploads",
    "downloads",
    "matches",
    "games",
    "builds",
    "workers",
    "threads",
    "processes",
];

/// A count of people: concurrent writers, concurrent users or a total, or nothing (the team
/// building it, a count of things).
fn classify_count(
    lexicon: &Lexicon,
    quantity: &Quantity,
    (context, following): (&str, &str),
    people_nearby: bool,
) -> Option<(Category, &'static str)> {
    let words = &lexicon.context;
    let second = following.split(' ').nth(1).unwrap_or("");
    // "12 physio clinics": a people word before another plural names what is counted, the
    // clinics, not people.
    let counts_things = second.len() > 3
        && second.ends_with('s')
        && !words.people.start_a_word_in(second)
        && !words.writers.start_a_word_in(second)
        && !matches!(second, "always" | "across" | "plus" | "tops" | "is" | "was");
    let noun = if counts_things {
        second
    } else {
        quantity.noun.as_deref().unwrap_or("")
    };
    if quantity.value < 50.0 && words.team.start_a_word_in(context) {
        return None;
    }
    // "never two patients with the same physio at the same time" is a rule, not a load.
    if quantity.value < MIN_USER_COUNT {
        return None;
    }
    let concurrent = words.concurrent.start_a_word_in(context);
    let people = words.people.start_a_word_in(context);
    let writers = words.writers.start_a_word_in(context);
    // "2M concurrent on launch day", "150k CCU": the concurrency word is the noun.
    let concurrent_noun = matches!(noun, "concurrent" | "simultaneous" | "ccu")
        && !CONCURRENT_THINGS.contains(&second);
    if noun == "ccu" {
        Some((Category::Scalability, "concurrent_users"))
    } else if writers
        && (concurrent || noun.starts_with("writer") || words.writers.start_a_word_in(second))
    {
        Some((Category::Scalability, "concurrent_writers"))
    } else if concurrent && (people || people_nearby || concurrent_noun) {
        Some((Category::Scalability, "concurrent_users"))
    } else if people
        // "the two regional managers" is no user base.
        && (quantity.value >= 10.0 || noun.starts_with("user"))
        && (states_total(lexicon, noun, context)
            || words.people.start_a_word_in(second)
            || words.total_question.start_a_word_in(context))
    {
        Some((Category::Scalability, "total_users"))
    } else {
        None
    }
}

/// A four-digit whole number between 1990 and 2100 written without a separator.
fn is_year(quantity: &Quantity) -> bool {
    quantity.end - quantity.start == 4
        && quantity.value.fract() == 0.0
        && (1990.0..=2100.0).contains(&quantity.value)
}

/// Whether a count of people is a total: the noun names people ("20,000 users") or, for a
/// bare number, the context asks for a total.
fn states_total(lexicon: &Lexicon, noun: &str, context: &str) -> bool {
    if noun.is_empty() {
        lexicon.context.total_question.start_a_word_in(context)
    } else {
        lexicon.context.people.start_a_word_in(noun) || noun.starts_with("total")
    }
}

/// Response times are shorter than this: "find a match within 10s" or "5 minutes" is a
/// deadline for a process, not a latency target.
const LATENCY_MAX_SECONDS: f64 = 10.0;

/// The longest duration read as a recovery objective: "six weeks of work" is no RTO.
const RECOVERY_MAX_SECONDS: f64 = 7.0 * 86_400.0;

/// The shortest duration read as a deadline ("live in 3 months"); "a trial for a week" or
/// "24 hours before" is not when the product is due.
const DEADLINE_MIN_SECONDS: f64 = 14.0 * 86_400.0;

fn classify_duration(
    lexicon: &Lexicon,
    quantity: &Quantity,
    context: &str,
) -> Option<(Category, &'static str)> {
    let words = &lexicon.context;
    let seconds = quantity.value / 1_000.0;
    if words.rpo.start_a_word_in(context) && seconds <= RECOVERY_MAX_SECONDS {
        Some((Category::DisasterRecovery, "rpo_minutes"))
    } else if words.rto.start_a_word_in(context) && seconds <= RECOVERY_MAX_SECONDS {
        Some((Category::DisasterRecovery, "rto_minutes"))
    } else if words.p99.start_a_word_in(context) && seconds < LATENCY_MAX_SECONDS {
        Some((Category::Performance, "latency_p99_ms"))
    } else if words.latency.start_a_word_in(context) && seconds < LATENCY_MAX_SECONDS {
        Some((Category::Performance, "latency_p95_ms"))
    } else if words.retention.start_a_word_in(context)
        && seconds >= 86_400.0
        && !(context.contains("within") && words.deletion.start_a_word_in(context))
    {
        Some((Category::DataRetention, "retention_period_days"))
    } else if words.deadline.start_a_word_in(context) && seconds >= DEADLINE_MIN_SECONDS {
        Some((Category::Goals, "deadline"))
    } else {
        None
    }
}

/// A readable value in the key's unit ("2 s" under `latency_p95_ms` → "2000 ms"); text keys
/// keep the words as written ("3 months"); an amount keeps the period it is stated per
/// ("$6k/month" → "6000 USD per month").
fn readable_value(
    data: &OfflineData,
    key: &str,
    (span, after): (&str, &str),
    quantity: &Quantity,
) -> String {
    let duration = quantity.kind == QuantityKind::Duration;
    let (number, unit) = match data.knowledge().vocabulary().value_kind(key) {
        ValueKind::Milliseconds => (quantity.value, " ms"),
        ValueKind::Minutes if duration => (quantity.minutes(), " minutes"),
        ValueKind::Minutes => (quantity.value, " minutes"),
        ValueKind::Days if duration => (quantity.days(), " days"),
        ValueKind::Days => (quantity.value, " days"),
        ValueKind::Percent => (quantity.value, " %"),
        ValueKind::Usd => {
            return format!("{} USD{}", format_number(quantity.value), period_of(after));
        }
        ValueKind::PerSecond => (quantity.value, " requests/s"),
        ValueKind::Count if quantity.kind == QuantityKind::Count => (quantity.value, ""),
        ValueKind::Gigabytes => (quantity.value, " GB"),
        ValueKind::Count | ValueKind::Name | ValueKind::Text | ValueKind::Date => {
            return span.trim().to_owned();
        }
    };
    format!("{}{unit}", format_number(number))
}

/// The period an amount is stated per, from the words right after it: " per month" for
/// "/month", "a month", "monthly"; empty for a one-off amount.
fn period_of(after: &str) -> &'static str {
    let head: String = after
        .trim_start()
        .chars()
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase();
    let periods: [(&[&str], &'static str); 4] = [
        (
            &[
                "/mo",
                "per month",
                "a month",
                "monthly",
                "each month",
                "every month",
            ],
            " per month",
        ),
        (
            &[
                "/y",
                "per year",
                "a year",
                "per annum",
                "yearly",
                "annually",
                "each year",
            ],
            " per year",
        ),
        (
            &["/week", "per week", "a week", "weekly", "each week"],
            " per week",
        ),
        (
            &["/day", "per day", "a day", "daily", "each day"],
            " per day",
        ),
    ];
    periods
        .iter()
        .find(|(words, _)| {
            words.iter().any(|word| {
                head.strip_prefix(word)
                    .or_else(|| head.strip_prefix("in ").and_then(|h| h.strip_prefix(word)))
                    .is_some()
                    || head
                        .split_once(' ')
                        .is_some_and(|(_, rest)| rest.starts_with(word))
            })
        })
        .map_or("", |(_, period)| period)
}

/// Keys sized for their peak: when one answer states several values ("400 now, 1,000 next
/// year", "270 msg/s average, we size for 2,000"), the largest is the requirement.
const SIZED_FOR_THE_PEAK: &[&str] = &[
    "total_users",
    "concurrent_users",
    "concurrent_writers",
    "data_volume",
    "throughput_rps",
];

/// Keeps only the largest value of each key sized for its peak.
fn keep_the_peak(data: &OfflineData, facts: &mut Vec<FactDraft>) {
    let knowledge = data.knowledge();
    for key in SIZED_FOR_THE_PEAK {
        let peak = facts
            .iter()
            .filter(|fact| fact.key == *key)
            .filter_map(|fact| knowledge.numeric_value(key, &fact.value))
            .fold(f64::NEG_INFINITY, f64::max);
        facts.retain(|fact| {
            fact.key != *key
                || knowledge
                    .numeric_value(key, &fact.value)
                    .is_none_or(|value| value >= peak)
        });
    }
}

#[cfg(test)]
#[path = "extraction_tests.rs"]
mod tests;
