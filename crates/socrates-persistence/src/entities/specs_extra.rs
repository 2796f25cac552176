//! Entities of the `socrates_specs` database around the interview: LLM usage, generated code
//! and its jobs, learning data, knowledge-base documents and project shares.

/// `llm_usage_tracking`.
pub mod llm_usage_tracking {
    use sea_orm::entity::prelude::*;

    /// One model call.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "llm_usage_tracking")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub user_id: Uuid,
        pub project_id: Option<Uuid>,
        pub session_id: Option<Uuid>,
        pub provider: String,
        pub model: String,
        pub operation: String,
        pub tokens_input: i32,
        pub tokens_output: i32,
        pub tokens_total: i32,
        pub cost_usd: f64,
        pub latency_ms: i32,
        pub success: bool,
        pub error_code: Option<String>,
        pub created_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `generated_projects`.
pub mod generated_projects {
    use sea_orm::entity::prelude::*;

    /// One code generation of a project.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "generated_projects")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub project_id: Uuid,
        pub requested_by: Uuid,
        pub generation_version: i32,
        pub spec_fingerprint: String,
        pub spec_count: i32,
        pub status: String,
        pub total_files: i32,
        pub total_lines: i32,
        pub test_coverage: Option<f64>,
        pub quality_score: Option<i32>,
        pub traceability_score: Option<i32>,
        pub error_message: Option<String>,
        pub started_at: Option<DateTimeUtc>,
        pub completed_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub progress_percent: i32,
        pub stack: String,
        pub fact_versions: Option<Json>,
        pub active_project_id: Option<Uuid>,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `generated_files`.
pub mod generated_files {
    use sea_orm::entity::prelude::*;

    /// One file of a generation, with the facts it traces to.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "generated_files")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub generated_project_id: Uuid,
        pub file_path: String,
        pub file_content: String,
        pub file_size: i32,
        pub spec_ids: Json,
        pub created_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `code_generation_jobs`.
pub mod code_generation_jobs {
    use sea_orm::entity::prelude::*;

    /// A claimable background job producing one generation.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "code_generation_jobs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub generated_project_id: Uuid,
        pub status: String,
        pub attempts: i32,
        pub max_attempts: i32,
        pub locked_by: Option<String>,
        pub locked_until: Option<DateTimeUtc>,
        pub run_after: DateTimeUtc,
        pub last_error: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `user_behavior_patterns`.
pub mod user_behavior_patterns {
    use sea_orm::entity::prelude::*;

    /// A learned behaviour pattern of a user.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "user_behavior_patterns")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub pattern_type: String,
        pub pattern_data: Json,
        pub confidence: f64,
        pub learned_from_projects: Json,
        pub learned_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub label: Option<String>,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `question_effectiveness`.
pub mod question_effectiveness {
    use sea_orm::entity::prelude::*;

    /// How well one question template works for one user.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "question_effectiveness")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub question_template_id: String,
        pub role: String,
        pub times_asked: i32,
        pub times_answered_well: i32,
        pub average_answer_length: Option<i32>,
        pub average_spec_extraction_count: Option<f64>,
        pub effectiveness_score: Option<f64>,
        pub last_asked_at: Option<DateTimeUtc>,
        pub updated_at: DateTimeUtc,
        pub times_answered: i32,
        pub facts_yielded: i32,
        pub conflicts_raised: i32,
        pub answer_chars_total: i64,
        pub answer_seconds_total: i64,
        pub category: Option<String>,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `knowledge_base_documents`.
pub mod knowledge_base_documents {
    use sea_orm::entity::prelude::*;

    /// A document uploaded to a project's knowledge base.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "knowledge_base_documents")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub project_id: Uuid,
        pub user_id: Uuid,
        pub filename: String,
        pub file_size: i64,
        pub content_type: String,
        pub content_sha256: String,
        pub content: Option<String>,
        pub uploaded_at: DateTimeUtc,
        pub chunk_count: i32,
        pub facts_proposed: i32,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `knowledge_chunks`.
pub mod knowledge_chunks {
    use sea_orm::entity::prelude::*;

    /// A piece of a knowledge-base document, the unit of search.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "knowledge_chunks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub document_id: Uuid,
        pub project_id: Uuid,
        pub ordinal: i32,
        pub content: String,
        pub term_count: i32,
        pub created_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `knowledge_terms`.
pub mod knowledge_terms {
    use sea_orm::entity::prelude::*;

    /// How often a search term occurs in a chunk.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "knowledge_terms")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub chunk_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub term: String,
        pub project_id: Uuid,
        pub frequency: i32,
        pub chunk_length: i32,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// `project_shares`.
pub mod project_shares {
    use sea_orm::entity::prelude::*;

    /// A project shared with a team.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "project_shares")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub project_id: Uuid,
        pub team_id: Uuid,
        pub shared_by: Uuid,
        pub permission: String,
        pub shared_at: DateTimeUtc,
    }

    /// No relations are navigated through the ORM.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
