//! Direct chat: a free-form message gets a reply and goes through the same extraction,
//! conflict and transaction path as an answer (source `direct_chat`, `source_id` the message's
//! id), plus the question the interview would ask next.
//!
//! Order of work, with no transaction open until the last step: the message's facts are
//! extracted (the previous reply's suggested question gives bare answers their context) and
//! judged against the current facts; the suggestion comes from the same interview plan as
//! next-question; the reasoner writes the reply knowing all of that, so it can name what was
//! recorded and raise what contradicts the specification. Then the message, the reply, the
//! facts, the conflicts and the maturity are written in one transaction. A streamed reply is
//! written the same way once it is complete: a client that goes away mid-stream drops the
//! stream, and nothing of the exchange is written.

use std::collections::HashSet;

use futures_util::StreamExt;
use serde_json::json;
use socrates_domain::{
    Category, Code, ConversationRole, FactSource, MessageKind, MessageText, SessionId, SessionMode,
};
use socrates_persistence::repositories::conversation::{self, ConversationEntry};
use socrates_persistence::repositories::projects::Project;
use socrates_persistence::repositories::questions;
use socrates_persistence::repositories::sessions::{self, Session};
use socrates_persistence::repositories::specifications::{self, Specification};
use socrates_reasoner::{
    ChatContext, ChatTurn, ExtractionInput, QuestionContext, QuestionDraft, Reasoner,
    ReasonerError, RejectedItem, ReplyStream,
};
use uuid::Uuid;

use super::exchange::{self, Exchange};
use super::{
    ChatEvent, ChatResult, ChatStream, ModeChange, SocraticCounselor, SuggestedQuestion,
    ToggleMode, ensure_active,
};
use crate::agent::{AgentContext, AgentError};
use crate::agents::common::{FACT_WRITE_ATTEMPTS, existing_facts, lost_fact_race};
use crate::agents::interview::InterviewStanding;
use crate::agents::knowledge;
use crate::usage::{self, UsageContext};

/// How many earlier entries of the session's conversation a reply is written in view of.
const CHAT_HISTORY_ENTRIES: u64 = 10;

/// How much of each earlier entry the reasoner is shown, in characters.
const HISTORY_ENTRY_CHARS: usize = 2_000;

/// The longest reply stored, in characters; a longer one is cut (a model's budget keeps
/// replies far shorter).
const MAX_REPLY_CHARS: usize = 20_000;

/// The metadata key naming the category of the question a reply suggested.
const SUGGESTED_CATEGORY: &str = "suggested_category";
/// The metadata key holding the question a reply suggested.
const SUGGESTED_QUESTION: &str = "suggested_question";
/// The metadata key holding a message's id (on the message and on its reply).
pub(crate) const MESSAGE_ID: &str = "message_id";

/// A message read, understood and judged, waiting for its reply.
struct PreparedMessage {
    session: Session,
    message: MessageText,
    message_id: Uuid,
    current: Vec<Specification>,
    chat: ChatContext,
    rejected: Vec<RejectedItem>,
    attribution: UsageContext,
}

fn not_in_chat_mode() -> AgentError {
    AgentError::Refused {
        code: Code::SessionNotInChatMode,
        message: "the session is in socratic mode: answer its questions, or switch it to \
                  direct chat with POST /api/v1/sessions/{id}/toggle-mode"
            .to_owned(),
        details: None,
    }
}

/// The first `max` characters of `text`.
fn cut(text: &str, max: usize) -> &str {
    text.char_indices()
        .nth(max)
        .map_or(text, |(index, _)| &text[..index])
}

impl SocraticCounselor {
    /// Validates the message, reads the session's recent conversation and the project's facts,
    /// extracts and judges the message's facts and finds the suggestion.
    async fn prepare_message(
        &self,
        context: &AgentContext,
        session_id: SessionId,
        raw: &str,
    ) -> Result<PreparedMessage, AgentError> {
        let message = MessageText::parse(raw)?;
        let (session, project) = self.active_session(context, session_id).await?;
        if session.mode != SessionMode::DirectChat {
            return Err(not_in_chat_mode());
        }
        let current = specifications::all_current(&self.db, project.id).await?;
        let existing = existing_facts(&current);
        let recent =
            conversation::recent_for_session(&self.db, session.id, CHAT_HISTORY_ENTRIES).await?;
        let attribution = UsageContext {
            user_id: context.user_id,
            project_id: Some(project.id),
            session_id: Some(session.id),
        };
        // The question the previous reply suggested is what a short message answers.
        let suggested = recent
            .iter()
            .rev()
            .find(|entry| entry.role == ConversationRole::Assistant)
            .and_then(|entry| entry.metadata.as_ref())
            .filter(|metadata| metadata.get(SUGGESTED_QUESTION).is_some());
        let input = ExtractionInput {
            question_text: suggested
                .and_then(|metadata| metadata[SUGGESTED_QUESTION].as_str())
                .map(str::to_owned),
            question_category: suggested
                .and_then(|metadata| metadata[SUGGESTED_CATEGORY].as_str())
                .and_then(|raw| raw.parse::<Category>().ok()),
            text: message.as_str().to_owned(),
            existing: existing.clone(),
            source: FactSource::DirectChat,
        };
        let extraction =
            usage::attributed(attribution, self.reasoner.extract_facts(&input)).await?;
        let conflicts = usage::attributed(
            attribution,
            self.reasoner.judge_conflicts(&extraction.facts, &existing),
        )
        .await?;
        let recorded: Vec<_> = extraction
            .facts
            .iter()
            .filter(|draft| !conflicts.iter().any(|finding| finding.new == **draft))
            .cloned()
            .collect();
        let suggestion = self.suggestion(&project, &current, &recorded).await?;
        let documents = if self.reasoner.reads_documents() {
            knowledge::excerpts(&self.db, project.id, message.as_str()).await?
        } else {
            Vec::new()
        };
        let mut history: Vec<ChatTurn> = recent
            .iter()
            .filter(|entry| entry.role != ConversationRole::System)
            .map(|entry: &ConversationEntry| ChatTurn {
                role: entry.role,
                text: cut(&entry.content, HISTORY_ENTRY_CHARS).to_owned(),
            })
            .collect();
        history.push(ChatTurn {
            role: ConversationRole::User,
            text: message.as_str().to_owned(),
        });
        Ok(PreparedMessage {
            session,
            message,
            message_id: Uuid::now_v7(),
            current,
            chat: ChatContext {
                history,
                facts: existing,
                understood: extraction.facts,
                conflicts,
                suggestion,
                documents,
            },
            rejected: extraction.rejected,
            attribution,
        })
    }

    /// The question next-question would ask once `recorded` is saved: the offline bank's, about
    /// the open category most in need (the project's `next_category`), never one already
    /// asked in the project. Not stored: a suggestion, not a question the session waits on.
    async fn suggestion(
        &self,
        project: &Project,
        current: &[Specification],
        recorded: &[socrates_domain::FactDraft],
    ) -> Result<Option<QuestionDraft>, AgentError> {
        let asked = questions::asked_in_project(&self.db, project.id).await?;
        let facts = current
            .iter()
            .map(|fact| (fact.category, fact.key.as_str(), fact.confidence))
            .chain(
                recorded
                    .iter()
                    .map(|draft| (draft.category, draft.key.as_str(), draft.confidence)),
            );
        let standing = InterviewStanding::new(&self.offline, facts, &asked);
        let asked_ids: HashSet<String> = asked
            .iter()
            .filter_map(|question| question.template_id.clone())
            .collect();
        let mut known = existing_facts(current);
        known.extend(recorded.iter().map(socrates_domain::FactDraft::as_existing));
        for &category in standing.plan.open_by_need() {
            let context = QuestionContext {
                project_name: project.name.clone(),
                project_description: project.description.clone().unwrap_or_default(),
                focus_category: category,
                persona: None,
                asked_template_ids: asked_ids.clone(),
                asked_questions: Vec::new(),
                existing_facts: known.clone(),
                preferences: std::collections::HashMap::new(),
                documents: Vec::new(),
            };
            match self.bank.generate_question(&context).await {
                Ok(draft) => return Ok(Some(draft)),
                Err(ReasonerError::QuestionBankExhausted { .. }) => {}
                Err(other) => return Err(other.into()),
            }
        }
        Ok(None)
    }

    /// `message`: the reply comes whole.
    pub(super) async fn send_message(
        &self,
        context: &AgentContext,
        session_id: SessionId,
        message: &str,
    ) -> Result<ChatResult, AgentError> {
        let prepared = self.prepare_message(context, session_id, message).await?;
        let reply = usage::attributed(
            prepared.attribution,
            self.reasoner.chat_reply(&prepared.chat),
        )
        .await?;
        self.finish_message(context, prepared, reply).await
    }

    /// `message_stream`: the reply's deltas, then the written result. The reasoner's errors
    /// before the first delta are the action's; later ones end the stream with
    /// [`ChatEvent::Failed`], having written nothing.
    pub(super) async fn stream_message(
        &self,
        context: &AgentContext,
        session_id: SessionId,
        message: &str,
    ) -> Result<ChatStream, AgentError> {
        let prepared = self.prepare_message(context, session_id, message).await?;
        let deltas = usage::attributed(
            prepared.attribution,
            self.reasoner.chat_reply_stream(&prepared.chat),
        )
        .await?;
        let state = Some(Box::new(Streaming {
            agent: self.clone(),
            context: *context,
            prepared,
            deltas,
            reply: String::new(),
        }));
        let events = futures_util::stream::unfold(state, |state| async move {
            let mut streaming = state?;
            let attribution = streaming.prepared.attribution;
            match usage::attributed(attribution, streaming.deltas.next()).await {
                Some(Ok(delta)) => {
                    streaming.reply.push_str(&delta);
                    Some((ChatEvent::Delta(delta), Some(streaming)))
                }
                Some(Err(error)) => Some((ChatEvent::Failed(error.into()), None)),
                None => {
                    let Streaming {
                        agent,
                        context,
                        prepared,
                        reply,
                        ..
                    } = *streaming;
                    let event = match agent.finish_message(&context, prepared, reply).await {
                        Ok(result) => ChatEvent::Finished(Box::new(result)),
                        Err(error) => ChatEvent::Failed(error),
                    };
                    Some((event, None))
                }
            }
        });
        Ok(ChatStream::new(Box::pin(events)))
    }

    /// Writes the message, its reply and what the message stated, in one transaction. Lost
    /// races with another writer of the project are judged again against the facts as they
    /// are now (the reply stands).
    async fn finish_message(
        &self,
        context: &AgentContext,
        prepared: PreparedMessage,
        reply: String,
    ) -> Result<ChatResult, AgentError> {
        let PreparedMessage {
            session,
            message,
            message_id,
            mut current,
            chat,
            rejected,
            attribution,
        } = prepared;
        let reply = clean_reply(&reply)?;
        let suggestion = chat.suggestion.map(|draft| SuggestedQuestion {
            category: draft.category,
            text: draft.text,
            context: draft.context,
        });
        let mut findings = chat.conflicts;
        let mut attempt = 1;
        loop {
            let mut reply_metadata = json!({ MESSAGE_ID: message_id });
            if let Some(suggested) = &suggestion {
                reply_metadata[SUGGESTED_CATEGORY] = json!(suggested.category);
                reply_metadata[SUGGESTED_QUESTION] = json!(suggested.text);
            }
            let exchange = Exchange {
                session: &session,
                source: FactSource::DirectChat,
                source_id: message_id,
                entries: vec![
                    exchange::entry(
                        &session,
                        ConversationRole::User,
                        MessageKind::Message,
                        message.as_str().to_owned(),
                        None,
                        Some(json!({ MESSAGE_ID: message_id })),
                    ),
                    exchange::entry(
                        &session,
                        ConversationRole::Assistant,
                        MessageKind::Reply,
                        reply.clone(),
                        None,
                        Some(reply_metadata),
                    ),
                ],
                answers: None,
                follow_up: None,
                reason: "message",
                // A message answers no question template: nothing to count.
                learns: None,
            };
            // Boxed: the write's state machine is large, and the answer's future holds it.
            let written = Box::pin(self.write_exchange(
                context,
                exchange,
                chat.understood.clone(),
                rejected.clone(),
                &findings,
                &current,
            ))
            .await;
            match written {
                Err(error) if attempt < FACT_WRITE_ATTEMPTS && lost_fact_race(&error) => {
                    attempt += 1;
                    tracing::debug!(attempt, "a message's fact write lost a race; judging again");
                    current = specifications::all_current(&self.db, session.project_id).await?;
                    findings = usage::attributed(
                        attribution,
                        self.reasoner
                            .judge_conflicts(&chat.understood, &existing_facts(&current)),
                    )
                    .await?;
                }
                Err(error) => return Err(error),
                Ok(written) => {
                    return Ok(ChatResult {
                        success: true,
                        message_id,
                        reply,
                        specs_extracted: written.saved_count,
                        coverage_breakdown: written.coverage_breakdown(),
                        maturity_score: written.report.overall,
                        conflicts_detected: !written.conflicts.is_empty(),
                        specifications: written.specifications,
                        rejected: written.rejected,
                        conflicts: written.conflicts,
                        suggested_next_question: suggestion,
                    });
                }
            }
        }
    }

    /// `toggle_mode`: switches the session's mode and notes it in the conversation, in one
    /// transaction. Switching to the mode the session is in changes nothing.
    pub(super) async fn toggle_mode(
        &self,
        context: &AgentContext,
        request: ToggleMode,
    ) -> Result<ModeChange, AgentError> {
        let (session, project) = self.owned_session(context, request.session_id).await?;
        ensure_active(&session, &project)?;
        let old_mode = session.mode;
        let new_mode = request.mode.unwrap_or(match old_mode {
            SessionMode::Socratic => SessionMode::DirectChat,
            SessionMode::DirectChat => SessionMode::Socratic,
        });
        let message = match new_mode {
            SessionMode::Socratic => "Switched to socratic mode",
            SessionMode::DirectChat => "Switched to direct chat mode",
        };
        if new_mode != old_mode {
            let now = self.clock.now();
            let tx = self.db.begin().await?;
            if sessions::set_mode(&tx, session.id, new_mode, now)
                .await?
                .is_none()
            {
                tx.rollback().await?;
                return Err(AgentError::Refused {
                    code: Code::SessionEnded,
                    message: "the session has ended; start a new one".to_owned(),
                    details: None,
                });
            }
            conversation::append_all(
                &tx,
                vec![exchange::entry(
                    &session,
                    ConversationRole::System,
                    MessageKind::ModeToggle,
                    format!("{message} (was {old_mode})."),
                    None,
                    Some(json!({ "old_mode": old_mode, "new_mode": new_mode })),
                )],
                now,
            )
            .await?;
            tx.commit().await?;
        }
        Ok(ModeChange {
            session_id: session.id,
            project_id: session.project_id,
            old_mode,
            new_mode,
            message: format!("{message}."),
        })
    }
}

/// A reply being streamed; the stream's state until its last event.
struct Streaming {
    agent: SocraticCounselor,
    context: AgentContext,
    prepared: PreparedMessage,
    deltas: ReplyStream,
    reply: String,
}

/// The reply as stored: trimmed, at most [`MAX_REPLY_CHARS`], without control characters
/// other than line breaks and tabs (a model's output is not trusted to be clean text).
fn clean_reply(reply: &str) -> Result<String, AgentError> {
    let cleaned: String = cut(reply.trim(), MAX_REPLY_CHARS)
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect();
    if cleaned.trim().is_empty() {
        return Err(ReasonerError::InvalidResponse {
            reason: "the chat reply is empty".to_owned(),
        }
        .into());
    }
    Ok(cleaned)
}
