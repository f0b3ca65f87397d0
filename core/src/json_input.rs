//! JSON that arrives from outside (a caller's argument, a policy document, a service answer) is
//! checked for what serde_json lets through silently before it is read:
//!
//! - **Duplicate keys.** serde_json keeps the last of two equal keys in a map, so
//!   `{"allowedRoles":["…"],"allowedRoles":[]}` would quietly lift a restriction. Any object, at
//!   any depth, with a key given twice is refused, naming the key.
//! - **Arrays where an object is required.** serde's derived structs also accept a JSON array
//!   (the fields by position), so `["cloud"]` would be read as a change request. The top level
//!   must be an object.
//!
//! The check walks the text once without building anything (serde_json's recursion limit of 128
//! levels holds), then the caller parses as before.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::echo;

/// Why a JSON text was refused by [`check_object`]; the message is ready for a user (the key is
/// shown with [`echo`], with serde_json's line and column).
#[derive(Debug)]
pub struct JsonInputError(String);

impl fmt::Display for JsonInputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks that `text` is one JSON object with no key given twice in any object within it.
/// Syntax errors are reported as serde_json reports them.
pub fn check_object(text: &str) -> Result<(), JsonInputError> {
    let mut de = serde_json::Deserializer::from_str(text);
    Top.deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| JsonInputError(e.to_string()))
}

/// Checks that `text` is valid JSON of any shape with no key given twice in any object.
pub fn check_no_duplicate_keys(text: &str) -> Result<(), JsonInputError> {
    let mut de = serde_json::Deserializer::from_str(text);
    Walk.deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| JsonInputError(e.to_string()))
}

/// [`check_no_duplicate_keys`] for bytes (a service answer); text that is not UTF-8 passes here
/// and is refused by the parse that follows.
pub fn check_no_duplicate_keys_in(bytes: &[u8]) -> Result<(), JsonInputError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    Walk.deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| JsonInputError(e.to_string()))
}

/// The top level: an object, walked like any other.
struct Top;

impl<'de> DeserializeSeed<'de> for Top {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object ({…})")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        Walk.visit_map(map)
    }
}

/// Any value; maps remember their keys.
struct Walk;

impl<'de> DeserializeSeed<'de> for Walk {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Walk)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen: HashSet<String> = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if seen.contains(&key) {
                return Err(de::Error::custom(format!(
                    "the key '{}' appears twice in one object; give each key once",
                    echo(&key)
                )));
            }
            map.next_value_seed(Walk)?;
            seen.insert(key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_given_twice_is_refused_by_name_at_any_depth() {
        let e = check_object(r#"{"source":"cloud","allowedRoles":["x"],"allowedRoles":[]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("'allowedRoles' appears twice"), "{e}");
        assert!(e.contains("column"), "serde_json's position: {e}");
        let e = check_no_duplicate_keys(r#"[{"a":{"b":1,"b":2}}]"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("'b' appears twice"), "{e}");
        // Case differs: two keys as far as JSON goes (the readers decide what casing means).
        check_object(r#"{"source":"cloud","Source":"cloud"}"#).unwrap();
        check_object(r#"{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":2}]}"#).unwrap();
    }

    #[test]
    fn only_an_object_is_an_object() {
        for bad in [r#"["cloud"]"#, "[]", "\"x\"", "1", "null", "true"] {
            let e = check_object(bad).unwrap_err().to_string();
            assert!(e.contains("expected a JSON object"), "{bad}: {e}");
        }
        check_object(" {} ").unwrap();
        assert!(check_object("{} {}").is_err(), "trailing data");
        assert!(check_object(r#"{"a":"#).is_err(), "cut text");
    }

    #[test]
    fn a_key_with_control_characters_is_shown_escaped() {
        let e = check_object("{\"a\\u202eb\":1,\"a\\u202eb\":2}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("a\\u{202e}b"), "{e}");
        assert!(!e.contains('\u{202e}'), "{e}");
    }

    #[test]
    fn deep_nesting_stops_at_serde_jsons_limit() {
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
        let e = check_object(&deep).unwrap_err().to_string();
        assert!(e.contains("recursion limit"), "{e}");
    }
}
