//! `rate_limit: 5/s` values.

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};
use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

/// A request rate: `<N>/s`, `<N>/min`, `<N>/h`, or `off` for no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    /// At most `count` requests per `per`.
    Limited {
        /// Requests allowed per period.
        count: NonZeroU32,
        /// The period.
        per: Duration,
    },
    /// No client-side limit (benchmarks, local emulators).
    Unlimited,
}

impl Rate {
    /// `n` requests per second.
    pub fn per_second(n: u32) -> Option<Self> {
        NonZeroU32::new(n).map(|count| Rate::Limited {
            count,
            per: Duration::from_secs(1),
        })
    }

    /// Requests per second as a float (`None` when unlimited).
    pub fn per_second_f64(&self) -> Option<f64> {
        match self {
            Rate::Limited { count, per } => Some(f64::from(count.get()) / per.as_secs_f64()),
            Rate::Unlimited => None,
        }
    }
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("off") || s.eq_ignore_ascii_case("unlimited") {
            return Ok(Rate::Unlimited);
        }
        let bad = || format!("'{s}' is not a rate; write it as <N>/s, <N>/min or <N>/h, or off");
        let (count, unit) = s.split_once('/').ok_or_else(bad)?;
        let count: u32 = count.trim().parse().map_err(|_| bad())?;
        let count =
            NonZeroU32::new(count).ok_or_else(|| format!("'{s}': the rate must be above zero"))?;
        let per = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(bad()),
        };
        Ok(Rate::Limited { count, per })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rate::Unlimited => f.write_str("off"),
            Rate::Limited { count, per } => match per.as_secs() {
                1 => write!(f, "{count}/s"),
                60 => write!(f, "{count}/min"),
                3600 => write!(f, "{count}/h"),
                secs => write!(f, "{count}/{secs}s"),
            },
        }
    }
}

impl<'de> Deserialize<'de> for Rate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RateVisitor)
    }
}

/// Reads a rate from text, or from the `false` a YAML 1.1 reader makes of
/// an unquoted `off` (as a source's keys are read).
struct RateVisitor;

impl Visitor<'_> for RateVisitor {
    type Value = Rate;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a rate such as 5/s, 100/min or 3000/h, or off")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Rate, E> {
        text.parse().map_err(E::custom)
    }

    fn visit_bool<E: de::Error>(self, on: bool) -> Result<Rate, E> {
        if on {
            Err(E::invalid_value(de::Unexpected::Bool(true), &self))
        } else {
            Ok(Rate::Unlimited)
        }
    }
}

/// A duration written the human way: `15s`, `1m 30s`, `500ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        humantime::parse_duration(raw.trim())
            .map(HumanDuration)
            .map_err(|e| {
                serde::de::Error::custom(format!(
                    "'{raw}' is not a duration ({e}); write it like 15s, 2m or 500ms"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rates() {
        let ok = [
            ("5/s", "5/s"),
            ("2 / s", "2/s"),
            ("100/min", "100/min"),
            ("3000/h", "3000/h"),
            ("off", "off"),
        ];
        for (input, shown) in ok {
            assert_eq!(
                input.parse::<Rate>().map(|r| r.to_string()).as_deref(),
                Ok(shown)
            );
        }
        for bad in ["", "5", "0/s", "-1/s", "5/day", "x/s", "1.5/s"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
    }

    #[test]
    fn off_reads_as_text_or_as_the_false_of_unquoted_yaml() {
        let read = |value: serde_json::Value| serde_json::from_value::<Rate>(value);
        assert_eq!(read(serde_json::json!("off")).ok(), Some(Rate::Unlimited));
        assert_eq!(read(serde_json::json!(false)).ok(), Some(Rate::Unlimited));
        assert_eq!(read(serde_json::json!("7/s")).ok(), Rate::per_second(7));
        for bad in [
            serde_json::json!(true),
            serde_json::json!(5),
            serde_json::json!("5"),
        ] {
            let error = read(bad.clone()).map(|r| r.to_string());
            assert!(error.is_err(), "{bad}: {error:?}");
        }
    }

    #[test]
    fn per_second_value() {
        let r: Rate = "120/min".parse().unwrap();
        assert_eq!(r.per_second_f64(), Some(2.0));
    }
}
