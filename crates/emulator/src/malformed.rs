//! JSON cut short, as when a proxy or a crashing backend drops the connection
//! mid-body but the status line already said 200.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A 200 reply of `content_type` holding `body` cut at a point chosen by
/// `cut`, always before its last character so it never parses.
pub(crate) fn truncated_json(body: &str, content_type: &'static str, cut: u64) -> Response {
    let boundaries: Vec<usize> = body
        .char_indices()
        .map(|(i, _)| i)
        .filter(|&i| i > 0)
        .collect();
    let end = match boundaries.len() {
        0 => 0,
        n => boundaries[(cut % n as u64) as usize],
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, content_type)],
        body[..end].to_owned(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn never_parses() {
        let body = r#"{"success":true,"message":"","data":["ы"]}"#;
        for cut in 0..200 {
            let reply = truncated_json(body, "application/json", cut);
            let bytes = axum::body::to_bytes(reply.into_body(), usize::MAX)
                .await
                .unwrap();
            assert!(serde_json::from_slice::<serde_json::Value>(&bytes).is_err());
            assert!(std::str::from_utf8(&bytes).is_ok());
        }
    }
}
