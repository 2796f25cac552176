//! States that projects, sessions and background jobs move through.

use crate::string_enum::string_enum;

string_enum! {
    /// Lifecycle phase of a project, in the order a project moves through them.
    /// Advancing is gated by maturity and open conflicts (see [`crate::phase`]).
    pub enum ProjectPhase as "project phase" {
        /// Interviewing the user; every project starts here.
        Discovery = "discovery",
        /// The specification is at least 60 % mature and free of conflicts.
        Analysis = "analysis",
        /// The specification is complete.
        Design = "design",
        /// Code generation and delivery.
        Implementation = "implementation",
    }
}

impl ProjectPhase {
    /// The phase after this one, or `None` for the final phase.
    #[must_use]
    pub const fn next(self) -> Option<Self> {
        match self {
            Self::Discovery => Some(Self::Analysis),
            Self::Analysis => Some(Self::Design),
            Self::Design => Some(Self::Implementation),
            Self::Implementation => None,
        }
    }
}

string_enum! {
    /// Whether a project is being worked on. Deleting a project archives it.
    pub enum ProjectStatus as "project status" {
        /// In use.
        Active = "active",
        /// Soft-deleted; hidden from listings.
        Archived = "archived",
        /// Finished by its owner.
        Completed = "completed",
    }
}

string_enum! {
    /// How a session talks to the user. Input is trimmed and case-insensitive, and `direct`
    /// and `chat` are accepted for `direct_chat`.
    pub enum SessionMode as "session mode" [lenient] {
        /// The counselor asks one open question at a time.
        Socratic = "socratic",
        /// The user writes freely and gets replies and suggestions.
        DirectChat = "direct_chat" | "direct" | "chat",
    }
}

string_enum! {
    /// Whether a session still accepts questions and messages.
    pub enum SessionStatus as "session status" {
        /// Open.
        Active = "active",
        /// Closed by the user; further answers are refused.
        Ended = "ended",
    }
}

string_enum! {
    /// Outcome of a code generation, as recorded on the generated project.
    pub enum GenerationStatus as "generation status" {
        /// Accepted, not started.
        Pending = "pending",
        /// Being generated.
        InProgress = "in_progress",
        /// Files are ready for download.
        Completed = "completed",
        /// Generation stopped with an error.
        Failed = "failed",
    }
}

string_enum! {
    /// State of a background job in the database-backed job queue.
    pub enum JobStatus as "job status" {
        /// Waiting for a worker to claim it.
        Queued = "queued",
        /// Claimed by a worker.
        Running = "running",
        /// Finished successfully.
        Succeeded = "succeeded",
        /// Finished with an error.
        Failed = "failed",
        /// Stopped before it finished.
        Cancelled = "cancelled",
    }
}

impl JobStatus {
    /// Whether the job will not change state any more.
    #[must_use]
    pub const fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_advance_in_order_and_stop_at_implementation() {
        assert_eq!(ProjectPhase::Discovery.next(), Some(ProjectPhase::Analysis));
        assert_eq!(ProjectPhase::Analysis.next(), Some(ProjectPhase::Design));
        assert_eq!(
            ProjectPhase::Design.next(),
            Some(ProjectPhase::Implementation)
        );
        assert_eq!(ProjectPhase::Implementation.next(), None);
        assert!(ProjectPhase::Discovery < ProjectPhase::Implementation);
    }

    #[test]
    fn stored_values_match_serde() {
        fn check<T: serde::Serialize + std::fmt::Display>(values: &[T]) {
            for value in values {
                let json = serde_json::to_string(value).unwrap();
                assert_eq!(json, format!("\"{value}\""));
            }
        }
        check(&ProjectPhase::ALL);
        check(&ProjectStatus::ALL);
        check(&SessionMode::ALL);
        check(&SessionStatus::ALL);
        check(&GenerationStatus::ALL);
        check(&JobStatus::ALL);
        assert_eq!(SessionMode::DirectChat.as_str(), "direct_chat");
        assert_eq!(GenerationStatus::InProgress.as_str(), "in_progress");
    }

    #[test]
    fn session_mode_accepts_aliases_leniently() {
        for raw in ["direct_chat", "direct", "chat", " Chat ", "DIRECT_CHAT"] {
            assert_eq!(raw.parse(), Ok(SessionMode::DirectChat), "{raw}");
        }
        assert_eq!(" Socratic".parse(), Ok(SessionMode::Socratic));
        assert!("talk".parse::<SessionMode>().is_err());
        let mode: SessionMode = serde_json::from_str("\"chat\"").unwrap();
        assert_eq!(mode, SessionMode::DirectChat);
    }

    #[test]
    fn other_enums_parse_strictly() {
        assert_eq!("archived".parse(), Ok(ProjectStatus::Archived));
        assert!("Archived".parse::<ProjectStatus>().is_err());
        assert_eq!("ended".parse(), Ok(SessionStatus::Ended));
        assert!("closed".parse::<SessionStatus>().is_err());
        assert_eq!("cancelled".parse(), Ok(JobStatus::Cancelled));
    }

    #[test]
    fn only_finished_jobs_are_terminal() {
        let terminal: Vec<JobStatus> = JobStatus::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(
            terminal,
            [
                JobStatus::Succeeded,
                JobStatus::Failed,
                JobStatus::Cancelled
            ]
        );
    }
}
