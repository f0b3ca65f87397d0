//! The catalog of directory roles that may appear in `allowedRoles`, and the resolution of what
//! admins type (names, aliases, template IDs with stray whitespace, braces or upper case) into
//! role template IDs.
//!
//! The catalog is the single source of truth for names and IDs: a popular tool's comments swapped
//! the Global and User Administrator GUIDs, so nothing else in the product spells a GUID out.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::{Error, Result};

/// One role of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleInfo {
    /// Display name, as Entra ID shows it.
    pub name: &'static str,
    /// Role template ID (lower-case GUID), the value `allowedRoles` holds.
    pub id: &'static str,
    /// Short names admins may type instead (matched like names: any case, spaces optional).
    pub aliases: &'static [&'static str],
    /// Microsoft documents the role as accepted in `allowedRoles`.
    pub documented: bool,
    /// The role is deprecated and not for general use: choosing it gives a warning.
    pub deprecated: bool,
    /// One line on why the role is in the catalog.
    pub note: &'static str,
}

static CATALOG: [RoleInfo; 7] = [
    RoleInfo {
        name: "Global Administrator",
        id: "62e90394-69f5-4237-9190-012177145e10",
        aliases: &["GlobalAdmin", "GA", "Company Administrator", "CompanyAdmin"],
        documented: true,
        deprecated: false,
        note: "Documented as accepted.",
    },
    RoleInfo {
        name: "User Administrator",
        id: "fe930be7-5e62-47db-91af-98c3a49a38b1",
        aliases: &["UserAdmin", "UA", "User Account Administrator"],
        documented: true,
        deprecated: false,
        note: "Documented as accepted.",
    },
    RoleInfo {
        name: "People Administrator",
        id: "024906de-61e5-49c8-8572-40335f1e0e10",
        aliases: &["PeopleAdmin"],
        documented: true,
        deprecated: false,
        note:
            "Documented as accepted since late 2024; the least-privileged role that manages photos.",
    },
    RoleInfo {
        name: "Directory Writers",
        id: "9360feb5-f418-4baa-8175-e2a00bac4301",
        aliases: &["DirectoryWriter", "DirWriters"],
        documented: false,
        deprecated: false,
        note: "Holds users/photo/update; acceptance by the service is unconfirmed.",
    },
    RoleInfo {
        name: "Intune Administrator",
        id: "3a2c62db-5318-420d-8d74-23affee5d9d5",
        aliases: &["IntuneAdmin", "Intune Service Administrator"],
        documented: false,
        deprecated: false,
        note: "Holds users/photo/update; acceptance by the service is unconfirmed.",
    },
    RoleInfo {
        name: "Partner Tier1 Support",
        id: "4ba39ca4-527c-499a-b93d-d9b492c50246",
        aliases: &["PartnerTier1"],
        documented: false,
        deprecated: true,
        note: "Deprecated role, not for general use.",
    },
    RoleInfo {
        name: "Partner Tier2 Support",
        id: "e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8",
        aliases: &["PartnerTier2"],
        documented: false,
        deprecated: true,
        note: "Deprecated role, not for general use.",
    },
];

/// Every role of the catalog, in documentation order.
pub fn catalog() -> &'static [RoleInfo] {
    &CATALOG
}

/// The catalog as the JSON of docs/c-abi.md:
/// `[{"name","id","aliases":[…],"documented","deprecated","note"}]`.
pub fn catalog_json() -> Value {
    Value::Array(
        CATALOG
            .iter()
            .map(|r| {
                json!({
                    "name": r.name,
                    "id": r.id,
                    "aliases": r.aliases,
                    "documented": r.documented,
                    "deprecated": r.deprecated,
                    "note": r.note,
                })
            })
            .collect(),
    )
}

/// The catalog entry for a role template ID (any case, whitespace or braces tolerated).
pub fn by_id(id: &str) -> Option<&'static RoleInfo> {
    let id = normalize_guid(id)?;
    CATALOG.iter().find(|r| r.id == id)
}

/// A GUID in its canonical form (lower case, hyphenated), tolerating surrounding whitespace and
/// braces; `None` when `input` is not a well-formed GUID.
pub fn normalize_guid(input: &str) -> Option<String> {
    let s = strip_braces(input.trim());
    // Only the hyphenated 36-character form and the 32-digit simple form: uuid also parses URNs,
    // which no admin types for a role.
    if s.len() != 36 && s.len() != 32 {
        return None;
    }
    uuid::Uuid::try_parse(s)
        .ok()
        .map(|u| u.hyphenated().to_string())
}

fn strip_braces(s: &str) -> &str {
    let s = s.trim();
    let s = s.strip_prefix('{').unwrap_or(s);
    let s = s.strip_suffix('}').unwrap_or(s);
    s.trim()
}

/// Name matching key: lower case, without whitespace, hyphens or underscores.
fn name_key(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether `s` looks like someone tried to type a GUID (only hex digits and hyphens, with a hyphen
/// or a digit), so a typo in it gets a GUID-specific message rather than "unknown name".
fn looks_like_guid(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
        && (s.contains('-') || s.chars().any(|c| c.is_ascii_digit()))
        && s.len() >= 8
}

/// One resolved role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedRole {
    /// What the caller typed, verbatim.
    pub input: String,
    /// Role template ID (lower case).
    pub id: String,
    /// Display name from the catalog; `None` for a well-formed ID the catalog does not know.
    pub name: Option<String>,
    /// Whether the role is in the catalog.
    pub known: bool,
}

impl ResolvedRole {
    /// The warning this role deserves, if any (deprecated role, or an ID outside the catalog).
    pub fn warning(&self) -> Option<String> {
        if !self.known {
            return Some(format!(
                "Role template ID {} is not in the catalog of roles known to be accepted in allowedRoles; \
                 it is sent as is because allowUnknownRoleIds is set. The service may reject it \
                 (custom roles are reportedly refused).",
                self.id
            ));
        }
        let info = by_id(&self.id)?;
        info.deprecated.then(|| {
            format!(
                "{} is a deprecated role and not for general use; prefer People Administrator or User Administrator.",
                info.name
            )
        })
    }

    /// The name when known, else the ID.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// A batch of role values to resolve (the `pup_roles_resolve` request).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResolveRequest {
    /// Names, aliases or template IDs.
    pub roles: Vec<String>,
    /// Let a well-formed GUID that is not in the catalog through (future roles), with a warning.
    #[serde(default)]
    pub allow_unknown_role_ids: bool,
}

/// The result of [`resolve`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolveResult {
    /// One entry per input, in input order.
    pub roles: Vec<ResolvedRole>,
    /// Warnings (deprecated roles, IDs outside the catalog).
    pub warnings: Vec<String>,
}

/// Resolves every role of `req`; the first invalid value fails the whole request.
pub fn resolve(req: &ResolveRequest) -> Result<ResolveResult> {
    let mut out = ResolveResult::default();
    for input in &req.roles {
        let role = resolve_one(input, req.allow_unknown_role_ids)?;
        if let Some(w) = role.warning() {
            if !out.warnings.contains(&w) {
                out.warnings.push(w);
            }
        }
        out.roles.push(role);
    }
    Ok(out)
}

/// Resolves one name, alias or template ID.
///
/// Errors ([`crate::ErrorKind::InvalidArgument`], target = the input): an empty value; a malformed
/// GUID; a well-formed GUID outside the catalog unless `allow_unknown_role_ids`; an unknown name
/// (the message lists the valid names and suggests the closest one).
pub fn resolve_one(input: &str, allow_unknown_ids: bool) -> Result<ResolvedRole> {
    // No role name or ID comes near this length; refuse early so a pasted file or a runaway
    // variable is neither scanned for a closest name nor echoed whole into the error.
    if input.chars().count() > MAX_ROLE_INPUT_CHARS {
        return Err(Error::invalid_argument(format!(
            "Role value {} is {} characters long; a role name or template ID has at most {} \
             characters. Use a role name such as 'People Administrator' or a role template ID.",
            shown(input),
            input.chars().count(),
            MAX_ROLE_INPUT_CHARS
        ))
        .with_target(shown(input)));
    }
    let stripped = strip_braces(input);
    if stripped.is_empty() {
        return Err(Error::invalid_argument(format!(
            "An empty role was given ('{input}'). Use a role name such as 'People Administrator' \
             or a role template ID."
        ))
        .with_target(input.to_string()));
    }

    if let Some(id) = normalize_guid(stripped) {
        return match CATALOG.iter().find(|r| r.id == id) {
            Some(info) => Ok(known(input, info)),
            None if allow_unknown_ids => Ok(ResolvedRole {
                input: input.to_string(),
                id,
                name: None,
                known: false,
            }),
            None => Err(Error::invalid_argument(format!(
                "Role template ID '{id}' is not in the catalog of roles accepted in allowedRoles. \
                 Valid roles: {}. To send an ID for a role added to Entra ID after this version, \
                 set allowUnknownRoleIds (-AllowUnknownRoleId).",
                valid_names()
            ))
            .with_target(input.to_string())
            .with_recommended_action(
                "Use a role from the catalog (Get-PhotoUpdatePolicyRole lists them), or allow unknown role IDs.",
            )),
        };
    }

    if looks_like_guid(stripped) {
        return Err(Error::invalid_argument(format!(
            "'{input}' is not a well-formed role template ID: a GUID has 32 hexadecimal digits in \
             the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx. Check for a missing or extra character, \
             or use the role's name (e.g. 'People Administrator')."
        ))
        .with_target(input.to_string()));
    }

    let key = name_key(stripped);
    if let Some(info) = CATALOG
        .iter()
        .find(|r| name_key(r.name) == key || r.aliases.iter().any(|a| name_key(a) == key))
    {
        return Ok(known(input, info));
    }

    let closest = closest_name(&key);
    Err(Error::invalid_argument(format!(
        "Unknown role '{}'.{} Valid names: {}; or a role template ID.",
        input.trim(),
        closest
            .map(|n| format!(" Did you mean '{n}'?"))
            .unwrap_or_default(),
        valid_names_with_aliases()
    ))
    .with_target(input.to_string())
    .with_recommended_action("Use one of the listed role names or aliases, or a role template ID."))
}

/// The longest role value accepted (names are under 40 characters, GUIDs with braces 38).
pub const MAX_ROLE_INPUT_CHARS: usize = 256;

/// `input` quoted for a message, cut to its first 60 characters when longer.
fn shown(input: &str) -> String {
    const KEEP: usize = 60;
    if input.chars().count() <= KEEP {
        format!("'{input}'")
    } else {
        let head: String = input.chars().take(KEEP).collect();
        format!("'{head}…'")
    }
}

fn known(input: &str, info: &RoleInfo) -> ResolvedRole {
    ResolvedRole {
        input: input.to_string(),
        id: info.id.to_string(),
        name: Some(info.name.to_string()),
        known: true,
    }
}

fn valid_names() -> String {
    CATALOG
        .iter()
        .map(|r| r.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn valid_names_with_aliases() -> String {
    CATALOG
        .iter()
        .map(|r| format!("{} ({})", r.name, r.aliases.join(", ")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The catalog name whose name or alias is closest to `key` (already a [`name_key`]), when one is
/// reasonably close.
fn closest_name(key: &str) -> Option<&'static str> {
    let mut best: Option<(f64, &'static str)> = None;
    for role in &CATALOG {
        for candidate in std::iter::once(role.name).chain(role.aliases.iter().copied()) {
            let score = strsim::jaro_winkler(key, &name_key(candidate));
            if best.is_none_or(|(b, _)| score > b) {
                best = Some((score, role.name));
            }
        }
    }
    // Below this the "suggestion" is noise (e.g. 'Helpdesk' → anything).
    best.filter(|(s, _)| *s >= 0.7).map(|(_, n)| n)
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_overlong_role_is_refused_without_echoing_it_whole() {
        let huge = "x".repeat(5_000);
        let err = resolve_one(&huge, false).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
        assert!(
            err.message().contains("5000 characters long"),
            "{}",
            err.message()
        );
        assert!(
            err.message().len() < 400,
            "message is {} bytes",
            err.message().len()
        );
        // A value at the limit is still judged on its content.
        let at_limit = "y".repeat(MAX_ROLE_INPUT_CHARS);
        assert!(resolve_one(&at_limit, false)
            .unwrap_err()
            .message()
            .starts_with("Unknown role"));
    }

    use super::*;
    use crate::ErrorKind;

    /// The table of docs/graph-photo-policy.md, copied verbatim: the catalog must match it.
    const DOC_TABLE: &str = "\
| Global Administrator | 62e90394-69f5-4237-9190-012177145e10 | documented as accepted |
| User Administrator | fe930be7-5e62-47db-91af-98c3a49a38b1 | documented as accepted |
| People Administrator | 024906de-61e5-49c8-8572-40335f1e0e10 | documented as accepted since late 2024; least-privileged manager of photos |
| Directory Writers | 9360feb5-f418-4baa-8175-e2a00bac4301 | holds users/photo/update; acceptance by the service unconfirmed |
| Intune Administrator | 3a2c62db-5318-420d-8d74-23affee5d9d5 | holds users/photo/update; acceptance unconfirmed |
| Partner Tier1 Support | 4ba39ca4-527c-499a-b93d-d9b492c50246 | deprecated role, not for general use: warn |
| Partner Tier2 Support | e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8 | deprecated role, not for general use: warn |";

    #[test]
    fn catalog_matches_the_documented_table() {
        let rows: Vec<Vec<&str>> = DOC_TABLE
            .lines()
            .map(|l| l.trim_matches('|').split('|').map(str::trim).collect())
            .collect();
        assert_eq!(rows.len(), catalog().len());
        for (row, role) in rows.iter().zip(catalog()) {
            assert_eq!(row[0], role.name);
            assert_eq!(row[1], role.id, "{}", role.name);
            assert_eq!(row[2].starts_with("documented"), role.documented);
            assert_eq!(row[2].starts_with("deprecated"), role.deprecated);
        }
    }

    #[test]
    fn global_and_user_administrator_are_not_swapped() {
        // The popular mistake: these two GUIDs swapped in comments.
        assert_eq!(
            resolve_one("Global Administrator", false).unwrap().id,
            "62e90394-69f5-4237-9190-012177145e10"
        );
        assert_eq!(
            resolve_one("User Administrator", false).unwrap().id,
            "fe930be7-5e62-47db-91af-98c3a49a38b1"
        );
        assert_eq!(
            by_id("62e90394-69f5-4237-9190-012177145e10").unwrap().name,
            "Global Administrator"
        );
    }

    #[test]
    fn ids_names_and_aliases_are_unique() {
        let mut keys = std::collections::HashSet::new();
        for r in catalog() {
            assert!(keys.insert(r.id.to_string()));
            assert!(keys.insert(name_key(r.name)), "{}", r.name);
            for a in r.aliases {
                assert!(keys.insert(name_key(a)), "{a}");
            }
            assert_eq!(normalize_guid(r.id).as_deref(), Some(r.id));
        }
    }

    #[test]
    fn names_resolve_in_any_spelling() {
        for (input, name) in [
            ("Global Administrator", "Global Administrator"),
            ("global administrator", "Global Administrator"),
            ("GLOBALADMINISTRATOR", "Global Administrator"),
            ("  GlobalAdmin ", "Global Administrator"),
            ("GA", "Global Administrator"),
            ("ga", "Global Administrator"),
            ("UserAdmin", "User Administrator"),
            ("PeopleAdmin", "People Administrator"),
            ("people-administrator", "People Administrator"),
            ("DirectoryWriters", "Directory Writers"),
            ("IntuneAdmin", "Intune Administrator"),
            ("PartnerTier1", "Partner Tier1 Support"),
            ("Partner Tier 2 Support", "Partner Tier2 Support"),
            ("{People Administrator}", "People Administrator"),
        ] {
            let r = resolve_one(input, false).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(r.name.as_deref(), Some(name), "{input}");
            assert_eq!(r.input, input);
            assert!(r.known);
        }
    }

    #[test]
    fn ids_resolve_with_whitespace_braces_and_upper_case() {
        for input in [
            "024906de-61e5-49c8-8572-40335f1e0e10",
            " 024906de-61e5-49c8-8572-40335f1e0e10",
            "024906DE-61E5-49C8-8572-40335F1E0E10",
            "{024906de-61e5-49c8-8572-40335f1e0e10}",
            " { 024906DE-61E5-49C8-8572-40335F1E0E10 } ",
            "024906de61e549c8857240335f1e0e10",
        ] {
            let r = resolve_one(input, false).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(r.id, "024906de-61e5-49c8-8572-40335f1e0e10");
            assert_eq!(r.name.as_deref(), Some("People Administrator"));
        }
    }

    #[test]
    fn unknown_name_lists_valid_names_and_suggests_the_closest() {
        let err = resolve_one("Globl Admin", false).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.message().contains("'Globl Admin'"), "{}", err.message());
        assert!(err
            .message()
            .contains("Did you mean 'Global Administrator'?"));
        for r in catalog() {
            assert!(err.message().contains(r.name), "{}", r.name);
        }
        assert_eq!(err.target(), Some("Globl Admin"));

        let err = resolve_one("Peple Administrator", false).unwrap_err();
        assert!(err
            .message()
            .contains("Did you mean 'People Administrator'?"));
        let err = resolve_one("Helpdesk Administrator", false).unwrap_err();
        assert!(err
            .message()
            .contains("Unknown role 'Helpdesk Administrator'"));
    }

    #[test]
    fn malformed_guid_gets_its_own_message() {
        for bad in [
            "62e90394-69f5-4237-9190-012177145e1",
            "62e90394-69f5-4237-9190-012177145e100",
            "62e90394-69f5-4237-9190",
            "{62e90394-69f5-4237-9190-012177145e1}",
        ] {
            let err = resolve_one(bad, true).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
            assert!(
                err.message().contains("not a well-formed role template ID"),
                "{bad}: {}",
                err.message()
            );
            assert!(err.message().contains(bad));
        }
    }

    #[test]
    fn unknown_ids_need_the_opt_in_and_then_warn() {
        let id = "11111111-2222-3333-4444-555555555555";
        let err = resolve_one(id, false).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.message().contains(id));
        assert!(err.message().contains("allowUnknownRoleIds"));

        let r = resolve_one(&id.to_uppercase(), true).unwrap();
        assert_eq!(r.id, id);
        assert!(!r.known);
        assert_eq!(r.name, None);
        assert!(r.warning().unwrap().contains(id));
    }

    #[test]
    fn partner_tiers_warn_and_batch_resolution_keeps_order() {
        let result = resolve(&ResolveRequest {
            roles: vec!["PartnerTier1".into(), "GA".into(), "PartnerTier2".into()],
            allow_unknown_role_ids: false,
        })
        .unwrap();
        let ids: Vec<_> = result.roles.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "4ba39ca4-527c-499a-b93d-d9b492c50246",
                "62e90394-69f5-4237-9190-012177145e10",
                "e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8"
            ]
        );
        assert_eq!(result.warnings.len(), 2);
        assert!(result.warnings[0].contains("Partner Tier1 Support is a deprecated role"));
        assert!(resolve_one("GA", false).unwrap().warning().is_none());
    }

    #[test]
    fn empty_input_is_rejected() {
        for bad in ["", "   ", "{}"] {
            assert_eq!(
                resolve_one(bad, false).unwrap_err().kind(),
                ErrorKind::InvalidArgument
            );
        }
    }

    #[test]
    fn catalog_json_has_the_c_abi_shape() {
        let v = catalog_json();
        let first = &v[0];
        assert_eq!(first["name"], "Global Administrator");
        assert_eq!(first["id"], "62e90394-69f5-4237-9190-012177145e10");
        assert_eq!(first["documented"], true);
        assert_eq!(first["deprecated"], false);
        assert!(first["aliases"].as_array().unwrap().contains(&json!("GA")));
        assert!(first["note"].is_string());
        assert_eq!(v[5]["deprecated"], true);
        assert_eq!(v.as_array().unwrap().len(), 7);
    }

    #[test]
    fn resolve_request_rejects_unknown_fields() {
        let bad = serde_json::from_str::<ResolveRequest>(r#"{"roles":["GA"],"allowUnknown":true}"#);
        assert!(bad.is_err());
        let ok: ResolveRequest =
            serde_json::from_str(r#"{"roles":["GA"],"allowUnknownRoleIds":true}"#).unwrap();
        assert!(ok.allow_unknown_role_ids);
    }
}
