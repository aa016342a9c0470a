//! What a fake's request log says: how many requests, which methods, how
//! many were refused for going too fast, and at what rate they came.

use std::collections::BTreeMap;
use std::time::Duration;

use liner_sync_emulator::RecordedRequest;

/// One fake's requests, counted.
#[derive(Debug, Clone, Default)]
pub struct Traffic {
    /// Every request.
    pub total: u64,
    /// Replies 429 (too many requests).
    pub too_many: u64,
    /// Replies 503 (Bitrix24's `QUERY_LIMIT_EXCEEDED`).
    pub unavailable: u64,
    /// Other replies that were not 2xx.
    pub other_errors: u64,
    /// Requests per API method.
    pub by_method: BTreeMap<String, u64>,
}

impl Traffic {
    /// Counts `requests`.
    pub fn of(requests: &[RecordedRequest]) -> Traffic {
        let mut traffic = Traffic::default();
        for request in requests {
            traffic.total += 1;
            match request.status {
                429 => traffic.too_many += 1,
                503 => traffic.unavailable += 1,
                200..=299 => {}
                _ => traffic.other_errors += 1,
            }
            *traffic.by_method.entry(request.method.clone()).or_default() += 1;
        }
        traffic
    }

    /// Replies that say "slow down": 429s and 503s.
    pub fn refused(&self) -> u64 {
        self.too_many + self.unavailable
    }

    /// `method=count` pairs, for a table.
    pub fn methods(&self) -> String {
        self.by_method
            .iter()
            .map(|(method, n)| format!("{method}={n}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The requests answered 2xx, how long from the first to the last one's
/// arrival, and the rate between them: `(count, span, per second)`.
pub fn steady_rate(requests: &[RecordedRequest]) -> (u64, Duration, Option<f64>) {
    let accepted: Vec<_> = requests
        .iter()
        .filter(|r| (200..300).contains(&r.status))
        .map(|r| r.at)
        .collect();
    let (Some(first), Some(last)) = (accepted.iter().min(), accepted.iter().max()) else {
        return (0, Duration::ZERO, None);
    };
    let span = last.duration_since(*first);
    let count = accepted.len() as u64;
    let rate = (count > 1 && !span.is_zero()).then(|| (count - 1) as f64 / span.as_secs_f64());
    (count, span, rate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn request(method: &str, status: u16, at: Instant) -> RecordedRequest {
        RecordedRequest {
            path: format!("/{method}"),
            method: method.to_owned(),
            status,
            sub_calls: Vec::new(),
            at,
        }
    }

    #[test]
    fn counts_and_rates() {
        let t0 = Instant::now();
        let log = [
            request("batch", 200, t0),
            request("batch", 503, t0 + Duration::from_millis(100)),
            request("crm.deal.list", 200, t0 + Duration::from_millis(500)),
            request("batch", 429, t0 + Duration::from_millis(700)),
            request("batch", 200, t0 + Duration::from_secs(1)),
            request("batch", 401, t0 + Duration::from_secs(2)),
        ];
        let traffic = Traffic::of(&log);
        assert_eq!(traffic.total, 6);
        assert_eq!(traffic.refused(), 2);
        assert_eq!(traffic.other_errors, 1);
        assert_eq!(traffic.methods(), "batch=5 crm.deal.list=1");
        let (count, span, rate) = steady_rate(&log);
        assert_eq!((count, span), (3, Duration::from_secs(1)));
        assert_eq!(rate, Some(2.0));
    }
}
