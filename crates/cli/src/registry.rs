//! The one place that knows every connector: `kind:` → source.
//!
//! Adding a CRM: add its crate as a dependency, its kind to [`KINDS`] and one
//! arm to [`build_source`].

use crate::config::{ConfigFileError, LoadedConfig, SourceEntry};
use crate::error::CliError;
use liner_sync_amocrm::{AmoConfig, AmoSource};
use liner_sync_bitrix24::{Bitrix24Config, Bitrix24Source};
use liner_sync_core::{CrmSource, SourceContext};
use liner_sync_domoplaner::{DomoplanerConfig, DomoplanerSource};
use liner_sync_macrocrm::{MacroConfig, MacroSource};
use std::sync::Arc;

/// Every `kind:` a source may have.
pub const KINDS: &[&str] = &[
    liner_sync_bitrix24::KIND,
    liner_sync_amocrm::KIND,
    liner_sync_macrocrm::KIND,
    liner_sync_domoplaner::KIND,
];

/// Builds the connector for one configured source.
pub fn build_source(
    loaded: &LoadedConfig,
    entry: &SourceEntry,
    context: &SourceContext,
) -> Result<Arc<dyn CrmSource>, CliError> {
    let settings_error = |e| {
        CliError::from(ConfigFileError::from_settings(
            &loaded.file.display().to_string(),
            &loaded.text,
            &entry.name,
            e,
        ))
    };
    match entry.kind.as_str() {
        liner_sync_bitrix24::KIND => {
            let config = Bitrix24Config::from_settings(&entry.settings).map_err(settings_error)?;
            Ok(Arc::new(Bitrix24Source::new(&entry.name, config, context)?))
        }
        liner_sync_amocrm::KIND => {
            let config = AmoConfig::from_settings(&entry.settings).map_err(settings_error)?;
            Ok(Arc::new(AmoSource::new(&entry.name, config, context)?))
        }
        liner_sync_macrocrm::KIND => {
            let config = MacroConfig::from_settings(&entry.settings).map_err(settings_error)?;
            Ok(Arc::new(MacroSource::new(&entry.name, config, context)?))
        }
        liner_sync_domoplaner::KIND => {
            let config =
                DomoplanerConfig::from_settings(&entry.settings).map_err(settings_error)?;
            Ok(Arc::new(DomoplanerSource::new(
                &entry.name,
                config,
                context,
            )?))
        }
        other => Err(CliError::config(format!(
            "source '{}': unknown kind '{other}'; known kinds: {}",
            entry.name,
            KINDS.join(", ")
        ))),
    }
}
