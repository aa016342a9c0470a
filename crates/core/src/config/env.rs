//! `${VAR}` expansion for configuration values.
//!
//! Only `${NAME}` and `${NAME:-default}` are expanded, and `$$` stands for a
//! literal `$`. A lone `$` (as in a price or a password) is left as it is, so
//! values that were never meant as templates survive untouched.

use std::fmt;

/// Why a value could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvError {
    /// `${NAME}` names a variable that is not set and has no default.
    Missing(String),
    /// `${` without a closing `}`, or an invalid variable name.
    Malformed(String),
}

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnvError::Missing(name) => write!(
                f,
                "environment variable {name} is not set (referenced as ${{{name}}})"
            ),
            EnvError::Malformed(why) => write!(f, "bad ${{...}} reference: {why}"),
        }
    }
}

impl std::error::Error for EnvError {}

/// Expands `${NAME}` references in `input` with values from `lookup`.
pub fn expand_with(
    input: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, EnvError> {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let close = body
                .find('}')
                .ok_or_else(|| EnvError::Malformed("missing closing '}'".into()))?;
            let reference = &body[..close];
            let (name, default) = match reference.split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (reference, None),
            };
            if !is_valid_name(name) {
                return Err(EnvError::Malformed(format!(
                    "'{name}' is not a variable name (letters, digits and '_', not starting with a digit)"
                )));
            }
            match lookup(name).or_else(|| default.map(str::to_owned)) {
                Some(value) => out.push_str(&value),
                None => return Err(EnvError::Missing(name.to_owned())),
            }
            rest = &body[close + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Expands `${NAME}` references from the process environment. A variable set to
/// a value that is not valid Unicode counts as missing.
pub fn expand(input: &str) -> Result<String, EnvError> {
    expand_with(input, |name| std::env::var(name).ok())
}

fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn vars(name: &str) -> Option<String> {
        match name {
            "TOKEN" => Some("abc".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands_references_and_keeps_lone_dollars() {
        let cases = [
            ("${TOKEN}", "abc"),
            ("x-${TOKEN}-y", "x-abc-y"),
            ("${EMPTY}", ""),
            ("${NOPE:-fallback}", "fallback"),
            ("${TOKEN:-fallback}", "abc"),
            ("price $5", "price $5"),
            ("$$TOKEN", "$TOKEN"),
            ("pa$$word", "pa$word"),
            ("trailing $", "trailing $"),
            ("no refs", "no refs"),
        ];
        for (input, want) in cases {
            assert_eq!(expand_with(input, vars).as_deref(), Ok(want), "{input}");
        }
    }

    #[test]
    fn missing_variable_is_named_in_the_error() {
        let err = expand_with("https://x/${AMO_TOKEN}", vars).unwrap_err();
        assert_eq!(err, EnvError::Missing("AMO_TOKEN".into()));
        assert!(err.to_string().contains("AMO_TOKEN"));
    }

    #[test]
    fn malformed_references_are_errors() {
        for input in ["${TOKEN", "${}", "${1X}", "${A B}"] {
            assert!(
                matches!(expand_with(input, vars), Err(EnvError::Malformed(_))),
                "{input}"
            );
        }
    }

    /// Text made of the pieces expansion reacts to, and anything else.
    fn template() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("$".to_owned()),
            Just("$$".to_owned()),
            Just("${".to_owned()),
            Just("}".to_owned()),
            Just(":-".to_owned()),
            "[A-Z_][A-Z0-9_]{0,3}",
            ".{0,3}",
        ];
        prop_oneof![
            prop::collection::vec(piece, 0..24).prop_map(|p| p.concat()),
            any::<String>(),
        ]
    }

    /// Any environment: a few names, some valid, with any values.
    fn environment() -> impl Strategy<Value = std::collections::HashMap<String, String>> {
        prop::collection::hash_map(
            prop_oneof!["[A-Z_][A-Z0-9_]{0,3}", ".{0,4}"],
            any::<String>(),
            0..6,
        )
    }

    proptest! {
        #[test]
        fn never_panics(input in template(), env in environment()) {
            match expand_with(&input, |name| env.get(name).cloned()) {
                Ok(_) => {}
                Err(EnvError::Missing(name)) => {
                    prop_assert!(is_valid_name(&name) && !env.contains_key(&name));
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
        }

        #[test]
        fn doubled_dollars_come_back_as_written(text in template(), env in environment()) {
            let escaped = text.replace('$', "$$");
            prop_assert_eq!(expand_with(&escaped, |name| env.get(name).cloned()), Ok(text));
        }

        #[test]
        fn a_reference_becomes_its_value_verbatim(
            before in "[^$]{0,8}",
            name in "[A-Za-z_][A-Za-z0-9_]{0,6}",
            value in any::<String>(),
            default in "[^}]{0,8}",
            after in "[^$]{0,8}",
        ) {
            let set = |n: &str| (n == name).then(|| value.clone());
            let unset = |_: &str| None;
            let plain = format!("{before}${{{name}}}{after}");
            let with_default = format!("{before}${{{name}:-{default}}}{after}");
            prop_assert_eq!(expand_with(&plain, set), Ok(format!("{before}{value}{after}")));
            prop_assert_eq!(expand_with(&with_default, set), Ok(format!("{before}{value}{after}")));
            prop_assert_eq!(expand_with(&plain, unset), Err(EnvError::Missing(name.clone())));
            prop_assert_eq!(expand_with(&with_default, unset), Ok(format!("{before}{default}{after}")));
        }

        #[test]
        fn text_without_dollars_is_unchanged(input in "[^$]*") {
            prop_assert_eq!(expand_with(&input, vars), Ok(input.clone()));
        }
    }
}
