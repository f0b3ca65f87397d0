//! `Policy::from_slice`: how the core reads Graph's answer (lenient shapes, unknown properties
//! kept). Whatever it accepts must survive the round trip to the wire body and the view callers
//! see, and must plan a change without a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use photo_policy_core::cloud::Cloud;
use photo_policy_core::model::{Policy, PolicyView};
use photo_policy_core::plan::{plan_change, ChangeRequest};

fuzz_target!(|data: &[u8]| {
    let Ok(policy) = Policy::from_slice(data) else {
        return;
    };
    // What we would write back must read back as the same policy.
    let wire = policy.to_wire();
    let again = Policy::from_json(&wire).expect("the wire form of a read policy reads back");
    assert_eq!(
        again.source, policy.source,
        "source changed in the round trip"
    );
    assert_eq!(
        again.allowed_roles, policy.allowed_roles,
        "roles changed in the round trip"
    );
    let view = PolicyView::new(&policy, Some("fuzz".into()), Cloud::Global);
    serde_json::to_value(&view).expect("a policy view serializes");
    let change = ChangeRequest {
        source: Some("cloud".into()),
        add_allowed_roles: Some(vec!["People Administrator".into()]),
        ..Default::default()
    };
    let _ = plan_change(&policy, &change, None, Cloud::Global);
});
