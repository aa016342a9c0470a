//! What to tell the operator when the portal refuses a call: the fix depends
//! on how the source signs in (incoming webhook or OAuth application).

/// How a source signs in to the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// An incoming webhook (`webhook_url`).
    Webhook,
    /// A local or marketplace application's OAuth tokens.
    OAuth,
}

/// The hint the token keeper adds when the refresh token is refused.
pub(crate) const REAUTHORISE: &str =
    "authorise the application again in Bitrix24 and put the new refresh_token in the config";

impl Mode {
    /// The configuration key that holds the portal's address.
    pub fn address_key(self) -> &'static str {
        match self {
            Mode::Webhook => "webhook_url",
            Mode::OAuth => "client_endpoint",
        }
    }

    /// The credentials themselves were refused (`NO_AUTH_FOUND`, a bad token).
    pub fn credentials_refused(self) -> &'static str {
        match self {
            Mode::Webhook => {
                "the webhook was deleted, expired or its code changed: create a new incoming \
                 webhook with the crm scope and put its URL in webhook_url"
            }
            Mode::OAuth => {
                "the portal refused the application's access token (the application was \
                 deleted or its access revoked?): authorise the application again in Bitrix24 \
                 and put the new refresh_token in the config"
            }
        }
    }

    /// The `crm` scope is missing.
    pub fn no_crm_scope(self) -> &'static str {
        match self {
            Mode::Webhook => {
                "the webhook lacks the crm scope: edit the incoming webhook in Bitrix24 \
                 (Developer resources → Other → Incoming webhook), tick CRM (crm), save it and \
                 put its URL in webhook_url"
            }
            Mode::OAuth => {
                "the application lacks the crm scope: edit the local application in Bitrix24 \
                 (Developer resources → Other → Local application), tick CRM (crm), save it, \
                 then authorise it again and put the new refresh_token in the config"
            }
        }
    }

    /// The signed-in user may not read deals and contacts.
    pub fn no_permission(self) -> &'static str {
        match self {
            Mode::Webhook => {
                "the webhook's user may not read deals and contacts: grant that user CRM read \
                 access, or create the webhook as a user who has it"
            }
            Mode::OAuth => {
                "the user who authorised the application may not read deals and contacts: \
                 grant that user CRM read access, or authorise the application as a user who \
                 has it"
            }
        }
    }

    /// REST is closed to these credentials (plan, user type, app access).
    pub fn no_rest(self) -> &'static str {
        match self {
            Mode::Webhook => {
                "REST is not available to this webhook: the portal needs a commercial plan \
                 and the webhook's user must be an employee allowed to use REST"
            }
            Mode::OAuth => {
                "REST is not available to this application: the portal needs a commercial \
                 plan, and the user who authorised the application must be an employee \
                 allowed to use it"
            }
        }
    }

    /// The address does not lead to a portal's REST API.
    pub fn check_address(self) -> &'static str {
        match self {
            Mode::Webhook => {
                "check webhook_url: it must be https://PORTAL/rest/USER_ID/CODE/ of an \
                 incoming webhook"
            }
            Mode::OAuth => {
                "check client_endpoint: it must be https://PORTAL/rest/ (the client_endpoint \
                 of the token reply)"
            }
        }
    }

    /// The portal refused plain HTTP.
    pub fn needs_https(self) -> &'static str {
        match self {
            Mode::Webhook => "webhook_url must start with https://",
            Mode::OAuth => "client_endpoint must start with https://",
        }
    }
}
