//! Reading and checking the file, and rendering errors with their place.

use super::{Config, LoadedConfig};
use liner_sync_core::config::{ConfigError, Location};
use std::collections::HashSet;
use std::fmt;
use std::path::Path;

/// A configuration problem, with the file, the place and a snippet of it.
#[derive(Debug, Clone)]
pub struct ConfigFileError {
    file: String,
    message: String,
    location: Option<Location>,
    snippet: Option<String>,
}

impl ConfigFileError {
    /// A problem at `location` of the file whose text is `source`.
    pub fn new(
        file: &str,
        source: &str,
        message: impl Into<String>,
        location: Option<Location>,
    ) -> Self {
        Self {
            file: file.to_owned(),
            message: message.into(),
            location,
            snippet: location.and_then(|at| snippet(source, at)),
        }
    }

    /// From a connector's [`ConfigError`].
    pub fn from_settings(file: &str, source: &str, source_name: &str, e: ConfigError) -> Self {
        Self::new(
            file,
            source,
            format!("source '{source_name}': {}", e.message),
            e.location,
        )
    }

    /// The one-line form: `file:line:column: message`.
    pub fn one_line(&self) -> String {
        match self.location {
            Some(at) => format!("{}:{}:{}: {}", self.file, at.line, at.column, self.message),
            None => format!("{}: {}", self.file, self.message),
        }
    }
}

impl fmt::Display for ConfigFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.one_line())?;
        if let Some(snippet) = &self.snippet {
            write!(f, "\n{snippet}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigFileError {}

/// Reads and checks the configuration file at `path`.
pub fn load(path: &Path) -> Result<LoadedConfig, ConfigFileError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigFileError::new(
            &name,
            "",
            format!("cannot read the configuration file: {e}"),
            None,
        )
    })?;
    let config = load_str(&name, &text)?;
    Ok(LoadedConfig {
        config,
        file: path.to_owned(),
        text,
    })
}

/// Parses and checks configuration text; `name` is used in messages.
pub fn load_str(name: &str, text: &str) -> Result<Config, ConfigFileError> {
    let config: Config = serde_saphyr::from_str(text).map_err(|e| {
        let message = e.without_snippet().to_string();
        let message = match message.rsplit_once(" at line ") {
            Some((head, _)) => head.to_owned(),
            None => message,
        };
        let message = plain(message);
        let location = e.location().map(|l| Location {
            line: l.line(),
            column: l.column(),
        });
        ConfigFileError::new(name, text, message, location)
    })?;
    check(name, text, &config)?;
    Ok(config)
}

/// A YAML parser message without its advice to the program (options of the
/// parser that an operator cannot set).
fn plain(message: String) -> String {
    if let Some(rest) = message.strip_prefix("duplicate mapping key") {
        let key = rest
            .split_once(", set DuplicateKeyPolicy")
            .map_or(rest, |(key, _)| key)
            .trim_start_matches(": ");
        return format!("the key `{key}` is written twice in the same block; keep one");
    }
    if let Some(breach) = message.strip_prefix("budget breached: ") {
        return format!(
            "the file has more aliases (*name), anchors or nesting than a configuration needs \
             ({breach})"
        );
    }
    match message.split_once(" If you just use !!binary") {
        Some((head, _)) => head.to_owned(),
        None => message,
    }
}

fn check(name: &str, text: &str, config: &Config) -> Result<(), ConfigFileError> {
    config
        .liner
        .validate()
        .map_err(|m| ConfigFileError::new(name, text, m, None))?;
    if config.sources.is_empty() {
        return Err(ConfigFileError::new(
            name,
            text,
            "sources: is empty; configure at least one CRM",
            None,
        ));
    }
    let mut names = HashSet::new();
    for source in &config.sources {
        if !names.insert(source.name.as_str()) {
            return Err(ConfigFileError::new(
                name,
                text,
                format!(
                    "two sources are named '{}'; names must be unique (they key the state file)",
                    source.name
                ),
                Some(source.location),
            ));
        }
        let known = crate::registry::KINDS;
        if !known.contains(&source.kind.as_str()) {
            return Err(ConfigFileError::new(
                name,
                text,
                format!(
                    "source '{}': unknown kind '{}'; known kinds: {}",
                    source.name,
                    source.kind,
                    known.join(", ")
                ),
                Some(source.kind_location),
            ));
        }
    }
    Ok(())
}

/// Two lines of context and a caret under the column.
fn snippet(source: &str, at: Location) -> Option<String> {
    let line_no = usize::try_from(at.line).ok()?.checked_sub(1)?;
    let lines: Vec<&str> = source.lines().collect();
    let line = lines.get(line_no)?;
    let width = (line_no + 1).to_string().len();
    let mut out = String::new();
    if let Some(before) = line_no.checked_sub(1).and_then(|i| lines.get(i)) {
        out.push_str(&format!("  {:>width$} | {before}\n", line_no));
    }
    out.push_str(&format!("  {:>width$} | {line}\n", line_no + 1));
    let column = usize::try_from(at.column).unwrap_or(1).max(1);
    out.push_str(&format!("  {:>width$} | {}^", "", " ".repeat(column - 1)));
    Some(out)
}

#[cfg(test)]
mod tests;
