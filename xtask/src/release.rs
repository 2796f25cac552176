//! `cargo xtask release VERSION [--dry-run]`: bumps the workspace version, writes the
//! changelog section from the commits since the previous tag, commits both with `Cargo.lock`,
//! and tags `vVERSION` (annotated, the changelog section as its message). Pushing the tag is
//! left to the caller (`git push origin main vVERSION`); the workflow then builds the image
//! and publishes the GitHub release from the same changelog section.

use std::fmt;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::process;

/// A `MAJOR.MINOR.PATCH` version (no pre-release or build part).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
}

impl std::str::FromStr for Version {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> Result<Self> {
        let text = text.strip_prefix('v').unwrap_or(text);
        let parts: Vec<&str> = text.split('.').collect();
        let [major, minor, patch] = parts.as_slice() else {
            bail!("`{text}` is not MAJOR.MINOR.PATCH");
        };
        let number = |part: &str| -> Result<u64> {
            if part.is_empty() || (part.len() > 1 && part.starts_with('0')) {
                bail!("`{text}` is not MAJOR.MINOR.PATCH");
            }
            part.parse()
                .with_context(|| format!("`{text}` is not MAJOR.MINOR.PATCH"))
        };
        Ok(Self {
            major: number(major)?,
            minor: number(minor)?,
            patch: number(patch)?,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The `version = "…"` of `[workspace.package]` in the root manifest.
fn workspace_version(manifest: &str) -> Result<Version> {
    let mut in_package = false;
    for line in manifest.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_package = trimmed == "[workspace.package]";
        } else if in_package && let Some(value) = trimmed.strip_prefix("version") {
            let value = value.trim_start().trim_start_matches('=').trim();
            return value.trim_matches('"').parse();
        }
    }
    bail!("no version in [workspace.package] of Cargo.toml")
}

/// The manifest with the `[workspace.package]` version replaced.
fn with_version(manifest: &str, version: Version) -> Result<String> {
    let mut in_package = false;
    let mut replaced = false;
    let mut lines = Vec::new();
    for line in manifest.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_package = trimmed == "[workspace.package]";
        }
        if in_package && !replaced && trimmed.starts_with("version") && trimmed.contains('=') {
            lines.push(format!("version = \"{version}\""));
            replaced = true;
        } else {
            lines.push(line.to_owned());
        }
    }
    if !replaced {
        bail!("no version in [workspace.package] of Cargo.toml");
    }
    let mut text = lines.join("\n");
    if manifest.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// The changelog section of `version` from commit subjects (newest first).
fn changelog_section(version: Version, date: &str, subjects: &[String]) -> String {
    let mut section = format!("## {version} — {date}\n\n");
    if subjects.is_empty() {
        section.push_str("- No changes since the previous release.\n");
    }
    for subject in subjects {
        section.push_str("- ");
        section.push_str(subject.trim());
        section.push('\n');
    }
    section
}

const CHANGELOG_HEADER: &str = "# Changelog\n\nEvery release of Socrates, newest first. Written by `cargo xtask release` from the\ncommits since the previous tag.\n\n";

/// The changelog with `section` put on top of the earlier releases.
fn prepend(changelog: Option<&str>, section: &str) -> String {
    let earlier = changelog
        .map(|text| text.strip_prefix(CHANGELOG_HEADER).unwrap_or(text))
        .unwrap_or_default();
    if earlier.is_empty() {
        format!("{CHANGELOG_HEADER}{section}")
    } else {
        format!("{CHANGELOG_HEADER}{section}\n{earlier}")
    }
}

fn git_command(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("git");
    command.current_dir(root).args(args);
    command
}

/// Runs git in `root` (echoed, as every xtask command is) and returns its trimmed output.
fn git(root: &Path, args: &[&str]) -> Result<String> {
    Ok(process::output(&mut git_command(root, args))?
        .trim()
        .to_owned())
}

/// Arguments of `cargo xtask release`.
#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    /// The new version, MAJOR.MINOR.PATCH (a leading `v` is dropped), above the current one.
    #[arg(value_name = "VERSION")]
    version: Version,
    /// Check and print the changelog section, but write, commit and tag nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Bumps, writes the changelog, commits and tags; with `--dry-run` only prints the section.
pub fn run(root: &Path, args: &ReleaseArgs) -> Result<()> {
    let ReleaseArgs { version, dry_run } = *args;
    let manifest_path = root.join("Cargo.toml");
    let manifest = std::fs::read_to_string(&manifest_path).context("read Cargo.toml")?;
    let current = workspace_version(&manifest)?;
    if version <= current {
        bail!("{version} is not above the current version {current}");
    }
    let tag = format!("v{version}");
    if !git(root, &["tag", "--list", &tag])?.is_empty() {
        bail!("the tag {tag} already exists");
    }
    if !git(root, &["status", "--porcelain"])?.is_empty() {
        bail!("the working tree has uncommitted changes; commit or stash them first");
    }
    // No earlier tag is an answer, not an error: the changelog then starts at the first commit.
    let previous = process::probe(&mut git_command(
        root,
        &["describe", "--tags", "--abbrev=0", "--match", "v*"],
    ))?
    .map(|tag| tag.trim().to_owned());
    let range = previous
        .as_ref()
        .map_or_else(|| "HEAD".to_owned(), |tag| format!("{tag}..HEAD"));
    let subjects: Vec<String> = git(root, &["log", "--no-merges", "--pretty=format:%s", &range])?
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(str::to_owned)
        .collect();
    let date = git(root, &["log", "-1", "--pretty=format:%cs"])?;
    let section = changelog_section(version, &date, &subjects);
    println!(
        "release {current} → {version} ({} commit(s) since {})\n\n{section}",
        subjects.len(),
        previous.as_deref().unwrap_or("the beginning")
    );
    if dry_run {
        println!("dry run: nothing written");
        return Ok(());
    }
    std::fs::write(&manifest_path, with_version(&manifest, version)?)?;
    let changelog_path = root.join("CHANGELOG.md");
    let changelog = std::fs::read_to_string(&changelog_path).ok();
    std::fs::write(&changelog_path, prepend(changelog.as_deref(), &section))?;
    // Brings the workspace members' versions in Cargo.lock up to date, nothing else.
    process::run(
        process::cargo(root)
            .args(["update", "--workspace", "--offline"])
            .current_dir(root),
    )?;
    git(root, &["add", "Cargo.toml", "Cargo.lock", "CHANGELOG.md"])?;
    git(
        root,
        &["commit", "--quiet", "-m", &format!("Release {tag}")],
    )?;
    git(root, &["tag", "--annotate", &tag, "-m", &section])?;
    println!("committed and tagged {tag}; publish with: git push origin HEAD {tag}");
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

    use super::*;

    fn release_args(args: &[&str]) -> Result<ReleaseArgs, clap::Error> {
        let mut command = vec!["release"];
        command.extend_from_slice(args);
        match crate::parse(&command)? {
            crate::Command::Release(args) => Ok(args),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_command_line_is_a_version_and_perhaps_dry_run() {
        let args = release_args(&["0.2.0"]).unwrap();
        assert_eq!(args.version.to_string(), "0.2.0");
        assert!(!args.dry_run);
        let args = release_args(&["v1.2.3", "--dry-run"]).unwrap();
        assert_eq!(args.version.to_string(), "1.2.3");
        assert!(args.dry_run);
        for bad in [
            &[][..],
            &["--dry-run"],
            &["1.2"],
            &["0.2.0", "0.3.0"],
            &["0.2.0", "--push"],
        ] {
            assert!(release_args(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn versions_parse_compare_and_refuse_nonsense() {
        let one: Version = "0.1.0".parse().unwrap();
        let two: Version = "v0.10.0".parse().unwrap();
        assert!(two > one);
        assert_eq!(two.to_string(), "0.10.0");
        for bad in ["1.0", "1.0.0.0", "1.a.0", "01.0.0", "", "1..0"] {
            assert!(bad.parse::<Version>().is_err(), "{bad}");
        }
    }

    #[test]
    fn only_the_workspace_package_version_changes() {
        let manifest = "[workspace]\nmembers = []\n\n[workspace.package]\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace.dependencies]\nserde = { version = \"1.0\" }\n";
        assert_eq!(workspace_version(manifest).unwrap().to_string(), "0.1.0");
        let bumped = with_version(manifest, "0.2.0".parse().unwrap()).unwrap();
        assert!(bumped.contains("[workspace.package]\nversion = \"0.2.0\"\n"));
        assert!(bumped.contains("serde = { version = \"1.0\" }"));
        assert!(bumped.ends_with('\n'));
    }

    #[test]
    fn sections_go_on_top_of_earlier_releases() {
        let first = prepend(
            None,
            &changelog_section(
                "0.2.0".parse().unwrap(),
                "2026-12-02",
                &["Add a thing".into()],
            ),
        );
        assert!(first.starts_with("# Changelog"));
        assert!(first.contains("## 0.2.0 — 2026-12-02\n\n- Add a thing\n"));
        let second = prepend(
            Some(&first),
            &changelog_section("0.3.0".parse().unwrap(), "2026-12-03", &[]),
        );
        let newer = second.find("## 0.3.0").unwrap();
        let older = second.find("## 0.2.0").unwrap();
        assert!(newer < older);
        assert_eq!(second.matches("# Changelog").count(), 1);
    }

    /// A whole release in a throw-away repository: bump, changelog, lock file, commit, tag.
    #[test]
    fn a_release_commits_and_tags_in_a_repository() {
        let directory = std::env::temp_dir().join(format!("xtask-release-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        std::fs::create_dir_all(directory.join("member/src")).unwrap();
        std::fs::write(
            directory.join("Cargo.toml"),
            "[workspace]\nmembers = [\"member\"]\nresolver = \"3\"\n\n[workspace.package]\nversion = \"0.1.0\"\nedition = \"2024\"\n",
        )
        .unwrap();
        std::fs::write(
            directory.join("member/Cargo.toml"),
            "[package]\nname = \"member\"\nversion.workspace = true\nedition.workspace = true\n",
        )
        .unwrap();
        std::fs::write(directory.join("member/src/lib.rs"), "").unwrap();
        let git_in = |args: &[&str]| git(&directory, args).unwrap();
        git_in(&["init", "--quiet", "--initial-branch=main"]);
        git_in(&["config", "user.email", "release@example.com"]);
        git_in(&["config", "user.name", "Release Test"]);
        process::run(process::cargo(&directory).args(["generate-lockfile", "--offline"])).unwrap();
        git_in(&["add", "."]);
        git_in(&["commit", "--quiet", "-m", "Start the project"]);
        git_in(&["tag", "v0.1.0"]);
        std::fs::write(directory.join("member/src/lib.rs"), "//! Things.\n").unwrap();
        git_in(&["commit", "--quiet", "-am", "Document the things"]);

        assert!(
            run(&directory, &release_args(&["0.1.0"]).unwrap()).is_err(),
            "not above 0.1.0"
        );
        run(&directory, &release_args(&["0.2.0", "--dry-run"]).unwrap()).unwrap();
        assert!(git_in(&["tag", "--list", "v0.2.0"]).is_empty());
        run(&directory, &release_args(&["0.2.0"]).unwrap()).unwrap();

        let manifest = std::fs::read_to_string(directory.join("Cargo.toml")).unwrap();
        assert!(manifest.contains("version = \"0.2.0\""));
        let lock = std::fs::read_to_string(directory.join("Cargo.lock")).unwrap();
        assert!(
            lock.contains("name = \"member\"\nversion = \"0.2.0\""),
            "{lock}"
        );
        let changelog = std::fs::read_to_string(directory.join("CHANGELOG.md")).unwrap();
        assert!(changelog.contains("## 0.2.0 — "), "{changelog}");
        assert!(changelog.contains("- Document the things\n"), "{changelog}");
        assert!(
            !changelog.contains("Start the project"),
            "before the previous tag"
        );
        assert_eq!(git_in(&["tag", "--list", "v0.2.0"]), "v0.2.0");
        assert_eq!(
            git_in(&["log", "-1", "--pretty=format:%s"]),
            "Release v0.2.0"
        );
        assert!(git_in(&["status", "--porcelain"]).is_empty());
        assert!(
            run(&directory, &release_args(&["0.2.0"]).unwrap()).is_err(),
            "the tag exists"
        );
        std::fs::remove_dir_all(&directory).unwrap();
    }
}
