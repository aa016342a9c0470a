//! HTTP plumbing every connector and the Liner client share: rate limits,
//! retries, defensive reply reading and the client builder.

mod limiter;
mod reply;
mod retry;

pub use limiter::Limiter;
pub use reply::{MAX_REPLY_BYTES, Reply, retry_after, send, send_with_headers, transport_error};
pub use retry::{RetryPolicy, log_retry, millis};

use std::time::Duration;

/// The `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!("liner-sync/", env!("CARGO_PKG_VERSION"));

/// An HTTP client with a whole-request `timeout`, no automatic redirects
/// (a redirected POST loses its body; callers handle 3xx themselves) and the
/// liner-sync `User-Agent`.
pub fn client(timeout: Duration) -> crate::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
        .build()
        .map_err(|e| crate::Error::internal(format!("cannot build the HTTP client: {e}")))
}
