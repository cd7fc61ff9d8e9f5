//! Bounds on what groups and series may hold, checked once when a mutation arrives.

use crate::domain::FieldError;

pub const GROUP_NAME_MAX: usize = 80;
pub const SERIES_TITLE_MAX: usize = 120;
pub const PLACE_MAX: usize = 200;
pub const LONG_TEXT_MAX: usize = 2000;
pub const DURATION_MAX_MINUTES: u32 = 24 * 60;
pub const CAPACITY_MAX: u32 = 100_000;
/// Live series one group may have (a weekly timetable is a handful): bounds what a search
/// for an occurrence expands.
pub const SERIES_PER_GROUP_MAX: u64 = 50;

/// A required one-line text: trimmed, 1 to `max` characters, no control characters.
pub fn required_line(field: &'static str, value: &str, max: usize) -> Result<String, FieldError> {
    let v = optional_text(field, value, max, false)?;
    if v.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    Ok(v)
}

/// An optional text: trimmed, at most `max` characters; line breaks only where `multiline`.
pub fn optional_text(
    field: &'static str,
    value: &str,
    max: usize,
    multiline: bool,
) -> Result<String, FieldError> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if v.chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t')))
    {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(v.to_owned())
}

pub fn duration_minutes(value: u32) -> Result<i32, FieldError> {
    if !(1..=DURATION_MAX_MINUTES).contains(&value) {
        return Err(FieldError::new(
            "duration_minutes",
            format!("must be between 1 and {DURATION_MAX_MINUTES}"),
        ));
    }
    Ok(i32::try_from(value).unwrap_or(i32::MAX))
}

pub fn capacity(value: Option<u32>) -> Result<Option<i32>, FieldError> {
    match value {
        None => Ok(None),
        Some(c) if (1..=CAPACITY_MAX).contains(&c) => {
            Ok(Some(i32::try_from(c).unwrap_or(i32::MAX)))
        }
        Some(_) => Err(FieldError::new(
            "capacity",
            format!("must be between 1 and {CAPACITY_MAX}, or null"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_trimmed_and_bounded() {
        assert_eq!(
            required_line("name", "  合唱團 ", GROUP_NAME_MAX).unwrap(),
            "合唱團"
        );
        assert_eq!(
            required_line("name", "   ", GROUP_NAME_MAX)
                .unwrap_err()
                .field,
            "name"
        );
        assert!(required_line("name", &"字".repeat(81), GROUP_NAME_MAX).is_err());
        assert!(optional_text("notes", "帶毛筆\n帶宣紙", LONG_TEXT_MAX, true).is_ok());
        assert!(optional_text("venue", "一樓\n二樓", PLACE_MAX, false).is_err());
    }

    #[test]
    fn durations_and_capacities_are_bounded() {
        assert!(duration_minutes(0).is_err());
        assert_eq!(duration_minutes(90).unwrap(), 90);
        assert!(duration_minutes(24 * 60 + 1).is_err());
        assert_eq!(capacity(None).unwrap(), None);
        assert_eq!(capacity(Some(40)).unwrap(), Some(40));
        assert!(capacity(Some(0)).is_err());
    }
}
