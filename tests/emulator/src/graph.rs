//! Graph's side: `GET|PATCH|DELETE /beta/admin/people/photoUpdateSettings`, with the token checks,
//! permission checks and validation the service does, each unconfirmed detail per profile.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::clouds;
use crate::errors::{graph_error, graph_unauthorized, people_admin_error, RequestIds};
use crate::profile::{
    AcceptedRoles, DefaultAllowedRoles, DeleteBehavior, EnumCasing, NotSetRoles, OnPremisesRoles,
    PatchAnswer, PatchSourceNull, Profile, PropertyCasing, ReadShape, Refusal, RolesObject,
    SourceKey,
};
use crate::state::{json_kind, State};
use crate::tokens::Claims;

/// Global Administrator role template ID.
pub const GLOBAL_ADMINISTRATOR: &str = "62e90394-69f5-4237-9190-012177145e10";
/// User Administrator role template ID.
pub const USER_ADMINISTRATOR: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
/// People Administrator role template ID.
pub const PEOPLE_ADMINISTRATOR: &str = "024906de-61e5-49c8-8572-40335f1e0e10";
/// Global Reader role template ID (may read, not change).
pub const GLOBAL_READER: &str = "f2ef992c-3afb-46b9-b7cf-a126ee74c451";

/// Role IDs the service documents as accepted in `allowedRoles`.
pub const DOCUMENTED_ROLES: [&str; 3] = [
    GLOBAL_ADMINISTRATOR,
    USER_ADMINISTRATOR,
    PEOPLE_ADMINISTRATOR,
];

/// Role IDs that hold `users/photo/update` but whose acceptance is unconfirmed.
pub const UNCONFIRMED_ROLES: [&str; 4] = [
    "9360feb5-f418-4baa-8175-e2a00bac4301", // Directory Writers
    "3a2c62db-5318-420d-8d74-23affee5d9d5", // Intune Administrator
    "4ba39ca4-527c-499a-b93d-d9b492c50246", // Partner Tier1 Support
    "e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8", // Partner Tier2 Support
];

/// Permission to read the policy.
pub const READ_PERMISSION: &str = "PeopleSettings.Read.All";
/// Permission to change the policy.
pub const WRITE_PERMISSION: &str = "PeopleSettings.ReadWrite.All";

const SOURCES: [&str; 2] = ["cloud", "onPremises"];

/// The Graph host to name in `@odata.context`: the request's when it is a cloud's Graph host.
fn context_host(headers: &HeaderMap) -> &'static str {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(clouds::graph_host_of_header)
        .unwrap_or("graph.microsoft.com")
}

/// Checks the bearer token and the caller's permissions; the tenant is the token's `tid`.
fn authorize(
    state: &State,
    headers: &HeaderMap,
    write: bool,
    ids: &RequestIds,
) -> Result<Claims, Box<Response>> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = match auth.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ => "",
    };
    let expected_host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(clouds::graph_host_of_header);
    let claims = state
        .keys
        .verify(token, expected_host)
        .map_err(|r| Box::new(graph_unauthorized(r.message(), ids)))?;

    let scopes: Vec<&str> = claims
        .scp
        .as_deref()
        .map(|s| s.split_whitespace().collect())
        .unwrap_or_default();
    let roles: Vec<&str> = claims
        .roles
        .as_ref()
        .map(|r| r.iter().map(String::as_str).collect())
        .unwrap_or_default();
    let granted = |p: &str| {
        scopes.iter().any(|s| s.eq_ignore_ascii_case(p))
            || roles.iter().any(|s| s.eq_ignore_ascii_case(p))
    };
    let allowed = if write {
        granted(WRITE_PERMISSION)
    } else {
        granted(READ_PERMISSION) || granted(WRITE_PERMISSION)
    };
    let denied = || {
        Box::new(graph_error(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
            ids,
        ))
    };
    if !allowed {
        return Err(denied());
    }
    // A delegated caller also needs a directory role that may manage photos (reading: also
    // Global Reader). App-only callers need only the permission.
    if claims.scp.is_some() {
        let wids = claims.wids.clone().unwrap_or_default();
        let has = |id: &str| wids.iter().any(|w| w.eq_ignore_ascii_case(id));
        let manager = DOCUMENTED_ROLES.iter().any(|r| has(r));
        if !(manager || (!write && has(GLOBAL_READER))) {
            return Err(denied());
        }
    }
    Ok(claims)
}

/// The stored value of a property whose name matches `name` in any casing (the control API stores
/// objects verbatim, so a seeded `SOURCE` is the source).
fn stored_property<'a>(stored: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    stored
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// The policy object as the service shows it, without `@odata.context`.
fn entity(profile: &Profile, stored: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    if profile.include_id {
        out.insert(
            "@odata.type".into(),
            Value::String("#microsoft.graph.photoUpdateSettings".into()),
        );
        out.insert("id".into(), Value::String("photoUpdateSettings".into()));
    }
    let source_key = match profile.source_key {
        SourceKey::Pascal => "Source",
        SourceKey::Camel => "source",
        SourceKey::Upper => "SOURCE",
    };
    out.insert(
        source_key.into(),
        stored_property(stored, "source")
            .cloned()
            .unwrap_or(Value::Null),
    );
    match stored_property(stored, "allowedRoles") {
        Some(v) => {
            out.insert("allowedRoles".into(), v.clone());
        }
        None => match profile.default_allowed_roles {
            DefaultAllowedRoles::Null => {
                out.insert("allowedRoles".into(), Value::Null);
            }
            DefaultAllowedRoles::Empty => {
                out.insert("allowedRoles".into(), Value::Array(vec![]));
            }
            DefaultAllowedRoles::Object => {
                out.insert("allowedRoles".into(), Value::Object(Map::new()));
            }
            DefaultAllowedRoles::Missing => {}
        },
    }
    for (k, v) in stored {
        let known = k.eq_ignore_ascii_case("source") || k.eq_ignore_ascii_case("allowedRoles");
        if !known && k != "@odata.context" {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// The policy as a PATCH answer (and an entity read) shows it: `@odata.context` first.
pub fn render(profile: &Profile, stored: &Map<String, Value>, host: &str) -> Value {
    let mut out = Map::new();
    out.insert(
        "@odata.context".into(),
        Value::String(format!(
            "https://{host}/beta/$metadata#admin/people/photoUpdateSettings/$entity"
        )),
    );
    out.extend(entity(profile, stored));
    Value::Object(out)
}

/// The policy as a GET shows it: the entity, or a collection per the `read` profile.
pub fn render_read(profile: &Profile, stored: &Map<String, Value>, host: &str) -> Value {
    let items = match profile.read_shape {
        ReadShape::Entity => return render(profile, stored, host),
        ReadShape::List => vec![Value::Object(entity(profile, stored))],
        ReadShape::EmptyList => vec![],
        ReadShape::TwoItems => vec![
            Value::Object(entity(profile, stored)),
            Value::Object(entity(profile, stored)),
        ],
    };
    json!({
        "@odata.context": format!("https://{host}/beta/$metadata#admin/people/photoUpdateSettings"),
        "value": items,
    })
}

fn bad_request(message: &str, ids: &RequestIds) -> Response {
    graph_error(StatusCode::BAD_REQUEST, "BadRequest", message, ids)
}

/// The service's own field message for a role it does not accept.
pub const UNSUPPORTED_ROLE_MESSAGE: &str = "Unsupported role for cloud photo update settings.";
/// The service's own field message for roles sent while the source is not cloud.
pub const ROLES_ONLY_WITH_CLOUD_MESSAGE: &str =
    "Roles should be passed only for cloud photo update settings.";

/// What one PATCH asks for, bound to the known properties.
#[derive(Default)]
struct PatchRequest {
    /// `Some(v)` when the body names the source (`v` = canonical value or null).
    source: Option<Value>,
    /// `Some(v)` when the body names the roles (`v` = an array of IDs or null).
    roles: Option<Value>,
    /// Role IDs the profile does not accept (refused after binding, with the other checks).
    refused_roles: Vec<String>,
}

/// Which known property a body key binds to, per the `propertyCasing` profile.
fn bind_name(profile: &Profile, key: &str) -> Option<&'static str> {
    ["source", "allowedRoles"].into_iter().find(|name| {
        *name == key
            || (profile.property_casing == PropertyCasing::Lenient
                && name.eq_ignore_ascii_case(key))
    })
}

/// Validates a PATCH body into what it asks for. The error is Graph's answer (the OData layer's:
/// shapes, names, enum values, GUID syntax; the PeopleAdmin checks come later).
fn validate_patch(
    profile: &Profile,
    body: &Value,
    ids: &RequestIds,
) -> Result<PatchRequest, Box<Response>> {
    let obj = body.as_object().ok_or_else(|| {
        Box::new(bad_request(
            &format!(
                "The request body must be a JSON object with source and/or allowedRoles, not {}.",
                json_kind(body)
            ),
            ids,
        ))
    })?;
    let mut request = PatchRequest::default();
    for (key, value) in obj {
        if key.starts_with("@odata.") {
            continue; // OData annotations are allowed and carry no data.
        }
        let name = bind_name(profile, key).ok_or_else(|| {
            Box::new(bad_request(
                &format!(
                    "Invalid property '{key}': the type 'microsoft.graph.photoUpdateSettings' has the properties 'source' and 'allowedRoles'."
                ),
                ids,
            ))
        })?;
        let twice = || {
            Box::new(bad_request(
                &format!("The property '{name}' appears more than once in the request body."),
                ids,
            ))
        };
        if name == "source" {
            if request.source.is_some() {
                return Err(twice());
            }
            request.source = Some(validate_source(profile, value, ids)?);
        } else {
            if request.roles.is_some() {
                return Err(twice());
            }
            let (roles, refused) = validate_roles(profile, value, ids)?;
            request.roles = Some(roles);
            request.refused_roles = refused;
        }
    }
    Ok(request)
}

/// Whether an `allowedRoles` value lists at least one role (array or object form).
fn lists_roles(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        _ => false,
    }
}

/// The PeopleAdmin checks on the policy a PATCH would leave: roles the service does not accept,
/// and roles with a source other than cloud. Answers the refusal, or `None` to go ahead.
fn refusal(
    profile: &Profile,
    stored: &Map<String, Value>,
    request: &PatchRequest,
    ids: &RequestIds,
) -> Option<Response> {
    let source = match &request.source {
        Some(v) => v.as_str().map(str::to_string),
        None => stored_property(stored, "source")
            .and_then(Value::as_str)
            .map(str::to_string),
    };
    let roles = match &request.roles {
        Some(v) => Some(v),
        None => stored_property(stored, "allowedRoles"),
    };
    let has_roles = lists_roles(roles);
    let sends_empty = matches!(&request.roles, Some(Value::Array(a)) if a.is_empty());
    let source_refused = match source.as_deref() {
        Some(s) if s.eq_ignore_ascii_case("cloud") => false,
        Some(s) if s.eq_ignore_ascii_case("onPremises") => match profile.on_premises_roles {
            OnPremisesRoles::Refused => has_roles,
            OnPremisesRoles::NullOnly => has_roles || sends_empty,
            OnPremisesRoles::Accepted => false,
        },
        // A stored value the service would not hold: leave it to the client.
        Some(_) => false,
        None => has_roles && profile.not_set_roles == NotSetRoles::Refused,
    };
    let roles_refused = !request.refused_roles.is_empty();
    if !roles_refused && !source_refused {
        return None;
    }
    Some(match profile.refusal {
        Refusal::PeopleAdmin => {
            let mut fields: Vec<(&str, &str)> = Vec::new();
            if roles_refused {
                fields.push(("AllowedRoles", UNSUPPORTED_ROLE_MESSAGE));
            }
            if source_refused {
                fields.push(("Source", ROLES_ONLY_WITH_CLOUD_MESSAGE));
            }
            let status =
                StatusCode::from_u16(profile.refusal_status).unwrap_or(StatusCode::BAD_REQUEST);
            people_admin_error(status, &fields, ids)
        }
        Refusal::Generic if roles_refused => graph_error(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            &format!(
                "Invalid value '{}' in 'allowedRoles': the role is not allowed to manage profile photos. Allowed role template IDs: {}.",
                request.refused_roles.join("', '"),
                accepted_roles(profile).join(", ")
            ),
            ids,
        ),
        Refusal::Generic => graph_error(
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "Invalid value for 'allowedRoles': roles may be set only when the source is 'cloud'.",
            ids,
        ),
    })
}

fn validate_source(
    profile: &Profile,
    value: &Value,
    ids: &RequestIds,
) -> Result<Value, Box<Response>> {
    match value {
        Value::Null => match profile.patch_source_null {
            PatchSourceNull::Accepted => Ok(Value::Null),
            PatchSourceNull::Refused => Err(Box::new(bad_request(
                "Invalid value null for property 'source': a value of 'cloud' or 'onPremises' is required.",
                ids,
            ))),
        },
        Value::String(s) => {
            let found = SOURCES.iter().find(|c| match profile.enum_casing {
                EnumCasing::Strict => **c == s.as_str(),
                EnumCasing::Lenient => c.eq_ignore_ascii_case(s),
            });
            match found {
                Some(c) => Ok(Value::String((*c).to_string())),
                None => Err(Box::new(bad_request(
                    &format!(
                        "Requested value '{s}' was not found for property 'source' of type 'microsoft.graph.photoUpdateSource'. Allowed values: cloud, onPremises."
                    ),
                    ids,
                ))),
            }
        }
        other => Err(Box::new(bad_request(
            &format!(
                "Invalid value for property 'source': expected a string ('cloud' or 'onPremises'), got {}.",
                json_kind(other)
            ),
            ids,
        ))),
    }
}

/// Whether a string is a GUID in the 8-4-4-4-12 hex form (no braces, no spaces).
pub fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The role IDs the profile accepts in `allowedRoles`.
fn accepted_roles(profile: &Profile) -> Vec<&'static str> {
    match profile.accepted_roles {
        AcceptedRoles::Documented => DOCUMENTED_ROLES.to_vec(),
        AcceptedRoles::All => DOCUMENTED_ROLES
            .iter()
            .chain(UNCONFIRMED_ROLES.iter())
            .copied()
            .collect(),
    }
}

/// Binds an `allowedRoles` value: an array of GUID strings, null, or (profile) an object whose keys
/// are the GUIDs. Answers the value to store (an array or null) and the IDs the profile does not
/// accept; a wrong shape is the OData layer's 400.
fn validate_roles(
    profile: &Profile,
    value: &Value,
    ids: &RequestIds,
) -> Result<(Value, Vec<String>), Box<Response>> {
    let items: Vec<Value> = match value {
        Value::Array(items) => items.clone(),
        // Clearing the collection with null is treated like [] by the service's OData layer.
        Value::Null => return Ok((Value::Null, vec![])),
        // The seed article's hash table of role ID -> null, serialised as an object.
        Value::Object(map) if profile.roles_object == RolesObject::Accepted => {
            map.keys().cloned().map(Value::String).collect()
        }
        other => {
            return Err(Box::new(bad_request(
                &format!(
                    "Invalid value for property 'allowedRoles': expected an array of role template IDs, got {}.",
                    json_kind(other)
                ),
                ids,
            )))
        }
    };
    let accepted = accepted_roles(profile);
    let mut refused = Vec::new();
    for item in &items {
        let s = match item {
            Value::String(s) => s,
            other => {
                return Err(Box::new(bad_request(
                    &format!(
                    "Invalid value in 'allowedRoles': expected a role template ID string, got {}.",
                    json_kind(other)
                ),
                    ids,
                )))
            }
        };
        if !is_guid(s) {
            return Err(Box::new(bad_request(
                &format!("Invalid value '{s}' in 'allowedRoles': it is not a GUID."),
                ids,
            )));
        }
        if !accepted.iter().any(|a| a.eq_ignore_ascii_case(s)) {
            refused.push(s.clone());
        }
    }
    Ok((Value::Array(items), refused))
}

/// `GET|PATCH|DELETE /beta/admin/people/photoUpdateSettings` (and DELETE on `/$ref`).
pub async fn photo_update_settings(
    AxState(state): AxState<Arc<State>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ids = RequestIds::from_headers(&headers);
    let is_ref = uri.path().ends_with("/$ref") || uri.path().ends_with("/%24ref");
    let write = method != Method::GET;
    if is_ref && method != Method::DELETE {
        return graph_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "BadRequest",
            "Specified HTTP method is not allowed for the request target.",
            &ids,
        );
    }
    if !matches!(method, Method::GET | Method::PATCH | Method::DELETE) {
        return graph_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "BadRequest",
            "Specified HTTP method is not allowed for the request target.",
            &ids,
        );
    }
    let claims = match authorize(&state, &headers, write, &ids) {
        Ok(c) => c,
        Err(resp) => return *resp,
    };
    let tenant = claims.tid;
    let host = context_host(&headers);
    let profile = state.profile();

    let mut resp = match method {
        Method::GET => {
            let stored = state
                .lock()
                .policies
                .get(&tenant)
                .cloned()
                .unwrap_or_default();
            (
                StatusCode::OK,
                axum::Json(render_read(&profile, &stored, host)),
            )
                .into_response()
        }
        Method::PATCH => {
            let content_type = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let media = content_type.split(';').next().unwrap_or("").trim();
            if !media.eq_ignore_ascii_case("application/json") {
                let shown = if content_type.is_empty() {
                    "(none)"
                } else {
                    content_type
                };
                return graph_error(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "UnsupportedMediaType",
                    &format!(
                        "The content type '{shown}' is not supported. Send the body as Content-Type: application/json."
                    ),
                    &ids,
                );
            }
            if body.iter().all(u8::is_ascii_whitespace) {
                return bad_request("Empty Payload. JSON content expected.", &ids);
            }
            let parsed: Value = match serde_json::from_slice(&body) {
                Ok(v) => v,
                Err(_) => {
                    return bad_request(
                        "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
                        &ids,
                    )
                }
            };
            let request = match validate_patch(&profile, &parsed, &ids) {
                Ok(r) => r,
                Err(resp) => return *resp,
            };
            // Checked and applied under one lock: a concurrent PATCH cannot slip in between.
            let updated = {
                let mut g = state.lock();
                let stored = g.policies.entry(tenant.clone()).or_default();
                if let Some(resp) = refusal(&profile, stored, &request, &ids) {
                    return resp;
                }
                for (name, value) in [("source", request.source), ("allowedRoles", request.roles)] {
                    if let Some(value) = value {
                        // The canonical name replaces a stored one in another casing.
                        stored.retain(|k, _| !k.eq_ignore_ascii_case(name));
                        stored.insert(name.to_string(), value);
                    }
                }
                stored.clone()
            };
            match profile.patch {
                PatchAnswer::Ok200 => {
                    (StatusCode::OK, axum::Json(render(&profile, &updated, host))).into_response()
                }
                PatchAnswer::NoContent204 => StatusCode::NO_CONTENT.into_response(),
            }
        }
        _ => match profile.delete {
            DeleteBehavior::Supported => {
                state.lock().policies.insert(tenant.clone(), Map::new());
                StatusCode::NO_CONTENT.into_response()
            }
            DeleteBehavior::Refused => {
                return graph_error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "BadRequest",
                    "Specified HTTP method is not allowed for the request target.",
                    &ids,
                )
            }
        },
    };
    ids.stamp(&mut resp);
    resp
}

/// Any other Graph path: Graph's answer for an unknown segment (this includes `/v1.0/...`, since
/// the policy exists in beta only).
pub async fn unknown_segment(uri: Uri, headers: HeaderMap) -> Response {
    let ids = RequestIds::from_headers(&headers);
    let segment = uri
        .path()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_string();
    graph_error(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        &format!("Resource not found for the segment '{segment}'."),
        &ids,
    )
}
