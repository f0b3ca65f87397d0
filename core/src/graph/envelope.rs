//! Error messages that are themselves JSON text. The backend behind the photo update settings
//! (PeopleAdmin) refuses a change with Graph's `UnknownError` whose `error.message` is its own
//! error document, and that document's `peopleAdminValidationError` is JSON text again (field ->
//! messages). This module reads that structure; it never looks at the wording of a message.

use serde_json::Value;

use crate::error::FieldError;

/// What a message that is JSON text holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct MessageEnvelope {
    /// The inner document on one line (compact), for a readable message and the details.
    pub(super) one_line: String,
    /// `peopleAdminErrorCode`, when the inner document has one.
    pub(super) people_admin_error_code: Option<String>,
    /// `peopleAdminRequestId`, when the inner document has one.
    pub(super) people_admin_request_id: Option<String>,
    /// The fields of `peopleAdminValidationError`, in the service's order.
    pub(super) validation_errors: Vec<FieldError>,
}

/// Reads `message` as an envelope when it is a JSON object or array; `None` for plain text.
pub(super) fn parse(message: &str) -> Option<MessageEnvelope> {
    let text = message.trim();
    if !(text.starts_with('{') || text.starts_with('[')) {
        return None;
    }
    let doc: Value = serde_json::from_str(text).ok()?;
    let people_admin = |key: &str| find_string(&doc, key);
    let validation_errors = people_admin("peopleAdminValidationError")
        .map(|t| field_errors(&t))
        .unwrap_or_default();
    Some(MessageEnvelope {
        one_line: doc.to_string(),
        people_admin_error_code: people_admin("peopleAdminErrorCode"),
        people_admin_request_id: people_admin("peopleAdminRequestId"),
        validation_errors,
    })
}

/// The first string value named `key` (case-insensitively) in `doc`, searched breadth-first a few
/// levels deep: the envelope puts it under `error.innerError`, and nothing promises exactly there.
fn find_string(doc: &Value, key: &str) -> Option<String> {
    let mut level = vec![doc];
    for _ in 0..6 {
        let mut next = Vec::new();
        for v in level {
            if let Value::Object(map) = v {
                for (k, child) in map {
                    if k.eq_ignore_ascii_case(key) {
                        if let Some(s) = child.as_str().filter(|s| !s.trim().is_empty()) {
                            return Some(s.to_string());
                        }
                    }
                    if child.is_object() {
                        next.push(child);
                    }
                }
            }
        }
        if next.is_empty() {
            break;
        }
        level = next;
    }
    None
}

/// The fields of a `peopleAdminValidationError` text: `{"Field":["message", …], …}` (a single
/// string instead of the list is read as one message). Anything else yields no fields.
fn field_errors(text: &str) -> Vec<FieldError> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text.trim()) else {
        return Vec::new();
    };
    map.into_iter()
        .map(|(field, v)| {
            let messages = match v {
                Value::Array(items) => items
                    .into_iter()
                    .filter_map(|m| m.as_str().map(str::to_string))
                    .collect(),
                Value::String(s) => vec![s],
                _ => Vec::new(),
            };
            FieldError { field, messages }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The envelope exactly as the support guide records it.
    pub(crate) fn recorded(validation: &str) -> String {
        json!({"error": {"code": "400", "message": "", "innerError": {
            "peopleAdminErrorCode": "PeopleAdminValidationFailure",
            "peopleAdminValidationError": validation,
            "peopleAdminRequestId": "6c0cbd5a-9e3b-4a0e-8d44-0a4bb8d0b3f1",
            "peopleAdminClientRequestId": "0f4b9f5e-5a4c-4c59-9a8e-8e2f3a3b1c2d",
            "date": "2024-11-21T16:31:03.6070114Z"}}})
        .to_string()
    }

    #[test]
    fn the_recorded_envelope_is_read_field_by_field() {
        let e = parse(&recorded(
            r#"{"AllowedRoles":["Unsupported role for cloud photo update settings."],"Source":["Roles should be passed only for cloud photo update settings."]}"#,
        ))
        .unwrap();
        assert_eq!(
            e.people_admin_error_code.as_deref(),
            Some("PeopleAdminValidationFailure")
        );
        assert_eq!(
            e.people_admin_request_id.as_deref(),
            Some("6c0cbd5a-9e3b-4a0e-8d44-0a4bb8d0b3f1")
        );
        assert_eq!(
            e.validation_errors,
            vec![
                FieldError {
                    field: "AllowedRoles".into(),
                    messages: vec!["Unsupported role for cloud photo update settings.".into()]
                },
                FieldError {
                    field: "Source".into(),
                    messages: vec![
                        "Roles should be passed only for cloud photo update settings.".into()
                    ]
                },
            ]
        );
        assert!(!e.one_line.contains('\n'));
    }

    #[test]
    fn plain_text_is_no_envelope_and_other_json_is_one_line() {
        assert_eq!(parse("Invalid role."), None);
        assert_eq!(parse("{not json"), None);
        let e =
            parse("{\n  \"error\": {\n    \"code\": \"Other\",\n    \"message\": \"x\"\n  }\n}")
                .unwrap();
        assert_eq!(e.one_line, r#"{"error":{"code":"Other","message":"x"}}"#);
        assert!(e.validation_errors.is_empty());
        assert_eq!(e.people_admin_error_code, None);
    }

    #[test]
    fn odd_validation_texts_yield_what_they_hold() {
        let e = parse(&recorded(r#"{"AllowedRoles":"One message."}"#)).unwrap();
        assert_eq!(e.validation_errors[0].messages, vec!["One message."]);
        let e = parse(&recorded("not json")).unwrap();
        assert!(e.validation_errors.is_empty());
        assert_eq!(
            e.people_admin_error_code.as_deref(),
            Some("PeopleAdminValidationFailure")
        );
    }
}
