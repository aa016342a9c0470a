//! How a request proves who sends it: a webhook's code is part of the base
//! URL; an OAuth access token goes in the JSON body as `auth`, never in a URL,
//! so no log of URLs can show it.

use crate::advice::Mode;
use crate::error::TARGET;
use liner_sync_core::auth::TokenKeeper;
use liner_sync_core::config::Secret;
use liner_sync_core::http::Reply;
use liner_sync_core::{Error, Result};
use serde::Serialize;
use serde_json::{Map, Value};

/// A source's way to sign its requests.
pub(crate) enum Auth {
    /// The base URL holds the webhook's code.
    Webhook {
        /// The code, to scrub it from echoed text.
        code: Secret,
    },
    /// Every request carries an access token from the keeper.
    OAuth {
        /// The source's tokens, refreshed and saved by core.
        keeper: Box<TokenKeeper>,
        /// Scrubbed from echoed text although the portal never receives it.
        client_secret: Secret,
        /// The configured refresh token, scrubbed likewise.
        seed: Secret,
    },
}

impl Auth {
    /// Webhook or OAuth.
    pub fn mode(&self) -> Mode {
        match self {
            Auth::Webhook { .. } => Mode::Webhook,
            Auth::OAuth { .. } => Mode::OAuth,
        }
    }

    /// The long-lived secrets that must never appear in an error.
    pub fn secrets(&self) -> Vec<&str> {
        match self {
            Auth::Webhook { code } => vec![code.expose()],
            Auth::OAuth {
                client_secret,
                seed,
                ..
            } => vec![client_secret.expose(), seed.expose()],
        }
    }
}

#[derive(Serialize)]
struct Signed<'a> {
    auth: &'a str,
    #[serde(flatten)]
    params: &'a Map<String, Value>,
}

/// The JSON body of a call to `method`: `params`, plus `"auth": token` when
/// there is a token. `params` must be an object (or null, for none).
pub(crate) fn body(method: &str, params: &Value, token: Option<&Secret>) -> Result<Vec<u8>> {
    let empty = Map::new();
    let encoded = match (token, params) {
        (None, params) => serde_json::to_vec(params),
        (Some(token), Value::Object(params)) => serde_json::to_vec(&Signed {
            auth: token.expose(),
            params,
        }),
        (Some(token), Value::Null) => serde_json::to_vec(&Signed {
            auth: token.expose(),
            params: &empty,
        }),
        (Some(_), _) => {
            return Err(Error::internal(format!(
                "{method}: the parameters are not a JSON object (a bug)"
            ))
            .with_target(TARGET));
        }
    };
    encoded.map_err(|e| {
        Error::internal(format!("{method}: cannot encode the request: {e}")).with_target(TARGET)
    })
}

/// True when the portal refused the access token itself (HTTP 401 with
/// `expired_token` or `invalid_token`), which one refresh may cure.
pub(crate) fn token_refused(reply: &Reply) -> bool {
    if reply.status.as_u16() != 401 {
        return false;
    }
    let code = serde_json::from_slice::<Value>(&reply.body)
        .ok()
        .and_then(|body| body.get("error").and_then(Value::as_str).map(str::to_owned));
    code.is_some_and(|c| {
        c.trim().eq_ignore_ascii_case("expired_token")
            || c.trim().eq_ignore_ascii_case("invalid_token")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use serde_json::json;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: None,
            location: None,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn the_token_goes_in_the_outer_body() {
        let token = Secret::new("tok");
        let batch = json!({"halt": 0, "cmd": {"list": "crm.deal.list?start=-1"}});
        let sent: Value =
            serde_json::from_slice(&body("batch", &batch, Some(&token)).unwrap()).unwrap();
        assert_eq!(
            sent,
            json!({"auth": "tok", "halt": 0, "cmd": {"list": "crm.deal.list?start=-1"}})
        );
        let sent: Value =
            serde_json::from_slice(&body("scope", &Value::Null, Some(&token)).unwrap()).unwrap();
        assert_eq!(sent, json!({"auth": "tok"}));
        let plain: Value = serde_json::from_slice(&body("batch", &batch, None).unwrap()).unwrap();
        assert_eq!(plain, batch);
        let err = body("x", &json!([1]), Some(&token)).unwrap_err();
        assert!(!err.message().contains("tok"), "{err}");
    }

    #[test]
    fn only_a_401_about_the_token_asks_for_a_refresh() {
        let cases = [
            (
                401,
                r#"{"error":"expired_token","error_description":"The access token provided has expired"}"#,
                true,
            ),
            (
                401,
                r#"{"error":"invalid_token","error_description":"The access token provided is invalid"}"#,
                true,
            ),
            (401, r#"{"error":"EXPIRED_TOKEN"}"#, true),
            (
                401,
                r#"{"error":"NO_AUTH_FOUND","error_description":"Wrong authorization data"}"#,
                false,
            ),
            (403, r#"{"error":"expired_token"}"#, false),
            (401, "<html>expired_token</html>", false),
            (200, r#"{"error":"expired_token"}"#, false),
        ];
        for (status, text, want) in cases {
            assert_eq!(token_refused(&reply(status, text)), want, "{status} {text}");
        }
    }
}
