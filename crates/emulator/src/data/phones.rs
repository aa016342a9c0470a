//! Phone numbers as people type them into a CRM, with the number a correct
//! normaliser must read from each.

use crate::rng::SplitMix64;

/// A +7 number as typed, and its E.164 digits (`7` + 10 national digits).
pub(super) struct TypedPhone {
    pub typed: String,
    pub e164: String,
}

/// Area codes by kind. The 8xx ones matter: a known library bug corrupts
/// `+7 8xx` numbers.
const MOBILE_CODES: &[&str] = &["900", "903", "912", "916", "926", "950", "977", "999"];
const LANDLINE_CODES: &[&str] = &["812", "843", "800", "495", "499", "383"];

/// Typed forms that are not a phone number at all.
const INVALID: &[&str] = &[
    "нет",
    "12345",
    "+7 900 12",
    "не звонить",
    "8 (900) 123-45",
    "-",
    "тел.",
    "000",
];

/// A random valid +7 number in one of the ugly formats CRMs hold.
pub(super) fn valid_phone(rng: &mut SplitMix64) -> TypedPhone {
    let national = national_number(rng);
    let typed = format_national(rng, &national);
    TypedPhone {
        typed,
        e164: format!("7{national}"),
    }
}

/// A string a user typed into the phone field that no normaliser can call.
pub(super) fn invalid_phone(rng: &mut SplitMix64) -> String {
    (*rng.pick(INVALID)).to_owned()
}

fn national_number(rng: &mut SplitMix64) -> String {
    loop {
        let code = if rng.chance(0.6) {
            rng.pick(MOBILE_CODES)
        } else {
            rng.pick(LANDLINE_CODES)
        };
        let number = format!("{code}{}", rng.digits(7));
        let first = number.as_bytes()[0];
        if !number.bytes().all(|b| b == first) {
            return number;
        }
    }
}

fn format_national(rng: &mut SplitMix64, n: &str) -> String {
    let (a, b, c, d) = (&n[..3], &n[3..6], &n[6..8], &n[8..]);
    let mobile = n.starts_with('9');
    let formats = if mobile { 11 } else { 10 };
    let typed = match rng.below(formats) {
        0 => format!("+7 ({a}) {b}-{c}-{d}"),
        1 => format!("8 {a} {b} {c} {d}"),
        2 => format!("8{n}"),
        3 => format!("+7 {a} {b}-{c}-{d}"),
        4 => format!("8 ({a}) {b}-{c}-{d}"),
        5 => format!("+7 ({a}) {b} {c} {d}"),
        6 => format!("+7{n}"),
        7 => format!("7{n}"),
        8 => format!("8-{a}-{b}-{c}-{d}"),
        9 => format!(" +7({a}){b}{c}{d} "),
        // A bare 10-digit number is unambiguous only for 9xx mobiles.
        _ => n.to_owned(),
    };
    if typed.contains(' ') && rng.chance(0.2) {
        typed.replace(' ', "\u{a0}")
    } else {
        typed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_digits_end_with_the_national_number() {
        let mut rng = SplitMix64::new(3);
        for _ in 0..500 {
            let p = valid_phone(&mut rng);
            let digits: String = p.typed.chars().filter(char::is_ascii_digit).collect();
            assert_eq!(p.e164.len(), 11);
            assert!(digits.ends_with(&p.e164[1..]), "{} vs {}", p.typed, p.e164);
            assert!(digits.len() == 10 || digits.len() == 11);
        }
    }
}
