//! The four national clouds as the emulator sees them: which Graph host names it answers for, and
//! which audiences and scopes name Graph.

/// Graph's first-party application ID, a valid token audience in every cloud.
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// (cloud name, Graph host name, sign-in authority host name), in documentation order.
pub const CLOUDS: [(&str, &str, &str); 4] = [
    ("Global", "graph.microsoft.com", "login.microsoftonline.com"),
    ("USGov", "graph.microsoft.us", "login.microsoftonline.us"),
    (
        "USGovDoD",
        "dod-graph.microsoft.us",
        "login.microsoftonline.us",
    ),
    (
        "China",
        "microsoftgraph.chinacloudapi.cn",
        "login.chinacloudapi.cn",
    ),
];

/// The Graph host name of a cloud named like `Global` or `usgov` (case-insensitive).
pub fn graph_host_of_cloud(cloud: &str) -> Option<&'static str> {
    CLOUDS
        .iter()
        .find(|(name, _, _)| name.eq_ignore_ascii_case(cloud.trim()))
        .map(|(_, host, _)| *host)
}

/// Strips a port from a `Host` header value and lower-cases it.
pub fn host_name(host_header: &str) -> String {
    let h = host_header.trim();
    let without_port = if h.starts_with('[') {
        h.split(']')
            .next()
            .map(|s| format!("{s}]"))
            .unwrap_or_default()
    } else {
        h.rsplit_once(':').map(|(n, _)| n).unwrap_or(h).to_string()
    };
    without_port.to_ascii_lowercase()
}

/// The cloud Graph host a `Host` header names, if it names one.
pub fn graph_host_of_header(host_header: &str) -> Option<&'static str> {
    let name = host_name(host_header);
    CLOUDS
        .iter()
        .find(|(_, host, _)| *host == name)
        .map(|(_, host, _)| *host)
}

/// Whether a host name is one of the clouds' sign-in authorities.
pub fn is_authority_host(name: &str) -> bool {
    CLOUDS
        .iter()
        .any(|(_, _, auth)| auth.eq_ignore_ascii_case(name))
}

/// The Graph host named by a resource or audience: `https://graph.microsoft.com`, with or without
/// a trailing slash. `None` for anything else.
pub fn graph_host_of_resource(resource: &str) -> Option<&'static str> {
    let r = resource.trim().trim_end_matches('/');
    let name = r.strip_prefix("https://")?;
    CLOUDS
        .iter()
        .find(|(_, host, _)| host.eq_ignore_ascii_case(name))
        .map(|(_, host, _)| *host)
}

/// The Graph host of a `<graph host>/.default` scope (other scopes in the list, such as
/// `offline_access`, are ignored). `None` when no scope names Graph's `.default`.
pub fn graph_host_of_default_scope(scope: &str) -> Option<&'static str> {
    scope.split_whitespace().find_map(|s| {
        let base = s.strip_suffix("/.default")?;
        graph_host_of_resource(base)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_scopes_and_resources_are_recognised() {
        assert_eq!(
            graph_host_of_header("graph.microsoft.us:443"),
            Some("graph.microsoft.us")
        );
        assert_eq!(graph_host_of_header("127.0.0.1:5099"), None);
        assert_eq!(
            graph_host_of_default_scope("https://dod-graph.microsoft.us/.default offline_access"),
            Some("dod-graph.microsoft.us")
        );
        assert_eq!(
            graph_host_of_default_scope("https://evil.example/.default"),
            None
        );
        assert_eq!(
            graph_host_of_resource("https://graph.microsoft.com/"),
            Some("graph.microsoft.com")
        );
        assert_eq!(
            graph_host_of_cloud("china"),
            Some("microsoftgraph.chinacloudapi.cn")
        );
    }
}
