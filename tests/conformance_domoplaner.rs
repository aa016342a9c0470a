//! The conformance suite for the Domoplaner connector (the deals feed with
//! the assumed field names), and the secrets check with the leads API too.

mod common;
mod conformance;

conformance::suite!(common::Domoplaner);

/// Phones from the Bearer-token leads API: its token must not leak either.
mod leads_api {
    crate::conformance::suite!(@tests crate::common::DomoplanerLeadsApi;
        no_secret_reaches_the_output,
    );
}
