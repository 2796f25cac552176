//! What a person's export holds of each table, named column by column: the columns it holds
//! (an allow-list) and the secrets that never leave the database (hashes of passwords and
//! tokens, encrypted API keys). A column named in neither list is not exported; a test reads
//! both migrated schemas and fails on such a column, so every new column gets a decision.

use sea_orm::EntityTrait;

use crate::entities::auth::{
    api_keys, audit_logs, password_reset_requests, refresh_tokens, team_invitations, team_members,
    teams, user_rules, users,
};
use crate::entities::specs::{
    conflicts, conversation_history, maturity_tracking, projects, quality_metrics, questions,
    sessions, specifications,
};
use crate::entities::specs_extra::{
    code_generation_jobs, generated_files, generated_projects, knowledge_base_documents,
    knowledge_chunks, knowledge_terms, llm_usage_tracking, project_shares, question_effectiveness,
    user_behavior_patterns,
};

/// The export policy of one table.
pub(super) trait Exported: EntityTrait {
    /// The columns a person's export holds.
    const EXPORTED: &'static [Self::Column];
    /// The columns it never holds. Only the test that every column is named reads it: a column
    /// named nowhere is left out of the export just the same.
    #[cfg(test)]
    const SECRET: &'static [Self::Column];
}

/// `table: [exported columns] secret [secret columns];`, for every table of both databases.
macro_rules! export_policy {
    ($($table:ident: [$($column:ident),* $(,)?] $(secret [$($secret:ident),* $(,)?])?;)*) => {
        $(
            impl Exported for $table::Entity {
                const EXPORTED: &'static [$table::Column] = &[$($table::Column::$column),*];
                #[cfg(test)]
                const SECRET: &'static [$table::Column] = &[$($($table::Column::$secret),*)?];
            }
        )*

        /// Every table's policy by name: (table, exported columns, secret columns).
        #[cfg(test)]
        fn policies() -> Vec<(&'static str, Vec<&'static str>, Vec<&'static str>)> {
            use sea_orm::{EntityName, IdenStatic};
            fn names<E: Exported>(columns: &[E::Column]) -> Vec<&'static str> {
                columns.iter().map(|column| column.as_str()).collect()
            }
            vec![$(
                (
                    $table::Entity.table_name(),
                    names::<$table::Entity>(<$table::Entity as Exported>::EXPORTED),
                    names::<$table::Entity>(<$table::Entity as Exported>::SECRET),
                )
            ),*]
        }
    };
}

export_policy! {
    // socrates_auth
    users: [
        Id, Email, Name, Status, Role, IsVerified, LastLoginAt, CreatedAt, UpdatedAt
    ] secret [PasswordHash];
    refresh_tokens: [
        Id, UserId, FamilyId, ExpiresAt, Revoked, RevokedAt, ReplacedBy, UserAgent, IpAddress,
        CreatedAt
    ] secret [TokenHash];
    password_reset_requests: [Id, UserId, ExpiresAt, Used, UsedAt, CreatedAt] secret [TokenHash];
    audit_logs: [
        Id, UserId, Action, ResourceType, ResourceId, IpAddress, UserAgent, RequestId, Details,
        CreatedAt
    ];
    user_rules: [Id, UserId, Rules, CreatedAt, UpdatedAt];
    api_keys: [
        Id, UserId, Provider, KeyId, KeyHint, IsActive, CreatedAt, UpdatedAt, LastUsedAt
    ] secret [Ciphertext, Nonce];
    teams: [Id, Name, Description, CreatedBy, CreatedAt, UpdatedAt];
    team_members: [Id, TeamId, UserId, Role, JoinedAt];
    team_invitations: [
        Id, TeamId, InvitedBy, InvitedEmail, Role, ExpiresAt, Accepted, AcceptedAt, CreatedAt
    ] secret [TokenHash];
    // socrates_specs
    projects: [
        Id, OwnerId, TeamId, Name, Description, Phase, Status, MaturityScore, LlmProvider, LlmModel,
        TemplateId, ArchivedAt, CreatedAt, UpdatedAt
    ];
    sessions: [
        Id, ProjectId, UserId, Mode, Status, StartedAt, EndedAt, LastActivityAt, CreatedAt,
        UpdatedAt
    ];
    // The waiting mark is bookkeeping: the session's id while unanswered (exported as such).
    questions: [
        Id, ProjectId, SessionId, Text, Category, Context, TemplateId, Persona, QualityScore,
        BiasScore, AnsweredAt, FactsExtracted, CreatedAt, UpdatedAt
    ] secret [WaitingSessionId];
    // The slots are bookkeeping derived from key and value (a digest or nothing).
    specifications: [
        Id, LineageId, ProjectId, SessionId, Category, Key, Value, Source, SourceId, Confidence,
        Reasoning, Version, IsCurrent, SupersededAt, SupersededBy, CreatedBy, Metadata, CreatedAt,
        UpdatedAt, DeletedAt
    ] secret [ValueSlot];
    conversation_history: [
        Id, SessionId, ProjectId, Role, Kind, Content, QuestionId, Metadata, CreatedAt
    ];
    conflicts: [
        Id, ProjectId, SessionId, ConflictType, Severity, Status, OldSpecId, PendingCategory,
        PendingKey, PendingValue, PendingConfidence, PendingSource, PendingSourceId,
        PendingReasoning, Description, DetectedBy, Options, Resolution, MergedValue,
        ResolutionNotes, ResolvedBy, ResolvedAt, ResultingSpecId, CreatedBy, DetectedAt, UpdatedAt
    ] secret [PendingSlot];
    quality_metrics: [
        Id, ProjectId, MetricType, MetricValue, Threshold, Passed, Details, CalculatedAt
    ];
    maturity_tracking: [
        Id, ProjectId, MaturityScore, Coverage, FactsCount, Reason, SourceId, CalculatedAt
    ];
    llm_usage_tracking: [
        Id, UserId, ProjectId, SessionId, Provider, Model, Operation, TokensInput, TokensOutput,
        TokensTotal, CostUsd, LatencyMs, Success, ErrorCode, CreatedAt
    ];
    generated_projects: [
        Id, ProjectId, RequestedBy, GenerationVersion, SpecFingerprint, SpecCount, Status,
        TotalFiles, TotalLines, TestCoverage, QualityScore, TraceabilityScore, ErrorMessage,
        StartedAt, CompletedAt, CreatedAt, UpdatedAt, ProgressPercent, Stack, FactVersions,
        ActiveProjectId
    ];
    generated_files: [Id, GeneratedProjectId, FilePath, FileContent, FileSize, SpecIds, CreatedAt];
    code_generation_jobs: [
        Id, GeneratedProjectId, Status, Attempts, MaxAttempts, LockedBy, LockedUntil, RunAfter,
        LastError, CreatedAt, UpdatedAt
    ];
    user_behavior_patterns: [
        Id, UserId, PatternType, PatternData, Confidence, LearnedFromProjects, LearnedAt, UpdatedAt,
        Label
    ];
    question_effectiveness: [
        Id, UserId, QuestionTemplateId, Role, TimesAsked, TimesAnsweredWell, AverageAnswerLength,
        AverageSpecExtractionCount, EffectivenessScore, LastAskedAt, UpdatedAt, TimesAnswered,
        FactsYielded, ConflictsRaised, AnswerCharsTotal, AnswerSecondsTotal, Category
    ];
    knowledge_base_documents: [
        Id, ProjectId, UserId, Filename, FileSize, ContentType, ContentSha256, Content, UploadedAt,
        ChunkCount, FactsProposed
    ];
    // The search index of a document. A chunk's text is the document's, which the export
    // holds whole: it is not repeated.
    knowledge_chunks: [Id, DocumentId, ProjectId, Ordinal, TermCount, CreatedAt] secret [Content];
    knowledge_terms: [ChunkId, Term, ProjectId, Frequency, ChunkLength];
    project_shares: [Id, ProjectId, TeamId, SharedBy, Permission, SharedAt];
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "tests fail loudly")]

    use std::collections::{BTreeMap, BTreeSet};

    use chrono::Utc;
    use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
    use serde_json::Value;
    use socrates_domain::{Email, TokenFamilyId, UserId};

    use super::policies;
    use crate::db::{Conn, Database, DatabaseKind};
    use crate::repositories::personal_data::{
        ExportPart, auth_export_parts, export_page, specs_export_parts,
    };
    use crate::repositories::refresh_tokens::{self, NewRefreshToken};
    use crate::repositories::users::{self, NewUser};
    use crate::repositories::{audit_logs, password_resets};
    use crate::testing::TestDatabases;

    /// The migrator's own bookkeeping table, which holds nobody's data.
    const MIGRATIONS_TABLE: &str = "seaql_migrations";

    /// A database's exported rows, by table.
    type Tables = BTreeMap<&'static str, Vec<Value>>;

    /// Every row of every part, read a page of two rows at a time (so paging is exercised).
    async fn read_all<K: DatabaseKind>(db: &Database<K>, parts: &[ExportPart<K>]) -> Tables {
        let mut tables = Tables::new();
        for part in parts {
            let rows = tables.entry(part.table()).or_default();
            loop {
                let offset = u64::try_from(rows.len()).unwrap();
                let page = export_page(db, part, offset, 2).await.unwrap();
                let last = page.len() < 2;
                rows.extend(page);
                if last {
                    break;
                }
            }
        }
        tables
    }

    /// Every application table of the database with its columns, read from the catalogue.
    async fn schema<K: DatabaseKind>(db: &Database<K>) -> BTreeMap<String, BTreeSet<String>> {
        let backend = db.raw().get_database_backend();
        let sql = match backend {
            DatabaseBackend::Sqlite => {
                "SELECT m.name AS table_name, c.name AS column_name FROM sqlite_master AS m \
                 JOIN pragma_table_info(m.name) AS c \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
            }
            _ => {
                "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name \
                 FROM information_schema.columns AS c \
                 JOIN information_schema.tables AS t \
                   ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
                 WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
            }
        };
        let mut tables: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for row in db
            .raw()
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .unwrap()
        {
            let table: String = row.try_get("", "table_name").unwrap();
            let column: String = row.try_get("", "column_name").unwrap();
            tables.entry(table).or_default().insert(column);
        }
        tables.remove(MIGRATIONS_TABLE);
        tables
    }

    /// What is wrong with the policy of `schema`'s tables: a column named in neither list or
    /// in both, a name that is no column, a table without a policy or left out of `export`.
    fn problems(schema: &BTreeMap<String, BTreeSet<String>>, export: &Tables) -> Vec<String> {
        let policies: BTreeMap<_, _> = policies()
            .into_iter()
            .map(|(table, exported, secret)| (table, (exported, secret)))
            .collect();
        let mut problems = Vec::new();
        for (table, columns) in schema {
            if !export.contains_key(table.as_str()) {
                problems.push(format!("table `{table}` is not in the export"));
            }
            let Some((exported, secret)) = policies.get(table.as_str()) else {
                problems.push(format!("table `{table}` has no export policy"));
                continue;
            };
            for column in columns {
                match (
                    exported.contains(&column.as_str()),
                    secret.contains(&column.as_str()),
                ) {
                    (false, false) => problems.push(format!(
                        "`{table}.{column}` is neither exported nor secret: add it to one list"
                    )),
                    (true, true) => {
                        problems.push(format!("`{table}.{column}` is exported and secret"));
                    }
                    _ => {}
                }
            }
            for named in exported.iter().chain(secret) {
                if !columns.contains(*named) {
                    problems.push(format!("`{table}.{named}` is named but is no column"));
                }
            }
        }
        for table in export.keys() {
            if !schema.contains_key(*table) {
                problems.push(format!("the export names `{table}`, which is no table"));
            }
        }
        problems
    }

    #[tokio::test]
    async fn every_column_of_both_databases_is_either_exported_or_secret() {
        let databases = TestDatabases::new().await;
        let auth = schema(&databases.auth).await;
        let specs = schema(&databases.specs).await;
        assert!(auth.contains_key("users") && specs.contains_key("projects"));
        let anyone = users::create(
            &databases.auth,
            NewUser {
                email: Email::parse("anyone@example.com").unwrap(),
                password_hash: "$2b$04$hash".to_owned(),
                name: None,
            },
            Utc::now(),
        )
        .await
        .unwrap()
        .id;
        let parts = auth_export_parts(&databases.auth, anyone)
            .await
            .unwrap()
            .unwrap();
        let auth_export = read_all(&databases.auth, &parts).await;
        let parts = specs_export_parts(anyone);
        let specs_export = read_all(&databases.specs, &parts).await;
        let mut found = problems(&auth, &auth_export);
        found.extend(problems(&specs, &specs_export));
        assert!(found.is_empty(), "{found:#?}");
        assert_eq!(
            policies().len(),
            auth.len() + specs.len(),
            "a policy names a table of neither database"
        );
    }

    #[tokio::test]
    async fn exported_rows_hold_the_allowed_columns_and_no_secret() {
        let databases = TestDatabases::new().await;
        let db = &databases.auth;
        let now = Utc::now();
        let new = NewUser {
            email: Email::parse("export@example.com").unwrap(),
            password_hash: "$2b$04$secret-password-hash".to_owned(),
            name: Some("Exported".to_owned()),
        };
        let user = users::create(db, new, now).await.unwrap();
        let token = NewRefreshToken {
            user_id: user.id,
            family_id: TokenFamilyId::new(),
            token_hash: "secret-refresh-hash".to_owned(),
            expires_at: now,
            user_agent: Some("tests".to_owned()),
            ip_address: Some("127.0.0.1".to_owned()),
        };
        refresh_tokens::insert(db, token, now).await.unwrap();
        let reset_hash = "secret-reset-hash".to_owned();
        password_resets::insert(db, user.id, reset_hash, now, now)
            .await
            .unwrap();
        let entry = audit_logs::NewAuditEntry {
            user_id: Some(user.id),
            action: "user.register".to_owned(),
            resource_type: None,
            resource_id: None,
            ip_address: None,
            user_agent: None,
            request_id: None,
            details: None,
        };
        audit_logs::append(db, entry, now).await.unwrap();

        let parts = auth_export_parts(db, user.id).await.unwrap().unwrap();
        assert!(
            auth_export_parts(db, UserId::new())
                .await
                .unwrap()
                .is_none()
        );
        let export = read_all(db, &parts).await;
        let policies: BTreeMap<_, _> = policies()
            .into_iter()
            .map(|(table, exported, _)| (table, exported))
            .collect();
        for table in [
            "users",
            "refresh_tokens",
            "password_reset_requests",
            "audit_logs",
        ] {
            let rows = &export[table];
            assert_eq!(rows.len(), 1, "{table}");
            let Value::Object(row) = &rows[0] else {
                panic!("{table}: a row that is no object");
            };
            let keys: BTreeSet<&str> = row.keys().map(String::as_str).collect();
            let allowed: BTreeSet<&str> = policies[table].iter().copied().collect();
            assert_eq!(keys, allowed, "{table}");
        }
        assert_eq!(export["users"][0]["email"], "export@example.com");
        let text = serde_json::to_string(&export).unwrap();
        assert!(!text.contains("secret"), "{text}");
    }
}
