//! The national clouds: each has its own Graph host and sign-in authority, and tokens from one are
//! not valid in another. Endpoint overrides must stay on the cloud's hosts unless the caller
//! explicitly allows a loopback `http://` URL (the Graph emulator).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A Microsoft national cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Cloud {
    /// Worldwide service.
    #[default]
    Global,
    /// US Government L4 (GCC High).
    USGov,
    /// US Government L5 (DoD).
    USGovDoD,
    /// China, operated by 21Vianet.
    China,
}

impl Cloud {
    /// Every cloud, in documentation order.
    pub const ALL: [Cloud; 4] = [Cloud::Global, Cloud::USGov, Cloud::USGovDoD, Cloud::China];

    /// Graph base URL (scheme and host, no trailing slash).
    pub fn graph_host(self) -> &'static str {
        match self {
            Cloud::Global => "https://graph.microsoft.com",
            Cloud::USGov => "https://graph.microsoft.us",
            Cloud::USGovDoD => "https://dod-graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }

    /// Sign-in authority (scheme and host, no trailing slash).
    pub fn authority_host(self) -> &'static str {
        match self {
            Cloud::Global => "https://login.microsoftonline.com",
            Cloud::USGov | Cloud::USGovDoD => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
        }
    }

    /// The OAuth scope for Graph in this cloud: `<graph host>/.default`.
    pub fn graph_scope(self) -> String {
        format!("{}/.default", self.graph_host())
    }

    /// The name used in parameters and output (`Global`, `USGov`, `USGovDoD`, `China`).
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Global => "Global",
            Cloud::USGov => "USGov",
            Cloud::USGovDoD => "USGovDoD",
            Cloud::China => "China",
        }
    }

    /// Parses a cloud name, case-insensitively. The error lists the valid names.
    pub fn parse(name: &str) -> Result<Cloud> {
        let trimmed = name.trim();
        Cloud::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(trimmed))
            .ok_or_else(|| {
                Error::invalid_argument(format!(
                    "Unknown environment '{trimmed}'. Valid values: Global, USGov, USGovDoD, China."
                ))
                .with_target(trimmed.to_string())
            })
    }
}
