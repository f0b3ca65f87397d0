//! The photo update settings policy: the wire model, read leniently and written exactly.
//!
//! The service (and its documentation) has been seen sending `allowedRoles` as `null`, `[]`, a
//! missing property or `{}`, and `source` as `null`, missing, in varying casing, or as values this
//! version does not know yet; Microsoft's own recorded transcript shows the key as `Source`, and
//! a list answer `{"value":[policy]}` has been seen. [`Policy::from_json`] accepts all of them,
//! reading property names case-insensitively (a known property in another casing is that
//! property, never an extra one); [`Policy::to_wire`] writes camelCase exactly as documented
//! (`source`, `cloud`, `onPremises`). Unknown properties are kept in
//! [`Policy::additional_properties`] so nothing the service adds is dropped silently.
//!
//! [`PolicyView`] is what callers see (the "Policy" JSON of docs/c-abi.md): role IDs resolved to
//! names through the catalog, the tenant and the cloud.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::cloud::Cloud;
use crate::error::{Error, ErrorKind, Result};
use crate::roles;

/// Where user profile photos may come from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// Photos are managed in the cloud (Entra ID / Microsoft 365).
    Cloud,
    /// Photos are synchronised from on-premises Active Directory.
    OnPremises,
    /// A value this version does not know (e.g. `unknownFutureValue` or something newer), kept
    /// verbatim so it is shown and never rewritten by accident.
    Other(String),
}

impl Source {
    /// Reads a wire value: `cloud` and `onPremises` in any casing are normalised, anything else is
    /// kept verbatim as [`Source::Other`].
    pub fn from_wire(value: &str) -> Source {
        if value.eq_ignore_ascii_case("cloud") {
            Source::Cloud
        } else if value.eq_ignore_ascii_case("onPremises") {
            Source::OnPremises
        } else {
            Source::Other(value.to_string())
        }
    }

    /// The value as written on the wire (camelCase for known values, verbatim otherwise).
    pub fn as_wire(&self) -> &str {
        match self {
            Source::Cloud => "cloud",
            Source::OnPremises => "onPremises",
            Source::Other(v) => v,
        }
    }

    /// Whether this version knows the value.
    pub fn is_known(&self) -> bool {
        !matches!(self, Source::Other(_))
    }
}

/// The policy as the service holds it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Policy {
    /// `None` = not set (the tenant default: photos may come from either side).
    pub source: Option<Source>,
    /// Directory role template IDs, as received (whitespace trimmed). Empty = no restriction.
    pub allowed_roles: Vec<String>,
    /// The entity `id`, when the service sends one.
    pub id: Option<String>,
    /// Properties this version does not know, kept verbatim.
    pub additional_properties: Map<String, Value>,
}

impl Policy {
    /// The tenant default: source not set, no role restriction.
    pub fn default_policy() -> Policy {
        Policy::default()
    }

    /// Whether the policy is at the tenant default (source not set, no role restriction).
    /// Additional properties are not considered: this version cannot know their defaults.
    pub fn is_default(&self) -> bool {
        self.source.is_none() && self.allowed_roles.is_empty()
    }

    /// Parses a response body. Malformed JSON or a non-object → [`ErrorKind::InvalidResponse`].
    pub fn from_slice(body: &[u8]) -> Result<Policy> {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            Error::new(
                ErrorKind::InvalidResponse,
                format!("Microsoft Graph answered with JSON that could not be read: {e}."),
            )
        })?;
        Policy::from_json(&value)
    }

    /// Reads the policy from a JSON value, accepting every shape seen in the field (see the
    /// module docs). Property names are matched case-insensitively (the service has been
    /// recorded answering `Source`), so a known property in another casing is that property,
    /// never an additional one. A list answer `{"value":[policy]}` is read as its single policy.
    /// Shapes that cannot be a policy at all are rejected with [`ErrorKind::InvalidResponse`]
    /// naming the property: a known property given twice in different casings with different
    /// values, or a list of zero or several policies.
    pub fn from_json(value: &Value) -> Result<Policy> {
        let obj = value.as_object().ok_or_else(|| {
            invalid_response(format!(
                "expected a JSON object for the photo update settings, got {}",
                json_kind(value)
            ))
        })?;
        if let Some(items) = single_list(obj) {
            return match items {
                [one] => Policy::from_json(one),
                _ => Err(invalid_response(format!(
                    "the answer is a list (\"value\") of {} elements, where exactly one policy \
                     was expected",
                    items.len()
                ))),
            };
        }
        let mut policy = Policy::default();
        // The key each known property was read from, to name both keys of a duplicate.
        let mut seen: [Option<&str>; 3] = [None, None, None];
        for (key, v) in obj {
            let Some(known) = KNOWN_PROPERTIES
                .iter()
                .position(|k| k.eq_ignore_ascii_case(key))
            else {
                // OData annotations (@odata.context, @odata.type, @odata.etag …) describe the
                // answer, not the policy; they are not written back.
                if !key.starts_with('@') {
                    policy.additional_properties.insert(key.clone(), v.clone());
                }
                continue;
            };
            let mut read = Policy::default();
            match known {
                0 => read.source = read_source(v)?,
                1 => read.allowed_roles = read_roles(v)?,
                _ => read.id = read_id(v),
            }
            let same = match known {
                0 => read.source == policy.source,
                1 => read.allowed_roles == policy.allowed_roles,
                _ => read.id == policy.id,
            };
            if let Some(first) = seen[known] {
                if !same {
                    return Err(invalid_response(format!(
                        "the property '{}' appears twice, as '{first}' and '{key}', with different \
                         values",
                        KNOWN_PROPERTIES[known]
                    )));
                }
                continue;
            }
            seen[known] = Some(key);
            match known {
                0 => policy.source = read.source,
                1 => policy.allowed_roles = read.allowed_roles,
                _ => policy.id = read.id,
            }
        }
        Ok(policy)
    }

    /// The policy as JSON in the service's shape (camelCase, `source: null` when not set).
    /// Additional properties are written too, so nothing read is lost on a round trip.
    pub fn to_wire(&self) -> Value {
        let mut obj = Map::new();
        obj.insert(
            "source".into(),
            self.source
                .as_ref()
                .map_or(Value::Null, |s| Value::String(s.as_wire().to_string())),
        );
        obj.insert(
            "allowedRoles".into(),
            Value::Array(
                self.allowed_roles
                    .iter()
                    .map(|r| Value::String(r.clone()))
                    .collect(),
            ),
        );
        if let Some(id) = &self.id {
            obj.insert("id".into(), Value::String(id.clone()));
        }
        for (k, v) in &self.additional_properties {
            obj.insert(k.clone(), v.clone());
        }
        Value::Object(obj)
    }
}

/// The properties this version models, in their wire (camel case) spelling. Read in any casing.
const KNOWN_PROPERTIES: [&str; 3] = ["source", "allowedRoles", "id"];

/// The elements of a list answer (`{"value":[…]}`, optionally with OData annotations), or `None`
/// when the object is not one. An object holding any policy property is a policy, whatever else
/// it holds.
fn single_list(obj: &Map<String, Value>) -> Option<&[Value]> {
    let mut items = None;
    for (key, v) in obj {
        if key.starts_with('@') {
            continue;
        }
        match v {
            Value::Array(a) if key.eq_ignore_ascii_case("value") && items.is_none() => {
                items = Some(a.as_slice())
            }
            _ => return None,
        }
    }
    items
}

fn read_source(v: &Value) -> Result<Option<Source>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(Source::from_wire(s))),
        other => Err(invalid_response(format!(
            "property 'source' should be a string or null, got {}",
            json_kind(other)
        ))),
    }
}

fn read_id(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        // An id of another type is odd but harmless: keep it rather than fail.
        other => Some(other.to_string()),
    }
}

fn read_roles(v: &Value) -> Result<Vec<String>> {
    match v {
        Value::Null => Ok(Vec::new()),
        // `{}` appears in some documentation for "no restriction".
        Value::Object(m) if m.is_empty() => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                // Trim: an old Microsoft example had a GUID with a leading space.
                Value::String(s) => Ok(s.trim().to_string()),
                other => Err(invalid_response(format!(
                    "property 'allowedRoles' should hold role template IDs (strings), found {}",
                    json_kind(other)
                ))),
            })
            .collect(),
        other => Err(invalid_response(format!(
            "property 'allowedRoles' should be an array of role template IDs, got {}",
            json_kind(other)
        ))),
    }
}

fn invalid_response(detail: String) -> Error {
    Error::new(
        ErrorKind::InvalidResponse,
        format!("Microsoft Graph's photo update settings could not be understood: {detail}."),
    )
}

/// How a JSON value's type reads in an error message ("a string", "an array", …); shared by the
/// response reader here and the policy document reader.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// One entry of `allowedRoles` as callers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleView {
    /// Role template ID (lower case when it is a GUID; verbatim otherwise).
    pub id: String,
    /// Display name from the catalog; `None` for a role the catalog does not know.
    pub name: Option<String>,
    /// Whether the role is in the catalog.
    pub known: bool,
}

impl RoleView {
    /// Resolves a role template ID from the service against the catalog.
    pub fn from_id(id: &str) -> RoleView {
        match roles::by_id(id) {
            Some(info) => RoleView {
                id: info.id.to_string(),
                name: Some(info.name.to_string()),
                known: true,
            },
            None => RoleView {
                id: roles::normalize_guid(id).unwrap_or_else(|| id.trim().to_string()),
                name: None,
                known: false,
            },
        }
    }

    /// The name when known, else the ID (for descriptions).
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// The policy as callers see it: the "Policy" JSON of docs/c-abi.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyView {
    /// `cloud`, `onPremises`, `None` (not set) or an unknown value as received.
    pub source: Option<String>,
    /// `false` when `source` is a value this version does not know.
    pub source_known: bool,
    /// Allowed roles (empty = every user may change their own photo).
    pub allowed_roles: Vec<RoleView>,
    /// Properties this version does not know, verbatim.
    pub additional_properties: Map<String, Value>,
    /// The tenant, when known (config or token).
    pub tenant_id: Option<String>,
    /// The cloud the policy was read from.
    pub cloud: Cloud,
}

impl PolicyView {
    /// Builds the view of `policy` for `tenant_id` in `cloud`.
    pub fn new(policy: &Policy, tenant_id: Option<String>, cloud: Cloud) -> PolicyView {
        PolicyView {
            source: policy.source.as_ref().map(|s| s.as_wire().to_string()),
            source_known: policy.source.as_ref().is_none_or(Source::is_known),
            allowed_roles: policy
                .allowed_roles
                .iter()
                .map(|r| RoleView::from_id(r))
                .collect(),
            additional_properties: policy.additional_properties.clone(),
            tenant_id,
            cloud,
        }
    }

    /// Whether the view shows the tenant default (source not set, no role restriction).
    pub fn is_default(&self) -> bool {
        self.source.is_none() && self.allowed_roles.is_empty()
    }

    /// One line for people: `Source: Cloud; Allowed roles: Global Administrator`.
    pub fn summary(&self) -> String {
        format!(
            "Source: {}; Allowed roles: {}",
            describe_source(self.source.as_deref()),
            describe_roles(&self.allowed_roles)
        )
    }
}

/// A source as users read it everywhere (objects, -WhatIf, verbose): `Cloud`, `OnPremises`,
/// `NotSet` for `None`, an unknown value verbatim.
pub(crate) fn describe_source(source: Option<&str>) -> String {
    match source.map(Source::from_wire) {
        None => "NotSet".to_string(),
        Some(Source::Cloud) => "Cloud".to_string(),
        Some(Source::OnPremises) => "OnPremises".to_string(),
        Some(Source::Other(v)) => v,
    }
}

/// [`describe_source`] of a parsed source.
pub(crate) fn display_source(source: Option<&Source>) -> String {
    describe_source(source.map(Source::as_wire))
}

/// `(everyone)` for no restriction, else the names joined by commas.
pub(crate) fn describe_roles(roles: &[RoleView]) -> String {
    if roles.is_empty() {
        "(everyone)".to_string()
    } else {
        roles
            .iter()
            .map(RoleView::label)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CTX: &str =
        "https://graph.microsoft.com/beta/$metadata#admin/people/photoUpdateSettings/$entity";
    const GA_ID: &str = "62e90394-69f5-4237-9190-012177145e10";

    fn read(v: Value) -> Policy {
        Policy::from_json(&v).expect("readable")
    }

    #[test]
    fn every_no_restriction_shape_reads_as_empty() {
        for roles in [json!(null), json!([]), json!({})] {
            let p = read(json!({"@odata.context": CTX, "source": null, "allowedRoles": roles}));
            assert!(p.allowed_roles.is_empty(), "{roles}");
            assert!(p.is_default());
        }
        let missing = read(json!({"@odata.context": CTX}));
        assert!(missing.allowed_roles.is_empty());
        assert!(missing.source.is_none());
        assert!(missing.is_default());
    }

    #[test]
    fn source_is_read_case_insensitively_and_written_camel_case() {
        for (wire, expected) in [
            ("cloud", Source::Cloud),
            ("Cloud", Source::Cloud),
            ("CLOUD", Source::Cloud),
            ("onPremises", Source::OnPremises),
            ("onpremises", Source::OnPremises),
            ("OnPremises", Source::OnPremises),
            ("ONPREMISES", Source::OnPremises),
        ] {
            let p = read(json!({ "source": wire }));
            assert_eq!(p.source, Some(expected.clone()), "{wire}");
            assert_eq!(
                p.to_wire()["source"],
                json!(expected.as_wire()),
                "written back for {wire}"
            );
        }
        assert_eq!(Source::Cloud.as_wire(), "cloud");
        assert_eq!(Source::OnPremises.as_wire(), "onPremises");
    }

    #[test]
    fn unknown_source_is_kept_verbatim_and_marked_unknown() {
        let p = read(json!({ "source": "unknownFutureValue", "allowedRoles": [] }));
        assert_eq!(p.source, Some(Source::Other("unknownFutureValue".into())));
        let view = PolicyView::new(&p, None, Cloud::Global);
        assert_eq!(view.source.as_deref(), Some("unknownFutureValue"));
        assert!(!view.source_known);
        assert_eq!(p.to_wire()["source"], json!("unknownFutureValue"));
        let p = read(json!({ "source": "hybridSync" }));
        assert_eq!(
            PolicyView::new(&p, None, Cloud::Global).source.as_deref(),
            Some("hybridSync")
        );
    }

    #[test]
    fn source_null_or_missing_is_not_set_and_known() {
        for v in [json!({"source": null}), json!({})] {
            let view = PolicyView::new(&read(v), None, Cloud::Global);
            assert_eq!(view.source, None);
            assert!(view.source_known);
        }
    }

    #[test]
    fn odata_annotations_and_id_are_accepted_unknown_properties_kept() {
        let p = read(json!({
            "@odata.context": CTX,
            "@odata.type": "#microsoft.graph.photoUpdateSettings",
            "id": "photoUpdateSettings",
            "source": "cloud",
            "allowedRoles": ["62e90394-69f5-4237-9190-012177145e10"],
            "someNewProperty": 1,
            "nested": {"a": [1, 2]}
        }));
        assert_eq!(p.id.as_deref(), Some("photoUpdateSettings"));
        assert_eq!(p.additional_properties.len(), 2);
        assert_eq!(p.additional_properties["someNewProperty"], json!(1));
        assert_eq!(p.additional_properties["nested"], json!({"a": [1, 2]}));
        let wire = p.to_wire();
        assert_eq!(wire["someNewProperty"], json!(1));
        assert!(wire.get("@odata.context").is_none());
        let view =
            serde_json::to_value(PolicyView::new(&p, Some("t".into()), Cloud::Global)).unwrap();
        assert_eq!(view["additionalProperties"]["someNewProperty"], json!(1));
    }

    #[test]
    fn view_json_matches_the_c_abi_shape() {
        let p = read(json!({
            "source": "onpremises",
            "allowedRoles": [" 62E90394-69F5-4237-9190-012177145E10", "11111111-2222-3333-4444-555555555555"]
        }));
        let view = serde_json::to_value(PolicyView::new(&p, Some("contoso".into()), Cloud::USGov))
            .unwrap();
        assert_eq!(
            view,
            json!({
                "source": "onPremises",
                "sourceKnown": true,
                "allowedRoles": [
                    {"id": "62e90394-69f5-4237-9190-012177145e10", "name": "Global Administrator", "known": true},
                    {"id": "11111111-2222-3333-4444-555555555555", "name": null, "known": false}
                ],
                "additionalProperties": {},
                "tenantId": "contoso",
                "cloud": "USGov"
            })
        );
    }

    #[test]
    fn shapes_that_cannot_be_a_policy_are_invalid_response() {
        for bad in [
            json!([]),
            json!("x"),
            json!({"source": 3}),
            json!({"allowedRoles": "62e90394-69f5-4237-9190-012177145e10"}),
            json!({"allowedRoles": [1]}),
            json!({"allowedRoles": {"a": 1}}),
        ] {
            let err = Policy::from_json(&bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{bad}");
        }
        let err = Policy::from_slice(b"{\"source\": ").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    }

    #[test]
    fn property_names_are_read_case_insensitively_and_written_camel_case() {
        // Microsoft's recorded default answer: a capital `Source` key.
        let p = read(json!({"@odata.context": CTX, "allowedRoles": [], "Source": null}));
        assert_eq!(p, Policy::default());
        assert!(p.additional_properties.is_empty());
        for (s_key, r_key, id_key) in [
            ("Source", "AllowedRoles", "Id"),
            ("SOURCE", "ALLOWEDROLES", "ID"),
            ("sOuRcE", "allowedroles", "iD"),
        ] {
            let mut obj = Map::new();
            obj.insert(s_key.into(), json!("Cloud"));
            obj.insert(r_key.into(), json!([GA_ID]));
            obj.insert(id_key.into(), json!("photoUpdateSettings"));
            let p = read(Value::Object(obj));
            assert_eq!(p.source, Some(Source::Cloud), "{s_key}");
            assert_eq!(p.allowed_roles, vec![GA_ID.to_string()], "{r_key}");
            assert_eq!(p.id.as_deref(), Some("photoUpdateSettings"), "{id_key}");
            assert!(p.additional_properties.is_empty(), "{s_key}: no extra");
            let wire = p.to_wire();
            assert_eq!(
                wire,
                json!({"source": "cloud", "allowedRoles": [GA_ID], "id": "photoUpdateSettings"}),
                "written back once, camel case"
            );
        }
    }

    #[test]
    fn same_property_in_two_casings_agreeing_is_read_once() {
        let p = read(json!({"source": "cloud", "Source": "CLOUD",
            "allowedRoles": null, "AllowedRoles": []}));
        assert_eq!(p.source, Some(Source::Cloud));
        assert!(p.allowed_roles.is_empty());
        assert!(p.additional_properties.is_empty());
    }

    #[test]
    fn same_property_in_two_casings_disagreeing_is_refused_naming_both_keys() {
        for (bad, a, b) in [
            (
                json!({"source": "cloud", "Source": null}),
                "source",
                "Source",
            ),
            (
                json!({"allowedRoles": [GA_ID], "ALLOWEDROLES": []}),
                "allowedRoles",
                "ALLOWEDROLES",
            ),
            (json!({"id": "a", "Id": "b"}), "id", "Id"),
        ] {
            let err = Policy::from_json(&bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{bad}");
            assert!(
                err.message().contains(&format!("'{a}'"))
                    && err.message().contains(&format!("'{b}'")),
                "{}",
                err.message()
            );
        }
    }

    #[test]
    fn a_list_answer_with_one_policy_is_that_policy() {
        let p = read(json!({"@odata.context": CTX,
            "value": [{"Source": "onPremises", "allowedRoles": []}]}));
        assert_eq!(p.source, Some(Source::OnPremises));
        assert!(p.additional_properties.is_empty());
        let p = read(json!({"Value": [{"source": "cloud", "allowedRoles": [GA_ID]}]}));
        assert_eq!(p.allowed_roles, vec![GA_ID.to_string()]);
    }

    #[test]
    fn a_list_answer_with_zero_or_several_policies_is_refused_naming_the_count() {
        for (n, bad) in [
            (0, json!({"@odata.context": CTX, "value": []})),
            (2, json!({"value": [{"source": "cloud"}, {"source": null}]})),
        ] {
            let err = Policy::from_json(&bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{bad}");
            assert!(
                err.message().contains(&format!("of {n} elements")),
                "{}",
                err.message()
            );
        }
        // A policy that also carries a property named `value` stays a policy.
        let p = read(json!({"source": "cloud", "value": [1, 2]}));
        assert_eq!(p.source, Some(Source::Cloud));
        assert_eq!(p.additional_properties["value"], json!([1, 2]));
    }

    #[test]
    fn summary_reads_like_a_sentence() {
        let p = read(
            json!({"source": "cloud", "allowedRoles": ["fe930be7-5e62-47db-91af-98c3a49a38b1"]}),
        );
        assert_eq!(
            PolicyView::new(&p, None, Cloud::Global).summary(),
            "Source: Cloud; Allowed roles: User Administrator"
        );
        assert_eq!(
            PolicyView::new(&Policy::default(), None, Cloud::Global).summary(),
            "Source: NotSet; Allowed roles: (everyone)"
        );
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn leaf() -> impl Strategy<Value = Value> {
            prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(|n| json!(n)),
                "[a-zA-Z0-9 ]{0,12}".prop_map(Value::String),
            ]
        }

        fn any_json() -> impl Strategy<Value = Value> {
            leaf().prop_recursive(3, 24, 4, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                    prop::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                        .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        fn source_value() -> impl Strategy<Value = Option<Value>> {
            prop_oneof![
                Just(None),
                Just(Some(Value::Null)),
                "(?i)(cloud|onpremises)".prop_map(|s| Some(Value::String(s))),
                "[a-zA-Z]{1,20}".prop_map(|s| Some(Value::String(s))),
            ]
        }

        fn roles_value() -> impl Strategy<Value = Option<Value>> {
            prop_oneof![
                Just(None),
                Just(Some(Value::Null)),
                Just(Some(json!({}))),
                prop::collection::vec(
                    prop_oneof![
                        Just(" 62e90394-69f5-4237-9190-012177145e10".to_string()),
                        Just("FE930BE7-5E62-47DB-91AF-98C3A49A38B1".to_string()),
                        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                    ],
                    0..5
                )
                .prop_map(|v| Some(json!(v))),
            ]
        }

        proptest! {
            // The reader never panics, whatever it is given.
            #[test]
            fn reader_never_panics(v in any_json()) {
                let _ = Policy::from_json(&v);
            }

            // Every shape the service has been seen to send is read, unknown properties survive,
            // and writing back gives camelCase values the reader reads to the same policy.
            #[test]
            fn wire_shapes_round_trip(
                source in source_value(),
                roles in roles_value(),
                extra in prop::collection::btree_map("x[a-z]{1,6}", any_json(), 0..3),
                with_context in any::<bool>(),
            ) {
                let mut obj = Map::new();
                if with_context {
                    obj.insert("@odata.context".into(), json!(CTX));
                }
                if let Some(s) = &source { obj.insert("source".into(), s.clone()); }
                if let Some(r) = &roles { obj.insert("allowedRoles".into(), r.clone()); }
                for (k, v) in &extra { obj.insert(k.clone(), v.clone()); }
                let policy = Policy::from_json(&Value::Object(obj)).unwrap();

                for (k, v) in &extra {
                    prop_assert_eq!(policy.additional_properties.get(k), Some(v));
                }
                let expected_roles = match &roles {
                    Some(Value::Array(a)) => a.len(),
                    _ => 0,
                };
                prop_assert_eq!(policy.allowed_roles.len(), expected_roles);
                for r in &policy.allowed_roles {
                    prop_assert_eq!(r.trim(), r.as_str());
                }
                match (&source, &policy.source) {
                    (None | Some(Value::Null), None) => {}
                    (Some(Value::String(s)), Some(read)) => {
                        if s.eq_ignore_ascii_case("cloud") {
                            prop_assert_eq!(read, &Source::Cloud);
                        } else if s.eq_ignore_ascii_case("onpremises") {
                            prop_assert_eq!(read, &Source::OnPremises);
                        } else {
                            prop_assert_eq!(read, &Source::Other(s.clone()));
                        }
                    }
                    (s, r) => prop_assert!(false, "source {:?} read as {:?}", s, r),
                }
                let again = Policy::from_json(&policy.to_wire()).unwrap();
                prop_assert_eq!(&again, &policy);
                let view = PolicyView::new(&policy, None, Cloud::Global);
                prop_assert_eq!(view.allowed_roles.len(), policy.allowed_roles.len());
            }
        }
    }
}
