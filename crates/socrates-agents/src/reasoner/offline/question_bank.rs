//! The offline question banks: at least eight Socratic questions per category, each about one
//! aspect, open, with no suggested solution, asked by one team role, explaining why it matters
//! and naming the vocabulary keys it aims to fill.

use socrates_domain::Category;

/// One question of a bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuestionTemplate {
    /// Stable id, `<category>.<nnn>`; never reused for another question.
    pub template_id: &'static str,
    /// The category it is about.
    pub category: Category,
    /// The team role that asks it: pm, ba, ux, frontend, backend, dba or devops.
    pub persona: &'static str,
    /// The question.
    pub text: &'static str,
    /// Why it matters.
    pub context: &'static str,
    /// The vocabulary keys an answer is expected to fill; empty for free-form requirements.
    pub target_keys: &'static [&'static str],
}

macro_rules! bank {
    ($($category:ident $id:literal $persona:literal [$($key:literal),*] $text:literal $why:literal;)+) => {
        /// Every question of every bank, grouped by category in template-id order.
        pub const QUESTION_BANK: &[QuestionTemplate] = &[
            $(QuestionTemplate {
                template_id: $id,
                category: Category::$category,
                persona: $persona,
                text: $text,
                context: $why,
                target_keys: &[$($key),*],
            },)+
        ];
    };
}

bank! {
    Goals "goals.001" "pm" ["project_type"] "What kind of product are you building, and who will use it day to day?" "The kind of product frames every later decision about scope and architecture.";
    Goals "goals.002" "pm" ["project_goal"] "What problem does this project solve that is not solved well today?" "A clear problem statement keeps the scope honest.";
    Goals "goals.003" "ux" ["target_audience"] "Who are the primary users, and what are they trying to get done?" "Knowing the audience shapes the experience and priorities.";
    Goals "goals.004" "pm" ["deadline"] "By when does a first usable version need to exist, and what drives that date?" "The timeline determines what can be built first and what must wait.";
    Goals "goals.005" "pm" ["budget_usd"] "What budget is available for building and running the system in its first year?" "Budget bounds the choice of infrastructure and team size.";
    Goals "goals.006" "ba" ["success_metric"] "How will you know, six months after launch, that the project succeeded?" "Measurable success criteria make trade-offs decidable.";
    Goals "goals.007" "ba" [] "Which outcome matters most if you could only deliver one thing?" "The single most important outcome guides prioritisation when time runs short.";
    Goals "goals.008" "pm" [] "What would make you decide to stop or change direction on this project?" "Knowing the failure conditions exposes hidden assumptions.";
    Requirements "requirements.001" "ba" [] "What is the most important thing a user must be able to do in the first version?" "The core capability defines the minimum viable scope.";
    Requirements "requirements.002" "ba" [] "What does a typical user's journey look like, from the moment they arrive to the moment they leave?" "A journey reveals the features and the order they are needed in.";
    Requirements "requirements.003" "ux" [] "Which tasks do users perform most often, and how quickly do they expect to finish them?" "Frequent tasks deserve the most care in design.";
    Requirements "requirements.004" "ba" [] "What data does the system need to collect, and where does it come from?" "Data sources drive integrations and the data model.";
    Requirements "requirements.005" "backend" [] "Which external systems must this project exchange data with, and in which direction?" "Integrations are a common source of hidden effort.";
    Requirements "requirements.006" "ba" [] "What must the system never do, even if a user asks for it?" "Explicit constraints prevent costly misunderstandings.";
    Requirements "requirements.007" "ux" [] "How should the experience differ for people with different roles or permissions?" "Roles multiply screens, rules and tests.";
    Requirements "requirements.008" "pm" [] "Which features are explicitly out of scope for the first release?" "Stating what is excluded keeps the first release small.";
    Requirements "requirements.009" "frontend" [] "On which devices and screen sizes will people use the product?" "Target devices shape the interface and its testing.";
    TechStack "tech_stack.001" "backend" ["programming_language"] "Which programming languages does your team already know well?" "Team skills are the cheapest constraint to honour.";
    TechStack "tech_stack.002" "backend" ["backend_framework"] "What does the server side of the system need to do, and what shapes how it is built?" "Server responsibilities drive the choice of framework.";
    TechStack "tech_stack.003" "frontend" ["frontend_framework"] "How interactive does the user interface need to be, and where will it run?" "Interface needs decide how the client side is built.";
    TechStack "tech_stack.004" "dba" ["primary_database"] "What shape does your data have, and how do the pieces relate to each other?" "The data's shape decides which kind of storage fits it.";
    TechStack "tech_stack.005" "devops" ["cloud_provider"] "Where will the system run, and what constraints exist on hosting it?" "Hosting constraints rule options in or out early.";
    TechStack "tech_stack.006" "devops" ["container_platform", "deployment_topology"] "How do you picture new versions being packaged and deployed?" "The deployment model affects tooling, cost and release speed.";
    TechStack "tech_stack.007" "backend" ["cache"] "Which data is read far more often than it changes?" "Read-heavy data is where caching pays off.";
    TechStack "tech_stack.008" "backend" ["message_queue"] "Which work can happen in the background rather than while the user waits?" "Background work changes how components communicate.";
    TechStack "tech_stack.009" "devops" [] "Which parts of the existing infrastructure must the new system reuse?" "Reuse constraints limit technology choices.";
    Security "security.001" "backend" ["authentication_method"] "How will users prove who they are when they sign in?" "Authentication shapes both security and the user experience.";
    Security "security.002" "ba" ["authorization_model"] "Who is allowed to see or change which data?" "Access rules are hard to retrofit later.";
    Security "security.003" "pm" ["compliance_standard"] "Which laws, regulations or industry standards apply to the data you handle?" "Compliance obligations add non-negotiable requirements.";
    Security "security.004" "dba" ["data_encryption"] "Which data would cause real harm if it leaked, and how is it protected today?" "Sensitive data needs protection at rest and in transit.";
    Security "security.005" "backend" [] "Which actions should leave an audit trail, and who reads it?" "Audit needs affect storage and logging design.";
    Security "security.006" "devops" [] "How will secrets such as credentials and certificates be managed and rotated?" "Secret handling is a frequent source of breaches.";
    Security "security.007" "backend" [] "What kinds of misuse or attack worry you most for this system?" "A threat model focuses security effort where it matters.";
    Security "security.008" "ux" [] "How should the system respond when someone fails to sign in several times?" "Lockout behaviour balances security against frustration.";
    Performance "performance.001" "backend" ["latency_p95_ms"] "How quickly must a typical request complete for users to feel the system is fast?" "Latency targets drive architecture and caching.";
    Performance "performance.002" "backend" ["latency_p99_ms"] "How slow may the slowest requests be before users are affected?" "Tail latency often matters more than the average.";
    Performance "performance.003" "backend" ["throughput_rps"] "How many requests per second do you expect at the busiest moment?" "Peak throughput sizes the infrastructure.";
    Performance "performance.004" "ux" [] "Which screens or actions are the most time-sensitive for users?" "Knowing the critical paths focuses optimisation.";
    Performance "performance.005" "dba" [] "Which queries or reports touch the largest amounts of data?" "Heavy queries are the usual performance bottleneck.";
    Performance "performance.006" "frontend" [] "How long may the first page take to appear on a slow connection?" "Initial load time shapes the client-side design.";
    Performance "performance.007" "backend" [] "Which operations may take a long time, and how should users experience the wait?" "Long operations need a different interaction pattern.";
    Performance "performance.008" "devops" [] "When in the day, week or year does load peak, and by how much?" "Load patterns decide how capacity is provisioned.";
    Scalability "scalability.001" "pm" ["concurrent_users"] "How many people do you expect to use the system at the same moment?" "Concurrency drives capacity planning.";
    Scalability "scalability.002" "pm" ["total_users"] "How many users do you expect in total after the first year?" "Total users size storage and licensing.";
    Scalability "scalability.003" "dba" ["concurrent_writers"] "How many users or processes write data at the same time?" "Concurrent writes constrain the storage choice.";
    Scalability "scalability.004" "dba" ["data_volume"] "How much data will the system hold after a year, and how fast does it grow?" "Data growth decides partitioning and archiving needs.";
    Scalability "scalability.005" "devops" [] "How should the system behave when demand suddenly doubles?" "Burst handling separates elastic from fixed designs.";
    Scalability "scalability.006" "pm" [] "In which regions or countries will users be located?" "Geography affects latency, hosting and law.";
    Scalability "scalability.007" "backend" [] "Which part of the system do you expect to grow fastest?" "The fastest-growing part needs to scale independently.";
    Scalability "scalability.008" "devops" [] "What limits on cost or capacity must the system respect as it grows?" "Growth without limits can become unaffordable.";
    Testing "testing.001" "backend" ["test_coverage_target_percent"] "How much of the code do you expect automated tests to cover?" "A coverage target sets expectations for the team.";
    Testing "testing.002" "backend" ["testing_framework"] "How does your team write and run automated tests today?" "Existing habits are the easiest to build on.";
    Testing "testing.003" "ba" ["testing_strategy"] "Which behaviours would be most damaging if they broke unnoticed?" "Critical behaviours deserve end-to-end tests first.";
    Testing "testing.004" "frontend" [] "How will you check that the interface works across the devices you support?" "Interface testing needs its own plan.";
    Testing "testing.005" "devops" [] "At which point in the release process must tests pass before code ships?" "Quality gates decide what can reach production.";
    Testing "testing.006" "ux" [] "How will real users be involved in checking the product before release?" "User acceptance catches what automated tests miss.";
    Testing "testing.007" "backend" [] "How will you test the behaviour of the system under heavy load?" "Load tests prove the performance targets.";
    Testing "testing.008" "dba" [] "What test data do you need, and how will it be kept free of real personal data?" "Test data is often a hidden privacy risk.";
    Monitoring "monitoring.001" "devops" ["monitoring_tool"] "How will you know the system is healthy without anyone looking at it?" "Health signals catch problems before users do.";
    Monitoring "monitoring.002" "devops" ["logging_tool"] "Where will the system's logs be collected, and who needs to read them?" "Log access decides how fast incidents are diagnosed.";
    Monitoring "monitoring.003" "devops" ["alerting_channel"] "Who should be told when something goes wrong, and how?" "Alerting routes problems to someone who can act.";
    Monitoring "monitoring.004" "pm" [] "Which business numbers should be visible on a dashboard every day?" "Business metrics show whether the product delivers value.";
    Monitoring "monitoring.005" "backend" [] "Which failures would users notice first, and how would you detect them?" "User-facing failures deserve the earliest detection.";
    Monitoring "monitoring.006" "devops" [] "How long should metrics and logs be kept for investigation?" "Observability retention affects cost and audits.";
    Monitoring "monitoring.007" "backend" [] "How will you follow a single request as it travels through the system?" "Tracing shortens the diagnosis of slow requests.";
    Monitoring "monitoring.008" "pm" [] "What response time do you expect from the team when an alert fires at night?" "On-call expectations shape staffing and alert design.";
    DataRetention "data_retention.001" "dba" ["retention_period_days"] "How long must the data you collect be kept?" "Retention periods drive storage cost and compliance.";
    DataRetention "data_retention.002" "dba" ["data_persistence"] "Which data must survive a restart, and which can be thrown away?" "Persistence needs decide the storage design.";
    DataRetention "data_retention.003" "ba" ["data_deletion_policy"] "What should happen to a user's data when they leave?" "Deletion rules are often legal obligations.";
    DataRetention "data_retention.004" "pm" [] "Which records must be kept for legal or contractual reasons?" "Legal retention overrides convenience.";
    DataRetention "data_retention.005" "dba" [] "How should old data be archived once it is no longer used daily?" "Archiving keeps the working data set small.";
    DataRetention "data_retention.006" "ba" [] "Who may request an export of the data, and in what form?" "Export rights affect the data model and tooling.";
    DataRetention "data_retention.007" "dba" [] "How should changes to important records be tracked over time?" "History tracking changes storage volume and queries.";
    DataRetention "data_retention.008" "ux" [] "How should users be told what data is kept about them?" "Transparency builds trust and meets disclosure duties.";
    DisasterRecovery "disaster_recovery.001" "devops" ["availability_target_percent"] "How much downtime per month can the business tolerate?" "The availability target decides the level of redundancy.";
    DisasterRecovery "disaster_recovery.002" "dba" ["rpo_minutes"] "How much recent data could you afford to lose after a failure?" "The recovery point objective sets the backup frequency.";
    DisasterRecovery "disaster_recovery.003" "devops" ["rto_minutes"] "How quickly must the system be back after a major outage?" "The recovery time objective shapes failover design.";
    DisasterRecovery "disaster_recovery.004" "dba" ["backup_frequency"] "How often is the data backed up, and where are the copies kept?" "Backups are the last line of defence.";
    DisasterRecovery "disaster_recovery.005" "devops" [] "What happens to users if an entire data centre or region becomes unavailable?" "Regional failure needs an explicit plan.";
    DisasterRecovery "disaster_recovery.006" "devops" [] "How often will you rehearse restoring the system from backups?" "An untested backup is not a backup.";
    DisasterRecovery "disaster_recovery.007" "pm" [] "Who decides, and how, that a disaster plan should be put into action?" "Clear ownership speeds up recovery.";
    DisasterRecovery "disaster_recovery.008" "backend" [] "Which parts of the system can keep working when a dependency fails?" "Graceful degradation limits the impact of failures.";
}

/// The templates of one category, in template-id order.
pub fn templates_of(category: Category) -> impl Iterator<Item = &'static QuestionTemplate> {
    QUESTION_BANK.iter().filter(move |t| t.category == category)
}
