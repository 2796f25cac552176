//! Running child processes: every command is printed before it runs, in a form that can be
//! pasted into a shell, and a failing command becomes an error that names it.

use std::env;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use anyhow::{Context, Result, bail};

/// The workspace root: xtask lives one directory below it.
pub fn project_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map_or_else(|| manifest_dir.to_path_buf(), Path::to_path_buf)
}

/// A `cargo` command run from `root`. Under `cargo xtask`, cargo tells us its own path in
/// `CARGO`, so the children use the same toolchain as the parent.
pub fn cargo(root: &Path) -> Command {
    let program = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(program);
    command.current_dir(root);
    command
}

/// Whether an executable called `name` is on `PATH`.
pub fn is_on_path(name: &str) -> bool {
    env::var_os("PATH")
        .is_some_and(|path| env::split_paths(&path).any(|directory| directory.join(name).is_file()))
}

/// Prints `command`, runs it with the terminal as its stdin, stdout and stderr, and fails unless
/// it exits with success.
pub fn run(command: &mut Command) -> Result<()> {
    let shown = display(command);
    println!("$ {shown}");
    let status = command
        .status()
        .with_context(|| format!("could not start `{shown}`"))?;
    check_status(status, &shown)
}

/// Prints `command`, runs it without input, and returns what it printed on stdout; its stderr
/// goes to the terminal. Fails unless it exits with success.
pub fn output(command: &mut Command) -> Result<String> {
    let shown = display(command);
    println!("$ {shown}");
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("could not start `{shown}`"))?;
    check_status(output.status, &shown)?;
    String::from_utf8(output.stdout).with_context(|| format!("`{shown}` printed invalid UTF-8"))
}

/// Like [`output`] for short answers, but a command that runs and fails is an answer (`None`),
/// not an error. The answer is echoed, so the terminal shows what the probe said.
pub fn probe(command: &mut Command) -> Result<Option<String>> {
    let shown = display(command);
    println!("$ {shown}");
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("could not start `{shown}`"))?;
    let answer = String::from_utf8_lossy(&output.stdout).into_owned();
    if !answer.trim().is_empty() {
        println!("{}", answer.trim_end());
    }
    Ok(output.status.success().then_some(answer))
}

fn check_status(status: ExitStatus, shown: &str) -> Result<()> {
    if status.success() {
        return Ok(());
    }
    match status.code() {
        Some(code) => bail!("`{shown}` failed with exit code {code}"),
        None => bail!("`{shown}` was terminated by a signal"),
    }
}

/// Renders `command` as a shell line: `env -u` for removed variables, `NAME=value` for set ones,
/// the program by its file name, then the arguments. Passwords in URLs are hidden.
pub fn display(command: &Command) -> String {
    let mut removed = Vec::new();
    let mut set = Vec::new();
    for (name, value) in command.get_envs() {
        let name = name.to_string_lossy();
        match value {
            None => removed.push(format!("-u {}", shell_quote(&name))),
            Some(value) => set.push(format!("{name}={}", shell_word(value))),
        }
    }
    let mut words = Vec::new();
    if !removed.is_empty() {
        words.push("env".to_owned());
        words.extend(removed);
    }
    words.extend(set);
    let program = Path::new(command.get_program());
    words.push(shell_word(
        program.file_name().unwrap_or(program.as_os_str()),
    ));
    words.extend(command.get_args().map(shell_word));
    words.join(" ")
}

fn shell_word(word: &OsStr) -> String {
    shell_quote(&redact_password(&word.to_string_lossy()))
}

/// Quotes `word` for a POSIX shell when it contains anything but plainly safe characters.
pub fn shell_quote(word: &str) -> String {
    let safe =
        |character: char| character.is_ascii_alphanumeric() || "-_./:=@,+%".contains(character);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Replaces the password of every `scheme://user:password@host` URL in `text` with `***`, so
/// printed commands never leak credentials of test databases.
pub fn redact_password(text: &str) -> String {
    let mut redacted = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(scheme_end) = rest.find("://") {
        let authority_start = scheme_end + "://".len();
        redacted.push_str(&rest[..authority_start]);
        rest = &rest[authority_start..];
        let authority_end = rest.find(['/', '?', '#', ' ']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        match authority.rfind('@') {
            Some(at) => match authority[..at].find(':') {
                Some(colon) => {
                    redacted.push_str(&authority[..=colon]);
                    redacted.push_str("***");
                    redacted.push_str(&authority[at..]);
                }
                None => redacted.push_str(authority),
            },
            None => redacted.push_str(authority),
        }
        rest = &rest[authority_end..];
    }
    redacted.push_str(rest);
    redacted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_redacted() {
        assert_eq!(
            redact_password("postgres://postgres:secret@db:5432/postgres"),
            "postgres://postgres:***@db:5432/postgres"
        );
        assert_eq!(
            redact_password("redis://:p@ss@127.0.0.1:6379"),
            "redis://:***@127.0.0.1:6379"
        );
        assert_eq!(
            redact_password("postgres://postgres@127.0.0.1:5432/postgres"),
            "postgres://postgres@127.0.0.1:5432/postgres"
        );
        assert_eq!(redact_password("--workspace"), "--workspace");
    }

    #[test]
    fn commands_are_shown_as_shell_lines() {
        let mut command = Command::new("/usr/local/bin/cargo");
        command
            .args([
                "test",
                "--workspace",
                "--locked",
                "--",
                "--test-threads",
                "1",
            ])
            .env_remove("SOCRATES_TEST_REDIS_URL")
            .env("SOCRATES_TEST_RUN_ID", "abc123")
            .env("SOCRATES_TEST_POSTGRES_URL", "postgres://u:pw@h/db");
        assert_eq!(
            display(&command),
            "env -u SOCRATES_TEST_REDIS_URL SOCRATES_TEST_POSTGRES_URL='postgres://u:***@h/db' \
             SOCRATES_TEST_RUN_ID=abc123 cargo test --workspace --locked -- --test-threads 1"
        );
    }

    #[test]
    fn unsafe_words_are_single_quoted() {
        assert_eq!(
            shell_quote("select datname from x where y like 'a%'"),
            r"'select datname from x where y like '\''a%'\'''"
        );
        assert_eq!(shell_quote(""), "''");
    }
}
