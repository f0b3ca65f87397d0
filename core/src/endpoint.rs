//! Endpoint rules. A token is only ever sent to the configured cloud's own host over HTTPS, or —
//! when the caller explicitly allows it — to a loopback `http://` URL (the Graph emulator, a local
//! proxy under test). Anything else would risk handing a bearer token to a stranger.

use std::net::IpAddr;

use url::{Host, Url};

use crate::cloud::Cloud;
use crate::config::ClientConfig;
use crate::error::{Error, Result};
use crate::settings::Setting;

/// Which endpoint an override is for (names the config field in messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    /// `graphEndpoint`.
    Graph,
    /// `authorityEndpoint`.
    Authority,
}

impl EndpointKind {
    fn field(self) -> &'static str {
        match self {
            EndpointKind::Graph => "graphEndpoint",
            EndpointKind::Authority => "authorityEndpoint",
        }
    }

    fn default_host(self, cloud: Cloud) -> &'static str {
        match self {
            EndpointKind::Graph => cloud.graph_host(),
            EndpointKind::Authority => cloud.authority_host(),
        }
    }
}

/// The Graph base URL for `config` (scheme, host, port; no path), validated.
pub fn graph_base_url(config: &ClientConfig) -> Result<Url> {
    resolve(
        EndpointKind::Graph,
        config.cloud,
        config.graph_endpoint.as_deref(),
        config.allow_insecure_loopback,
    )
}

/// The sign-in authority base URL for `config`, validated under the same rules.
pub fn authority_base_url(config: &ClientConfig) -> Result<Url> {
    resolve(
        EndpointKind::Authority,
        config.cloud,
        config.authority_endpoint.as_deref(),
        config.allow_insecure_loopback,
    )
}

/// Whether `url`'s host is loopback: 127.0.0.0/8, `[::1]` or `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Validates an override for `kind` in `cloud`, or returns the cloud's default when `value` is
/// `None`. Only the scheme, host and port are used: a path, query, fragment or user info is refused
/// rather than silently dropped.
pub fn resolve(
    kind: EndpointKind,
    cloud: Cloud,
    value: Option<&str>,
    allow_insecure_loopback: bool,
) -> Result<Url> {
    let default_host = kind.default_host(cloud);
    let Some(raw) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(Url::parse(default_host).expect("cloud hosts are valid URLs"));
    };
    let allowed = || {
        format!(
            "Allowed: {default_host} (the {} cloud's host, over https), or a loopback http:// URL \
             (127.0.0.1, [::1], localhost) with {} set.",
            cloud.name(),
            Setting::AllowInsecureLoopback.key()
        )
    };
    let fail = |why: String| {
        Error::invalid_argument(format!(
            "{} '{raw}' is not allowed: {why}. {}",
            kind.field(),
            allowed()
        ))
        .with_target(raw.to_string())
    };

    let url = Url::parse(raw).map_err(|e| fail(format!("it is not a valid URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(fail("it contains user info".into()));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(fail(
            "give the scheme and host only (no path such as /beta, no query)".into(),
        ));
    }

    if is_loopback(&url) {
        if !allow_insecure_loopback {
            return Err(fail(format!(
                "it is a loopback address and {} is not set",
                Setting::AllowInsecureLoopback.key()
            )));
        }
        if url.scheme() == "http" || url.scheme() == "https" {
            return Ok(url);
        }
        return Err(fail(format!(
            "the scheme '{}' is not http or https",
            url.scheme()
        )));
    }

    let expected = Url::parse(default_host).expect("cloud hosts are valid URLs");
    if url.scheme() != "https" {
        return Err(fail("only https is allowed for a non-loopback host".into()));
    }
    if url.host_str() != expected.host_str() {
        return Err(fail(format!(
            "the host is not the {} cloud's {} host",
            cloud.name(),
            match kind {
                EndpointKind::Graph => "Graph",
                EndpointKind::Authority => "sign-in",
            }
        )));
    }
    if url.port_or_known_default() != Some(443) {
        return Err(fail("only the standard https port 443 is allowed".into()));
    }
    Ok(expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn graph(cloud: Cloud, v: Option<&str>, loopback: bool) -> Result<Url> {
        resolve(EndpointKind::Graph, cloud, v, loopback)
    }

    #[test]
    fn defaults_follow_the_cloud() {
        assert_eq!(
            graph(Cloud::Global, None, false).unwrap().as_str(),
            "https://graph.microsoft.com/"
        );
        assert_eq!(
            graph(Cloud::China, None, false).unwrap().as_str(),
            "https://microsoftgraph.chinacloudapi.cn/"
        );
        assert_eq!(
            resolve(EndpointKind::Authority, Cloud::USGovDoD, None, false)
                .unwrap()
                .as_str(),
            "https://login.microsoftonline.us/"
        );
    }

    #[test]
    fn own_host_over_https_is_allowed() {
        for v in [
            "https://graph.microsoft.us",
            "https://GRAPH.microsoft.us/",
            "https://graph.microsoft.us:443",
        ] {
            assert_eq!(
                graph(Cloud::USGov, Some(v), false).unwrap().as_str(),
                "https://graph.microsoft.us/",
                "{v}"
            );
        }
    }

    #[test]
    fn other_hosts_schemes_and_paths_are_refused_naming_the_url() {
        for (cloud, v) in [
            (Cloud::Global, "https://graph.microsoft.us"),
            (Cloud::Global, "http://graph.microsoft.com"),
            (Cloud::Global, "https://evil.example.com"),
            (Cloud::Global, "https://graph.microsoft.com.evil.example"),
            (Cloud::Global, "https://graph.microsoft.com:8443"),
            (Cloud::Global, "https://graph.microsoft.com/beta"),
            (Cloud::Global, "https://user:pw@graph.microsoft.com"),
            (Cloud::Global, "not a url"),
            (Cloud::Global, "http://10.0.0.1:8080"),
        ] {
            let err = graph(cloud, Some(v), true).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{v}");
            assert!(err.message().contains(v), "{}", err.message());
            assert!(err.message().contains("graphEndpoint"));
            assert!(err.message().contains("Allowed:"));
        }
    }

    #[test]
    fn loopback_needs_the_opt_in() {
        for v in [
            "http://127.0.0.1:5099",
            "http://127.1.2.3:80",
            "http://[::1]:5099",
            "http://localhost:5099",
        ] {
            let err = graph(Cloud::Global, Some(v), false).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
            assert!(
                err.message().contains("allowInsecureLoopback"),
                "{}",
                err.message()
            );
            assert!(graph(Cloud::Global, Some(v), true).is_ok(), "{v}");
        }
    }
}
