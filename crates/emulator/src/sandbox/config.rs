//! The liner-sync configuration that points at a sandbox's fakes.

use chrono::Duration;

use super::Sandbox;
use crate::MacroOptions;

/// How [`Sandbox::tuned_config_yaml`] sets the limits liner-sync keeps.
#[derive(Debug, Clone, Copy)]
pub struct ConfigTuning<'a> {
    /// The state file (`state.path`).
    pub state_path: &'a str,
    /// Liner's `rate_limit` (`"10/s"`, `"off"`).
    pub liner_rate_limit: &'a str,
    /// The `rate_limit` of the Bitrix24, amoCRM and MACRO sources; `None`
    /// leaves each at its default (the CRM's documented limit). Domoplaner
    /// reads its feed once a pass and has no such key.
    pub crm_rate_limit: Option<&'a str>,
}

impl Sandbox {
    /// A liner-sync configuration for these fakes: sources `b24` (the
    /// webhook), `amo` (the base URL and long-lived token), `macro` (the
    /// base URL, domain, app secret and company token) and `domoplaner` (the
    /// feed's address), state in
    /// `state_path`, leads at `liner_rate_limit` (`"10/s"`), every generated
    /// deal new.
    pub fn config_yaml(&self, state_path: &str, liner_rate_limit: &str) -> String {
        self.tuned_config_yaml(&ConfigTuning {
            state_path,
            liner_rate_limit,
            crm_rate_limit: None,
        })
    }

    /// As [`Sandbox::config_yaml`], with the CRM sources' rate limits set too.
    pub fn tuned_config_yaml(&self, tuning: &ConfigTuning<'_>) -> String {
        let start_from = (self.options.first_created - Duration::days(1)).to_rfc3339();
        let macro_options = MacroOptions::default();
        let crm_rate = tuning
            .crm_rate_limit
            .map(|rate| format!("    rate_limit: {rate}\n"))
            .unwrap_or_default();
        format!(
            "liner:\n  base_url: {liner}\n  api_key: {key}\n  rate_limit: {liner_rate_limit}\n\
             state:\n  path: {state_path}\n\
             defaults:\n  order_id: 101\n  order_code: main\n  utc_offset: 3\n\
             sources:\n  - name: b24\n    kind: bitrix24\n    webhook_url: {webhook}\n    start_from: {start_from}\n{crm_rate}\
             \x20 - name: amo\n    kind: amocrm\n    base_url: {amo}\n    access_token: {amo_token}\n    start_from: {start_from}\n{crm_rate}\
             \x20 - name: macro\n    kind: macrocrm\n    base_url: {macro_url}\n    domain: {domain}\n    app_secret: {app_secret}\n\
             \x20   params: {{ company_token: {company_token} }}\n    start_from: {start_from}\n{crm_rate}\
             \x20 - name: domoplaner\n    kind: domoplaner\n    feed_url: {feed_url}\n    start_from: {start_from}\n",
            liner = self.liner.base_url(),
            key = self.options.api_key,
            liner_rate_limit = tuning.liner_rate_limit,
            state_path = tuning.state_path,
            webhook = self.bitrix.webhook_url(),
            amo = self.amo.base_url(),
            amo_token = self.options.amo_token,
            macro_url = self.macro_crm.base_url(),
            domain = macro_options.domain,
            app_secret = macro_options.app_secret,
            company_token = macro_options.company_token.unwrap_or_default(),
            feed_url = self.domoplaner.feed_url(),
        )
    }
}
