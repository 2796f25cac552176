//! The canonicalisation table of technologies: every known language, framework, database,
//! cloud, queue, auth method and tool with its aliases, so that "Postgres", "PostgreSQL 16",
//! "postgresql" and "pg" all mean `PostgreSQL`.
//!
//! Aliases are lowercase token sequences (see [`tokenise`]). A trailing version ("16",
//! "v3.12", "3.x") after a known name is ignored. Aliases that are also ordinary English words
//! ("go", "rust", "react", "pg", "spring") are marked ambiguous: inside free text they only
//! count when written with a capital letter and not as the first word of a sentence.

/// What a technology is; decides which vocabulary key it fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TechnologyKind {
    /// A programming language.
    Language,
    /// A server-side framework.
    BackendFramework,
    /// A client-side framework.
    FrontendFramework,
    /// A database used as the system of record.
    Database,
    /// An in-memory cache.
    Cache,
    /// A message queue or event log.
    MessageQueue,
    /// A cloud provider.
    Cloud,
    /// A container platform or orchestrator.
    ContainerPlatform,
    /// An authentication method or protocol.
    AuthMethod,
    /// A compliance standard.
    ComplianceStandard,
    /// A metrics or monitoring tool.
    MonitoringTool,
    /// A logging tool.
    LoggingTool,
    /// A testing framework.
    TestingFramework,
}

/// One canonical technology and the spellings that mean it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Technology {
    /// The canonical name, as shown to users ("PostgreSQL").
    pub name: &'static str,
    /// What it is.
    pub kind: TechnologyKind,
    /// Lowercase spellings, each a space-separated token sequence.
    pub aliases: &'static [&'static str],
    /// Spellings that are also common words; see the module documentation.
    pub ambiguous: &'static [&'static str],
}

macro_rules! tech {
    ($name:literal, $kind:ident, [$($alias:literal),*]) => {
        tech!($name, $kind, [$($alias),*], [])
    };
    ($name:literal, $kind:ident, [$($alias:literal),*], [$($amb:literal),*]) => {
        Technology {
            name: $name,
            kind: TechnologyKind::$kind,
            aliases: &[$($alias),*],
            ambiguous: &[$($amb),*],
        }
    };
}

/// Every technology Socrates recognises.
pub const TECHNOLOGIES: &[Technology] = &[
    tech!("Python", Language, ["python", "python3", "py"]),
    tech!("Rust", Language, ["rustlang"], ["rust"]),
    tech!("Go", Language, ["golang"], ["go"]),
    tech!("Java", Language, ["java", "jdk"]),
    tech!("Kotlin", Language, ["kotlin"]),
    tech!("TypeScript", Language, ["typescript", "ts"]),
    tech!("JavaScript", Language, ["javascript", "js", "ecmascript"]),
    tech!("C#", Language, ["c#", "csharp", "c sharp"]),
    tech!("C++", Language, ["c++", "cpp"]),
    tech!("Ruby", Language, ["ruby"]),
    tech!("PHP", Language, ["php"]),
    tech!("Elixir", Language, ["elixir"]),
    tech!("Swift", Language, [], ["swift"]),
    tech!("Scala", Language, ["scala"]),
    tech!("FastAPI", BackendFramework, ["fastapi", "fast api"]),
    tech!("Django", BackendFramework, ["django"]),
    tech!("Flask", BackendFramework, ["flask"]),
    tech!(
        "Express",
        BackendFramework,
        ["express.js", "expressjs"],
        ["express"]
    ),
    tech!("NestJS", BackendFramework, ["nestjs", "nest.js"]),
    tech!(
        "Spring Boot",
        BackendFramework,
        ["spring boot", "springboot"],
        ["spring"]
    ),
    tech!(
        "Ruby on Rails",
        BackendFramework,
        ["rails", "ruby on rails", "ror"]
    ),
    tech!("Laravel", BackendFramework, ["laravel"]),
    tech!(
        "ASP.NET Core",
        BackendFramework,
        ["asp.net", "asp.net core", ".net", "dotnet"]
    ),
    tech!("Actix Web", BackendFramework, ["actix", "actix web"]),
    tech!("Axum", BackendFramework, ["axum"]),
    tech!("Gin", BackendFramework, ["gin gonic"], ["gin"]),
    tech!("Phoenix", BackendFramework, [], ["phoenix"]),
    tech!("Node.js", BackendFramework, ["node.js", "nodejs", "node"]),
    tech!(
        "React",
        FrontendFramework,
        ["reactjs", "react.js"],
        ["react"]
    ),
    tech!("Vue", FrontendFramework, ["vue", "vue.js", "vuejs"]),
    tech!("Angular", FrontendFramework, ["angular", "angularjs"]),
    tech!("Svelte", FrontendFramework, ["svelte", "sveltekit"]),
    tech!("Next.js", FrontendFramework, ["next.js", "nextjs"]),
    tech!(
        "PostgreSQL",
        Database,
        ["postgresql", "postgres", "psql", "postgre"],
        ["pg"]
    ),
    tech!("MySQL", Database, ["mysql"]),
    tech!("MariaDB", Database, ["mariadb"]),
    tech!("SQLite", Database, ["sqlite", "sqlite3"]),
    tech!("MongoDB", Database, ["mongodb", "mongo"]),
    tech!(
        "Microsoft SQL Server",
        Database,
        ["mssql", "sql server", "ms sql"]
    ),
    tech!(
        "Oracle Database",
        Database,
        ["oracle db", "oracle database"],
        ["oracle"]
    ),
    tech!("Cassandra", Database, ["cassandra"]),
    tech!("DynamoDB", Database, ["dynamodb", "dynamo"]),
    tech!(
        "Elasticsearch",
        Database,
        ["elasticsearch", "elastic search"]
    ),
    tech!("Redis", Cache, ["redis"]),
    tech!("Memcached", Cache, ["memcached", "memcache"]),
    tech!("Kafka", MessageQueue, ["kafka", "apache kafka"]),
    tech!(
        "RabbitMQ",
        MessageQueue,
        ["rabbitmq", "rabbit mq", "rabbit"]
    ),
    tech!("Amazon SQS", MessageQueue, ["sqs", "amazon sqs", "aws sqs"]),
    tech!("NATS", MessageQueue, ["nats"]),
    tech!("AWS", Cloud, ["aws", "amazon web services"]),
    tech!(
        "Google Cloud",
        Cloud,
        ["gcp", "google cloud", "google cloud platform"]
    ),
    tech!("Azure", Cloud, ["azure", "microsoft azure"]),
    tech!("DigitalOcean", Cloud, ["digitalocean", "digital ocean"]),
    tech!("Heroku", Cloud, ["heroku"]),
    tech!(
        "Kubernetes",
        ContainerPlatform,
        ["kubernetes", "k8s", "eks", "gke", "aks"]
    ),
    tech!("Docker", ContainerPlatform, ["docker", "docker compose"]),
    tech!("OpenShift", ContainerPlatform, ["openshift"]),
    tech!("Nomad", ContainerPlatform, ["nomad"]),
    tech!(
        "OAuth2",
        AuthMethod,
        ["oauth", "oauth2", "oauth 2", "oauth 2.0"]
    ),
    tech!(
        "OpenID Connect",
        AuthMethod,
        ["oidc", "openid connect", "openid"]
    ),
    tech!("SAML", AuthMethod, ["saml", "saml2"]),
    tech!(
        "JWT",
        AuthMethod,
        ["jwt", "json web token", "json web tokens"]
    ),
    tech!("SSO", AuthMethod, ["sso", "single sign on"]),
    tech!("LDAP", AuthMethod, ["ldap", "active directory"]),
    tech!("API keys", AuthMethod, ["api key", "api keys"]),
    tech!(
        "MFA",
        AuthMethod,
        ["mfa", "2fa", "multi factor", "two factor"]
    ),
    tech!("GDPR", ComplianceStandard, ["gdpr"]),
    tech!("HIPAA", ComplianceStandard, ["hipaa"]),
    tech!("PCI DSS", ComplianceStandard, ["pci", "pci dss"]),
    tech!("SOC 2", ComplianceStandard, ["soc2", "soc 2"]),
    tech!("ISO 27001", ComplianceStandard, ["iso 27001", "iso27001"]),
    tech!("Prometheus", MonitoringTool, ["prometheus"]),
    tech!("Grafana", MonitoringTool, ["grafana"]),
    tech!("Datadog", MonitoringTool, ["datadog"]),
    tech!("New Relic", MonitoringTool, ["new relic", "newrelic"]),
    tech!("Sentry", MonitoringTool, ["sentry"]),
    tech!("OpenTelemetry", MonitoringTool, ["opentelemetry", "otel"]),
    tech!(
        "ELK stack",
        LoggingTool,
        ["elk", "elk stack", "logstash", "kibana"]
    ),
    tech!("Loki", LoggingTool, ["loki", "grafana loki"]),
    tech!("Splunk", LoggingTool, ["splunk"]),
    tech!("pytest", TestingFramework, ["pytest"]),
    tech!("Jest", TestingFramework, ["jest"]),
    tech!("JUnit", TestingFramework, ["junit"]),
    tech!("Cypress", TestingFramework, ["cypress"]),
    tech!("Playwright", TestingFramework, ["playwright"]),
    tech!("Selenium", TestingFramework, ["selenium"]),
];

/// Splits text into lowercase tokens: runs of letters, digits and `#+.` with trailing dots
/// removed. Hyphens, slashes and other punctuation separate tokens, except that "sign-on"
/// style words are kept whole when an alias needs them (aliases use the same splitting).
#[must_use]
pub fn tokenise(text: &str) -> Vec<String> {
    tokenise_with_case(text)
        .into_iter()
        .map(|t| t.lower)
        .collect()
}

/// A token with its original spelling and byte offset in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The lowercase form used for matching.
    pub lower: String,
    /// Whether the original token started with an uppercase letter.
    pub capitalised: bool,
    /// Whether the token starts a sentence (first token or after `.`, `!`, `?`).
    pub sentence_start: bool,
    /// Byte offset of the token in the input.
    pub start: usize,
}

/// Like [`tokenise`], keeping case and position information.
#[must_use]
pub fn tokenise_with_case(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    let mut sentence_start = true;
    let flush = |current: &mut String, start: usize, tokens: &mut Vec<Token>, ss: &mut bool| {
        let trimmed = current.trim_end_matches('.');
        if !trimmed.is_empty() {
            let ends_sentence = trimmed.len() != current.len();
            tokens.push(Token {
                lower: trimmed.to_lowercase(),
                capitalised: trimmed.chars().next().is_some_and(char::is_uppercase),
                sentence_start: *ss,
                start,
            });
            *ss = ends_sentence;
        }
        current.clear();
    };
    for (index, c) in text.char_indices() {
        if c.is_alphanumeric() || matches!(c, '#' | '+' | '.') {
            if current.is_empty() {
                start = index;
            }
            current.push(c);
        } else {
            flush(&mut current, start, &mut tokens, &mut sentence_start);
            if matches!(c, '!' | '?' | ':' | ';' | '\n') {
                sentence_start = true;
            }
        }
    }
    flush(&mut current, start, &mut tokens, &mut sentence_start);
    tokens
}

fn is_version_token(token: &str) -> bool {
    let rest = token.strip_prefix('v').unwrap_or(token);
    !rest.is_empty()
        && rest.chars().next().is_some_and(|c| c.is_ascii_digit())
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == 'x')
}

/// Finds the technology a whole value names, ignoring case, surrounding words such as
/// "version" and a trailing version number: "PostgreSQL 16" → PostgreSQL.
#[must_use]
pub fn canonical_technology(value: &str) -> Option<&'static Technology> {
    let mut tokens = tokenise(value);
    while tokens
        .last()
        .is_some_and(|t| is_version_token(t) || t == "version")
    {
        tokens.pop();
    }
    let joined = tokens.join(" ");
    TECHNOLOGIES.iter().find(|tech| {
        tech.name.to_lowercase() == joined
            || tech.aliases.contains(&joined.as_str())
            || tech.ambiguous.contains(&joined.as_str())
    })
}

/// A technology found inside free text, with the byte offset where it was mentioned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TechnologyMention {
    /// The technology.
    pub technology: &'static Technology,
    /// Byte offset of the first token of the mention.
    pub start: usize,
}

/// Finds every technology mentioned in free text, longest alias first, each once, in order of
/// appearance.
#[must_use]
pub fn find_technologies(text: &str) -> Vec<TechnologyMention> {
    let tokens = tokenise_with_case(text);
    let mut found: Vec<TechnologyMention> = Vec::new();
    let mut index = 0;
    while index < tokens.len() {
        let mut best: Option<(&'static Technology, usize)> = None;
        for tech in TECHNOLOGIES {
            let plain = tech.aliases.iter().map(|a| (a, false));
            let risky = tech.ambiguous.iter().map(|a| (a, true));
            for (alias, ambiguous) in plain.chain(risky) {
                let parts: Vec<&str> = alias.split(' ').collect();
                let end = index + parts.len();
                if end > tokens.len() || best.is_some_and(|(_, len)| len >= parts.len()) {
                    continue;
                }
                let matches = parts
                    .iter()
                    .zip(&tokens[index..end])
                    .all(|(p, t)| *p == t.lower);
                let first = &tokens[index];
                if matches && (!ambiguous || (first.capitalised && !first.sentence_start)) {
                    best = Some((tech, parts.len()));
                }
            }
        }
        if let Some((technology, length)) = best {
            if !found.iter().any(|m| m.technology.name == technology.name) {
                found.push(TechnologyMention {
                    technology,
                    start: tokens[index].start,
                });
            }
            index += length;
        } else {
            index += 1;
        }
    }
    found
}

#[cfg(test)]
#[path = "technology_tests.rs"]
mod tests;
