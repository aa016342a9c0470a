//! Shared set-up for the end-to-end tests: a CRM emulator and a Liner
//! emulator on 127.0.0.1, a config file pointing at them, and the real
//! `liner-sync` binary.
#![allow(dead_code)]

mod crm;
mod gate;

#[allow(unused_imports)]
pub use crm::{
    Amocrm, AmocrmOAuth, Bitrix24, Bitrix24OAuth, Crm, Domoplaner, DomoplanerLeadsApi, Macrocrm,
    OAuthCrm, WEBHOOK_CODE,
};
#[allow(unused_imports)]
pub use gate::Gate;

use chrono::{DateTime, FixedOffset};
use liner_sync_emulator::{DataSet, LinerFake, LinerOptions, SyncIdFormat};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;
use tokio::process::{Child, Command};

pub const API_KEY: &str = "e2e-liner-key-5c1f9a";

/// The generated deals start here.
pub fn first_created() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-11-02T09:00:00+03:00").unwrap()
}

/// Deals `count` from id `first_id`, created after [`first_created`].
pub fn deals(seed: u64, count: usize, first_id: u64) -> DataSet {
    DataSet::generate(seed, count, first_id, first_created())
}

/// Deals created from a minute from now on, as a CRM would have them after a run.
pub fn deals_from_now(seed: u64, count: usize, first_id: u64) -> DataSet {
    let soon = chrono::Utc::now() + chrono::Duration::minutes(1);
    let offset = FixedOffset::east_opt(3 * 3600).unwrap();
    DataSet::generate(seed, count, first_id, soon.with_timezone(&offset))
}

/// Deals created after every deal of `earlier`, as a CRM would have them later.
pub fn deals_after(earlier: &DataSet, seed: u64, count: usize, first_id: u64) -> DataSet {
    let newest = earlier
        .deals
        .iter()
        .map(|d| d.created)
        .max()
        .unwrap_or_else(first_created);
    DataSet::generate(seed, count, first_id, newest + chrono::Duration::minutes(1))
}

/// The highest deal id of `data`.
pub fn max_id(data: &DataSet) -> u64 {
    data.deals.iter().map(|d| d.id).max().unwrap_or_default()
}

/// The ids of deals the generator says must arrive.
pub fn expected_ids(data: &DataSet) -> Vec<String> {
    data.deals
        .iter()
        .filter(|d| d.expected.phone.is_some())
        .map(|d| d.id.to_string())
        .collect()
}

/// A CRM emulator, a Liner emulator, a temp dir and a config in it.
pub struct World<C: Crm> {
    pub crm: C,
    pub liner: LinerFake,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
}

/// The Bitrix24 world most end-to-end tests use.
pub type BitrixWorld = World<Bitrix24>;

/// Extra lines for the `liner:` block and the source entry.
#[derive(Default, Clone)]
pub struct Tuning {
    pub liner: Vec<String>,
    pub source: Vec<String>,
    /// `None`: a date before every generated deal; `Some("")`: no start_from.
    pub start_from: Option<String>,
    /// Liner's own rate limit (429 above it).
    pub liner_server_rate: Option<f64>,
}

impl<C: Crm> World<C> {
    pub async fn new(data: DataSet) -> Self {
        Self::with(data, Tuning::default()).await
    }

    pub async fn with(data: DataSet, tuning: Tuning) -> Self {
        Self::around(C::start(data).await, tuning).await
    }

    /// A world around a CRM emulator started by the test itself.
    pub async fn around(crm: C, tuning: Tuning) -> Self {
        let liner = LinerFake::start(LinerOptions {
            api_key: API_KEY.to_owned(),
            orders: vec![(101, "main".to_owned()), (102, "spb".to_owned())],
            rate_limit_per_second: tuning.liner_server_rate,
            sync_id_format: SyncIdFormat::Number,
            port: 0,
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("sync.yaml");
        let world = World {
            crm,
            liner,
            dir,
            config,
        };
        world.write_config(&tuning);
        world
    }

    /// (Re)writes the config file.
    pub fn write_config(&self, tuning: &Tuning) {
        let start = tuning
            .start_from
            .clone()
            .unwrap_or_else(|| "2026-11-01T00:00:00+03:00".to_owned());
        let base_url = format!("base_url: {}", self.liner.base_url());
        let defaults = [
            base_url.as_str(),
            "api_key: ${E2E_LINER_KEY}",
            "rate_limit: 2000/s",
            "max_in_flight: 8",
            "max_attempts: 8",
            "max_retry_time: 20s",
        ];
        let key = |line: &str| line.split(':').next().unwrap_or_default().trim().to_owned();
        let mut yaml = String::from("liner:\n");
        for line in defaults {
            if !tuning.liner.iter().any(|l| key(l) == key(line)) {
                yaml.push_str(&format!("  {line}\n"));
            }
        }
        for line in &tuning.liner {
            yaml.push_str(&format!("  {line}\n"));
        }
        yaml.push_str("state:\n  path: state.db\n");
        yaml.push_str("defaults:\n  order_id: 101\n  order_code: main\n  utc_offset: 3\n");
        yaml.push_str(&format!(
            "sources:\n  - name: {}\n    kind: {}\n",
            C::SOURCE,
            C::KIND
        ));
        for line in self.crm.source_keys() {
            yaml.push_str(&format!("    {line}\n"));
        }
        if !start.is_empty() {
            yaml.push_str(&format!("    start_from: {start}\n"));
        }
        for line in &tuning.source {
            yaml.push_str(&format!("    {line}\n"));
        }
        std::fs::write(&self.config, yaml).unwrap();
    }

    pub fn state_path(&self) -> PathBuf {
        self.dir.path().join("state.db")
    }

    /// `liner-sync <args> --config <config>` with the secrets in its environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_liner-sync"));
        cmd.args(args)
            .arg("--config")
            .arg(&self.config)
            .env("E2E_LINER_KEY", API_KEY)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env_remove("RUST_LOG")
            .kill_on_drop(true)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        for (name, value) in self.crm.env() {
            cmd.env(name, value);
        }
        cmd
    }

    /// Runs a command to the end (at most two minutes).
    pub async fn run(&self, args: &[&str]) -> Output {
        let child = self.command(args).spawn().unwrap();
        finish(child).await
    }

    /// `run --json` and its parsed summary.
    pub async fn run_json(&self) -> (Output, Value) {
        let out = self.run(&["run", "--json"]).await;
        let json = parse_json(&out);
        (out, json)
    }

    /// How often Liner accepted a lead for each deal id.
    pub fn deliveries(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for lead in self.liner.received() {
            let id = lead.body[C::EXTERNAL_ID]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            *counts.entry(id).or_default() += 1;
        }
        counts
    }

    /// Waits (up to 10 s) until Liner has accepted at least `n` leads.
    pub async fn wait_for_leads(&self, n: usize) {
        for _ in 0..1000 {
            if self.liner.received().len() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Every secret the configuration holds.
    pub fn secrets(&self) -> Vec<String> {
        let mut secrets = self.crm.secrets();
        secrets.push(API_KEY.to_owned());
        secrets
    }
}

pub async fn finish(child: Child) -> Output {
    tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("liner-sync did not finish within two minutes")
        .unwrap()
}

pub fn parse_json(out: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Counts rows of the state file by outcome.
pub fn outcomes(state: &Path) -> HashMap<String, i64> {
    let conn = rusqlite::Connection::open(state).unwrap();
    let mut stmt = conn
        .prepare("SELECT outcome, count(*) FROM deals GROUP BY outcome")
        .unwrap();
    stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}
