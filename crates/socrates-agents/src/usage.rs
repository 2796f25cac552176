//! Recording what model calls cost, in `llm_usage_tracking`, without ever making a model call
//! wait on the database.
//!
//! The reasoner hands each call's usage to [`UsageRecorder`] (its [`UsageSink`]), which only
//! queues it; a background task writes the queue in batches. Who the call was for comes from
//! the [`UsageContext`] the caller sets with [`attributed`] — the one function agents use
//! around every reasoner call:
//!
//! ```text
//! let facts = usage::attributed(context, reasoner.extract_facts(&input)).await?;
//! ```
//!
//! A call made outside `attributed` is logged and counted (`unattributed`), never stored
//! under a made-up user. When the queue is full the row is dropped, logged and counted
//! (`dropped`); both counters are visible through [`UsageRecorder::stats`].

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use socrates_domain::{ProjectId, SessionId, UserId};
use socrates_llm::Usage;
use socrates_persistence::SpecsDb;
use socrates_persistence::repositories::llm_usage::{self, NewUsage};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use socrates_infra::clock::Clock;
use socrates_infra::metrics::Metrics;
use socrates_reasoner::{CallFailure, Operation, UsageSink};

/// How many rows may wait for the writer.
pub const QUEUE_CAPACITY: usize = 10_000;
/// How many rows the writer stores per statement at most.
pub const BATCH_SIZE: usize = 100;

/// Who a model call is made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageContext {
    /// The user whose request caused the call.
    pub user_id: UserId,
    /// The project it is about, if any.
    pub project_id: Option<ProjectId>,
    /// The session it is part of, if any.
    pub session_id: Option<SessionId>,
}

tokio::task_local! {
    static CONTEXT: UsageContext;
}

/// Runs `future` with every model call inside it attributed to `context`.
pub async fn attributed<F: Future>(context: UsageContext, future: F) -> F::Output {
    CONTEXT.scope(context, future).await
}

enum Message {
    Row(Box<NewUsage>),
    Flush(oneshot::Sender<()>),
}

/// Counters of rows that were not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UsageStats {
    /// Rows dropped because the queue was full or the writer had stopped.
    pub dropped: u64,
    /// Calls made outside [`attributed`], which have no user to store them under.
    pub unattributed: u64,
    /// Rows the writer could not store (database errors).
    pub failed: u64,
}

/// Queues usage rows for the background writer; see the module documentation.
#[derive(Debug)]
pub struct UsageRecorder {
    sender: mpsc::Sender<Message>,
    clock: Arc<dyn Clock>,
    dropped: AtomicU64,
    unattributed: AtomicU64,
    failed: Arc<AtomicU64>,
    metrics: Arc<Metrics>,
}

impl UsageRecorder {
    /// Starts the writer on the current runtime. The task ends once every recorder handle is
    /// dropped and the queue is written.
    #[must_use]
    pub fn start(db: SpecsDb, clock: Arc<dyn Clock>) -> (Arc<Self>, JoinHandle<()>) {
        Self::start_with_metrics(db, clock, Arc::new(Metrics::new()))
    }

    /// [`Self::start`], counting every call (attributed or not) into `metrics` too.
    #[must_use]
    pub fn start_with_metrics(
        db: SpecsDb,
        clock: Arc<dyn Clock>,
        metrics: Arc<Metrics>,
    ) -> (Arc<Self>, JoinHandle<()>) {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let failed = Arc::new(AtomicU64::new(0));
        let writer = tokio::spawn(write_rows(db, receiver, Arc::clone(&failed)));
        let recorder = Arc::new(Self {
            sender,
            clock,
            dropped: AtomicU64::new(0),
            unattributed: AtomicU64::new(0),
            failed,
            metrics,
        });
        (recorder, writer)
    }

    /// Waits until every row queued before this call is written (or has failed).
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.sender.send(Message::Flush(done)).await.is_ok() {
            // The writer answers once it has handled everything queued before.
            let _ = written.await;
        }
    }

    /// The metrics every call is counted into.
    #[must_use]
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Rows not stored so far.
    #[must_use]
    pub fn stats(&self) -> UsageStats {
        UsageStats {
            dropped: self.dropped.load(Ordering::Relaxed),
            unattributed: self.unattributed.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }
}

impl UsageRecorder {
    /// The caller's context, or `None` (logged and counted) outside [`attributed`].
    fn context(&self, operation: Operation) -> Option<UsageContext> {
        let context = CONTEXT.try_with(|context| *context).ok();
        if context.is_none() {
            self.unattributed.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                llm.operation = operation.as_str(),
                "a model call outside usage::attributed was not recorded"
            );
        }
        context
    }

    fn queue(&self, operation: Operation, row: NewUsage) {
        if self.sender.try_send(Message::Row(Box::new(row))).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            tracing::error!(
                llm.operation = operation.as_str(),
                "the usage queue is full or closed; a usage row was dropped"
            );
        }
    }
}

impl UsageSink for UsageRecorder {
    fn record(&self, operation: Operation, usage: &Usage) {
        self.metrics.observe_llm_call(
            usage.provider.as_str(),
            &usage.model,
            usage.input_tokens,
            usage.output_tokens,
            usage.latency_ms,
        );
        let Some(context) = self.context(operation) else {
            return;
        };
        let row = NewUsage {
            user_id: context.user_id,
            project_id: context.project_id,
            session_id: context.session_id,
            provider: usage.provider,
            model: usage.model.clone(),
            operation: operation.as_str().to_owned(),
            tokens_input: usage.input_tokens,
            tokens_output: usage.output_tokens,
            cost_usd: usage.cost_usd,
            latency_ms: usage.latency_ms,
            success: true,
            error_code: None,
            created_at: self.clock.now(),
        };
        self.queue(operation, row);
    }

    fn record_failure(&self, operation: Operation, failure: &CallFailure) {
        self.metrics.observe_llm_failure(
            failure.provider.as_str(),
            &failure.model,
            failure.error_code,
            failure.latency_ms,
        );
        let Some(context) = self.context(operation) else {
            return;
        };
        let row = NewUsage {
            user_id: context.user_id,
            project_id: context.project_id,
            session_id: context.session_id,
            provider: failure.provider,
            model: failure.model.clone(),
            operation: operation.as_str().to_owned(),
            tokens_input: 0,
            tokens_output: 0,
            cost_usd: 0.0,
            latency_ms: failure.latency_ms,
            success: false,
            error_code: Some(failure.error_code.to_owned()),
            created_at: self.clock.now(),
        };
        self.queue(operation, row);
    }
}

async fn write_rows(db: SpecsDb, mut receiver: mpsc::Receiver<Message>, failed: Arc<AtomicU64>) {
    let mut batch: Vec<NewUsage> = Vec::with_capacity(BATCH_SIZE);
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    while let Some(first) = receiver.recv().await {
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Row(row) => batch.push(*row),
                Message::Flush(done) => waiting.push(done),
            }
            if batch.len() < BATCH_SIZE {
                next = receiver.try_recv().ok();
            }
        }
        if let Err(error) = llm_usage::record_many(&db, &batch).await {
            failed.fetch_add(batch.len() as u64, Ordering::Relaxed);
            tracing::error!(rows = batch.len(), %error, "could not store LLM usage rows");
        }
        batch.clear();
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
    }
}
