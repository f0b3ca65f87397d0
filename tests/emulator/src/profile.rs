//! Profiles: one switch per behaviour of the real service that is not publicly confirmed, so the
//! client can be tested against every variant (see docs/emulator.md for the table).
//!
//! `Profile::default()` plays the service as Microsoft's own recorded answers show it (the seed
//! article's transcript and the support guide, see graph-photo-policy.md): the `Source` key, names
//! and values bound case-insensitively, three accepted roles, roles only with source cloud, and the
//! PeopleAdmin envelope for a refusal. The earlier reading from Learn stays available, value by
//! value and as a whole through `preset=learn`.
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

/// The casing of the source property's key on reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceKey {
    /// `"Source"`: the backend's own casing, as the seed article's transcript shows.
    #[default]
    Pascal,
    /// `"source"`: the casing Learn documents.
    Camel,
    /// `"SOURCE"`: no service is known to send it; it checks that a reader ignores casing.
    Upper,
}

/// Whether PATCH binds property names (`Source`, `ALLOWEDROLES`) case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PropertyCasing {
    /// Any casing binds to the property (the seed article's `{"Source":"Cloud"}` worked).
    #[default]
    Lenient,
    /// Only `source` and `allowedRoles`; any other casing is an unknown property (400).
    Strict,
}

/// Whether PATCH accepts `allowedRoles` as a JSON object of role ID -> null.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RolesObject {
    /// `{"<guid>": null, …}` is read as the list of its keys (the seed article's hash table).
    #[default]
    Accepted,
    /// Only an array (or null) is accepted; an object is a 400.
    Refused,
}

/// How the service answers a PATCH it refuses for a role or for roles without source cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Refusal {
    /// `error.code` `UnknownError` whose `error.message` is the PeopleAdmin envelope as JSON text.
    #[default]
    PeopleAdmin,
    /// The earlier reading: 400 `Request_BadRequest` with a plain message.
    Generic,
}

/// Whether roles may be set while the resulting source is `onPremises`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnPremisesRoles {
    /// Refused when roles are listed; `null` and `[]` are accepted.
    #[default]
    Refused,
    /// Refused when roles are listed, and a PATCH sending `[]` is refused too: only `null` clears
    /// them ("the allowedRoles section must be null").
    NullOnly,
    /// Accepted (the earlier reading).
    Accepted,
}

/// Whether roles may be set while the resulting source is not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NotSetRoles {
    /// Refused like roles with `onPremises` (unconfirmed; the safe reading).
    #[default]
    Refused,
    /// Accepted.
    Accepted,
}

/// The shape of a GET answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReadShape {
    /// The entity itself.
    #[default]
    Entity,
    /// `{"@odata.context": …, "value": [entity]}`, as seen in Microsoft's own notes.
    List,
    /// `{"value": []}`: no service is known to send it; a client must refuse it.
    EmptyList,
    /// `{"value": [entity, entity]}`: no service is known to send it; a client must refuse it.
    TwoItems,
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

/// Every switchable behaviour. [`Profile::recorded`] is the service as recorded; [`Profile::learn`]
/// is the earlier reading from Learn; `Profile::default()` is the start-up profile.
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
    /// `sourceKey`: the casing of the source key on reads.
    pub source_key: SourceKey,
    /// `propertyCasing`: whether PATCH binds property names case-insensitively.
    pub property_casing: PropertyCasing,
    /// `allowedRolesObject`: whether PATCH accepts `allowedRoles` as an object of ID -> null.
    pub roles_object: RolesObject,
    /// `refusal`: the PeopleAdmin envelope or the earlier generic 400.
    pub refusal: Refusal,
    /// `refusalStatus`: the HTTP status of a PeopleAdmin refusal (400 per the support guide).
    pub refusal_status: u16,
    /// `onPremisesRoles`: roles with source `onPremises`.
    pub on_premises_roles: OnPremisesRoles,
    /// `notSetRoles`: roles with source not set.
    pub not_set_roles: NotSetRoles,
    /// `read`: entity or list answer on GET.
    pub read_shape: ReadShape,
    /// `deviceCodeInterval`: seconds a device code client must wait between polls (default 5).
    pub device_code_interval: u64,
    /// `deviceCodeExpiresIn`: seconds a device code lives (default 900).
    pub device_code_expires_in: u64,
}

/// The keys a profile accepts, with their values, for error messages and `--help`.
pub const PROFILE_KEYS: &str = "preset=recorded|learn, sourceKey=Source|source|SOURCE, \
propertyCasing=lenient|strict, allowedRolesObject=accepted|refused, \
refusal=peopleAdmin|generic, refusalStatus=400|500|503, \
onPremisesRoles=refused|nullOnly|accepted, notSetRoles=refused|accepted, \
read=entity|list|emptyList|twoItems, patch=200|204, \
defaultAllowedRoles=null|empty|missing|object, enumCasing=lenient|strict, \
acceptedRoles=documented|all, delete=supported|refused, patchSourceNull=accepted|refused, \
expiresOn=string|number, includeId=false|true, deviceCodeInterval=<seconds 0-3600>, \
deviceCodeExpiresIn=<seconds 1-86400>";

fn bad(key: &str, value: &str, allowed: &str) -> String {
    format!("Profile value '{value}' is not valid for '{key}'. Allowed: {allowed}.")
}

impl Default for Profile {
    /// The emulator's start-up profile: the service as recorded ([`Profile::recorded`]).
    fn default() -> Self {
        Self::recorded()
    }
}

impl Profile {
    /// The service as Microsoft's recorded answers show it (the seed article's transcript and
    /// the support guide): the `Source` key, names and values bound in any casing, roles as an
    /// array or an object of ID -> null, the three documented roles, roles only with source
    /// cloud, and the PeopleAdmin envelope for a refusal.
    pub fn recorded() -> Self {
        Self {
            patch: PatchAnswer::default(),
            default_allowed_roles: DefaultAllowedRoles::default(),
            enum_casing: EnumCasing::default(),
            accepted_roles: AcceptedRoles::default(),
            delete: DeleteBehavior::default(),
            patch_source_null: PatchSourceNull::default(),
            expires_on: ExpiresOn::default(),
            include_id: false,
            source_key: SourceKey::default(),
            property_casing: PropertyCasing::default(),
            roles_object: RolesObject::default(),
            refusal: Refusal::default(),
            refusal_status: 400,
            on_premises_roles: OnPremisesRoles::default(),
            not_set_roles: NotSetRoles::default(),
            read_shape: ReadShape::default(),
            device_code_interval: 5,
            device_code_expires_in: 900,
        }
    }

    /// The service as first read from Learn (the emulator's defaults before the recorded answers
    /// were known): the camel case `source` key, strict property names, roles as an array only,
    /// the generic 400 for a refused role, and roles accepted whatever the source.
    pub fn learn() -> Self {
        Self {
            source_key: SourceKey::Camel,
            property_casing: PropertyCasing::Strict,
            roles_object: RolesObject::Refused,
            refusal: Refusal::Generic,
            on_premises_roles: OnPremisesRoles::Accepted,
            not_set_roles: NotSetRoles::Accepted,
            ..Self::recorded()
        }
    }

    /// Replaces every Graph behaviour with a preset's (`recorded` = the default, `learn` =
    /// [`Profile::learn`]); sign-in and managed identity settings are kept.
    fn apply_preset(&mut self, key: &str, value: &str) -> Result<(), String> {
        let base = match value.to_ascii_lowercase().as_str() {
            "recorded" => Self::recorded(),
            "learn" => Self::learn(),
            _ => return Err(bad(key, value, "recorded, learn")),
        };
        *self = Self {
            expires_on: self.expires_on,
            device_code_interval: self.device_code_interval,
            device_code_expires_in: self.device_code_expires_in,
            ..base
        };
        Ok(())
    }

    /// Changes one behaviour by key and value, e.g. `set("patch", "204")`. Keys and values are
    /// case-insensitive. The error names the key or value and lists what is allowed.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let k = key.trim();
        let v = value.trim();
        let lv = v.to_ascii_lowercase();
        match k.to_ascii_lowercase().as_str() {
            "preset" => self.apply_preset(k, v)?,
            // The one case-sensitive value: it is the key's casing itself.
            "sourcekey" => {
                self.source_key = match v {
                    "Source" => SourceKey::Pascal,
                    "source" => SourceKey::Camel,
                    "SOURCE" => SourceKey::Upper,
                    _ => return Err(bad(k, v, "Source, source, SOURCE")),
                }
            }
            "propertycasing" => {
                self.property_casing = match lv.as_str() {
                    "lenient" => PropertyCasing::Lenient,
                    "strict" => PropertyCasing::Strict,
                    _ => return Err(bad(k, v, "lenient, strict")),
                }
            }
            "allowedrolesobject" => {
                self.roles_object = match lv.as_str() {
                    "accepted" => RolesObject::Accepted,
                    "refused" => RolesObject::Refused,
                    _ => return Err(bad(k, v, "accepted, refused")),
                }
            }
            "refusal" => {
                self.refusal = match lv.as_str() {
                    "peopleadmin" => Refusal::PeopleAdmin,
                    "generic" => Refusal::Generic,
                    _ => return Err(bad(k, v, "peopleAdmin, generic")),
                }
            }
            "refusalstatus" => {
                self.refusal_status = match lv.as_str() {
                    "400" => 400,
                    "500" => 500,
                    "503" => 503,
                    _ => return Err(bad(k, v, "400, 500, 503")),
                }
            }
            "onpremisesroles" => {
                self.on_premises_roles = match lv.as_str() {
                    "refused" => OnPremisesRoles::Refused,
                    "nullonly" => OnPremisesRoles::NullOnly,
                    "accepted" => OnPremisesRoles::Accepted,
                    _ => return Err(bad(k, v, "refused, nullOnly, accepted")),
                }
            }
            "notsetroles" => {
                self.not_set_roles = match lv.as_str() {
                    "refused" => NotSetRoles::Refused,
                    "accepted" => NotSetRoles::Accepted,
                    _ => return Err(bad(k, v, "refused, accepted")),
                }
            }
            "read" => {
                self.read_shape = match lv.as_str() {
                    "entity" => ReadShape::Entity,
                    "list" => ReadShape::List,
                    "emptylist" => ReadShape::EmptyList,
                    "twoitems" => ReadShape::TwoItems,
                    _ => return Err(bad(k, v, "entity, list, emptyList, twoItems")),
                }
            }
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
        // A preset replaces the Graph behaviours wholesale, so it goes first and the other
        // entries of the same object refine it.
        let (presets, others): (Vec<_>, Vec<_>) = obj
            .iter()
            .partition(|(k, _)| k.trim().eq_ignore_ascii_case("preset"));
        for (k, v) in presets.into_iter().chain(others) {
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
            "sourceKey".into(),
            json!(match self.source_key {
                SourceKey::Pascal => "Source",
                SourceKey::Camel => "source",
                SourceKey::Upper => "SOURCE",
            }),
        );
        m.insert(
            "propertyCasing".into(),
            json!(match self.property_casing {
                PropertyCasing::Lenient => "lenient",
                PropertyCasing::Strict => "strict",
            }),
        );
        m.insert(
            "allowedRolesObject".into(),
            json!(match self.roles_object {
                RolesObject::Accepted => "accepted",
                RolesObject::Refused => "refused",
            }),
        );
        m.insert(
            "refusal".into(),
            json!(match self.refusal {
                Refusal::PeopleAdmin => "peopleAdmin",
                Refusal::Generic => "generic",
            }),
        );
        m.insert(
            "refusalStatus".into(),
            json!(self.refusal_status.to_string()),
        );
        m.insert(
            "onPremisesRoles".into(),
            json!(match self.on_premises_roles {
                OnPremisesRoles::Refused => "refused",
                OnPremisesRoles::NullOnly => "nullOnly",
                OnPremisesRoles::Accepted => "accepted",
            }),
        );
        m.insert(
            "notSetRoles".into(),
            json!(match self.not_set_roles {
                NotSetRoles::Refused => "refused",
                NotSetRoles::Accepted => "accepted",
            }),
        );
        m.insert(
            "read".into(),
            json!(match self.read_shape {
                ReadShape::Entity => "entity",
                ReadShape::List => "list",
                ReadShape::EmptyList => "emptyList",
                ReadShape::TwoItems => "twoItems",
            }),
        );
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
    fn learn_preset_restores_the_earlier_defaults_and_others_refine_it() {
        let mut p = Profile::default();
        p.apply_list("deviceCodeInterval=1, preset=learn").unwrap();
        assert_eq!(
            p,
            Profile {
                device_code_interval: 1,
                ..Profile::learn()
            }
        );
        // In a JSON object the preset applies first whatever the key order.
        let mut q = Profile::default();
        q.merge_json(&json!({"sourceKey":"Source","preset":"learn"}))
            .unwrap();
        assert_eq!(q.source_key, SourceKey::Pascal);
        assert_eq!(q.refusal, Refusal::Generic);
        q.apply_pair("preset=recorded").unwrap();
        assert_eq!(q, Profile::recorded());
        let err = q.apply_pair("preset=newest").unwrap_err();
        assert!(
            err.contains("'newest'") && err.contains("recorded, learn"),
            "{err}"
        );
        let err = q.apply_pair("sourceKey=SoUrCe").unwrap_err();
        assert!(err.contains("Source, source, SOURCE"), "{err}");
    }

    #[test]
    fn json_round_trips_and_bad_merge_changes_nothing() {
        let mut p = Profile::default();
        p.merge_json(&json!({"expiresOn":"number","deviceCodeInterval":1,
            "sourceKey":"SOURCE","read":"twoItems","refusalStatus":503,"onPremisesRoles":"nullOnly"}))
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
