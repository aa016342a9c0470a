//! Phone numbers as people type them into a Russian CRM, turned into E.164.
//!
//! Russian and Kazakh numbers (+7) come out as 11 digits without `+`
//! (`79001234567`), the form Liner's docs use. Other countries come out as
//! their E.164 digits, with a leading `+` only where the bare digits would read
//! as a Russian number (`+81312345678`); Liner accepts both forms. Normalising a
//! normalised number gives it back unchanged.
//!
//! The `phonenumber` crate is not used: it strips the `8` of every `+7 8xx`
//! number (St Petersburg, Kazan, toll-free).

use std::fmt;

/// Why a string is not a callable phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhoneError {
    /// Nothing but spaces and punctuation.
    Empty,
    /// Fewer digits than any valid number of that form.
    TooShort(usize),
    /// More digits than any valid number of that form.
    TooLong(usize),
    /// A `+7` / `8…` number whose area code cannot exist.
    BadAreaCode(String),
    /// Every digit the same, a placeholder rather than a number.
    Placeholder,
    /// Letters or symbols where digits belong, or a `+` in the middle.
    Garbled,
}

impl fmt::Display for PhoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhoneError::Empty => f.write_str("no digits"),
            PhoneError::TooShort(n) => write!(f, "too few digits ({n})"),
            PhoneError::TooLong(n) => write!(f, "too many digits ({n})"),
            PhoneError::BadAreaCode(code) => write!(f, "+7 {code} is not an area code in use"),
            PhoneError::Placeholder => f.write_str("a placeholder, not a number"),
            PhoneError::Garbled => f.write_str("not a phone number"),
        }
    }
}

impl std::error::Error for PhoneError {}

/// Splits a field that may hold several numbers (`"8 900 …, 8 800 …"`) into
/// candidates, in order.
pub fn phone_candidates(raw: &str) -> impl Iterator<Item = &str> {
    raw.split([',', ';', '\n', '/', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Normalises one phone number to E.164 (see the module docs for the form).
pub fn normalize_phone(raw: &str) -> Result<String, PhoneError> {
    let (plus, digits) = extract_digits(raw)?;
    if plus {
        with_plus(&digits)
    } else {
        without_plus(&digits)
    }
}

/// Reads an optional leading `+` and the digits, ignoring separators and
/// cutting off an extension (`доб. 12`, `ext 5`, `#3`).
fn extract_digits(raw: &str) -> Result<(bool, String), PhoneError> {
    let mut digits = String::new();
    let mut plus = false;
    for c in raw.trim().chars() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if digits.is_empty() && !plus => plus = true,
            '+' => return Err(PhoneError::Garbled),
            ' '
            | '-'
            | '('
            | ')'
            | '.'
            | '\t'
            | '\u{a0}'
            | '\u{2010}'..='\u{2015}'
            | '\u{2212}' => {}
            // Text before the number ("тел.", "tel:") is a label; text after it
            // starts an extension or a remark.
            _ if c.is_alphabetic() || c == '#' || c == ':' => {
                if !digits.is_empty() {
                    break;
                }
                if plus {
                    return Err(PhoneError::Garbled);
                }
            }
            _ => return Err(PhoneError::Garbled),
        }
        if digits.len() > 32 {
            return Err(PhoneError::TooLong(digits.len()));
        }
    }
    if digits.is_empty() {
        return Err(PhoneError::Empty);
    }
    Ok((plus, digits))
}

fn with_plus(digits: &str) -> Result<String, PhoneError> {
    match digits.as_bytes()[0] {
        b'7' => russian(digits, 1),
        // "+8 900 …": a trunk 8 typed with a plus. No country code starts 89.
        b'8' if digits.len() == 11 && digits.as_bytes()[1] == b'9' => russian(digits, 1),
        _ => international(digits),
    }
}

fn without_plus(digits: &str) -> Result<String, PhoneError> {
    let n = digits.len();
    if let Some(rest) = digits.strip_prefix("00") {
        return with_plus(nonempty(rest, n)?);
    }
    if n >= 13 {
        // "8 10 375 …": the Russian international prefix.
        if let Some(rest) = digits.strip_prefix("810") {
            return with_plus(rest);
        }
    }
    match (n, digits.as_bytes()[0]) {
        (11, b'7' | b'8') => russian(digits, 1),
        (10, _) => russian(digits, 0),
        (12.., b'1'..=b'9') => international(digits),
        (11, b'1'..=b'9') => international(digits),
        (..=10, _) => Err(PhoneError::TooShort(n)),
        _ => Err(PhoneError::Garbled),
    }
}

fn nonempty(rest: &str, n: usize) -> Result<&str, PhoneError> {
    if rest.is_empty() {
        Err(PhoneError::TooShort(n))
    } else {
        Ok(rest)
    }
}

/// `digits[skip..]` must be a 10-digit national number of the +7 zone.
fn russian(digits: &str, skip: usize) -> Result<String, PhoneError> {
    let national = &digits[skip..];
    match national.len() {
        10 => {}
        n if n < 10 => return Err(PhoneError::TooShort(digits.len())),
        _ => return Err(PhoneError::TooLong(digits.len())),
    }
    let area = national.as_bytes()[0];
    // 3xx/4xx landlines, 80x-87x landlines and toll-free, 9xx mobiles,
    // 70x-77x Kazakhstan.
    let in_use = match area {
        b'3' | b'4' | b'9' => true,
        b'7' | b'8' => matches!(national.as_bytes()[1], b'0'..=b'7'),
        _ => false,
    };
    if !in_use {
        // "8 900 123 45 6": a trunk 8 and one digit too few, not area code 890.
        if skip == 0 && area == b'8' {
            return Err(PhoneError::TooShort(digits.len()));
        }
        return Err(PhoneError::BadAreaCode(national[..3].to_owned()));
    }
    if national.bytes().all(|b| b == area) {
        return Err(PhoneError::Placeholder);
    }
    Ok(format!("7{national}"))
}

/// An E.164 number outside the +7 zone.
fn international(digits: &str) -> Result<String, PhoneError> {
    let n = digits.len();
    if digits.starts_with('0') {
        return Err(PhoneError::Garbled);
    }
    if n < 8 {
        return Err(PhoneError::TooShort(n));
    }
    if n > 15 {
        return Err(PhoneError::TooLong(n));
    }
    let first = digits.as_bytes()[0];
    if digits.bytes().all(|b| b == first) {
        return Err(PhoneError::Placeholder);
    }
    // Bare digits of these lengths would read back as a Russian number.
    let ambiguous = n <= 10 || (n == 11 && matches!(first, b'7' | b'8'));
    Ok(if ambiguous {
        format!("+{digits}")
    } else {
        digits.to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn russian_formats_from_the_design() {
        let cases = [
            ("+7 (900) 123-45-67", "79001234567"),
            ("8 900 123 45 67", "79001234567"),
            ("89001234567", "79001234567"),
            ("9001234567", "79001234567"),
            ("79001234567", "79001234567"),
            ("+79001234567", "79001234567"),
            ("+7 812 555-35-35", "78125553535"),
            ("8 (812) 555-35-35", "78125553535"),
            ("+7 (800) 555-35-35", "78005553535"),
            ("8-800-555-35-35", "78005553535"),
            ("+7 (843) 555-35-35", "78435553535"),
            ("8123456789", "78123456789"),
            ("+7 701 123 45 67", "77011234567"),
            ("+8 900 123 45 67", "79001234567"),
            ("тел. 8 (900) 123-45-67", "79001234567"),
            ("8 900 123-45-67 доб. 123", "79001234567"),
            ("+7 900 123 45 67 ext 5", "79001234567"),
            ("8\u{a0}900\u{a0}123\u{2011}45\u{2011}67", "79001234567"),
            ("  +7(900)1234567  ", "79001234567"),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize_phone(raw).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn international_numbers() {
        let cases = [
            ("+375 29 123-45-67", "375291234567"),
            ("00375291234567", "375291234567"),
            ("8 10 375 29 123 45 67", "375291234567"),
            ("+1 333 333 3555", "13333333555"),
            ("+13333333555", "13333333555"),
            ("+81 3 1234 5678", "+81312345678"),
            ("+372 512 3456", "+3725123456"),
            ("+998 90 123 45 67", "998901234567"),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize_phone(raw).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn rejects_what_cannot_be_called() {
        let cases = [
            ("", PhoneError::Empty),
            ("   ", PhoneError::Empty),
            ("нет телефона", PhoneError::Empty),
            ("8 900 123 45 6", PhoneError::TooShort(10)),
            ("+7 900 123 45", PhoneError::TooShort(9)),
            ("+7 900 123 45 678", PhoneError::TooLong(12)),
            ("123", PhoneError::TooShort(3)),
            ("+7 (000) 000-00-00", PhoneError::BadAreaCode("000".into())),
            ("+7 (100) 123-45-67", PhoneError::BadAreaCode("100".into())),
            ("7900123456", PhoneError::BadAreaCode("790".into())),
            ("8 (999) 999-99-99", PhoneError::Placeholder),
            ("9999999999", PhoneError::Placeholder),
            ("+7 900 12+3", PhoneError::Garbled),
            ("8_900_123", PhoneError::Garbled),
            ("+44 12", PhoneError::TooShort(4)),
            ("+1234567890123456", PhoneError::TooLong(16)),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize_phone(raw), Err(want), "{raw}");
        }
    }

    #[test]
    fn splits_lists_of_numbers() {
        let raw = "8 900 123-45-67, +7 812 555 35 35; 8 800 555 35 35";
        let all: Vec<_> = phone_candidates(raw).map(normalize_phone).collect();
        assert_eq!(
            all,
            vec![
                Ok("79001234567".into()),
                Ok("78125553535".into()),
                Ok("78005553535".into())
            ]
        );
    }

    /// A character `extract_digits` skips between digits.
    fn separator() -> impl Strategy<Value = char> {
        prop::sample::select(vec![
            ' ', '-', '(', ')', '.', '\t', '\u{a0}', '\u{2010}', '\u{2011}', '\u{2012}',
            '\u{2013}', '\u{2014}', '\u{2015}', '\u{2212}',
        ])
    }

    /// Any text: printable, any Unicode at all (controls, surrogates' neighbours,
    /// combining marks), or digits and separators far longer than any number.
    fn any_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "\\PC{0,40}",
            any::<String>(),
            (separator(), "[0-9]", 1usize..20_000)
                .prop_map(|(sep, digit, n)| format!("{digit}{sep}").repeat(n)),
            ("[+]?", 1usize..100_000).prop_map(|(plus, n)| format!("{plus}{}", " ".repeat(n))),
        ]
    }

    proptest! {
        #[test]
        fn never_panics(raw in any_text()) {
            match normalize_phone(&raw) {
                Ok(e164) => {
                    // E.164: at most 15 digits, no leading zero, `+` only in front.
                    let digits = e164.strip_prefix('+').unwrap_or(&e164);
                    prop_assert!((8..=15).contains(&digits.len()), "{e164}");
                    prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{e164}");
                    prop_assert!(!digits.starts_with('0'), "{e164}");
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
            for candidate in phone_candidates(&raw) {
                prop_assert!(!candidate.is_empty() && candidate.trim() == candidate);
                let _ = normalize_phone(candidate);
            }
        }

        #[test]
        fn separators_between_digits_change_nothing(
            plus in any::<bool>(),
            digits in "[0-9]{1,40}",
            seps in prop::collection::vec(prop::collection::vec(separator(), 0..3), 41),
        ) {
            let bare = format!("{}{digits}", if plus { "+" } else { "" });
            let mut spaced = if plus { "+".to_owned() } else { String::new() };
            for (digit, sep) in digits.chars().zip(&seps) {
                spaced.extend(sep);
                spaced.push(digit);
            }
            spaced.extend(&seps[40]);
            prop_assert_eq!(normalize_phone(&spaced), normalize_phone(&bare), "{:?}", spaced);
        }

        #[test]
        fn never_panics_on_phone_like_text(raw in "[+0-9 ()\\-.#доб]{0,30}") {
            let _ = normalize_phone(&raw);
        }

        #[test]
        fn idempotent_on_its_own_output(raw in "[+]?[0-9 ()\\-]{1,24}") {
            if let Ok(once) = normalize_phone(&raw) {
                prop_assert_eq!(normalize_phone(&once), Ok(once.clone()));
            }
        }

        #[test]
        fn every_russian_mobile_form_agrees(national in "9[0-9]{9}") {
            let want = format!("7{national}");
            prop_assume!(!national.bytes().all(|b| b == b'9'));
            for raw in [
                format!("+7{national}"),
                format!("8{national}"),
                national.clone(),
                format!("+7 ({}) {}-{}-{}", &national[..3], &national[3..6], &national[6..8], &national[8..]),
            ] {
                prop_assert_eq!(normalize_phone(&raw), Ok(want.clone()));
            }
        }
    }
}
