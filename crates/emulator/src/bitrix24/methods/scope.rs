//! `scope`: the permissions of the webhook.

use serde_json::json;

use super::MethodReply;

/// The scopes this webhook was created with.
pub(super) fn run() -> MethodReply {
    MethodReply::result(json!(["crm", "user_brief", "department"]))
}
