//! What `liner-sync run --json` reports about a pass.

use serde_json::Value;

use crate::BenchResult;

/// The counts of one source, or of all together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Deals read from the CRM.
    pub fetched: u64,
    /// Leads Liner accepted.
    pub sent: u64,
    /// Deals recorded `rejected`.
    pub rejected: u64,
    /// Submissions that failed.
    pub failed: u64,
    /// Deals skipped as already handled.
    pub skipped: u64,
}

/// A pass's summary.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Per source, as `(name, counts)`.
    pub sources: Vec<(String, Counts)>,
}

impl Summary {
    /// Reads the JSON line `run --json` prints.
    pub fn parse(stdout: &str) -> BenchResult<Summary> {
        let json: Value = serde_json::from_str(stdout.trim())
            .map_err(|e| format!("liner-sync printed no JSON summary ({e}): {stdout}"))?;
        let count = |source: &Value, key: &str| source[key].as_u64().unwrap_or_default();
        let sources = json["sources"]
            .as_array()
            .ok_or_else(|| format!("no sources in the summary: {stdout}"))?
            .iter()
            .map(|s| {
                let counts = Counts {
                    fetched: count(s, "fetched"),
                    sent: count(s, "sent"),
                    rejected: count(s, "rejected"),
                    failed: count(s, "failed"),
                    skipped: count(s, "skipped"),
                };
                (s["name"].as_str().unwrap_or_default().to_owned(), counts)
            })
            .collect();
        Ok(Summary { sources })
    }

    /// Every source added up.
    pub fn total(&self) -> Counts {
        self.sources
            .iter()
            .fold(Counts::default(), |sum, (_, c)| Counts {
                fetched: sum.fetched + c.fetched,
                sent: sum.sent + c.sent,
                rejected: sum.rejected + c.rejected,
                failed: sum.failed + c.failed,
                skipped: sum.skipped + c.skipped,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_adds_up_sources() {
        let line = r#"{"sources":[{"name":"b24","fetched":10,"sent":8,"rejected":2,"failed":0,"skipped":0},
            {"name":"amo","fetched":5,"sent":4,"rejected":1,"failed":0,"skipped":3}],"exit_code":0}"#;
        let summary = Summary::parse(line).unwrap();
        assert_eq!(summary.sources[1].0, "amo");
        assert_eq!(summary.total().fetched, 15);
        assert_eq!(summary.total().skipped, 3);
        assert!(Summary::parse("not json").is_err());
    }
}
