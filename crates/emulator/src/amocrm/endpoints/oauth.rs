//! `POST /oauth2/access_token`: a refresh token (or an authorisation code)
//! for a new token pair, the body as JSON or a form.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::json;

use crate::amocrm::account::Account;
use crate::amocrm::credentials::{ClientCheck, OAuthClient};
use crate::amocrm::problem::Problem;
use crate::params::{Param, read_params};
use crate::tokens::Issued;

/// The hint for bad client credentials (league/oauth2-server's wording).
const CLIENT_FAILED: &str = "Client authentication failed";
/// The hint for a refresh token that is used, revoked or unknown.
const REVOKED: &str = "Token has been revoked";

/// Issues a new pair: `{token_type, expires_in, access_token,
/// refresh_token, server_time}`.
pub(crate) async fn access_token(
    State(account): State<Arc<Account>>,
    request: Request,
) -> Response {
    let params = match read_params(request).await {
        Ok(params) => params,
        Err(unreadable) => return Problem::oauth(400, unreadable.0).into_response(),
    };
    let Some(client) = account.credentials.oauth() else {
        return Problem::oauth(401, CLIENT_FAILED).into_response();
    };
    match exchange(client, &params) {
        Ok(issued) => Json(json!({
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "access_token": issued.access_token,
            "refresh_token": issued.refresh_token,
            "server_time": Utc::now().timestamp(),
        }))
        .into_response(),
        Err(problem) => problem.into_response(),
    }
}

fn exchange(client: &OAuthClient, params: &Param) -> Result<Issued, Problem> {
    let text = |name: &str| {
        params
            .get(name)
            .and_then(Param::text)
            .filter(|v| !v.is_empty())
    };
    let missing = |name: &str| Problem::oauth(400, &format!("Check the `{name}` parameter"));
    let grant_type = text("grant_type").ok_or_else(|| missing("grant_type"))?;
    match client.check_client(
        text("client_id").as_deref(),
        text("client_secret").as_deref(),
        text("redirect_uri").as_deref(),
    ) {
        ClientCheck::Known => {}
        ClientCheck::Missing(name) => return Err(missing(name)),
        ClientCheck::Wrong => return Err(Problem::oauth(401, CLIENT_FAILED)),
    }
    match grant_type.as_str() {
        "refresh_token" => {
            let token = text("refresh_token").ok_or_else(|| missing("refresh_token"))?;
            client
                .tokens
                .refresh(&token)
                .ok_or_else(|| Problem::oauth(401, REVOKED))
        }
        // This fake hands out no authorisation codes, so none is valid.
        "authorization_code" => match text("code") {
            Some(_) => Err(Problem::oauth(400, "Cannot decrypt the authorization code")),
            None => Err(missing("code")),
        },
        _ => Err(missing("grant_type")),
    }
}
