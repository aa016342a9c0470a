//! Checking a request's `domain`, `time`, `token` and `company_token`.

use md5::{Digest, Md5};

use super::company::Company;
use crate::params::Param;

/// Why a signature was refused; MACRO's words.
pub(crate) const BAD_SIGNATURE: &str =
    "Неверная подпись запроса (token) или устаревшее время (time)";
const UNKNOWN_DOMAIN: &str = "Домен не зарегистрирован в разделе Компания / Интеграции";
const NO_TIME: &str = "Не передан параметр time";
const BAD_COMPANY_TOKEN: &str = "Неверный токен компании (company_token)";

/// `md5(domain + time + app_secret)` in lowercase hex.
pub(crate) fn token(domain: &str, time: &str, app_secret: &str) -> String {
    Md5::new()
        .chain_update(domain)
        .chain_update(time)
        .chain_update(app_secret)
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Accepts the request's signature at the fake's `now`, or says why not.
pub(crate) fn check(company: &Company, params: &Param, now: i64) -> Result<(), &'static str> {
    let text = |key: &str| params.get(key).and_then(Param::text).unwrap_or_default();
    let sent = text("token");
    if !sent.is_empty() {
        company.saw_token(&sent);
    }
    let options = &company.options;
    if text("domain") != options.domain {
        return Err(UNKNOWN_DOMAIN);
    }
    let time = text("time");
    let Ok(at) = time.parse::<i64>() else {
        return Err(NO_TIME);
    };
    if (at - now).abs() > options.max_skew_secs
        || sent != token(&options.domain, &time, &options.app_secret)
    {
        return Err(BAD_SIGNATURE);
    }
    if let Some(wanted) = &options.company_token
        && text("company_token") != *wanted
    {
        return Err(BAD_COMPANY_TOKEN);
    }
    company.accepted(at);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::macrocrm::MacroOptions;
    use crate::params::parse_php_query;

    fn query(domain: &str, time: i64, token: &str, company: &str) -> Param {
        parse_php_query(&format!(
            "domain={}&time={time}&token={token}&company_token={company}",
            crate::params::encode_component(domain)
        ))
    }

    #[test]
    fn accepts_only_a_fresh_right_signature() {
        let company = Company::new(MacroOptions::default());
        let now = 1_800_000_000;
        let good = token("вашсайт.рф", &now.to_string(), "macro-app-secret");
        let ok = query("вашсайт.рф", now, &good, "macro-company-token");
        assert_eq!(check(&company, &ok, now + 300), Ok(()));
        assert_eq!(check(&company, &ok, now + 301), Err(BAD_SIGNATURE), "stale");
        assert_eq!(
            check(&company, &ok, now - 301),
            Err(BAD_SIGNATURE),
            "from the future"
        );
        let wrong = token("вашсайт.рф", &now.to_string(), "other-secret");
        let bad = query("вашсайт.рф", now, &wrong, "macro-company-token");
        assert_eq!(check(&company, &bad, now), Err(BAD_SIGNATURE));
        let other = query("example.com", now, &good, "macro-company-token");
        assert_eq!(check(&company, &other, now), Err(UNKNOWN_DOMAIN));
        let no_company = query("вашсайт.рф", now, &good, "nope");
        assert_eq!(check(&company, &no_company, now), Err(BAD_COMPANY_TOKEN));
        assert_eq!(company.signed_times(), vec![now]);
        assert_eq!(company.tokens_seen().len(), 6);
    }
}
