//! The configuration file: YAML, `${VAR}` expanded, unknown keys refused,
//! every error with its line and column.

mod load;
mod source_entry;

pub use load::{ConfigFileError, load, load_str};
pub use source_entry::{DEFAULT_POLL_INTERVAL, SourceEntry, parse_instant};

use liner_sync_core::config::EnvString;
use liner_sync_core::mapping::LeadTemplate;
use liner_sync_liner::LinerConfig;
use serde::Deserialize;
use std::path::PathBuf;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where leads go.
    pub liner: LinerConfig,
    /// The state file.
    #[serde(default)]
    pub state: StateConfig,
    /// Lead fields for every source.
    #[serde(default)]
    pub defaults: LeadTemplate,
    /// The CRMs to read.
    pub sources: Vec<SourceEntry>,
}

/// The `state:` block.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateConfig {
    /// The SQLite state file; a relative path is taken from the config file's directory.
    #[serde(default = "default_state_path")]
    pub path: EnvString,
}

impl Default for StateConfig {
    fn default() -> Self {
        Self {
            path: default_state_path(),
        }
    }
}

fn default_state_path() -> EnvString {
    EnvString("liner-sync.db".to_owned())
}

/// A configuration read from a file, with the file's directory for relative paths.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The parsed configuration.
    pub config: Config,
    /// The file it came from.
    pub file: PathBuf,
    /// The file's text, for error snippets.
    pub text: String,
}

impl LoadedConfig {
    /// The state file, resolved against the config file's directory.
    pub fn state_path(&self) -> PathBuf {
        let path = PathBuf::from(self.config.state.path.as_str());
        if path.is_absolute() {
            return path;
        }
        match self.file.parent() {
            Some(dir) => dir.join(path),
            None => path,
        }
    }

    /// The enabled sources, or just `only` (which must exist).
    pub fn selected_sources(&self, only: Option<&str>) -> Result<Vec<&SourceEntry>, String> {
        let enabled = self.config.sources.iter().filter(|s| s.enabled);
        match only {
            None => Ok(enabled.collect()),
            Some(name) => {
                let found: Vec<_> = self
                    .config
                    .sources
                    .iter()
                    .filter(|s| s.name == name)
                    .collect();
                if found.is_empty() {
                    let names: Vec<_> = self
                        .config
                        .sources
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect();
                    return Err(format!(
                        "no source named '{name}' in {}; the sources are: {}",
                        self.file.display(),
                        names.join(", ")
                    ));
                }
                Ok(found)
            }
        }
    }
}
