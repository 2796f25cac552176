//! Drill (a): kill -9 under a mixed write load, restart on the same data, then check that every
//! write the server acknowledged is there and that no single-valued key has two current values.
//!
//! Writers race on one single-valued key per project (the databases of four sessions of one
//! project at once), add facts of their own, create projects and answer interview questions;
//! every 2xx they get is recorded. The server is killed with SIGKILL while they write.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use serde_json::json;

use super::http::run_load;
use super::{
    Check, Client, Context, Interview, Interviews, answered_questions, base_environment,
    interview_step, run_id, sign_up_many,
};
use crate::loadtest::Databases;
use crate::process;
use crate::server::Server;
use crate::test_suite::psql;

/// Users whose projects the writers share.
const USERS: usize = 4;
/// Writer threads (several per project, so that the contested key is really contested).
const WRITERS: usize = 16;
/// How long the writers run before the kill.
const BEFORE_KILL: Duration = Duration::from_secs(6);
/// What the writers answer every question with.
const ANSWER: &str = "We will run it on AWS with PostgreSQL as the database; the team knows \
                      React and Django. No mobile app for now.";
/// The contested single-valued key's values.
const DATABASES: [&str; 4] = ["PostgreSQL", "MySQL", "MongoDB", "SQLite"];

/// Writes the server acknowledged.
#[derive(Debug, Default)]
struct Acknowledged {
    /// (owner, project id).
    projects: Vec<(usize, String)>,
    /// (owner, fact id).
    facts: Vec<(usize, String)>,
    /// (owner, conflict id).
    conflicts: Vec<(usize, String)>,
    /// (owner, session id, question id) of answers taken.
    answers: Vec<(usize, String, String)>,
}

impl Acknowledged {
    fn total(&self) -> usize {
        self.projects.len() + self.facts.len() + self.conflicts.len() + self.answers.len()
    }
}

/// Runs the drill on the embedded default and on PostgreSQL + Redis.
pub fn run(context: &Context) -> Result<Vec<Check>> {
    let mut checks = run_on(context, false)?;
    checks.extend(run_on(context, true)?);
    Ok(checks)
}

fn run_on(context: &Context, postgres: bool) -> Result<Vec<Check>> {
    let label = if postgres {
        "crash · PostgreSQL + Redis"
    } else {
        "crash · SQLite"
    };
    let run = run_id();
    let databases = if postgres {
        Some(Databases::create(
            &context.postgres_url,
            &format!("socrates_drill_{run}"),
        )?)
    } else {
        None
    };
    let mut environment = base_environment();
    if let Some(databases) = &databases {
        environment = super::on_postgres(environment, databases, Some(context.redis_url.clone()));
        environment.push(("SOCRATES_REDIS__KEY_PREFIX", format!("drill-{run}")));
    }
    let log = context.log(if postgres {
        "crash-postgres"
    } else {
        "crash-sqlite"
    });
    let server = Server::start_logged(
        &context.binary,
        &format!("drill-crash-{run}"),
        &environment,
        &log,
    )?;
    let address = server.address;
    let users = sign_up_many(address, &run, USERS, Duration::from_secs(15))?;
    let tokens: Vec<String> = users
        .iter()
        .map(|user| user.client.token.clone().unwrap_or_default())
        .collect();
    let projects: Vec<String> = users.iter().map(|user| user.project_id.clone()).collect();

    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let clients: Vec<Client> = (0..WRITERS)
        .map(|writer| {
            let mut client = Client::new(address, Duration::from_secs(15));
            client.token = Some(tokens[writer % USERS].clone());
            client
        })
        .collect();
    let writers = {
        let acknowledged = Arc::clone(&acknowledged);
        let projects = projects.clone();
        std::thread::spawn(move || {
            let sessions: Interviews = Mutex::new(vec![Interview::default(); WRITERS]);
            let counter = std::sync::atomic::AtomicUsize::new(0);
            run_load(
                clients,
                BEFORE_KILL + Duration::from_secs(2),
                move |writer, client, tally| {
                    let owner = writer % USERS;
                    let project = &projects[owner];
                    let step = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let outcome = write_once(writer, step, project, client, &sessions);
                    match outcome {
                        Ok(Some((response, write))) => {
                            tally.record(&Ok(response));
                            if let Some(write) = write
                                && let Ok(mut acknowledged) = acknowledged.lock()
                            {
                                write.record(owner, &mut acknowledged);
                            }
                        }
                        Ok(None) => {}
                        Err(error) => {
                            tally.record(&Err(error));
                            // The server is gone: stop hammering a closed port.
                            std::thread::sleep(Duration::from_millis(200));
                        }
                    }
                },
            )
        })
    };
    std::thread::sleep(BEFORE_KILL);
    let directory = server.kill_hard()?;
    println!("    killed the server with SIGKILL after {BEFORE_KILL:?} of writes");
    let tally = writers
        .join()
        .map_err(|_| anyhow::anyhow!("the writers panicked"))??;
    let acknowledged = std::mem::take(
        &mut *acknowledged
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?,
    );
    println!(
        "    writers: {} ({} acknowledged writes)",
        tally.statuses_text(),
        acknowledged.total()
    );

    let restart_started = Instant::now();
    let server = Server::restart_logged(
        &context.binary,
        &directory,
        crate::bench::free_port()?,
        &environment,
        &log,
    )?;
    let restart = restart_started.elapsed();
    let missing = verify(&server, &tokens, &acknowledged)?;
    let count = |sql: &str| -> Result<u64> {
        let answer = match &databases {
            Some(databases) => {
                process::output(psql(&databases.url(&databases.specs), sql).arg("-tA"))?
            }
            None => sqlite_count(&directory.join("data/socrates_specs.db"), sql)?,
        };
        answer
            .trim()
            .parse()
            .with_context(|| format!("not a count: {answer}"))
    };
    let duplicates = count(DUPLICATES_SQL)?;
    let contested = count(CONTESTED_SQL)?;
    drop(server);
    let _ = std::fs::remove_dir_all(&directory);
    drop(databases);

    let unexpected = tally.count(500..=599) + tally.unshaped_errors;
    for sample in missing.iter().take(5) {
        println!("    missing: {sample}");
    }
    Ok(vec![
        Check::new(
            label,
            "acknowledged writes present after kill -9 and restart",
            format!(
                "{} of {} missing (projects {}, facts {}, conflicts {}, answers {})",
                missing.len(),
                acknowledged.total(),
                acknowledged.projects.len(),
                acknowledged.facts.len(),
                acknowledged.conflicts.len(),
                acknowledged.answers.len()
            ),
            "none missing, > 100 writes",
            missing.is_empty() && acknowledged.total() > 100,
        ),
        Check::new(
            label,
            "single-valued keys with two current values",
            format!("{duplicates} (contested key: {contested} projects with two or more)"),
            "0",
            duplicates == 0 && contested == 0,
        ),
        Check::new(
            label,
            "5xx or unshaped errors before the kill",
            format!("{unexpected} ({})", tally.statuses_text()),
            "0",
            unexpected == 0,
        ),
        Check::new(
            label,
            "restart to /health 200",
            super::millis(restart),
            "< 30 s",
            restart < Duration::from_secs(30),
        ),
    ])
}

/// Current rows sharing a value slot: two current values of one single-valued key, or one
/// value of a multi-valued key twice.
const DUPLICATES_SQL: &str = "SELECT count(*) FROM (SELECT project_id FROM specifications \
     WHERE is_current GROUP BY project_id, category, key, value_slot HAVING count(*) > 1) AS d";
/// Projects with more than one current value of the contested key.
const CONTESTED_SQL: &str = "SELECT count(*) FROM (SELECT project_id FROM specifications \
     WHERE is_current AND key = 'primary_database' GROUP BY project_id HAVING count(*) > 1) AS d";

/// What `sql` (one count) answers on the SQLite file, read with Python's `sqlite3`.
fn sqlite_count(file: &std::path::Path, sql: &str) -> Result<String> {
    let script = "import sqlite3, sys\n\
                  connection = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)\n\
                  print(connection.execute(sys.argv[2]).fetchone()[0])\n";
    process::output(
        std::process::Command::new("python3")
            .args(["-c", script])
            .arg(file)
            .arg(sql),
    )
}

/// One acknowledged write, to be looked for after the restart.
enum Write {
    Project(String),
    Fact(String),
    Conflict(String),
    Answer(String, String),
}

impl Write {
    fn record(self, owner: usize, acknowledged: &mut Acknowledged) {
        match self {
            Write::Project(id) => acknowledged.projects.push((owner, id)),
            Write::Fact(id) => acknowledged.facts.push((owner, id)),
            Write::Conflict(id) => acknowledged.conflicts.push((owner, id)),
            Write::Answer(session, question) => {
                acknowledged.answers.push((owner, session, question));
            }
        }
    }
}

/// One write of writer `writer`: the response and what it acknowledged.
fn write_once(
    writer: usize,
    step: usize,
    project: &str,
    client: &mut Client,
    sessions: &Interviews,
) -> Result<Option<(super::Response, Option<Write>)>> {
    match step % 4 {
        0 => {
            let value = DATABASES[(step / 4) % DATABASES.len()];
            let response = client.post(
                "/api/v1/specifications",
                &json!({"project_id": project, "category": "tech_stack", "key": "primary_database", "value": value}),
            )?;
            let write = fact_write(&response);
            Ok(Some((response, write)))
        }
        1 => {
            let response = client.post(
                "/api/v1/specifications",
                &json!({"project_id": project, "category": "requirements", "key": format!("drill_note_{writer}_{step}"), "value": format!("Staff can export the bookings of day {step} as CSV")}),
            )?;
            let write = fact_write(&response);
            Ok(Some((response, write)))
        }
        2 => {
            let response = client.post(
                "/api/v1/projects",
                &json!({"name": format!("Drill {writer}-{step}")}),
            )?;
            let write = (response.status == 201)
                .then(|| response.json()["project_id"].as_str().map(str::to_owned))
                .flatten()
                .map(Write::Project);
            Ok(Some((response, write)))
        }
        _ => {
            let (response, answered) = interview_step(writer, project, client, sessions, ANSWER)?;
            let write = answered.map(|(session, question)| Write::Answer(session, question));
            Ok(Some((response, write)))
        }
    }
}

/// What an answer to `POST /specifications` acknowledged: a saved fact (201) or the conflict
/// holding it (200).
fn fact_write(response: &super::Response) -> Option<Write> {
    if response.status != 201 && response.status != 200 {
        return None;
    }
    let body = response.json();
    if let Some(id) = body["specification"]["spec_id"].as_str() {
        return Some(Write::Fact(id.to_owned()));
    }
    body["conflicts"][0]["conflict_id"]
        .as_str()
        .map(|id| Write::Conflict(id.to_owned()))
}

/// Looks for every acknowledged write through the API; returns what is missing.
fn verify(server: &Server, tokens: &[String], acknowledged: &Acknowledged) -> Result<Vec<String>> {
    let mut clients: Vec<Client> = tokens
        .iter()
        .map(|token| {
            let mut client = Client::new(server.address, Duration::from_secs(15));
            client.token = Some(token.clone());
            client
        })
        .collect();
    let mut missing = Vec::new();
    let mut expect = |owner: usize, path: String, what: &str| -> Result<()> {
        let response = clients[owner].get(&path)?;
        if response.status != 200 {
            missing.push(format!("{what} ({path} answered {})", response.status));
        }
        Ok(())
    };
    for (owner, id) in &acknowledged.projects {
        expect(*owner, format!("/api/v1/projects/{id}"), "project")?;
    }
    for (owner, id) in &acknowledged.facts {
        expect(
            *owner,
            format!("/api/v1/specifications/{id}/history"),
            "fact",
        )?;
    }
    for (owner, id) in &acknowledged.conflicts {
        expect(
            *owner,
            format!("/api/v1/conflicts/{id}/options"),
            "conflict",
        )?;
    }
    let mut answered: std::collections::HashMap<String, std::collections::HashSet<String>> =
        Default::default();
    for (owner, session, question) in &acknowledged.answers {
        if !answered.contains_key(session) {
            answered.insert(
                session.clone(),
                answered_questions(&mut clients[*owner], session)?,
            );
        }
        if !answered[session].contains(question) {
            missing.push(format!("answer to {question} in session {session}"));
        }
    }
    Ok(missing)
}
