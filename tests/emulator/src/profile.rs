//! Profiles: one switch per behaviour of the real service that is not publicly confirmed, so the
//! client can be tested against every variant (see docs/emulator.md for the table).
//!
//! A profile is set at start-up (`--profile key=value`, env `GRAPH_EMULATOR_PROFILE="k=v,k=v"`) and
//! may be replaced or partially changed per run through the control API or [`crate::Emulator`].

use serde_json::{json, Map, Value};

/// How a successful PATCH answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PatchAnswer {
    /// 200 with the updated object (documented).
    #[default]
    Ok200,
    /// 204 with no body.
    NoContent204,
}

/// What a read shows for `allowedRoles` when the tenant never set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DefaultAllowedRoles {
    /// `"allowedRoles": null`.
    #[default]
    Null,
    /// `"allowedRoles": []`.
    Empty,
    /// The property is absent.
    Missing,
    /// `"allowedRoles": {}` (seen in some documentation).
    Object,
}

/// Whether `source` values are matched case-sensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EnumCasing {
    /// `onpremises` is accepted and stored as `onPremises`.
    #[default]
    Lenient,
    /// Only the exact camel case names are accepted.
    Strict,
}

/// Which role template IDs `allowedRoles` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AcceptedRoles {
    /// Global Administrator, User Administrator, People Administrator.
    #[default]
    Documented,
    /// The documented three plus Directory Writers, Intune Administrator, Partner Tier1/Tier2 Support.
    All,
}

/// Whether DELETE resets the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeleteBehavior {
    /// 204 and the policy is back to the default.
    #[default]
    Supported,
    /// 405 with a Graph error; nothing changes.
    Refused,
}

/// Whether PATCH `{"source": null}` is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PatchSourceNull {
    /// Accepted: `source` is cleared.
    #[default]
    Accepted,
    /// 400 with a Graph error.
    Refused,
}

/// How App Service style managed identity answers write `expires_on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpiresOn {
    /// `"expires_on": "1700000000"`.
    #[default]
    String,
    /// `"expires_on": 1700000000`.
    Number,
}

/// Every switchable behaviour. `Profile::default()` is the documented behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// `patch`: 200 + object or 204.
    pub patch: PatchAnswer,
    /// `defaultAllowedRoles`: how an unset `allowedRoles` reads.
    pub default_allowed_roles: DefaultAllowedRoles,
    /// `enumCasing`: lenient or strict `source` casing.
    pub enum_casing: EnumCasing,
    /// `acceptedRoles`: documented three or all seven role IDs.
    pub accepted_roles: AcceptedRoles,
    /// `delete`: supported or refused.
    pub delete: DeleteBehavior,
    /// `patchSourceNull`: accepted or refused.
    pub patch_source_null: PatchSourceNull,
    /// `expiresOn`: string or number in App Service managed identity answers.
    pub expires_on: ExpiresOn,
    /// `includeId`: reads add `id` and `@odata.type`.
    pub include_id: bool,
    /// `deviceCodeInterval`: seconds a device code client must wait between polls (default 5).
    pub device_code_interval: u64,
    /// `deviceCodeExpiresIn`: seconds a device code lives (default 900).
    pub device_code_expires_in: u64,
}

impl Default for Profile {
    fn default() -> Self {
        Self {
            patch: PatchAnswer::default(),
            default_allowed_roles: DefaultAllowedRoles::default(),
            enum_casing: EnumCasing::default(),
            accepted_roles: AcceptedRoles::default(),
            delete: DeleteBehavior::default(),
            patch_source_null: PatchSourceNull::default(),
            expires_on: ExpiresOn::default(),
            include_id: false,
            device_code_interval: 5,
            device_code_expires_in: 900,
        }
    }
}

/// The keys a profile accepts, with their values, for error messages and `--help`.
pub const PROFILE_KEYS: &str = "patch=200|204, defaultAllowedRoles=null|empty|missing|object, \
enumCasing=lenient|strict, acceptedRoles=documented|all, delete=supported|refused, \
patchSourceNull=accepted|refused, expiresOn=string|number, includeId=false|true, \
deviceCodeInterval=<seconds 0-3600>, deviceCodeExpiresIn=<seconds 1-86400>";

fn bad(key: &str, value: &str, allowed: &str) -> String {
    format!("Profile value '{value}' is not valid for '{key}'. Allowed: {allowed}.")
}

impl Profile {
    /// Changes one behaviour by key and value, e.g. `set("patch", "204")`. Keys and values are
    /// case-insensitive. The error names the key or value and lists what is allowed.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let k = key.trim();
        let v = value.trim();
        let lv = v.to_ascii_lowercase();
        match k.to_ascii_lowercase().as_str() {
            "patch" => {
                self.patch = match lv.as_str() {
                    "200" => PatchAnswer::Ok200,
                    "204" => PatchAnswer::NoContent204,
                    _ => return Err(bad(k, v, "200, 204")),
                }
            }
            "defaultallowedroles" => {
                self.default_allowed_roles = match lv.as_str() {
                    "null" => DefaultAllowedRoles::Null,
                    "empty" => DefaultAllowedRoles::Empty,
                    "missing" => DefaultAllowedRoles::Missing,
                    "object" => DefaultAllowedRoles::Object,
                    _ => return Err(bad(k, v, "null, empty, missing, object")),
                }
            }
            "enumcasing" => {
                self.enum_casing = match lv.as_str() {
                    "lenient" => EnumCasing::Lenient,
                    "strict" => EnumCasing::Strict,
                    _ => return Err(bad(k, v, "lenient, strict")),
                }
            }
            "acceptedroles" => {
                self.accepted_roles = match lv.as_str() {
                    "documented" => AcceptedRoles::Documented,
                    "all" => AcceptedRoles::All,
                    _ => return Err(bad(k, v, "documented, all")),
                }
            }
            "delete" => {
                self.delete = match lv.as_str() {
                    "supported" => DeleteBehavior::Supported,
                    "refused" => DeleteBehavior::Refused,
                    _ => return Err(bad(k, v, "supported, refused")),
                }
            }
            "patchsourcenull" => {
                self.patch_source_null = match lv.as_str() {
                    "accepted" => PatchSourceNull::Accepted,
                    "refused" => PatchSourceNull::Refused,
                    _ => return Err(bad(k, v, "accepted, refused")),
                }
            }
            "expireson" => {
                self.expires_on = match lv.as_str() {
                    "string" => ExpiresOn::String,
                    "number" => ExpiresOn::Number,
                    _ => return Err(bad(k, v, "string, number")),
                }
            }
            "includeid" => {
                self.include_id = match lv.as_str() {
                    "false" => false,
                    "true" => true,
                    _ => return Err(bad(k, v, "false, true")),
                }
            }
            "devicecodeinterval" => {
                self.device_code_interval = match lv.parse::<u64>() {
                    Ok(n) if n <= 3600 => n,
                    _ => return Err(bad(k, v, "a whole number of seconds from 0 to 3600")),
                }
            }
            "devicecodeexpiresin" => {
                self.device_code_expires_in = match lv.parse::<u64>() {
                    Ok(n) if (1..=86_400).contains(&n) => n,
                    _ => return Err(bad(k, v, "a whole number of seconds from 1 to 86400")),
                }
            }
            _ => {
                return Err(format!(
                    "Unknown profile key '{k}'. Allowed keys and values: {PROFILE_KEYS}."
                ))
            }
        }
        Ok(())
    }

    /// Applies a comma-separated list of `key=value` pairs (the `GRAPH_EMULATOR_PROFILE` form).
    pub fn apply_list(&mut self, list: &str) -> Result<(), String> {
        for pair in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            self.apply_pair(pair)?;
        }
        Ok(())
    }

    /// Applies one `key=value` pair (the `--profile` form).
    pub fn apply_pair(&mut self, pair: &str) -> Result<(), String> {
        let (k, v) = pair.split_once('=').ok_or_else(|| {
            format!(
                "Profile setting '{pair}' is not of the form key=value. Allowed: {PROFILE_KEYS}."
            )
        })?;
        self.set(k, v)
    }

    /// Merges a JSON object of settings (`{"patch":"204","includeId":true}`) into this profile.
    /// Values may be strings, numbers or booleans. Nothing changes when any entry is invalid.
    pub fn merge_json(&mut self, value: &Value) -> Result<(), String> {
        let obj = value.as_object().ok_or_else(|| {
            "The profile must be a JSON object such as {\"patch\":\"204\"}.".to_string()
        })?;
        let mut next = self.clone();
        for (k, v) in obj {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                Value::Null => "null".to_string(),
                _ => {
                    return Err(format!(
                        "Profile value for '{k}' must be a string, number or boolean, not {v}."
                    ))
                }
            };
            next.set(k, &text)?;
        }
        *self = next;
        Ok(())
    }

    /// The profile as the control API shows it (same keys and values `set` accepts).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert(
            "patch".into(),
            json!(match self.patch {
                PatchAnswer::Ok200 => "200",
                PatchAnswer::NoContent204 => "204",
            }),
        );
        m.insert(
            "defaultAllowedRoles".into(),
            json!(match self.default_allowed_roles {
                DefaultAllowedRoles::Null => "null",
                DefaultAllowedRoles::Empty => "empty",
                DefaultAllowedRoles::Missing => "missing",
                DefaultAllowedRoles::Object => "object",
            }),
        );
        m.insert(
            "enumCasing".into(),
            json!(match self.enum_casing {
                EnumCasing::Lenient => "lenient",
                EnumCasing::Strict => "strict",
            }),
        );
        m.insert(
            "acceptedRoles".into(),
            json!(match self.accepted_roles {
                AcceptedRoles::Documented => "documented",
                AcceptedRoles::All => "all",
            }),
        );
        m.insert(
            "delete".into(),
            json!(match self.delete {
                DeleteBehavior::Supported => "supported",
                DeleteBehavior::Refused => "refused",
            }),
        );
        m.insert(
            "patchSourceNull".into(),
            json!(match self.patch_source_null {
                PatchSourceNull::Accepted => "accepted",
                PatchSourceNull::Refused => "refused",
            }),
        );
        m.insert(
            "expiresOn".into(),
            json!(match self.expires_on {
                ExpiresOn::String => "string",
                ExpiresOn::Number => "number",
            }),
        );
        m.insert("includeId".into(), json!(self.include_id));
        m.insert(
            "deviceCodeInterval".into(),
            json!(self.device_code_interval),
        );
        m.insert(
            "deviceCodeExpiresIn".into(),
            json!(self.device_code_expires_in),
        );
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_and_lists_set_values_and_errors_name_the_value() {
        let mut p = Profile::default();
        p.apply_list("patch=204, delete=refused,includeId=true")
            .unwrap();
        assert_eq!(p.patch, PatchAnswer::NoContent204);
        assert_eq!(p.delete, DeleteBehavior::Refused);
        assert!(p.include_id);
        let err = p.apply_pair("patch=201").unwrap_err();
        assert!(err.contains("'201'") && err.contains("200, 204"), "{err}");
        let err = p.apply_pair("nonsense=1").unwrap_err();
        assert!(err.contains("'nonsense'"), "{err}");
    }

    #[test]
    fn json_round_trips_and_bad_merge_changes_nothing() {
        let mut p = Profile::default();
        p.merge_json(&json!({"expiresOn":"number","deviceCodeInterval":1}))
            .unwrap();
        let mut q = Profile::default();
        q.merge_json(&p.to_json()).unwrap();
        assert_eq!(p, q);
        let before = p.clone();
        assert!(p
            .merge_json(&json!({"patch":"204","delete":"maybe"}))
            .is_err());
        assert_eq!(p, before);
    }
}
