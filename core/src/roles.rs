//! The catalog of directory roles that may appear in `allowedRoles`, and the resolution of what
//! admins type (names, aliases, template IDs with stray whitespace, braces or upper case) into
//! role template IDs.
//!
//! The catalog is the single source of truth for names and IDs: a popular tool's comments swapped
//! the Global and User Administrator GUIDs, so nothing else in the product spells a GUID out.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::{Error, Result};

/// Whether the service accepts a catalog role in `allowedRoles`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RoleStatus {
    /// Microsoft documents the role as accepted.
    Accepted,
    /// The role holds the photo permission (`microsoft.directory/users/photo/update`), but the
    /// service refuses it in `allowedRoles`: sent only on explicit request, with a warning.
    Refused,
}

impl RoleStatus {
    /// `Accepted` / `Refused`, as users read it.
    pub fn name(self) -> &'static str {
        match self {
            RoleStatus::Accepted => "Accepted",
            RoleStatus::Refused => "Refused",
        }
    }
}

/// One role of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleInfo {
    /// Display name, as Entra ID shows it.
    pub name: &'static str,
    /// Role template ID (lower-case GUID), the value `allowedRoles` holds.
    pub id: &'static str,
    /// Short names admins may type instead (matched like names: any case, spaces optional).
    pub aliases: &'static [&'static str],
    /// Whether the service accepts the role in `allowedRoles`.
    pub status: RoleStatus,
    /// Which public source documents that status.
    pub documented_by: &'static str,
    /// The role is deprecated and not for general use: choosing it gives a warning.
    pub deprecated: bool,
    /// One line on why the role is in the catalog.
    pub note: &'static str,
}

impl RoleInfo {
    /// Whether Microsoft documents the role as accepted in `allowedRoles`.
    pub fn documented(&self) -> bool {
        self.status == RoleStatus::Accepted
    }
}

/// The source that documents Global and User Administrator.
const SUPPORT_GUIDE_AND_LEARN: &str = "Microsoft's support troubleshooting guide for My Account \
     (\"Only Global Administrator and User Administrator can be added to allowedRoles\") and \
     Microsoft Learn (photoUpdateSettings)";
/// The source that documents People Administrator.
const LEARN_2024: &str = "Microsoft Learn (photoUpdateSettings), since late 2024";
/// The sources that show the permission but not the service's acceptance.
const REFUSED_SOURCES: &str = "Listed as holding users/photo/update by the Office 365 for IT Pros \
     article on the policy; Microsoft's support troubleshooting guide for My Account allows only \
     Global Administrator and User Administrator";

static CATALOG: [RoleInfo; 7] = [
    RoleInfo {
        name: "Global Administrator",
        id: "62e90394-69f5-4237-9190-012177145e10",
        aliases: &["GlobalAdmin", "GA", "Company Administrator", "CompanyAdmin"],
        status: RoleStatus::Accepted,
        documented_by: SUPPORT_GUIDE_AND_LEARN,
        deprecated: false,
        note: "Documented as accepted.",
    },
    RoleInfo {
        name: "User Administrator",
        id: "fe930be7-5e62-47db-91af-98c3a49a38b1",
        aliases: &["UserAdmin", "UA", "User Account Administrator"],
        status: RoleStatus::Accepted,
        documented_by: SUPPORT_GUIDE_AND_LEARN,
        deprecated: false,
        note: "Documented as accepted.",
    },
    RoleInfo {
        name: "People Administrator",
        id: "024906de-61e5-49c8-8572-40335f1e0e10",
        aliases: &["PeopleAdmin"],
        status: RoleStatus::Accepted,
        documented_by: LEARN_2024,
        deprecated: false,
        note:
            "Documented as accepted since late 2024; the least-privileged role that manages photos.",
    },
    RoleInfo {
        name: "Directory Writers",
        id: "9360feb5-f418-4baa-8175-e2a00bac4301",
        aliases: &["DirectoryWriter", "DirWriters"],
        status: RoleStatus::Refused,
        documented_by: REFUSED_SOURCES,
        deprecated: false,
        note: "Holds users/photo/update, but the service refuses it in allowedRoles.",
    },
    RoleInfo {
        name: "Intune Administrator",
        id: "3a2c62db-5318-420d-8d74-23affee5d9d5",
        aliases: &["IntuneAdmin", "Intune Service Administrator"],
        status: RoleStatus::Refused,
        documented_by: REFUSED_SOURCES,
        deprecated: false,
        note: "Holds users/photo/update, but the service refuses it in allowedRoles.",
    },
    RoleInfo {
        name: "Partner Tier1 Support",
        id: "4ba39ca4-527c-499a-b93d-d9b492c50246",
        aliases: &["PartnerTier1"],
        status: RoleStatus::Refused,
        documented_by: REFUSED_SOURCES,
        deprecated: true,
        note: "Deprecated role, not for general use; the service refuses it in allowedRoles.",
    },
    RoleInfo {
        name: "Partner Tier2 Support",
        id: "e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8",
        aliases: &["PartnerTier2"],
        status: RoleStatus::Refused,
        documented_by: REFUSED_SOURCES,
        deprecated: true,
        note: "Deprecated role, not for general use; the service refuses it in allowedRoles.",
    },
];

/// A real directory role that cannot be used in `allowedRoles` (it does not manage photos),
/// recognised so an admin who types it is told so instead of "unknown role".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectoryRole {
    /// Display name, as Entra ID shows it.
    pub name: &'static str,
    /// Role template ID (from Microsoft Learn, "Microsoft Entra built-in roles").
    pub id: &'static str,
    /// Short names admins may type instead.
    pub aliases: &'static [&'static str],
}

/// Directory roles admins commonly reach for that cannot be used here (template IDs from
/// Microsoft Learn's "Microsoft Entra built-in roles").
static NOT_USABLE: [DirectoryRole; 20] = [
    DirectoryRole {
        name: "Helpdesk Administrator",
        id: "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        aliases: &["HelpdeskAdmin", "Helpdesk"],
    },
    DirectoryRole {
        name: "Global Reader",
        id: "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
        aliases: &["GlobalReader", "GR"],
    },
    DirectoryRole {
        name: "Exchange Administrator",
        id: "29232cdf-9323-42fd-ade2-1d097af3e4de",
        aliases: &["ExchangeAdmin", "Exchange Service Administrator"],
    },
    DirectoryRole {
        name: "Privileged Role Administrator",
        id: "e8611ab8-c189-46e8-94e1-60213ab1f814",
        aliases: &["PrivilegedRoleAdmin", "PRA"],
    },
    DirectoryRole {
        name: "Security Administrator",
        id: "194ae4cb-b126-40b2-bd5b-6091b380977d",
        aliases: &["SecurityAdmin"],
    },
    DirectoryRole {
        name: "Groups Administrator",
        id: "fdd7a751-b60b-444a-984c-02652fe8fa1c",
        aliases: &["GroupsAdmin", "Group Administrator"],
    },
    DirectoryRole {
        name: "Directory Readers",
        id: "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
        aliases: &["DirectoryReader"],
    },
    DirectoryRole {
        name: "Application Administrator",
        id: "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        aliases: &["AppAdmin", "ApplicationAdmin"],
    },
    DirectoryRole {
        name: "Cloud Application Administrator",
        id: "158c047a-c907-4556-b7ef-446551a6b5f7",
        aliases: &["CloudAppAdmin"],
    },
    DirectoryRole {
        name: "Authentication Administrator",
        id: "c4e39bd9-1100-46d3-8c65-fb160da0071f",
        aliases: &["AuthenticationAdmin"],
    },
    DirectoryRole {
        name: "Privileged Authentication Administrator",
        id: "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        aliases: &["PrivilegedAuthenticationAdmin"],
    },
    DirectoryRole {
        name: "Password Administrator",
        id: "966707d0-3269-4727-9be2-8c3a10f19b9d",
        aliases: &["PasswordAdmin"],
    },
    DirectoryRole {
        name: "Security Reader",
        id: "5d6b6bb7-de71-4623-b4af-96380a352509",
        aliases: &["SecurityReader"],
    },
    DirectoryRole {
        name: "SharePoint Administrator",
        id: "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
        aliases: &["SharePointAdmin"],
    },
    DirectoryRole {
        name: "Teams Administrator",
        id: "69091246-20e8-4a56-aa4d-066075b2a7a8",
        aliases: &["TeamsAdmin"],
    },
    DirectoryRole {
        name: "Billing Administrator",
        id: "b0f54661-2d74-4c50-afa3-1ec803f12efe",
        aliases: &["BillingAdmin"],
    },
    DirectoryRole {
        name: "License Administrator",
        id: "4d6ac14f-3453-41d0-bef9-a3e0c569773a",
        aliases: &["LicenseAdmin"],
    },
    DirectoryRole {
        name: "Hybrid Identity Administrator",
        id: "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
        aliases: &["HybridIdentityAdmin"],
    },
    DirectoryRole {
        name: "Service Support Administrator",
        id: "f023fd81-a637-4b56-95fd-791ac0226033",
        aliases: &["ServiceSupportAdmin"],
    },
    DirectoryRole {
        name: "Reports Reader",
        id: "4a5d8f65-41da-4de4-8968-e035b65339cf",
        aliases: &["ReportsReader"],
    },
];

/// Every role of the catalog, in documentation order.
pub fn catalog() -> &'static [RoleInfo] {
    &CATALOG
}

/// The directory roles recognised as "cannot be used here".
pub fn not_usable_roles() -> &'static [DirectoryRole] {
    &NOT_USABLE
}

/// The directory role (not usable here) with this template ID, if it is one we know.
pub fn not_usable_by_id(id: &str) -> Option<&'static DirectoryRole> {
    let id = normalize_guid(id)?;
    NOT_USABLE.iter().find(|r| r.id == id)
}

/// The catalog as the JSON of docs/c-abi.md:
/// `[{"name","id","aliases":[…],"documented","deprecated","note","status","documentedBy"}]`.
pub fn catalog_json() -> Value {
    Value::Array(
        CATALOG
            .iter()
            .map(|r| {
                json!({
                    "name": r.name,
                    "id": r.id,
                    "aliases": r.aliases,
                    "documented": r.documented(),
                    "deprecated": r.deprecated,
                    "note": r.note,
                    "status": r.status,
                    "documentedBy": r.documented_by,
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
    /// Whether the service accepts the role; `None` for an ID outside the catalog.
    #[serde(default)]
    pub status: Option<RoleStatus>,
}

impl ResolvedRole {
    /// The warning this role deserves, if any (deprecated role, or an ID outside the catalog).
    pub fn warning(&self) -> Option<String> {
        if !self.known {
            let what = match not_usable_by_id(&self.id) {
                Some(r) => format!(
                    "Role template ID {} is {}, a directory role that cannot be used in the photo \
                     update policy",
                    self.id, r.name
                ),
                None => format!(
                    "Role template ID {} is not in the catalog of roles known to be accepted in \
                     allowedRoles",
                    self.id
                ),
            };
            return Some(format!(
                "{what}; it is sent as is because -AllowUnknownRoleId is set. The service may \
                 reject it (custom roles are reportedly refused)."
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

/// The roles to use instead of one the service refuses or that cannot be used here.
const USE_INSTEAD: &str = "Use People Administrator (the least privileged role that manages \
     photos), User Administrator or Global Administrator instead.";

/// Checks that the service accepts `role` in `allowedRoles`. A role the service refuses
/// ([`RoleStatus::Refused`]) is an [`crate::ErrorKind::InvalidArgument`] saying why and what to
/// use instead, unless `allow_refused` (the `-AllowRefusedRole` switch): then it passes with the
/// warning returned. Accepted roles and IDs outside the catalog pass without a warning here.
pub fn check_service_accepts(role: &ResolvedRole, allow_refused: bool) -> Result<Option<String>> {
    let Some(info) = by_id(&role.id).filter(|r| r.status == RoleStatus::Refused) else {
        return Ok(None);
    };
    if allow_refused {
        return Ok(Some(format!(
            "{} is sent because -AllowRefusedRole is set, but the service has so far refused it in \
             allowedRoles: expect the change to be refused (\"Unsupported role for cloud photo \
             update settings\").",
            info.name
        )));
    }
    Err(Error::invalid_argument(format!(
        "{} holds the permission to change users' photos (users/photo/update), but the service \
         refuses it in allowedRoles (Microsoft's support guide: only Global Administrator and User \
         Administrator can be added; Microsoft Learn adds People Administrator). {USE_INSTEAD}",
        info.name
    ))
    .with_target(role.input.clone())
    .with_recommended_action(format!(
        "Choose People Administrator, User Administrator or Global Administrator. To send {} \
         anyway, should the service start accepting it, add -AllowRefusedRole.",
        info.name
    )))
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
    /// Check the roles are ones the service accepts (see [`check_service_accepts`]): `false`
    /// refuses the roles the service refuses, `true` lets them through with a warning; absent,
    /// the roles are only looked up (their `status` tells).
    #[serde(default)]
    pub allow_service_refused_roles: Option<bool>,
}

/// The result of [`resolve`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolveResult {
    /// One entry per input, in input order.
    pub roles: Vec<ResolvedRole>,
    /// Warnings (deprecated roles, IDs outside the catalog, roles the service refuses).
    pub warnings: Vec<String>,
}

/// Resolves every role of `req`; the first invalid value fails the whole request.
pub fn resolve(req: &ResolveRequest) -> Result<ResolveResult> {
    let mut out = ResolveResult::default();
    for input in &req.roles {
        let role = resolve_one(input, req.allow_unknown_role_ids)?;
        let refused = match req.allow_service_refused_roles {
            Some(allow) => check_service_accepts(&role, allow)?,
            None => None,
        };
        for w in refused.into_iter().chain(role.warning()) {
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
                status: None,
            }),
            None => match NOT_USABLE.iter().find(|r| r.id == id) {
                Some(role) => Err(not_usable(input, role, Some(&id))),
                None => Err(Error::invalid_argument(format!(
                "Role template ID '{id}' is not in the catalog of roles accepted in allowedRoles. \
                 Valid roles: {}. To send an ID for a role added to Entra ID after this version, \
                 use -AllowUnknownRoleId.",
                valid_names()
            ))
            .with_target(input.to_string())
            .with_recommended_action(
                "Use a role from the catalog (Get-PhotoUpdatePolicyRole lists them), or allow unknown role IDs.",
            )),
            },
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
    if let Some(role) = NOT_USABLE
        .iter()
        .find(|r| name_key(r.name) == key || r.aliases.iter().any(|a| name_key(a) == key))
    {
        return Err(not_usable(input, role, None));
    }

    let hint = match closest_name(&key) {
        Some(Closest::Catalog(n)) => format!(" Did you mean '{n}'?"),
        Some(Closest::NotUsable(n)) => format!(
            " Did you mean '{n}'? {n} is a directory role, but it cannot be used in the photo \
             update policy."
        ),
        None => String::new(),
    };
    Err(Error::invalid_argument(format!(
        "Unknown role '{}'.{hint} Valid names: {}; or a role template ID.",
        input.trim(),
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
        status: Some(info.status),
    }
}

/// The error for a real directory role that cannot be used here (typed by name, or by ID).
fn not_usable(input: &str, role: &DirectoryRole, id: Option<&str>) -> Error {
    let which = match id {
        Some(id) => format!("Role template ID '{id}' is {}: a", role.name),
        None => format!("{} is a", role.name),
    };
    Error::invalid_argument(format!(
        "{which} directory role, but it cannot be used in the photo update policy: the service \
         accepts only roles that manage profile photos. {USE_INSTEAD}"
    ))
    .with_target(input.to_string())
    .with_recommended_action(
        "Get-PhotoUpdatePolicyRole lists the roles the service accepts; People Administrator is \
         the least privileged.",
    )
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

/// The closest known role name to what was typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closest {
    /// A role of the catalog.
    Catalog(&'static str),
    /// A directory role that cannot be used here.
    NotUsable(&'static str),
}

/// The role whose name or alias is closest to `key` (already a [`name_key`]), when one is
/// reasonably close. Directory roles that cannot be used here compete too, so a near miss of
/// one of them ('Global Reder') is named as that role and never turned into a more privileged
/// catalog role that merely shares a word ('Global Administrator'). A catalog role is suggested
/// only for a close spelling that is clearly closer than any other role: a suggestion may grant
/// more than the admin meant.
fn closest_name(key: &str) -> Option<Closest> {
    fn best<'a>(
        key: &str,
        roles: impl Iterator<Item = (&'static str, &'a [&'static str])>,
    ) -> (f64, &'static str) {
        let mut best = (0.0, "");
        for (name, aliases) in roles {
            for candidate in std::iter::once(name).chain(aliases.iter().copied()) {
                let score = strsim::jaro_winkler(key, &name_key(candidate));
                if score > best.0 {
                    best = (score, name);
                }
            }
        }
        best
    }
    let (catalog, catalog_name) = best(key, CATALOG.iter().map(|r| (r.name, r.aliases)));
    let (other, other_name) = best(key, NOT_USABLE.iter().map(|r| (r.name, r.aliases)));
    // Below these the "suggestion" is noise (e.g. 'Helpdesk' → anything); a catalog role needs a
    // closer spelling, and a clear lead over the roles we only name.
    if catalog >= 0.88 && catalog - other >= 0.05 {
        Some(Closest::Catalog(catalog_name))
    } else if other >= 0.7 && other >= catalog {
        Some(Closest::NotUsable(other_name))
    } else {
        None
    }
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
| Directory Writers | 9360feb5-f418-4baa-8175-e2a00bac4301 | holds users/photo/update; the support guide says the service refuses it |
| Intune Administrator | 3a2c62db-5318-420d-8d74-23affee5d9d5 | holds users/photo/update; the support guide says the service refuses it |
| Partner Tier1 Support | 4ba39ca4-527c-499a-b93d-d9b492c50246 | deprecated, not for general use; refused per the support guide |
| Partner Tier2 Support | e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8 | deprecated, not for general use; refused per the support guide |";

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
            assert_eq!(row[2].starts_with("documented"), role.documented());
            assert_eq!(row[2].starts_with("deprecated"), role.deprecated);
            let refused = row[2].contains("refuse");
            assert_eq!(refused, role.status == RoleStatus::Refused, "{}", role.name);
            assert!(!role.documented_by.is_empty(), "{}", role.name);
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
        assert!(
            err.message().contains(
                "Helpdesk Administrator is a directory role, but it cannot be used in the photo \
                 update policy"
            ),
            "{}",
            err.message()
        );
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
        assert!(err.message().contains("-AllowUnknownRoleId"));
        assert!(!err.message().contains("allowUnknownRoleIds"));

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
            allow_service_refused_roles: None,
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
    fn roles_the_service_refuses_are_refused_unless_allowed() {
        for name in [
            "Directory Writers",
            "Intune Administrator",
            "PartnerTier1",
            "PartnerTier2",
        ] {
            let role = resolve_one(name, false).unwrap();
            assert_eq!(role.status, Some(RoleStatus::Refused), "{name}");
            let err = check_service_accepts(&role, false).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
            let m = err.message();
            assert!(m.contains("users/photo/update"), "{m}");
            assert!(m.contains("the service refuses it in allowedRoles"), "{m}");
            assert!(
                m.contains("People Administrator (the least privileged"),
                "{m}"
            );
            assert!(err
                .recommended_action()
                .unwrap()
                .contains("-AllowRefusedRole"));
            assert_eq!(err.target(), Some(name));
            let warning = check_service_accepts(&role, true).unwrap().unwrap();
            assert!(warning.contains("-AllowRefusedRole"), "{warning}");
        }
        for name in ["GA", "User Administrator", "PeopleAdmin"] {
            let role = resolve_one(name, false).unwrap();
            assert_eq!(role.status, Some(RoleStatus::Accepted));
            assert_eq!(check_service_accepts(&role, false).unwrap(), None);
        }
        let unknown = resolve_one("11111111-2222-3333-4444-555555555555", true).unwrap();
        assert_eq!(unknown.status, None);
        assert_eq!(check_service_accepts(&unknown, false).unwrap(), None);

        // The batch request: absent = look up only; false = refuse; true = warn.
        let mut req = ResolveRequest {
            roles: vec!["GA".into(), "Directory Writers".into()],
            ..Default::default()
        };
        assert!(resolve(&req).unwrap().warnings.is_empty());
        req.allow_service_refused_roles = Some(false);
        assert_eq!(
            resolve(&req).unwrap_err().target(),
            Some("Directory Writers")
        );
        req.allow_service_refused_roles = Some(true);
        assert_eq!(resolve(&req).unwrap().warnings.len(), 1);
    }

    #[test]
    fn directory_roles_that_cannot_be_used_are_named_by_name_and_id() {
        for (input, name) in [
            ("Helpdesk Administrator", "Helpdesk Administrator"),
            ("helpdeskadmin", "Helpdesk Administrator"),
            (
                "729827e3-9c14-49f7-bb1b-9608f156bbb8",
                "Helpdesk Administrator",
            ),
            ("Global Reader", "Global Reader"),
            ("{F2EF992C-3AFB-46B9-B7CF-A126EE74C451}", "Global Reader"),
            ("Exchange Administrator", "Exchange Administrator"),
            (
                "e8611ab8-c189-46e8-94e1-60213ab1f814",
                "Privileged Role Administrator",
            ),
            ("Security Administrator", "Security Administrator"),
            ("Groups Administrator", "Groups Administrator"),
            ("88d8e3e3-8f55-4a1e-953a-9b9898b8876b", "Directory Readers"),
            ("Application Administrator", "Application Administrator"),
        ] {
            let err = resolve_one(input, false).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{input}");
            let m = err.message();
            assert!(m.contains(name), "{input}: {m}");
            assert!(
                m.contains("directory role, but it cannot be used in the photo update policy"),
                "{input}: {m}"
            );
            assert!(m.contains("Use People Administrator"), "{input}: {m}");
            assert!(!m.contains("Unknown role"), "{input}: {m}");
        }
        // With the opt-in for IDs outside the catalog, an ID passes, with a warning naming it.
        let r = resolve_one("729827e3-9c14-49f7-bb1b-9608f156bbb8", true).unwrap();
        assert!(!r.known);
        assert!(r.warning().unwrap().contains("Helpdesk Administrator"));
        for r in not_usable_roles() {
            assert_eq!(normalize_guid(r.id).as_deref(), Some(r.id), "{}", r.name);
            assert!(by_id(r.id).is_none(), "{}", r.name);
        }
    }

    #[test]
    fn suggestions_never_reach_for_a_more_privileged_role() {
        let accepted: Vec<&str> = catalog().iter().map(|r| r.name).collect();
        for typo in [
            "Global Reder",
            "Globl Reader",
            "Global Readers",
            "Global Read",
            "Global Viewer",
            "Globals",
            "Security Reder",
            "Helpdesk Admin",
            "Grups Administrator",
            "Exchang Administrator",
            "Privileged Role Admin",
        ] {
            let m = resolve_one(typo, false).unwrap_err().message().to_string();
            for name in &accepted {
                assert!(
                    !m.contains(&format!("Did you mean '{name}'")),
                    "{typo} suggested {name}: {m}"
                );
            }
        }
        let m = resolve_one("Globl Reader", false)
            .unwrap_err()
            .message()
            .to_string();
        assert!(
            m.contains("Did you mean 'Global Reader'? Global Reader is a directory role"),
            "{m}"
        );
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
        assert_eq!(first["status"], "accepted");
        assert!(first["documentedBy"]
            .as_str()
            .unwrap()
            .contains("support troubleshooting guide"));
        assert_eq!(v[2]["documentedBy"], LEARN_2024);
        assert_eq!(v[3]["status"], "refused");
        assert_eq!(v[3]["documented"], false);
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
