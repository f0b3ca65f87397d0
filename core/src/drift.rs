//! Drift: how a tenant's policy differs from a desired state (a [`PolicyDocument`]).
//!
//! Roles are compared as a set of template IDs (order, case, braces and duplicates do not
//! matter); a desired source of `notSet` matches a policy whose source is not set. Properties the
//! document does not manage are not compared.

use chrono::{SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{json, Value};

use crate::document::{source_value, PolicyDocument};
use crate::model::PolicyView;

/// One property that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Difference {
    /// `source` or `allowedRoles`.
    pub property: String,
    /// What the document asks for: a source (`null` = not set), or role names (IDs for roles
    /// outside the catalog).
    pub expected: Value,
    /// What the tenant has, in the same form.
    pub actual: Value,
}

/// The comparison of one tenant with a desired state.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DriftReport {
    /// The tenant compared.
    pub tenant_id: Option<String>,
    /// Whether the tenant matches the document.
    pub compliant: bool,
    /// Each property that differs (empty when compliant).
    pub differences: Vec<Difference>,
    /// The tenant's policy as read.
    pub current: PolicyView,
    /// The desired state (the document's JSON).
    pub desired: Value,
    /// When the policy was read (UTC RFC 3339).
    pub checked_at: String,
}

/// Compares `current` with `desired`.
pub fn compare(desired: &PolicyDocument, current: &PolicyView) -> Vec<Difference> {
    let mut differences = Vec::new();
    if let Some(source) = desired.source {
        let expected = source_value(source);
        // Known values are compared case-insensitively (the service's casing may vary); an
        // unknown value never matches a desired one.
        let same = match (expected, current.source.as_deref()) {
            (None, None) => true,
            (Some(e), Some(a)) => e.eq_ignore_ascii_case(a),
            _ => false,
        };
        if !same {
            differences.push(Difference {
                property: "source".into(),
                expected: json!(expected),
                actual: json!(current.source),
            });
        }
    }
    if let Some(roles) = &desired.allowed_roles {
        let want: Vec<&str> = roles.iter().map(|r| r.id.as_str()).collect();
        let have: Vec<&str> = current
            .allowed_roles
            .iter()
            .map(|r| r.id.as_str())
            .collect();
        let same =
            want.iter().all(|id| have.contains(id)) && have.iter().all(|id| want.contains(id));
        if !same {
            differences.push(Difference {
                property: "allowedRoles".into(),
                expected: json!(roles
                    .iter()
                    .map(|r| r.name.clone().unwrap_or_else(|| r.id.clone()))
                    .collect::<Vec<_>>()),
                actual: json!(current
                    .allowed_roles
                    .iter()
                    .map(|r| r.label().to_string())
                    .collect::<Vec<_>>()),
            });
        }
    }
    differences
}

/// The full report for one tenant, stamped now.
pub fn report(desired: &PolicyDocument, current: PolicyView) -> DriftReport {
    let differences = compare(desired, &current);
    DriftReport {
        tenant_id: current.tenant_id.clone(),
        compliant: differences.is_empty(),
        differences,
        desired: desired.to_json(),
        current,
        checked_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::Cloud;
    use crate::model::Policy;

    const GA: &str = "62e90394-69f5-4237-9190-012177145e10";
    const PA: &str = "024906de-61e5-49c8-8572-40335f1e0e10";

    fn view(v: Value) -> PolicyView {
        PolicyView::new(&Policy::from_json(&v).unwrap(), None, Cloud::Global)
    }

    fn doc(v: Value) -> PolicyDocument {
        PolicyDocument::from_json(&v).unwrap()
    }

    #[test]
    fn roles_compare_as_a_set_and_not_set_matches_null() {
        let desired = doc(json!({"schemaVersion": 1, "source": "cloud",
            "allowedRoles": ["People Administrator", "Global Administrator"]}));
        let current = view(json!({"source": "Cloud", "allowedRoles": [GA.to_uppercase(), PA, GA]}));
        assert!(compare(&desired, &current).is_empty());
        let desired = doc(json!({"schemaVersion": 1, "source": "notSet", "allowedRoles": []}));
        assert!(compare(&desired, &view(json!({"Source": null}))).is_empty());
        let desired = doc(json!({"schemaVersion": 1,
            "allowedRoles": ["People Administrator", "Global Administrator"]}));
        let missing = view(json!({"allowedRoles": [GA]}));
        assert!(!compare(&desired, &missing).is_empty());
    }

    #[test]
    fn differences_name_property_expected_and_actual() {
        let desired = doc(json!({"schemaVersion": 1, "source": "cloud", "allowedRoles": []}));
        let current = view(json!({"source": "onpremises", "allowedRoles": [GA]}));
        let diff = compare(&desired, &current);
        assert_eq!(diff.len(), 2);
        assert_eq!(diff[0].property, "source");
        assert_eq!(diff[0].expected, json!("cloud"));
        assert_eq!(diff[0].actual, json!("onPremises"));
        assert_eq!(diff[1].expected, json!([]));
        assert_eq!(diff[1].actual, json!(["Global Administrator"]));
        // Unmanaged properties are not compared.
        let roles_only = doc(json!({"schemaVersion": 1, "allowedRoles": [GA]}));
        assert!(compare(&roles_only, &current).is_empty());
    }
}
