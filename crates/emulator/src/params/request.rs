//! A request's parameters, from its query string and its body (JSON or
//! form-urlencoded), merged the way PHP fills `$_REQUEST`.

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::header;

use super::{Param, parse_php_query};

/// Bodies larger than this are refused.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Why a request's parameters could not be read; each fake words its own
/// error reply around the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnreadableParams(pub &'static str);

/// The query string's parameters overlaid with the body's.
pub(crate) async fn read_params(request: Request) -> Result<Param, UnreadableParams> {
    let mut params = request
        .uri()
        .query()
        .map_or_else(Param::empty_map, parse_php_query);
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let bytes = to_bytes(request.into_body(), MAX_BODY_BYTES)
        .await
        .map_err(|_| UnreadableParams("Request body is too large or unreadable"))?;
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let Some(first) = first else {
        return Ok(params);
    };
    let body = if content_type.contains("json") || (content_type.is_empty() && first == b'{') {
        json_body(&bytes)?
    } else if content_type.starts_with("multipart/") {
        return Err(UnreadableParams(
            "multipart/form-data is not supported by this fake; send JSON or a form",
        ));
    } else {
        parse_php_query(&String::from_utf8_lossy(&bytes))
    };
    params.merge(body);
    Ok(params)
}

fn json_body(bytes: &[u8]) -> Result<Param, UnreadableParams> {
    match serde_json::from_slice::<Param>(bytes) {
        Ok(map @ Param::Map(_)) => Ok(map),
        Ok(Param::List(items)) if items.is_empty() => Ok(Param::empty_map()),
        Ok(_) => Err(UnreadableParams("JSON request body must be an object")),
        Err(_) => Err(UnreadableParams("Could not decode the JSON request body")),
    }
}
