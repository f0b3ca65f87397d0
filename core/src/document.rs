//! The policy document: the photo update policy as code (Export writes it, Import applies it,
//! Test compares a tenant with it, backups are such documents).
//!
//! ```json
//! {
//!   "schemaVersion": 1,
//!   "tenantId": "8a4a5f2e-…",
//!   "cloud": "Global",
//!   "exportedAt": "2026-11-27T10:00:00Z",
//!   "source": "cloud",
//!   "allowedRoles": [ { "id": "62e90394-69f5-4237-9190-012177145e10", "name": "Global Administrator" } ],
//!   "additionalProperties": { "someNewProperty": 1 }
//! }
//! ```
//!
//! The writer always writes every field. The reader is strict (a desired state that is silently
//! misread would be applied to real tenants): unknown fields, wrong types, an unknown
//! `schemaVersion`, an unknown source or role → an error naming the field and the value. It also
//! accepts hand-written documents: roles as names, aliases or IDs (strings) or `{"id"}` /
//! `{"name"}` objects, `source: "notSet"` for null, and `source` or `allowedRoles` left out to
//! leave that property unmanaged (neither compared nor changed). `tenantId`, `cloud` and
//! `exportedAt` are informational. Field names are read in any casing (`Source` is `source`, as
//! in the service's own answers); the same field twice in different casings with different values
//! is refused. `additionalProperties` (what the service sent that this
//! version does not model) are kept for the record; they are neither applied nor compared, since
//! their meaning is unknown.

use std::marker::PhantomData;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Map, Value};

use crate::cloud::Cloud;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{json_kind, PolicyView, RoleView};
use crate::plan::{ChangeRequest, SourceChange};
use crate::roles;

/// The only `schemaVersion` this version reads and writes.
pub const SCHEMA_VERSION: u64 = 1;

/// The fields a document may have (for error messages).
const FIELDS: &str = "schemaVersion, tenantId, cloud, exportedAt, source, allowedRoles, \
                      allowUnknownRoleIds, allowServiceRefusedRoles, additionalProperties";

/// A role in a document: its template ID and, when the catalog knows it, its name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentRole {
    /// Role template ID (lower-case GUID).
    pub id: String,
    /// Display name from the catalog; `None` for a role outside it.
    pub name: Option<String>,
}

/// A policy document, validated: what a tenant should look like. Written with
/// [`PolicyDocument::to_json`] (one shape only, the file's).
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u64,
    /// The tenant the document came from (informational).
    pub tenant_id: Option<String>,
    /// The cloud the document came from (informational).
    pub cloud: Option<Cloud>,
    /// When it was exported (UTC RFC 3339), when known.
    pub exported_at: Option<String>,
    /// The desired source; `None` = not managed by this document.
    pub source: Option<SourceChange>,
    /// The desired allowed roles (deduplicated, in document order); `None` = not managed.
    pub allowed_roles: Option<Vec<DocumentRole>>,
    /// Let role IDs outside the catalog through (a backup of a tenant holding such a role).
    pub allow_unknown_role_ids: bool,
    /// Let roles the service refuses in `allowedRoles` through, with a warning (a backup of a
    /// tenant holding such a role; Import/Test `-AllowRefusedRole`).
    pub allow_service_refused_roles: bool,
    /// Properties the service sent that this version does not model, kept verbatim.
    pub additional_properties: Map<String, Value>,
}

/// The document spelling of a desired source (`notSet` for the tenant default).
pub fn source_wire(source: SourceChange) -> &'static str {
    match source {
        SourceChange::Cloud => "cloud",
        SourceChange::OnPremises => "onPremises",
        SourceChange::NotSet => "notSet",
    }
}

/// The policy value a desired source stands for (`None` = not set), as the Policy JSON shows it.
pub fn source_value(source: SourceChange) -> Option<&'static str> {
    match source {
        SourceChange::Cloud => Some("cloud"),
        SourceChange::OnPremises => Some("onPremises"),
        SourceChange::NotSet => None,
    }
}

impl PolicyDocument {
    /// The document of a policy as read from a tenant, stamped `exported_at`.
    ///
    /// A role outside the catalog sets `allowUnknownRoleIds`, so the document (a backup in
    /// particular) can always be imported again as it is.
    pub fn from_view(view: &PolicyView, exported_at: DateTime<Utc>) -> PolicyDocument {
        let source = match view.source.as_deref() {
            None => SourceChange::NotSet,
            // An unknown value cannot be set again; it is written as read and the reader will
            // name it. Known values always parse.
            Some(s) => SourceChange::parse(s).unwrap_or(SourceChange::NotSet),
        };
        let unknown_source = view.source.is_some() && !view.source_known;
        let mut additional = view.additional_properties.clone();
        if unknown_source {
            // Keep the unknown value for the record rather than pretending it was not set.
            additional.insert(
                "source".into(),
                Value::String(view.source.clone().unwrap_or_default()),
            );
        }
        PolicyDocument {
            schema_version: SCHEMA_VERSION,
            tenant_id: view.tenant_id.clone(),
            cloud: Some(view.cloud),
            exported_at: Some(exported_at.to_rfc3339_opts(SecondsFormat::Secs, true)),
            source: if unknown_source { None } else { Some(source) },
            allowed_roles: Some(
                view.allowed_roles
                    .iter()
                    .map(|r| DocumentRole {
                        id: r.id.clone(),
                        name: r.name.clone(),
                    })
                    .collect(),
            ),
            allow_unknown_role_ids: view.allowed_roles.iter().any(|r| !r.known),
            allow_service_refused_roles: view.allowed_roles.iter().any(|r| {
                roles::by_id(&r.id).is_some_and(|i| i.status == roles::RoleStatus::Refused)
            }),
            additional_properties: additional,
        }
    }

    /// The document as JSON in its file shape (`source: null` for the tenant default; fields
    /// that are not managed are left out).
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("schemaVersion".into(), json!(self.schema_version));
        obj.insert("tenantId".into(), json!(self.tenant_id));
        obj.insert("cloud".into(), json!(self.cloud.map(Cloud::name)));
        obj.insert("exportedAt".into(), json!(self.exported_at));
        if let Some(source) = self.source {
            obj.insert("source".into(), json!(source_value(source)));
        }
        if let Some(roles) = &self.allowed_roles {
            obj.insert("allowedRoles".into(), json!(roles));
        }
        if self.allow_unknown_role_ids {
            obj.insert("allowUnknownRoleIds".into(), Value::Bool(true));
        }
        if self.allow_service_refused_roles {
            obj.insert("allowServiceRefusedRoles".into(), Value::Bool(true));
        }
        obj.insert(
            "additionalProperties".into(),
            Value::Object(self.additional_properties.clone()),
        );
        Value::Object(obj)
    }

    /// The document as pretty JSON text with a final newline (what files hold; diffs well).
    pub fn to_text(&self) -> String {
        let mut text =
            serde_json::to_string_pretty(&self.to_json()).unwrap_or_else(|_| "{}".to_string());
        text.push('\n');
        text
    }

    /// Parses and validates document text. Not JSON → [`ErrorKind::InvalidJson`]; see
    /// [`PolicyDocument::from_json`] for the rest.
    pub fn from_text(text: &str) -> Result<PolicyDocument> {
        // A byte order mark is what Windows PowerShell 5.1's Out-File/Set-Content write.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // Two equal keys: serde_json keeps the last, which would silently drop the first
        // (`allowedRoles` given twice has lifted a restriction). Refused, naming the key.
        let checked = crate::json_input::check_no_duplicate_keys(text).map_err(|e| e.to_string());
        let value: Value = checked
            .and_then(|()| serde_json::from_str(text).map_err(|e| e.to_string()))
            .map_err(|e| {
                Error::new(
                    ErrorKind::InvalidJson,
                    format!("The policy document is not valid JSON: {e}."),
                )
            })?;
        PolicyDocument::from_json(&value)
    }

    /// Validates a parsed document (strict; see the module docs). Field names are folded to
    /// their spelling first; serde then reads each field as its type ([`DocumentFields`]). Wrong
    /// types and unknown fields → [`ErrorKind::InvalidJson`]; a wrong `schemaVersion`, source,
    /// cloud, date or role → [`ErrorKind::InvalidArgument`]. Each message names the field and
    /// the value.
    pub fn from_json(value: &Value) -> Result<PolicyDocument> {
        let obj = value.as_object().ok_or_else(|| {
            shape(format!(
                "The policy document must be a JSON object, got {}.",
                json_kind(value)
            ))
        })?;
        let folded = fold_keys(obj, &FIELDS.split(", ").collect::<Vec<_>>(), |unknown| {
            shape(format!(
                "The policy document has an unknown field '{unknown}'. Allowed fields: {FIELDS}."
            ))
        })?;
        let fields: DocumentFields =
            serde_json::from_value(Value::Object(folded)).map_err(|e| shape(e.to_string()))?;

        let Some(version) = fields.schema_version.map(Typed::into_inner) else {
            return Err(shape(format!(
                "The policy document has no 'schemaVersion'; this version reads schemaVersion \
                 {SCHEMA_VERSION}."
            )));
        };
        if version.as_u64() != Some(SCHEMA_VERSION) {
            return Err(invalid(
                format!(
                    "Unsupported schemaVersion {version}: this version of PhotoUpdatePolicy reads \
                     schemaVersion {SCHEMA_VERSION}."
                ),
                "schemaVersion",
            )
            .with_recommended_action(
                "Update the PhotoUpdatePolicy module, or export the document again with this version.",
            ));
        }

        let tenant_id = fields.tenant_id.and_then(Typed::into_inner);
        let cloud = fields
            .cloud
            .and_then(Typed::into_inner)
            .map(|c| Cloud::parse(&c).map_err(|e| e.with_target("cloud")))
            .transpose()?;
        let exported_at = fields.exported_at.and_then(Typed::into_inner);
        if let Some(at) = &exported_at {
            DateTime::parse_from_rfc3339(at).map_err(|e| {
                invalid(
                    format!("'exportedAt' must be an RFC 3339 date and time, got '{at}' ({e})."),
                    "exportedAt",
                )
            })?;
        }
        let allow_unknown = fields
            .allow_unknown_role_ids
            .and_then(Typed::into_inner)
            .unwrap_or(false);
        let allow_refused = fields
            .allow_service_refused_roles
            .and_then(Typed::into_inner)
            .unwrap_or(false);

        let source = match fields.source.map(Typed::into_inner) {
            None => None,
            Some(None) => Some(SourceChange::NotSet),
            Some(Some(s)) => Some(SourceChange::parse(&s).map_err(|_| {
                invalid(
                    format!(
                        "'source' has the value '{s}'. Allowed values: cloud, onPremises, null (or \
                         notSet) for the tenant default."
                    ),
                    "source",
                )
            })?),
        };

        let allowed_roles = match fields.allowed_roles.map(Typed::into_inner) {
            None => None,
            // `null` reads as "no restriction", as the service's own null does.
            Some(None) => Some(Vec::new()),
            Some(Some(items)) => Some(read_roles(&items, allow_unknown, allow_refused)?),
        };

        let additional_properties = fields
            .additional_properties
            .and_then(Typed::into_inner)
            .unwrap_or_default();

        if source.is_none() && allowed_roles.is_none() {
            return Err(invalid(
                "The policy document sets neither 'source' nor 'allowedRoles'; give at least one \
                 (use null for the tenant default)."
                    .to_string(),
                "source",
            ));
        }

        // Roles only with source cloud: such a document could never be applied.
        if let (Some(s @ (SourceChange::OnPremises | SourceChange::NotSet)), Some(roles)) =
            (source, &allowed_roles)
        {
            if !roles.is_empty() {
                let names: Vec<String> = roles
                    .iter()
                    .map(|r| r.name.clone().unwrap_or_else(|| r.id.clone()))
                    .collect();
                return Err(invalid(
                    format!(
                        "The policy document restricts 'allowedRoles' ({}) while its 'source' is \
                         {}: the service accepts allowed roles only when the source is Cloud. \
                         Set \"allowedRoles\": [] to lift the restriction, or \"source\": \
                         \"cloud\".",
                        names.join(", "),
                        s.display()
                    ),
                    "allowedRoles",
                ));
            }
        }

        Ok(PolicyDocument {
            schema_version: SCHEMA_VERSION,
            tenant_id,
            cloud,
            exported_at,
            source,
            allowed_roles,
            allow_unknown_role_ids: allow_unknown,
            allow_service_refused_roles: allow_refused,
            additional_properties,
        })
    }

    /// What an admin should know before this document is applied: roles the service refuses
    /// (let through with `allowServiceRefusedRoles`), deprecated roles, IDs outside the catalog.
    pub fn warnings(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in self.allowed_roles.iter().flatten() {
            let Ok(role) = roles::resolve_one(&r.id, true) else {
                continue;
            };
            let refused = roles::check_service_accepts(&role, true).ok().flatten();
            for w in refused.into_iter().chain(role.warning()) {
                if !out.contains(&w) {
                    out.push(w);
                }
            }
        }
        out
    }

    /// The change request that brings a tenant to this document's state (full role list, never
    /// a delta, so applying it twice changes nothing the second time).
    pub fn change_request(&self) -> ChangeRequest {
        ChangeRequest {
            source: self.source.map(|s| source_wire(s).to_string()),
            allowed_roles: self
                .allowed_roles
                .as_ref()
                .map(|roles| roles.iter().map(|r| r.id.clone()).collect()),
            allow_unknown_role_ids: self.allow_unknown_role_ids,
            allow_service_refused_roles: self.allow_service_refused_roles,
            ..ChangeRequest::default()
        }
    }

    /// For people: `Source: Cloud; Allowed roles: Global Administrator` (unmanaged parts say so).
    pub fn summary(&self) -> String {
        let source = match self.source {
            None => "(not managed)".to_string(),
            Some(s) => s.display().to_string(),
        };
        let roles = match &self.allowed_roles {
            None => "(not managed)".to_string(),
            Some(r) if r.is_empty() => "(everyone)".to_string(),
            Some(r) => r
                .iter()
                .map(|r| r.name.clone().unwrap_or_else(|| r.id.clone()))
                .collect::<Vec<_>>()
                .join(", "),
        };
        format!("Source: {source}; Allowed roles: {roles}")
    }
}

/// A document's fields as written (after [`fold_keys`]), each read by serde as its JSON type.
/// A field left out is `None`; a field given as `null` is `Some` of the type's null reading.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DocumentFields {
    #[serde(default, deserialize_with = "present")]
    schema_version: Option<Typed<serde_json::Number, SchemaVersionField>>,
    #[serde(default, deserialize_with = "present")]
    tenant_id: Option<Typed<Option<String>, TenantIdField>>,
    #[serde(default, deserialize_with = "present")]
    cloud: Option<Typed<Option<String>, CloudField>>,
    #[serde(default, deserialize_with = "present")]
    exported_at: Option<Typed<Option<String>, ExportedAtField>>,
    #[serde(default, deserialize_with = "present")]
    source: Option<Typed<Option<String>, SourceField>>,
    #[serde(default, deserialize_with = "present")]
    allowed_roles: Option<Typed<Option<Vec<Value>>, AllowedRolesField>>,
    #[serde(default, deserialize_with = "present")]
    allow_unknown_role_ids: Option<Typed<Option<bool>, AllowUnknownRoleIdsField>>,
    #[serde(default, deserialize_with = "present")]
    allow_service_refused_roles: Option<Typed<Option<bool>, AllowServiceRefusedRolesField>>,
    #[serde(default, deserialize_with = "present")]
    additional_properties: Option<Typed<Option<Map<String, Value>>, AdditionalPropertiesField>>,
}

/// Reads a field that is present (even as `null`) as `Some`, so that `null` and "left out" stay
/// apart (`"source": null` sets the tenant default; no `source` leaves it unmanaged).
fn present<'de, D, T>(d: D) -> std::result::Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// A document field: its name and what its value must be, for the message when it is not.
trait FieldSpec {
    const NAME: &'static str;
    const EXPECTED: &'static str;
}

macro_rules! field_specs {
    ($($marker:ident: $name:literal must be $expected:literal;)*) => {$(
        enum $marker {}
        impl FieldSpec for $marker {
            const NAME: &'static str = $name;
            const EXPECTED: &'static str = $expected;
        }
    )*};
}

field_specs! {
    SchemaVersionField: "schemaVersion" must be "a number";
    TenantIdField: "tenantId" must be "a string or null";
    CloudField: "cloud" must be "a string or null";
    ExportedAtField: "exportedAt" must be "a string or null";
    SourceField: "source" must be "a string or null";
    AllowedRolesField: "allowedRoles" must be "an array of roles (names, IDs or {\"id\",\"name\"} objects)";
    AllowUnknownRoleIdsField: "allowUnknownRoleIds" must be "true or false";
    AllowServiceRefusedRolesField: "allowServiceRefusedRoles" must be "true or false";
    AdditionalPropertiesField: "additionalProperties" must be "an object";
}

/// A field's value read as `T`; a value of another JSON type is refused with a message naming
/// the field, what it must be and what it got (`'source' must be a string or null, got a
/// number (3).`).
struct Typed<T, F>(T, PhantomData<F>);

impl<T, F> Typed<T, F> {
    fn into_inner(self) -> T {
        self.0
    }
}

impl<'de, T: DeserializeOwned, F: FieldSpec> Deserialize<'de> for Typed<T, F> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        T::deserialize(&value)
            .map(|t| Typed(t, PhantomData))
            .map_err(|_| {
                D::Error::custom(format!(
                    "'{}' must be {}, got {} ({value}).",
                    F::NAME,
                    F::EXPECTED,
                    json_kind(&value)
                ))
            })
    }
}

/// Reads the role list: strings (names, aliases, IDs) or objects with `id` and/or `name`.
fn read_roles(
    items: &[Value],
    allow_unknown: bool,
    allow_refused: bool,
) -> Result<Vec<DocumentRole>> {
    let mut out: Vec<DocumentRole> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let field = format!("allowedRoles[{i}]");
        let input = match item {
            Value::String(s) => s.clone(),
            Value::Object(m) => {
                let m = &fold_keys(m, &["id", "name"], |k| {
                    shape(format!(
                        "'{field}' has an unknown field '{k}'. A role object has 'id' and/or 'name'."
                    ))
                })?;
                let id = role_text(m.get("id"), &field, "id")?;
                let name = role_text(m.get("name"), &field, "name")?;
                match (id, name) {
                    // The ID is what counts; a name that disagrees is a hand edit gone wrong.
                    (Some(id), name) => {
                        let role = resolve(&id, allow_unknown, allow_refused, &field)?;
                        if let (Some(name), Some(known)) = (&name, &role.name) {
                            let by_name = roles::resolve_one(name, false).ok();
                            if by_name.is_some_and(|r| r.id != role.id) {
                                return Err(invalid(
                                    format!(
                                        "'{field}' names '{name}' but its id {id} is {known}; fix \
                                         one of them."
                                    ),
                                    &field,
                                ));
                            }
                        }
                        push(&mut out, role);
                        continue;
                    }
                    (None, Some(name)) => name,
                    (None, None) => {
                        return Err(shape(format!(
                            "'{field}' is an object without 'id' or 'name'."
                        )))
                    }
                }
            }
            other => {
                return Err(shape(format!(
                    "'{field}' must be a role name, a role template ID or an {{\"id\",\"name\"}} \
                     object, got {} ({other}).",
                    json_kind(other)
                )))
            }
        };
        let role = resolve(&input, allow_unknown, allow_refused, &field)?;
        push(&mut out, role);
    }
    Ok(out)
}

/// The object with its field names spelled as `known` spells them: names are matched
/// case-insensitively (and trimmed), as the service's own answers are read, so `Source` in a
/// hand-written document is `source`. A name outside `known` → `unknown(name)`; the same field
/// twice in different spellings with different values → [`ErrorKind::InvalidJson`] naming both.
fn fold_keys(
    obj: &Map<String, Value>,
    known: &[&str],
    unknown: impl Fn(&str) -> Error,
) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    let mut spelled: Vec<(&str, &str)> = Vec::new();
    for (key, value) in obj {
        let Some(name) = known.iter().find(|f| f.eq_ignore_ascii_case(key.trim())) else {
            return Err(unknown(key));
        };
        if let Some((_, first)) = spelled.iter().find(|(n, _)| n == name) {
            if out.get(*name) != Some(value) {
                return Err(shape(format!(
                    "The field '{name}' appears twice, as '{first}' and '{key}', with different \
                     values; keep one."
                )));
            }
            continue;
        }
        spelled.push((name, key));
        out.insert(name.to_string(), value.clone());
    }
    Ok(out)
}

fn push(out: &mut Vec<DocumentRole>, role: DocumentRole) {
    if !out.iter().any(|r| r.id == role.id) {
        out.push(role);
    }
}

fn resolve(
    input: &str,
    allow_unknown: bool,
    allow_refused: bool,
    field: &str,
) -> Result<DocumentRole> {
    let in_field = |e: Error| Error::new(e.kind(), format!("'{field}': {}", e.message()));
    let role = roles::resolve_one(input, allow_unknown).map_err(|e| {
        let unknown_id = roles::normalize_guid(input)
            .is_some_and(|id| roles::by_id(&id).is_none() && roles::not_usable_by_id(&id).is_none());
        let mut err = if unknown_id {
            // The document's own opt-in, not the cmdlet parameter the core names.
            Error::invalid_argument(format!(
                "'{field}': role template ID '{}' is not in the catalog of roles accepted in \
                 allowedRoles.",
                input.trim()
            ))
            .with_recommended_action(
                "Use a role from Get-PhotoUpdatePolicyRole, or add \"allowUnknownRoleIds\": true to \
                 the document to accept role template IDs outside the catalog.",
            )
        } else {
            let mut err = in_field(e.clone());
            if let Some(a) = e.recommended_action() {
                err = err.with_recommended_action(a.to_string());
            }
            err
        };
        err = err.with_target(input.to_string());
        err
    })?;
    roles::check_service_accepts(&role, allow_refused).map_err(|e| {
        let mut err = in_field(e.clone()).with_target(input.to_string());
        if let Some(a) = e.recommended_action() {
            err = err.with_recommended_action(a.to_string());
        }
        err
    })?;
    let view = RoleView::from_id(&role.id);
    Ok(DocumentRole {
        id: view.id,
        name: view.name,
    })
}

fn role_text(v: Option<&Value>, field: &str, key: &str) -> Result<Option<String>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(shape(format!(
            "'{field}.{key}' must be a string, got {} ({other}).",
            json_kind(other)
        ))),
    }
}

fn shape(message: String) -> Error {
    Error::new(ErrorKind::InvalidJson, message)
}

fn invalid(message: String, field: &str) -> Error {
    Error::invalid_argument(message).with_target(field.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Policy;

    const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
    const PA: &str = "024906de-61e5-49c8-8572-40335f1e0e10";

    fn err(v: Value) -> Error {
        PolicyDocument::from_json(&v).expect_err("should be refused")
    }

    #[test]
    fn export_round_trips_through_the_reader() {
        let policy = Policy::from_json(&json!({
            "source": "cloud",
            "allowedRoles": [GA, PA],
            "newThing": {"a": 1}
        }))
        .unwrap();
        let view = PolicyView::new(&policy, Some("t1".into()), Cloud::USGov);
        let at = DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let doc = PolicyDocument::from_view(&view, at);
        let text = doc.to_text();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["schemaVersion"], json!(1));
        assert_eq!(v["cloud"], json!("USGov"));
        assert_eq!(v["exportedAt"], json!("2026-11-27T10:00:00Z"));
        assert_eq!(v["source"], json!("cloud"));
        assert_eq!(
            v["allowedRoles"][1],
            json!({"id": PA, "name": "People Administrator"})
        );
        assert_eq!(v["additionalProperties"]["newThing"], json!({"a": 1}));
        assert_eq!(PolicyDocument::from_text(&text).unwrap(), doc);
        let change = doc.change_request();
        assert_eq!(change.source.as_deref(), Some("cloud"));
        assert_eq!(change.allowed_roles, Some(vec![GA.into(), PA.into()]));
    }

    #[test]
    fn default_policy_exports_source_null_and_empty_roles() {
        let view = PolicyView::new(&Policy::default(), None, Cloud::Global);
        let doc = PolicyDocument::from_view(&view, Utc::now());
        let v = doc.to_json();
        assert_eq!(v["source"], Value::Null);
        assert_eq!(v["allowedRoles"], json!([]));
        let back = PolicyDocument::from_json(&v).unwrap();
        assert_eq!(back.source, Some(SourceChange::NotSet));
        assert_eq!(back.allowed_roles, Some(vec![]));
    }

    #[test]
    fn hand_written_documents_with_names_are_accepted() {
        let doc = PolicyDocument::from_json(&json!({
            "schemaVersion": 1,
            "source": "Cloud",
            "allowedRoles": ["Global Administrator", {"name": "People Administrator"}, GA.to_uppercase()]
        }))
        .unwrap();
        assert_eq!(doc.source, Some(SourceChange::Cloud));
        let ids: Vec<_> = doc
            .allowed_roles
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, vec![GA.to_string(), PA.to_string()]);
        let only_roles =
            PolicyDocument::from_json(&json!({"schemaVersion": 1, "allowedRoles": []})).unwrap();
        assert_eq!(only_roles.source, None);
        assert_eq!(only_roles.change_request().source, None);
    }

    #[test]
    fn field_names_are_read_case_insensitively() {
        let doc = PolicyDocument::from_json(&json!({
            "SchemaVersion": 1,
            "Source": "Cloud",
            "ALLOWEDROLES": [{"ID": GA, "Name": "Global Administrator"}, {"NAME": "People Administrator"}],
            "additionalproperties": {"Kept": 1}
        }))
        .unwrap();
        assert_eq!(doc.source, Some(SourceChange::Cloud));
        let ids: Vec<_> = doc
            .allowed_roles
            .clone()
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(ids, vec![GA.to_string(), PA.to_string()]);
        assert_eq!(doc.additional_properties["Kept"], json!(1));
        // Written back once, camel case.
        let v = doc.to_json();
        assert_eq!(v["source"], json!("cloud"));
        assert!(v.get("Source").is_none());
        assert_eq!(PolicyDocument::from_json(&v).unwrap(), doc);

        // The same field twice: agreeing is read once, disagreeing is refused naming both.
        let same = PolicyDocument::from_json(
            &json!({"schemaVersion": 1, "source": "cloud", "Source": "cloud"}),
        )
        .unwrap();
        assert_eq!(same.source, Some(SourceChange::Cloud));
        let e = err(json!({"schemaVersion": 1, "source": "cloud", "Source": null}));
        assert_eq!(e.kind(), ErrorKind::InvalidJson);
        assert!(
            e.message().contains("'source'") && e.message().contains("'Source'"),
            "{}",
            e.message()
        );
        let e = err(json!({"schemaVersion": 1, "allowedRoles": [{"id": GA, "Id": PA}]}));
        assert!(
            e.message().contains("'id'") && e.message().contains("'Id'"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn a_policy_read_in_any_casing_exports_and_imports_without_loss() {
        let policy = Policy::from_json(&json!({
            "@odata.context": "https://graph.microsoft.com/beta/$metadata#admin/people/photoUpdateSettings/$entity",
            "Source": "Cloud", "AllowedRoles": [PA], "futureThing": 2
        }))
        .unwrap();
        let view = PolicyView::new(&policy, None, Cloud::Global);
        let doc = PolicyDocument::from_view(&view, Utc::now());
        let v = doc.to_json();
        assert_eq!(v["source"], json!("cloud"));
        assert_eq!(
            v["allowedRoles"],
            json!([{"id": PA, "name": "People Administrator"}])
        );
        assert_eq!(v["additionalProperties"], json!({"futureThing": 2}));
        let back = PolicyDocument::from_text(&doc.to_text()).unwrap();
        assert_eq!(back, doc);
        assert_eq!(back.change_request().source.as_deref(), Some("cloud"));
    }

    #[test]
    fn roles_with_a_source_other_than_cloud_are_refused_naming_the_fix() {
        for source in [json!("onPremises"), json!(null), json!("notSet")] {
            let e = err(json!({"schemaVersion": 1, "source": source, "allowedRoles": ["GA"]}));
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{source}");
            assert!(
                e.message().contains("only when the source is Cloud"),
                "{}",
                e.message()
            );
            assert!(
                e.message().contains("\"allowedRoles\": []"),
                "{}",
                e.message()
            );
            assert_eq!(e.target(), Some("allowedRoles"));
        }
        let ok = PolicyDocument::from_json(
            &json!({"schemaVersion": 1, "source": "onPremises", "allowedRoles": []}),
        )
        .unwrap();
        assert_eq!(ok.change_request().allowed_roles, Some(vec![]));
    }

    #[test]
    fn roles_the_service_refuses_need_the_document_opt_in() {
        let e = err(json!({"schemaVersion": 1, "source": "cloud",
            "allowedRoles": ["GA", "Intune Administrator"]}));
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(
            e.message()
                .starts_with("'allowedRoles[1]': Intune Administrator holds"),
            "{}",
            e.message()
        );
        assert!(e
            .recommended_action()
            .unwrap()
            .contains("-AllowRefusedRole"));
        let doc = PolicyDocument::from_json(&json!({"schemaVersion": 1, "source": "cloud",
            "allowedRoles": ["Intune Administrator"], "allowServiceRefusedRoles": true}))
        .unwrap();
        assert!(
            doc.warnings()[0].contains("Intune Administrator is sent"),
            "{:?}",
            doc.warnings()
        );
        assert!(doc.change_request().allow_service_refused_roles);
        // A backup of a tenant holding such a role can be imported again as it is.
        let view = PolicyView::new(
            &Policy::from_json(&json!({"source": "cloud",
                "allowedRoles": ["3a2c62db-5318-420d-8d74-23affee5d9d5"]}))
            .unwrap(),
            None,
            Cloud::Global,
        );
        let backup = PolicyDocument::from_view(&view, Utc::now());
        assert_eq!(backup.to_json()["allowServiceRefusedRoles"], json!(true));
        assert_eq!(
            PolicyDocument::from_text(&backup.to_text()).unwrap(),
            backup
        );
        // Unknown IDs name the document's own opt-in, never a cmdlet parameter.
        let e = err(json!({"schemaVersion": 1, "source": "cloud",
            "allowedRoles": ["11111111-2222-3333-4444-555555555555"]}));
        assert!(e
            .recommended_action()
            .unwrap()
            .contains("\"allowUnknownRoleIds\": true"));
        assert!(
            !e.message().contains("-AllowUnknownRoleId"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn strict_reader_names_field_and_value() {
        let e = err(json!({"schemaVersion": 2, "source": null}));
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("schemaVersion 2"), "{}", e.message());

        let e = err(json!({"schemaVersion": "1", "source": null}));
        assert_eq!(e.kind(), ErrorKind::InvalidJson);
        assert!(e.message().contains("'schemaVersion'"), "{}", e.message());

        let e = err(json!({"schemaVersion": 1, "source": "hybrid"}));
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("'hybrid'"), "{}", e.message());

        let e = err(json!({"schemaVersion": 1, "allowedRoles": "Global Administrator"}));
        assert_eq!(e.kind(), ErrorKind::InvalidJson);
        assert!(e.message().contains("'allowedRoles'"), "{}", e.message());

        let unknown_id = "11111111-2222-3333-4444-555555555555";
        let e = err(json!({"schemaVersion": 1, "allowedRoles": [unknown_id]}));
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("allowedRoles[0]"), "{}", e.message());
        assert!(e.message().contains(unknown_id), "{}", e.message());
        let ok = PolicyDocument::from_json(
            &json!({"schemaVersion": 1, "allowedRoles": [unknown_id], "allowUnknownRoleIds": true}),
        )
        .unwrap();
        assert_eq!(ok.allowed_roles.unwrap()[0].id, unknown_id);

        let e = err(json!({"schemaVersion": 1, "source": null, "sauce": 1}));
        assert_eq!(e.kind(), ErrorKind::InvalidJson);
        assert!(e.message().contains("'sauce'"), "{}", e.message());

        let e = err(json!({"schemaVersion": 1, "source": null, "exportedAt": "yesterday"}));
        assert!(e.message().contains("'yesterday'"), "{}", e.message());

        let e = err(json!({"schemaVersion": 1}));
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);

        let e = PolicyDocument::from_text("{not json").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidJson);

        let e = err(
            json!({"schemaVersion": 1, "allowedRoles": [{"id": GA, "name": "People Administrator"}]}),
        );
        assert!(
            e.message().contains("People Administrator"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn each_field_of_the_wrong_type_is_named_with_what_it_must_be() {
        for (doc, message) in [
            (
                json!({"schemaVersion": 1, "source": 3}),
                "'source' must be a string or null, got a number (3).",
            ),
            (
                json!({"schemaVersion": 1, "source": null, "allowUnknownRoleIds": "yes"}),
                "'allowUnknownRoleIds' must be true or false, got a string (\"yes\").",
            ),
            (
                json!({"schemaVersion": 1, "source": null, "additionalProperties": []}),
                "'additionalProperties' must be an object, got an array ([]).",
            ),
            (
                json!({"schemaVersion": 1, "source": null, "tenantId": {"a": 1}}),
                "'tenantId' must be a string or null, got an object ({\"a\":1}).",
            ),
            (
                json!({"schemaVersion": 1, "allowedRoles": {"id": GA}}),
                "'allowedRoles' must be an array of roles",
            ),
        ] {
            let e = err(doc.clone());
            assert_eq!(e.kind(), ErrorKind::InvalidJson, "{doc}");
            assert!(e.message().contains(message), "{doc}: {}", e.message());
        }
        // A number that is not the supported version is a value error, not a type error.
        let e = err(json!({"schemaVersion": 1.5, "source": null}));
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("schemaVersion 1.5"), "{}", e.message());
    }

    #[test]
    fn null_and_left_out_stay_apart() {
        let doc = PolicyDocument::from_json(&json!({"schemaVersion": 1, "source": null})).unwrap();
        assert_eq!(doc.source, Some(SourceChange::NotSet));
        assert_eq!(doc.allowed_roles, None, "left out: not managed");
        let doc =
            PolicyDocument::from_json(&json!({"schemaVersion": 1, "allowedRoles": null})).unwrap();
        assert_eq!(doc.source, None);
        assert_eq!(doc.allowed_roles, Some(Vec::new()), "null: no restriction");
        let doc = PolicyDocument::from_json(
            &json!({"schemaVersion": 1, "source": "cloud", "allowUnknownRoleIds": null,
                    "additionalProperties": null, "tenantId": null}),
        )
        .unwrap();
        assert!(!doc.allow_unknown_role_ids);
        assert!(doc.additional_properties.is_empty());
        assert_eq!(doc.tenant_id, None);
    }
}
