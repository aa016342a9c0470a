//! How an API hands out records page by page, as configuration.

use super::time::Moments;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A paging style. `style: none` reads everything in one request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "style", rename_all = "snake_case", deny_unknown_fields)]
pub enum Paging {
    /// One request returns every record.
    None,
    /// `?page=N&limit=L`; a page shorter than `limit` is the last.
    PageLimit {
        /// The page number parameter.
        #[serde(default = "page_param")]
        page_param: String,
        /// The page size parameter.
        #[serde(default = "limit_param")]
        limit_param: String,
        /// Records per page.
        #[serde(default = "limit")]
        limit: u32,
        /// The number of the first page.
        #[serde(default = "first_page")]
        first_page: u64,
    },
    /// `?offset=N&limit=L`; a page shorter than `limit` is the last.
    OffsetLimit {
        /// The offset parameter.
        #[serde(default = "offset_param")]
        offset_param: String,
        /// The page size parameter.
        #[serde(default = "limit_param")]
        limit_param: String,
        /// Records per page.
        #[serde(default = "limit")]
        limit: u32,
    },
    /// `?<param>=<time>`: records created at or after the time; the next page
    /// starts at the newest record of this one.
    Since {
        /// The time parameter.
        param: String,
        /// How the time is written.
        #[serde(default)]
        format: SinceFormat,
        /// The page size parameter, if the API has one.
        #[serde(default)]
        limit_param: Option<String>,
        /// Records per page; without it, one request returns everything since.
        #[serde(default)]
        limit: Option<u32>,
    },
}

/// How a `since` time is written in the request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SinceFormat {
    /// Unix seconds.
    #[default]
    Unix,
    /// `YYYY-MM-DD HH:MM:SS` in the source's time zone.
    Local,
    /// RFC 3339 in UTC.
    Rfc3339,
}

impl SinceFormat {
    /// `at` written this way; `Local` in the zone of `moments`.
    pub fn write(self, at: DateTime<Utc>, moments: &Moments) -> String {
        match self {
            SinceFormat::Unix => at.timestamp().to_string(),
            SinceFormat::Local => moments.format_local(at),
            SinceFormat::Rfc3339 => at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}

fn page_param() -> String {
    "page".into()
}
fn offset_param() -> String {
    "offset".into()
}
fn limit_param() -> String {
    "limit".into()
}
fn limit() -> u32 {
    100
}
fn first_page() -> u64 {
    1
}

/// Where the next request of a pass starts; carried in a `Continuation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageState {
    /// Page number (page style).
    pub page: u64,
    /// Offset (offset style).
    pub offset: u64,
    /// Lower time bound (since style).
    pub since: Option<DateTime<Utc>>,
}

impl Paging {
    /// The first request of a pass; `since` is where the pass starts in time.
    pub fn first(&self, since: Option<DateTime<Utc>>) -> PageState {
        let page = match self {
            Paging::PageLimit { first_page, .. } => *first_page,
            _ => 0,
        };
        PageState {
            page,
            offset: 0,
            since,
        }
    }

    /// The query parameters of the request at `state`.
    pub fn query(&self, state: &PageState, moments: &Moments) -> Vec<(String, String)> {
        match self {
            Paging::None => Vec::new(),
            Paging::PageLimit {
                page_param,
                limit_param,
                limit,
                ..
            } => vec![
                (page_param.clone(), state.page.to_string()),
                (limit_param.clone(), limit.to_string()),
            ],
            Paging::OffsetLimit {
                offset_param,
                limit_param,
                limit,
            } => vec![
                (offset_param.clone(), state.offset.to_string()),
                (limit_param.clone(), limit.to_string()),
            ],
            Paging::Since {
                param,
                format,
                limit_param,
                limit,
            } => {
                let mut query = Vec::new();
                if let Some(since) = state.since {
                    query.push((param.clone(), format.write(since, moments)));
                }
                if let (Some(name), Some(limit)) = (limit_param, limit) {
                    query.push((name.clone(), limit.to_string()));
                }
                query
            }
        }
    }

    /// Where the next request starts after a page of `records` records whose
    /// newest was created at `newest`; `Ok(None)` when this was the last page.
    pub fn next(
        &self,
        state: &PageState,
        records: usize,
        newest: Option<DateTime<Utc>>,
    ) -> Result<Option<PageState>, String> {
        let full = |limit: u32| records > 0 && records >= limit as usize;
        let past_the_end = |what: &str| format!("the {what} passed the largest number there is");
        Ok(match self {
            Paging::None => None,
            Paging::PageLimit { limit, .. } if full(*limit) => Some(PageState {
                page: state
                    .page
                    .checked_add(1)
                    .ok_or_else(|| past_the_end("page number"))?,
                ..state.clone()
            }),
            Paging::OffsetLimit { limit, .. } if full(*limit) => Some(PageState {
                offset: u64::try_from(records)
                    .ok()
                    .and_then(|n| state.offset.checked_add(n))
                    .ok_or_else(|| past_the_end("offset"))?,
                ..state.clone()
            }),
            Paging::PageLimit { .. } | Paging::OffsetLimit { .. } => None,
            Paging::Since {
                limit: Some(limit), ..
            } if full(*limit) => {
                let newest = newest.ok_or("a full page without readable creation times")?;
                if state.since == Some(newest) {
                    return Err(format!(
                        "more than {limit} records share the creation time {newest}; raise paging.limit"
                    ));
                }
                Some(PageState {
                    since: Some(newest),
                    ..state.clone()
                })
            }
            Paging::Since { .. } => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn moments() -> Moments {
        Moments::new(chrono_tz::Europe::Moscow)
    }

    fn paging(v: serde_json::Value) -> Paging {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn page_and_offset_styles_walk_until_a_short_page() {
        let p = paging(json!({"style": "page_limit", "limit": 2}));
        let s = p.first(None);
        assert_eq!(
            p.query(&s, &moments()),
            vec![("page".into(), "1".into()), ("limit".into(), "2".into())]
        );
        let s = p.next(&s, 2, None).unwrap().unwrap();
        assert_eq!(s.page, 2);
        assert_eq!(p.next(&s, 1, None).unwrap(), None);
        assert_eq!(p.next(&s, 0, None).unwrap(), None);

        let o = paging(json!({"style": "offset_limit", "offset_param": "skip", "limit": 3}));
        let s = o.next(&o.first(None), 3, None).unwrap().unwrap();
        assert_eq!(
            o.query(&s, &moments()),
            vec![("skip".into(), "3".into()), ("limit".into(), "3".into())]
        );
    }

    #[test]
    fn since_style_moves_to_the_newest_record_and_refuses_to_loop() {
        let p = paging(
            json!({"style": "since", "param": "created_from", "format": "local", "limit_param": "limit", "limit": 2}),
        );
        let t0 = DateTime::parse_from_rfc3339("2026-11-02T06:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let s = p.first(Some(t0));
        assert_eq!(
            p.query(&s, &moments()),
            vec![
                ("created_from".into(), "2026-11-02 09:00:00".into()),
                ("limit".into(), "2".into())
            ]
        );
        let t1 = t0 + chrono::Duration::minutes(5);
        let next = p.next(&s, 2, Some(t1)).unwrap().unwrap();
        assert_eq!(next.since, Some(t1));
        assert!(
            p.next(&next, 2, Some(t1))
                .unwrap_err()
                .contains("raise paging.limit")
        );
        assert_eq!(p.next(&next, 1, Some(t1)).unwrap(), None);
        assert_eq!(
            paging(json!({"style": "none"}))
                .next(&s, 1000, None)
                .unwrap(),
            None
        );
    }

    #[test]
    fn since_formats_write_one_instant_three_ways() {
        let at = DateTime::parse_from_rfc3339("2026-11-02T06:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let m = moments();
        assert_eq!(SinceFormat::Unix.write(at, &m), "1793599200");
        assert_eq!(SinceFormat::Local.write(at, &m), "2026-11-02 09:00:00");
        assert_eq!(SinceFormat::Rfc3339.write(at, &m), "2026-11-02T06:00:00Z");
    }

    #[test]
    fn paging_past_the_largest_number_is_an_error() {
        // `first_page: 18446744073709551615` overflowed on the second page
        // (found by the property below).
        let p = paging(json!({"style": "page_limit", "limit": 1, "first_page": u64::MAX}));
        let e = p.next(&p.first(None), 1, None).unwrap_err();
        assert_eq!(e, "the page number passed the largest number there is");
        let o = paging(json!({"style": "offset_limit", "limit": 2}));
        let end = PageState {
            offset: u64::MAX - 1,
            ..o.first(None)
        };
        assert!(o.next(&end, 2, None).unwrap_err().contains("offset"));
        assert_eq!(o.next(&end, 1, None).unwrap(), None, "a short page ends");
    }

    #[test]
    fn unknown_styles_and_keys_are_refused() {
        assert!(serde_json::from_value::<Paging>(json!({"style": "cursor"})).is_err());
        assert!(
            serde_json::from_value::<Paging>(json!({"style": "page_limit", "size": 5})).is_err()
        );
    }

    /// An instant anywhere in chrono's range.
    fn instant() -> impl proptest::strategy::Strategy<Value = DateTime<Utc>> {
        use proptest::prelude::*;
        prop_oneof![
            Just(DateTime::<Utc>::MIN_UTC),
            Just(DateTime::<Utc>::MAX_UTC),
            (-8_334_601_228_800i64..8_210_266_876_799)
                .prop_map(|s| DateTime::from_timestamp(s, 0).unwrap_or_default()),
        ]
    }

    /// A `paging:` block as an operator might write it, values at their edges.
    fn any_paging() -> impl proptest::strategy::Strategy<Value = Paging> {
        use proptest::prelude::*;
        let number = prop_oneof![
            Just(0u64),
            Just(1),
            Just(u64::MAX),
            Just(u64::from(u32::MAX)),
            any::<u64>()
        ];
        (
            prop::sample::select(vec!["none", "page_limit", "offset_limit", "since"]),
            prop::option::of(number.clone()),
            prop::option::of(number),
            prop::sample::select(vec!["unix", "local", "rfc3339"]),
        )
            .prop_filter_map(
                "not a paging block",
                |(style, limit, first_page, format)| {
                    let mut block = json!({"style": style});
                    if let Some(limit) = limit {
                        block["limit"] = json!(limit);
                    }
                    match style {
                        "page_limit" => {
                            if let Some(first) = first_page {
                                block["first_page"] = json!(first);
                            }
                        }
                        "since" => {
                            block["param"] = json!("from");
                            block["format"] = json!(format);
                            block["limit_param"] = json!("limit");
                        }
                        _ => {}
                    }
                    serde_json::from_value(block).ok()
                },
            )
    }

    proptest::proptest! {
        #[test]
        fn any_page_moves_on_or_ends_without_panicking(
            paging in any_paging(),
            page in proptest::prelude::any::<u64>(),
            offset in proptest::prelude::any::<u64>(),
            since in proptest::option::of(instant()),
            records in proptest::prelude::any::<usize>(),
            newest in proptest::option::of(instant()),
        ) {
            let state = PageState { page, offset, since };
            let _ = paging.query(&state, &moments());
            match paging.next(&state, records, newest) {
                Ok(Some(next)) => {
                    proptest::prop_assert_ne!(&next, &state, "a next page that is this one");
                    let _ = paging.query(&next, &moments());
                }
                Ok(None) => {}
                Err(why) => proptest::prop_assert!(!why.is_empty()),
            }
        }
    }
}
