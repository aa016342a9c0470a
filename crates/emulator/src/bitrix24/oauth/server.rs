//! `GET /oauth/token/`: the token endpoint of `oauth.bitrix.info`, here on
//! the portal's own port.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::json;

use super::{MEMBER_ID, OAuthApp};
use crate::bitrix24::error::ApiError;
use crate::bitrix24::portal::Portal;
use crate::params::{Param, read_params};
use crate::tokens::Issued;

/// Exchanges a refresh token for a new pair. The old refresh token dies at
/// once. Extra parameters (SDKs add request ids) are ignored.
pub(crate) async fn token_endpoint(
    State(portal): State<Arc<Portal>>,
    request: Request,
) -> Response {
    let Some(app) = portal.oauth.as_ref() else {
        return ApiError::path_not_found().into_response();
    };
    let params = match read_params(request).await {
        Ok(params) => params,
        Err(unreadable) => return ApiError::oauth_invalid_request(unreadable.0).into_response(),
    };
    match exchange(app, &params) {
        Ok(issued) => Json(reply(&portal, &issued)).into_response(),
        Err(error) => error.into_response(),
    }
}

/// Any method but GET.
pub(crate) async fn wrong_method() -> Response {
    ApiError::oauth_invalid_request("The token endpoint is called with GET").into_response()
}

fn exchange(app: &OAuthApp, params: &Param) -> Result<Issued, ApiError> {
    let text = |name: &str| params.get(name).and_then(Param::text);
    let grant_type = text("grant_type")
        .ok_or_else(|| ApiError::oauth_invalid_request("grant_type is required"))?;
    if !app.client_matches(
        text("client_id").as_deref(),
        text("client_secret").as_deref(),
    ) {
        return Err(ApiError::invalid_client());
    }
    match grant_type.as_str() {
        "refresh_token" => {
            let token = text("refresh_token")
                .ok_or_else(|| ApiError::oauth_invalid_request("refresh_token is required"))?;
            app.tokens
                .refresh(&token)
                .ok_or_else(ApiError::invalid_grant)
        }
        // This fake never hands out authorisation codes, so none is valid.
        "authorization_code" => match text("code") {
            Some(_) => Err(ApiError::invalid_grant()),
            None => Err(ApiError::oauth_invalid_request("code is required")),
        },
        _ => Err(ApiError::oauth_invalid_request("Unsupported grant_type")),
    }
}

fn reply(portal: &Portal, issued: &Issued) -> serde_json::Value {
    let expires = Utc::now().timestamp() + i64::try_from(issued.expires_in).unwrap_or(i64::MAX);
    json!({
        "access_token": issued.access_token,
        "expires": expires,
        "expires_in": issued.expires_in,
        "scope": "crm",
        "domain": "oauth.bitrix.info",
        "server_endpoint": format!("{}/oauth/", portal.base_url),
        "status": "L",
        "client_endpoint": format!("{}/rest/", portal.base_url),
        "member_id": MEMBER_ID,
        "user_id": portal.user_id,
        "refresh_token": issued.refresh_token,
    })
}
