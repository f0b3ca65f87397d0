//! JSON arguments: parse a caller's document into a core type, with an error that says which
//! argument was wrong and where.

use serde::de::DeserializeOwned;

use crate::error::{Failure, PupError};
use crate::status::PupStatus;

/// Parses `text` (the argument `name`, describing `what` it should be) into `T`.
/// Any parse or shape error is `PUP_STATUS_INVALID_JSON`; serde's message names the unknown or
/// missing field and the line and column.
pub(crate) fn parse_json<T: DeserializeOwned>(
    name: &str,
    what: &str,
    text: &str,
) -> Result<T, Failure> {
    // An object is required: serde's derived types would also read an array, field by field.
    // A key given twice is refused instead of keeping the last.
    let checked = photo_policy_core::json_input::check_object(text).map_err(|e| e.to_string());
    checked
        .and_then(|()| serde_json::from_str(text).map_err(|e| e.to_string()))
        .map_err(|e| {
            Box::new(PupError::new(
                PupStatus::InvalidJson,
                format!("The argument '{name}' is not a valid {what} JSON document: {e}."),
            ))
        })
}

/// Parses an optional JSON argument: empty or blank text (the caller passed NULL with length 0)
/// means `T::default()`; anything else is parsed as [`parse_json`] does, with the same errors.
pub(crate) fn parse_optional_json<T: DeserializeOwned + Default>(
    name: &str,
    what: &str,
    text: &str,
) -> Result<T, Failure> {
    if text.trim().is_empty() {
        Ok(T::default())
    } else {
        parse_json(name, what, text)
    }
}
