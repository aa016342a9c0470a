//! The HTML error pages a reverse proxy (nginx) puts in front of an API.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An nginx-style HTML error page with the given status and
/// `Content-Type: text/html`.
pub(crate) fn nginx_error_page(status: u16) -> Response {
    let reason = match status {
        502 => "Bad Gateway",
        503 => "Service Temporarily Unavailable",
        504 => "Gateway Time-out",
        500 => "Internal Server Error",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Error",
    };
    let body = format!(
        "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n\
         <center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n\
         </body>\r\n</html>\r\n"
    );
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    (
        code,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}
