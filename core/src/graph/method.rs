//! The HTTP methods sent on the policy. Its own file so that the client and the error mapping
//! can both use it without either importing the other.

/// The HTTP methods the policy supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Read.
    Get,
    /// Update (only the properties to change).
    Patch,
    /// Delete (field-reported reset to default; plain path, no `/$ref`).
    Delete,
}

impl Method {
    /// `GET`, `PATCH`, `DELETE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    pub(super) fn reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}
