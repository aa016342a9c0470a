//! How a benchmark shows its figures: a short table for people and one JSON
//! line for tools.

use serde_json::Value;

/// One benchmark's results.
#[derive(Debug)]
pub struct Report {
    /// The scenario's name, as given on the command line.
    pub scenario: &'static str,
    /// What the rows measure.
    pub title: String,
    /// Column names.
    pub headers: Vec<&'static str>,
    /// Cells, as shown.
    pub rows: Vec<Vec<String>>,
    /// Lines under the table: what was measured and how.
    pub notes: Vec<String>,
    /// The same figures, unrounded, for the JSON line.
    pub json: Value,
}

impl Report {
    /// Prints the table, its notes and the JSON line.
    pub fn print(&self, quick: bool) {
        println!("\n## {}: {}\n", self.scenario, self.title);
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|i| {
                self.rows
                    .iter()
                    .filter_map(|row| row.get(i))
                    .map(|cell| cell.chars().count())
                    .chain([self.headers[i].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: Vec<&str>| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(|(cell, width)| format!("{cell:<width$}"))
                .collect();
            println!("| {} |", padded.join(" | "));
        };
        line(self.headers.clone());
        let dashes: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        line(dashes.iter().map(String::as_str).collect());
        for row in &self.rows {
            line(row.iter().map(String::as_str).collect());
        }
        for note in &self.notes {
            println!("{note}");
        }
        let json = serde_json::json!({
            "scenario": self.scenario,
            "quick": quick,
            "results": self.json,
        });
        println!("JSON {json}");
    }
}

/// A number with `decimals` places, or `-` when there is none.
pub fn fixed(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
}

/// `yes` or `NO`, for a target column.
pub fn met(ok: bool) -> String {
    if ok { "yes" } else { "NO" }.to_owned()
}
