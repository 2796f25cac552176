//! `cargo xtask backup` and `cargo xtask restore`: both databases, whatever they run on.
//!
//! The databases are the server's: `DATABASE_AUTH_URL` and `DATABASE_SPECS_URL`, or the
//! embedded default's SQLite files under `data/` (`SOCRATES_SERVER__DATA_DIR`) when unset.
//! PostgreSQL is dumped with `pg_dump --format=custom` and restored with `pg_restore --clean
//! --if-exists --single-transaction`; an SQLite file is copied with the `sqlite3` shell's
//! `.backup`, which is consistent while the server writes (a plain file copy of a WAL database
//! is not). A backup is a directory holding one file per database.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::process;

/// One of the two databases and where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `socrates_auth` or `socrates_specs`.
    pub name: &'static str,
    /// Where it lives.
    pub location: Location,
}

/// A PostgreSQL URL or an SQLite file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// `postgres://…`
    Postgres(String),
    /// The database file.
    Sqlite(PathBuf),
}

impl Target {
    fn file_name(&self) -> String {
        match self.location {
            Location::Postgres(_) => format!("{}.dump", self.name),
            Location::Sqlite(_) => format!("{}.db", self.name),
        }
    }
}

/// The server's two databases, from the same variables the server reads.
pub fn targets_from_environment(root: &Path) -> Result<[Target; 2]> {
    let data_dir = std::env::var_os("SOCRATES_SERVER__DATA_DIR")
        .map_or_else(|| root.join("data"), PathBuf::from);
    let target = |name: &'static str, variable: &str| -> Result<Target> {
        let location = match std::env::var(variable) {
            Ok(url) if !url.is_empty() => location_of(&url)?,
            _ => Location::Sqlite(data_dir.join(format!("{name}.db"))),
        };
        Ok(Target { name, location })
    };
    Ok([
        target("socrates_auth", "DATABASE_AUTH_URL")?,
        target("socrates_specs", "DATABASE_SPECS_URL")?,
    ])
}

/// Where a database URL points.
pub fn location_of(url: &str) -> Result<Location> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Location::Postgres(url.to_owned()));
    }
    if let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() || path == ":memory:" {
            bail!("an in-memory SQLite database cannot be backed up");
        }
        return Ok(Location::Sqlite(PathBuf::from(path)));
    }
    bail!(
        "unsupported database URL `{}`",
        process::redact_password(url)
    )
}

/// Writes both databases into `directory` (created; must not hold an earlier backup).
pub fn backup(targets: &[Target], directory: &Path) -> Result<()> {
    std::fs::create_dir_all(directory)
        .with_context(|| format!("create {}", directory.display()))?;
    for target in targets {
        let file = directory.join(target.file_name());
        if file.exists() {
            bail!(
                "{} exists already: back up into a new directory",
                file.display()
            );
        }
        match &target.location {
            Location::Postgres(url) => {
                require("pg_dump")?;
                process::run(Command::new("pg_dump").args([
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    "--dbname",
                    url,
                    "--file",
                    &file.display().to_string(),
                ]))?;
            }
            Location::Sqlite(path) => {
                require("sqlite3")?;
                if !path.is_file() {
                    bail!("{} does not exist", path.display());
                }
                process::run(Command::new("sqlite3").args([
                    &path.display().to_string(),
                    &format!(".backup '{}'", file.display()),
                ]))?;
            }
        }
        println!("{} → {}", target.name, file.display());
    }
    Ok(())
}

/// Replaces both databases with the backup in `directory`. The server should be stopped:
/// PostgreSQL is restored in one transaction, an SQLite file is replaced whole.
pub fn restore(targets: &[Target], directory: &Path) -> Result<()> {
    for target in targets {
        let file = directory.join(target.file_name());
        if !file.is_file() {
            bail!(
                "{} is missing: {} is not a backup of these databases",
                file.display(),
                directory.display()
            );
        }
    }
    for target in targets {
        let file = directory.join(target.file_name());
        match &target.location {
            Location::Postgres(url) => {
                require("pg_restore")?;
                process::run(Command::new("pg_restore").args([
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--exit-on-error",
                    "--dbname",
                    url,
                    &file.display().to_string(),
                ]))?;
            }
            Location::Sqlite(path) => {
                require("sqlite3")?;
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                process::run(Command::new("sqlite3").args([
                    &path.display().to_string(),
                    &format!(".restore '{}'", file.display()),
                ]))?;
            }
        }
        println!("{} ← {}", target.name, file.display());
    }
    Ok(())
}

fn require(tool: &str) -> Result<()> {
    if process::is_on_path(tool) {
        Ok(())
    } else {
        bail!("{tool} is not installed (Debian: postgresql-client for pg_dump/pg_restore, sqlite3)")
    }
}

/// Options of `cargo xtask backup`.
#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The directory to write into (created; must not hold an earlier backup) [default:
    /// backups/<UTC time>/ in the workspace]
    #[arg(long, value_name = "DIR")]
    to: Option<PathBuf>,
}

/// Options of `cargo xtask restore`.
#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The directory of a backup written by `cargo xtask backup`.
    #[arg(long, value_name = "DIR")]
    from: PathBuf,
}

/// `cargo xtask backup [--to DIR]`.
pub fn run_backup(root: &Path, args: &BackupArgs) -> Result<()> {
    let directory = args
        .to
        .clone()
        .unwrap_or_else(|| root.join("backups").join(timestamp()));
    backup(&targets_from_environment(root)?, &directory)?;
    println!("backup written to {}", directory.display());
    Ok(())
}

/// `cargo xtask restore --from DIR`.
pub fn run_restore(root: &Path, args: &RestoreArgs) -> Result<()> {
    restore(&targets_from_environment(root)?, &args.from)
}

/// UTC now as `YYYYMMDDTHHMMSSZ`, from the system clock (no date crate in xtask).
fn timestamp() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let days = seconds / 86_400;
    let (hour, minute, second) = (seconds % 86_400 / 3600, seconds % 3600 / 60, seconds % 60);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}{month:02}{day:02}T{hour:02}{minute:02}{second:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_suite::{
        DEFAULT_POSTGRES_URL, POSTGRES_URL_VAR, drop_database_statement, psql, setting,
    };

    #[test]
    fn backup_writes_where_told_and_restore_needs_a_directory() {
        match crate::parse(&["backup"]).unwrap() {
            crate::Command::Backup(args) => assert_eq!(args.to, None),
            other => panic!("{other:?}"),
        }
        match crate::parse(&["backup", "--to", "/tmp/bk1"]).unwrap() {
            crate::Command::Backup(args) => assert_eq!(args.to, Some(PathBuf::from("/tmp/bk1"))),
            other => panic!("{other:?}"),
        }
        match crate::parse(&["restore", "--from", "/tmp/bk1"]).unwrap() {
            crate::Command::Restore(args) => assert_eq!(args.from, PathBuf::from("/tmp/bk1")),
            other => panic!("{other:?}"),
        }
        for bad in [
            &["backup", "/tmp/bk1"][..],
            &["backup", "--to"],
            &["restore"],
            &["restore", "/tmp/bk1"],
            &["restore", "--to", "/tmp/bk1"],
        ] {
            assert!(crate::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn urls_name_their_location() {
        assert_eq!(
            location_of("sqlite://data/socrates_auth.db?mode=rwc").unwrap(),
            Location::Sqlite(PathBuf::from("data/socrates_auth.db"))
        );
        assert!(matches!(
            location_of("postgresql://u@h/db").unwrap(),
            Location::Postgres(_)
        ));
        assert!(location_of("sqlite::memory:").is_err());
        assert!(location_of("mysql://h/db").is_err());
    }

    #[test]
    fn the_timestamp_is_a_utc_date_and_time() {
        let stamp = timestamp();
        assert_eq!(stamp.len(), 16, "{stamp}");
        assert!(stamp.starts_with("20"), "{stamp}");
        assert!(stamp.ends_with('Z'));
    }

    fn sqlite(path: &Path, sql: &str) -> String {
        process::output(Command::new("sqlite3").args([&path.display().to_string(), sql])).unwrap()
    }

    /// A row written after the backup is gone after the restore; one written before is back.
    #[test]
    fn sqlite_files_are_backed_up_and_restored() {
        let directory =
            std::env::temp_dir().join(format!("socrates-backup-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        std::fs::create_dir_all(&directory).unwrap();
        let paths = ["socrates_auth", "socrates_specs"]
            .map(|name| directory.join(format!("live/{name}.db")));
        let targets = [
            Target {
                name: "socrates_auth",
                location: Location::Sqlite(paths[0].clone()),
            },
            Target {
                name: "socrates_specs",
                location: Location::Sqlite(paths[1].clone()),
            },
        ];
        std::fs::create_dir_all(directory.join("live")).unwrap();
        for path in &paths {
            sqlite(
                path,
                "PRAGMA journal_mode=WAL; CREATE TABLE t(v TEXT); INSERT INTO t VALUES('kept');",
            );
        }
        let saved = directory.join("backup");
        backup(&targets, &saved).unwrap();
        assert!(
            backup(&targets, &saved).is_err(),
            "a backup is never overwritten"
        );
        for path in &paths {
            sqlite(path, "INSERT INTO t VALUES('after the backup');");
        }
        restore(&targets, &saved).unwrap();
        for path in &paths {
            assert_eq!(
                sqlite(path, "SELECT group_concat(v) FROM t;").trim(),
                "kept"
            );
        }
        assert!(restore(&targets, &directory.join("nothing")).is_err());
        std::fs::remove_dir_all(&directory).unwrap();
    }

    /// The same on the local PostgreSQL (the admin URL of the tests), on two databases of its
    /// own, dropped at the end.
    #[test]
    fn postgres_databases_are_dumped_and_restored() {
        let admin = setting(POSTGRES_URL_VAR, DEFAULT_POSTGRES_URL);
        let suffix = std::process::id();
        let names = [
            format!("socrates_bk_{suffix}_auth"),
            format!("socrates_bk_{suffix}_specs"),
        ];
        let url_of = |name: &str| {
            let base = admin
                .rsplit_once('/')
                .map_or(admin.as_str(), |(base, _)| base);
            format!("{base}/{name}")
        };
        for name in &names {
            process::run(&mut psql(&admin, &drop_database_statement(name))).unwrap();
            process::run(&mut psql(&admin, &format!("CREATE DATABASE \"{name}\""))).unwrap();
            process::run(&mut psql(
                &url_of(name),
                "CREATE TABLE t(v text); INSERT INTO t VALUES ('kept')",
            ))
            .unwrap();
        }
        let targets = [
            Target {
                name: "socrates_auth",
                location: Location::Postgres(url_of(&names[0])),
            },
            Target {
                name: "socrates_specs",
                location: Location::Postgres(url_of(&names[1])),
            },
        ];
        let directory = std::env::temp_dir().join(format!("socrates-pg-backup-test-{suffix}"));
        let _ = std::fs::remove_dir_all(&directory);
        backup(&targets, &directory).unwrap();
        for name in &names {
            process::run(&mut psql(
                &url_of(name),
                "INSERT INTO t VALUES ('after the backup')",
            ))
            .unwrap();
        }
        restore(&targets, &directory).unwrap();
        for name in &names {
            let rows =
                process::output(&mut psql(&url_of(name), "SELECT string_agg(v, ',') FROM t"))
                    .unwrap();
            assert_eq!(rows.trim(), "kept");
            process::run(&mut psql(&admin, &drop_database_statement(name))).unwrap();
        }
        std::fs::remove_dir_all(&directory).unwrap();
    }
}
