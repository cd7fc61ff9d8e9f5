//! What a resident types when registering, parsed once into types that are valid by
//! construction. Handlers parse at the edge; everything behind them takes these types.

use super::FieldError;

/// Longest display name, in characters. Names are shown on rosters and phone screens.
pub const DISPLAY_NAME_MAX_CHARS: usize = 64;
/// Shortest password, in characters (NIST SP 800-63B: length, not composition rules).
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Longest password, in characters; bounds the work one login request can cause.
pub const PASSWORD_MAX_CHARS: usize = 128;

/// A phone number in E.164 form (`+8613812345678`): the resident's login name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

/// Exactly the spellings [`PhoneNumber::parse`] accepts, as a regular expression for the
/// OpenAPI document (generated apps and the request contract check it before the server does).
pub const PHONE_PATTERN: &str = "^[ .()\u{3000}-]*(?:(?:\\+|0[ .()\u{3000}-]*0)[ .()\u{3000}-]*(?:[1-79](?:[ .()\u{3000}-]*[0-9]){6,14}|8[ .()\u{3000}-]*[0-57-9](?:[ .()\u{3000}-]*[0-9]){5,13}|8[ .()\u{3000}-]*6[ .()\u{3000}-]*1[ .()\u{3000}-]*[3-9](?:[ .()\u{3000}-]*[0-9]){9}|8[ .()\u{3000}-]*6[ .()\u{3000}-]*[2-9](?:[ .()\u{3000}-]*[0-9]){8,10})|1[ .()\u{3000}-]*[3-9](?:[ .()\u{3000}-]*[0-9]){9})[ .()\u{3000}-]*$";

impl PhoneNumber {
    /// Accepts E.164 (`+86 138 1234 5678`, with spaces, dashes, dots or brackets), the `00`
    /// international prefix, or a bare mainland mobile number (`13812345678`), which is
    /// normalised to `+86…`. Other bare numbers are refused: without a country code they are
    /// ambiguous, and guessing would log someone into another person's account.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let err = |reason: &str| FieldError::new("phone", reason);
        if input.chars().count() > 32 {
            return Err(err("is too long for a phone number"));
        }
        let mut compact = String::with_capacity(input.len());
        for c in input.trim().chars() {
            match c {
                ' ' | '-' | '.' | '(' | ')' | '\u{3000}' => {}
                '0'..='9' | '+' => compact.push(c),
                _ => {
                    return Err(err(
                        "may contain only digits, spaces, dashes and a leading +",
                    ));
                }
            }
        }
        let digits = if let Some(rest) = compact.strip_prefix('+') {
            rest.to_owned()
        } else if let Some(rest) = compact.strip_prefix("00") {
            rest.to_owned()
        } else if is_mainland_mobile(&compact) {
            format!("86{compact}")
        } else {
            return Err(err(
                "must be a mainland mobile number (11 digits starting with 1) or start with + and a country code",
            ));
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("must contain digits after the country code"));
        }
        if digits.starts_with('0') {
            return Err(err("country codes never start with 0"));
        }
        // E.164 allows at most 15 digits; no assigned number is shorter than 7.
        if !(7..=15).contains(&digits.len()) {
            return Err(err(
                "must have between 7 and 15 digits including the country code",
            ));
        }
        if let Some(national) = digits.strip_prefix("86")
            && !is_mainland_number(national)
        {
            return Err(err("is not a valid mainland China number"));
        }
        Ok(Self(format!("+{digits}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Mainland mobile numbers: 11 digits, `1` then `3`–`9`.
fn is_mainland_mobile(national: &str) -> bool {
    let b = national.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

/// Mainland numbers after `+86`: a mobile, or a landline (area code and subscriber number,
/// 9 to 11 digits, never starting with 0 or 1). Many elderly residents only have a landline.
fn is_mainland_number(national: &str) -> bool {
    let first = national.as_bytes().first().copied().unwrap_or(b'0');
    is_mainland_mobile(national) || ((9..=11).contains(&national.len()) && first >= b'2')
}

/// The name other residents see, trimmed, 1 to [`DISPLAY_NAME_MAX_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let name = input.trim();
        if name.is_empty() {
            return Err(FieldError::new("display_name", "must not be empty"));
        }
        if name.chars().count() > DISPLAY_NAME_MAX_CHARS {
            return Err(FieldError::new(
                "display_name",
                format!("must be at most {DISPLAY_NAME_MAX_CHARS} characters"),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(FieldError::new(
                "display_name",
                "must not contain control characters",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password that meets the length policy. Never logged: `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let chars = input.chars().count();
        if chars < PASSWORD_MIN_CHARS {
            return Err(FieldError::new(
                "password",
                format!("must be at least {PASSWORD_MIN_CHARS} characters"),
            ));
        }
        if chars > PASSWORD_MAX_CHARS {
            return Err(FieldError::new(
                "password",
                format!("must be at most {PASSWORD_MAX_CHARS} characters"),
            ));
        }
        if input.trim().is_empty() {
            return Err(FieldError::new("password", "must not be only spaces"));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The OpenAPI pattern and the parser agree on every string of phone-number
        /// characters: apps that check the pattern never send what the server refuses.
        #[test]
        fn the_phone_pattern_is_exactly_what_parse_accepts(
            s in "[0-9+ ().\u{3000}-]{0,33}",
            digits in "(\\+|00)?[0-9]{5,16}",
        ) {
            let pattern = regex::Regex::new(PHONE_PATTERN).unwrap();
            for input in [s.as_str(), digits.as_str()] {
                prop_assert_eq!(
                    pattern.is_match(input),
                    PhoneNumber::parse(input).is_ok(),
                    "{:?}", input
                );
            }
        }

        #[test]
        fn every_spelling_the_pattern_allows_parses(
            s in proptest::string::string_regex(
                PHONE_PATTERN.trim_start_matches('^').trim_end_matches('$'),
            )
            .unwrap(),
        ) {
            // Without the separators, length aside (the document also says `maxLength: 32`).
            let compact: String = s.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
            prop_assert!(pattern_matches(&compact) && PhoneNumber::parse(&compact).is_ok(), "{:?}", s);
            prop_assert!(s.chars().count() > 32 || PhoneNumber::parse(&s).is_ok(), "{:?}", s);
        }
    }

    fn pattern_matches(s: &str) -> bool {
        regex::Regex::new(PHONE_PATTERN).unwrap().is_match(s)
    }

    #[test]
    fn the_documented_phone_pattern_is_the_one_checked() {
        let spec: serde_json::Value = serde_json::from_str(&crate::http::spec_json()).unwrap();
        let phone = &spec["components"]["schemas"]["RegisterRequest"]["properties"]["phone"];
        assert_eq!(phone["pattern"], PHONE_PATTERN);
        assert_eq!(phone["maxLength"], 32);
    }

    #[test]
    fn mainland_mobile_numbers_are_normalised_to_e164() {
        for input in [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+86 138 1234 5678",
            "008613812345678",
        ] {
            assert_eq!(
                PhoneNumber::parse(input).unwrap().as_str(),
                "+8613812345678",
                "{input}"
            );
        }
    }

    #[test]
    fn foreign_numbers_in_e164_are_kept() {
        assert_eq!(
            PhoneNumber::parse("+852 9123 4567").unwrap().as_str(),
            "+85291234567"
        );
        assert_eq!(
            PhoneNumber::parse("+1 (415) 555-2671").unwrap().as_str(),
            "+14155552671"
        );
    }

    #[test]
    fn mainland_landlines_are_accepted_with_country_code() {
        assert_eq!(
            PhoneNumber::parse("+86 351 1234567").unwrap().as_str(),
            "+863511234567"
        );
    }

    #[test]
    fn ambiguous_or_malformed_numbers_are_refused_with_the_field_named() {
        for input in [
            "",
            "12345",
            "02012345678",
            "+0123456789",
            "+86 123",
            "+8612812345678",
            "1381234567a",
            "+1234567890123456",
            "++8613812345678",
        ] {
            let err = PhoneNumber::parse(input).unwrap_err();
            assert_eq!(err.field, "phone", "{input}");
        }
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  王阿姨 ").unwrap().as_str(), "王阿姨");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"字".repeat(64)).is_ok());
        assert!(DisplayName::parse(&"字".repeat(65)).is_err());
        assert!(DisplayName::parse("a\u{0007}b").is_err());
    }

    #[test]
    fn passwords_are_bounded_by_characters_and_hidden_from_debug() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("        ").is_err());
        assert!(NewPassword::parse("煤礦社區的密碼很長").is_ok());
        assert!(NewPassword::parse(&"x".repeat(129)).is_err());
        assert_eq!(
            format!("{:?}", NewPassword::parse("correct horse").unwrap()),
            "NewPassword(***)"
        );
    }

    proptest! {
        #[test]
        fn parsing_is_idempotent(input in "\\PC{0,24}") {
            if let Ok(phone) = PhoneNumber::parse(&input) {
                let again = PhoneNumber::parse(phone.as_str()).unwrap();
                prop_assert_eq!(again, phone);
            }
        }

        #[test]
        fn every_mainland_mobile_parses(second in 3u8..=9, rest in "[0-9]{9}") {
            let input = format!("1{second}{rest}");
            let parsed = PhoneNumber::parse(&input).unwrap();
            prop_assert_eq!(parsed.as_str(), format!("+86{input}"));
        }
    }
}
