//! The account object of `GET /api/v4/account`, which clients call to check
//! their credentials.

use serde_json::{Value, json};

use super::{ACCOUNT_ID, self_link};

/// When the fake account was created (2024-01-15, Unix seconds).
const CREATED_AT: i64 = 1_705_312_800;

/// A minimal account.
pub(crate) fn render(base: &str) -> Value {
    json!({
        "id": ACCOUNT_ID,
        "name": "Fake amoCRM account",
        "subdomain": "fake",
        "created_at": CREATED_AT,
        "created_by": 8_000_001,
        "updated_at": CREATED_AT,
        "updated_by": 8_000_001,
        "current_user_id": 8_000_001,
        "country": "RU",
        "currency": "RUB",
        "currency_symbol": "₽",
        "customers_mode": "disabled",
        "is_unsorted_on": true,
        "mobile_feature_version": 0,
        "is_loss_reason_enabled": true,
        "is_helpbot_enabled": false,
        "is_technical_account": false,
        "contact_name_display_order": 1,
        "_links": self_link(base, "/api/v4/account"),
    })
}
