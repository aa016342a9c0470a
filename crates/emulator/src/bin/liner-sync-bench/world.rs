//! The fakes of one benchmark, a scratch directory for the state file, and a
//! liner-sync configuration pointing at them.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use liner_sync_emulator::{ConfigTuning, Sandbox, SandboxOptions};

use crate::child::{self, Measured};
use crate::summary::Summary;
use crate::{BenchResult, Setup};

/// Scratch directories made so far by this process, to name the next one.
static SCRATCH_COUNT: AtomicU32 = AtomicU32::new(0);

/// The limits liner-sync is configured with.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Liner's `rate_limit` (`"200/s"`, `"off"`).
    pub liner: String,
    /// The CRM sources' `rate_limit`; `None`: their defaults.
    pub crm: Option<String>,
}

impl Limits {
    /// No client-side limit anywhere.
    pub fn off() -> Limits {
        Limits {
            liner: "off".to_owned(),
            crm: Some("off".to_owned()),
        }
    }
}

/// Running fakes and a configuration for them.
pub struct World {
    /// The fakes.
    pub sandbox: Sandbox,
    config: PathBuf,
    dir: PathBuf,
    binary: PathBuf,
}

impl World {
    /// Generates the data, starts the fakes and writes the configuration.
    pub async fn start(
        setup: &Setup,
        options: SandboxOptions,
        limits: &Limits,
    ) -> BenchResult<World> {
        let sandbox = Sandbox::start(in_the_past(options)).await?;
        let n = SCRATCH_COUNT.fetch_add(1, Ordering::SeqCst);
        let dir = setup
            .work_dir
            .join(format!("liner-sync-bench-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let config = dir.join("sync.yaml");
        let state = dir.join("state.db");
        let yaml = sandbox.tuned_config_yaml(&ConfigTuning {
            state_path: &state.to_string_lossy(),
            liner_rate_limit: &limits.liner,
            crm_rate_limit: limits.crm.as_deref(),
        });
        std::fs::write(&config, yaml)?;
        Ok(World {
            sandbox,
            config,
            dir,
            binary: setup.binary.clone(),
        })
    }

    /// `liner-sync run --json --config … --source SOURCE` to the end; an
    /// error unless it exits 0.
    pub async fn run(&self, source: Option<&str>) -> BenchResult<(Measured, Summary)> {
        let config = self.config.to_string_lossy();
        let mut args = vec!["run", "--json", "--config", &config];
        if let Some(source) = source {
            args.extend(["--source", source]);
        }
        let liner = &self.sandbox.liner;
        let progress = || liner.received_count() as u64;
        let measured = child::run(&self.binary, &args, &progress).await?;
        if !measured.status.success() {
            return Err(format!(
                "liner-sync {} ended with {}:\n{}",
                args.join(" "),
                measured.status,
                tail(&measured.stderr)
            )
            .into());
        }
        let summary = Summary::parse(&measured.stdout)?;
        Ok((measured, summary))
    }

    /// The directory holding the configuration and the state file.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The most seconds the generator puts between two deals' creation.
const MOST_SECONDS_APART: i64 = 180;

/// `options` with the first deal created early enough that the last one is
/// not in the future, as in a real CRM. (Sources that read by creation time
/// keep their cursor at the present, so deals "from the future" would be
/// read again by every pass.)
fn in_the_past(options: SandboxOptions) -> SandboxOptions {
    let largest = [
        Some(options.deals),
        options.amo_deals,
        options.macro_deals,
        options.domoplaner_deals,
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(0);
    let seconds = i64::try_from(largest)
        .unwrap_or(i64::MAX)
        .saturating_mul(MOST_SECONDS_APART)
        .saturating_add(3600);
    let first_created = chrono::Duration::try_seconds(seconds)
        .and_then(|span| chrono::Utc::now().checked_sub_signed(span))
        .map(|at| at.fixed_offset())
        .unwrap_or(options.first_created);
    SandboxOptions {
        first_created,
        ..options
    }
}

/// The last lines of a log, for an error message.
fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
