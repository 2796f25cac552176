//! `cargo xtask migrate`: forwards to `socrates-server migrate`, which owns the migrations, so
//! development and production run the one implementation.

use std::path::Path;

use anyhow::Result;

use crate::process;

/// Arguments of `cargo xtask migrate`.
#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    /// What to do.
    #[arg(value_enum)]
    action: Action,
    /// Options of `socrates-server migrate`, passed on unchecked: --db auth|specs|all (default
    /// all), --steps N or --all for down, --destroy-all-data to confirm fresh in production.
    /// `cargo xtask migrate <ACTION> -- --help` shows the server's own help.
    #[arg(
        value_name = "ARGUMENTS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    arguments: Vec<String>,
}

/// The actions `socrates-server migrate` understands. Only the action is checked here, for a
/// quick usage message; the server validates everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Action {
    /// Apply every pending migration.
    Up,
    /// Roll back the last migration (or --steps N, or --all).
    Down,
    /// List migrations and whether each is applied.
    Status,
    /// Drop every table and apply all migrations.
    Fresh,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
            Self::Status => "status",
            Self::Fresh => "fresh",
        }
    }
}

impl MigrateArgs {
    /// What `socrates-server migrate` is given: the action, then the rest as typed.
    fn server_arguments(&self) -> Vec<&str> {
        std::iter::once(self.action.name())
            .chain(self.arguments.iter().map(String::as_str))
            .collect()
    }
}

/// Runs `cargo run --quiet --package socrates-server -- migrate <args>`.
pub fn migrate(root: &Path, args: &MigrateArgs) -> Result<()> {
    let mut command = process::cargo(root);
    command
        .args([
            "run",
            "--quiet",
            "--package",
            "socrates-server",
            "--",
            "migrate",
        ])
        .args(args.server_arguments());
    process::run(&mut command)
}

#[cfg(test)]
mod tests {
    use crate::{Command, parse};

    fn server_arguments(args: &[&str]) -> Result<Vec<String>, clap::Error> {
        let mut command = vec!["migrate"];
        command.extend_from_slice(args);
        match parse(&command)? {
            Command::Migrate(args) => Ok(args
                .server_arguments()
                .into_iter()
                .map(str::to_owned)
                .collect()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_action_is_checked_and_everything_after_it_forwarded_as_typed() {
        assert_eq!(server_arguments(&["status"]).unwrap(), ["status"]);
        assert_eq!(
            server_arguments(&["down", "--db", "auth", "--steps", "2"]).unwrap(),
            ["down", "--db", "auth", "--steps", "2"]
        );
        // The server's own help, after `--`, and options it alone knows reach it.
        assert_eq!(
            server_arguments(&["up", "--", "--help"]).unwrap(),
            ["up", "--help"]
        );
        assert_eq!(
            server_arguments(&["up", "--db", "auth", "--help"]).unwrap(),
            ["up", "--db", "auth", "--help"]
        );
        assert_eq!(
            parse(&["migrate", "up", "--help"]).unwrap_err().kind(),
            clap::error::ErrorKind::DisplayHelp
        );
        assert_eq!(
            server_arguments(&["fresh", "--destroy-all-data", "-x"]).unwrap(),
            ["fresh", "--destroy-all-data", "-x"]
        );
        for bad in [&[][..], &["sideways"], &["--db", "all", "status"], &["UP"]] {
            assert!(server_arguments(bad).is_err(), "{bad:?}");
        }
    }
}
