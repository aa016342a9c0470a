//! OAuth token lifecycles shared by every connector that needs one
//! (amoCRM, Bitrix24 applications): tokens refreshed before they expire and
//! after a 401, one refresh at a time, each new pair saved before it is used.

mod keeper;
mod pair;

pub use keeper::{TokenKeeper, TokenRefresher, TokenVault};
pub use pair::{TokenPair, fingerprint};
