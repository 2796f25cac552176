//! Entities of the `socrates_specs` database that carry the interview: projects, sessions,
//! questions, facts, the conversation, conflicts, quality and maturity records.

/// `projects`.
pub mod projects {
    use sea_orm::entity::prelude::*;

    /// A project being specified.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "projects")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub owner_id: Uuid,
        pub team_id: Option<Uuid>,
        pub name: String,
        pub description: Option<String>,
        pub phase: String,
        pub status: String,
        pub maturity_score: f64,
        pub llm_provider: Option<String>,
        pub llm_model: Option<String>,
        pub template_id: Option<String>,
        pub archived_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `sessions`.
pub mod sessions {
    use sea_orm::entity::prelude::*;

    /// A questioning or chat session on a project.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub project_id: Uuid,
        pub user_id: Uuid,
        pub mode: String,
        pub status: String,
        pub started_at: DateTimeUtc,
        pub ended_at: Option<DateTimeUtc>,
        pub last_activity_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `questions`.
pub mod questions {
    use sea_orm::entity::prelude::*;

    /// A question asked in a session.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "questions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub project_id: Uuid,
        pub session_id: Uuid,
        pub text: String,
        pub category: String,
        pub context: Option<String>,
        pub template_id: Option<String>,
        pub persona: Option<String>,
        pub quality_score: f64,
        pub bias_score: Option<f64>,
        pub answered_at: Option<DateTimeUtc>,
        pub facts_extracted: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// The session's id while the session waits on this question, else null (unique).
        pub waiting_session_id: Option<Uuid>,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `specifications`: every version of every fact.
pub mod specifications {
    use sea_orm::entity::prelude::*;

    /// One version of a specification fact.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "specifications")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub lineage_id: Uuid,
        pub project_id: Uuid,
        pub session_id: Option<Uuid>,
        pub category: String,
        pub key: String,
        pub value: String,
        pub source: String,
        pub source_id: Option<Uuid>,
        pub confidence: f64,
        pub reasoning: Option<String>,
        pub version: i32,
        pub is_current: bool,
        pub superseded_at: Option<DateTimeUtc>,
        pub superseded_by: Option<Uuid>,
        pub created_by: Option<Uuid>,
        pub metadata: Option<Json>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub deleted_at: Option<DateTimeUtc>,
        /// One current fact per `(project, category, key, value_slot)`; see
        /// `socrates_domain::ValueSlot`.
        pub value_slot: String,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `conversation_history`.
pub mod conversation_history {
    use sea_orm::entity::prelude::*;

    /// One entry of a session's conversation.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "conversation_history")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub session_id: Uuid,
        pub project_id: Uuid,
        pub role: String,
        pub kind: String,
        pub content: String,
        pub question_id: Option<Uuid>,
        pub metadata: Option<Json>,
        pub created_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `conflicts`.
pub mod conflicts {
    use sea_orm::entity::prelude::*;

    /// A detected contradiction holding the pending new fact.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "conflicts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub project_id: Uuid,
        pub session_id: Option<Uuid>,
        pub conflict_type: String,
        pub severity: String,
        pub status: String,
        pub old_spec_id: Option<Uuid>,
        pub pending_category: String,
        pub pending_key: String,
        pub pending_value: String,
        pub pending_confidence: f64,
        pub pending_source: String,
        pub pending_source_id: Option<Uuid>,
        pub pending_reasoning: Option<String>,
        pub description: String,
        pub detected_by: String,
        pub options: Option<Json>,
        pub resolution: Option<String>,
        pub merged_value: Option<String>,
        pub resolution_notes: Option<String>,
        pub resolved_by: Option<Uuid>,
        pub resolved_at: Option<DateTimeUtc>,
        pub resulting_spec_id: Option<Uuid>,
        pub created_by: Option<Uuid>,
        pub detected_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// One open conflict per `(project, category, key, pending_slot)`; see
        /// `socrates_domain::ValueSlot::held`.
        pub pending_slot: String,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `quality_metrics`.
pub mod quality_metrics {
    use sea_orm::entity::prelude::*;

    /// One computed quality metric of a project.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "quality_metrics")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub project_id: Uuid,
        pub metric_type: String,
        pub metric_value: f64,
        pub threshold: Option<f64>,
        pub passed: bool,
        pub details: Option<Json>,
        pub calculated_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `maturity_tracking`: append-only maturity history.
pub mod maturity_tracking {
    use sea_orm::entity::prelude::*;

    /// One maturity recomputation of a project.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "maturity_tracking")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub project_id: Uuid,
        pub maturity_score: f64,
        pub coverage: Json,
        pub facts_count: i32,
        pub reason: String,
        pub source_id: Option<Uuid>,
        pub calculated_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
