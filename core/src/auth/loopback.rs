//! The loopback redirect listener of the browser sign-in: a one-shot HTTP server on
//! `localhost` and a free port that receives the browser's redirect (`GET /?code=…&state=…`),
//! answers a small page ("you can close this window") and hands the code to the sign-in.
//!
//! It binds 127.0.0.1 on a port the OS picks and, best effort, ::1 on the same port: the redirect
//! URI says `localhost`, which a browser may resolve to either. Only requests carrying the `state`
//! this sign-in sent are accepted; anything else (a favicon request, a stale redirect of an
//! earlier attempt, a page trying to inject a code) is answered and ignored.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};

/// Largest request head read from the browser.
const MAX_HEAD: usize = 16 * 1024;

/// How long one browser connection may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// What the browser brought back.
pub(crate) enum Redirect {
    /// The authorization code (a secret: it redeems the sign-in).
    Code(Zeroizing<String>),
    /// The sign-in ended with an error (`access_denied`, …) and its description.
    Error {
        /// OAuth error code.
        error: String,
        /// The service's description (with the AADSTS code), when sent.
        description: Option<String>,
    },
}

/// A bound loopback listener.
pub(crate) struct LoopbackListener {
    v4: TcpListener,
    v6: Option<TcpListener>,
    port: u16,
}

impl LoopbackListener {
    /// Binds 127.0.0.1 on a free port (and ::1 on the same port when possible).
    pub async fn bind() -> Result<Self> {
        let v4 = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .map_err(|e| {
                Error::new(
                    ErrorKind::Authentication,
                    format!("The browser sign-in could not listen on a local port: {e}."),
                )
                .with_recommended_action(
                    "Use -DeviceCode to sign in without a local listener, or allow loopback connections.",
                )
            })?;
        let port = v4
            .local_addr()
            .map_err(|e| Error::internal(format!("loopback listener address: {e}")))?
            .port();
        let v6 = TcpListener::bind(SocketAddr::from((Ipv6Addr::LOCALHOST, port)))
            .await
            .ok();
        Ok(Self { v4, v6, port })
    }

    /// `http://localhost:<port>/`, the redirect URI to send.
    pub fn redirect_uri(&self) -> String {
        format!("http://localhost:{}/", self.port)
    }

    /// Waits for the browser's redirect carrying `state`, at most `timeout`.
    pub async fn wait(
        &self,
        state: &str,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<Redirect> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let accepted = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(Error::cancelled()),
                _ = tokio::time::sleep_until(deadline) => {
                    return Err(Error::new(
                        ErrorKind::Authentication,
                        format!(
                            "The browser sign-in was not completed within {} minutes.",
                            timeout.as_secs() / 60
                        ),
                    )
                    .with_recommended_action(
                        "Run the command again and finish the sign-in in the browser, or use -DeviceCode.",
                    ))
                }
                r = self.v4.accept() => r,
                r = accept_opt(self.v6.as_ref()) => r,
            };
            let Ok((stream, _)) = accepted else { continue };
            if let Some(redirect) = serve_one(stream, state).await {
                return Ok(redirect);
            }
        }
    }
}

async fn accept_opt(listener: Option<&TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

/// Reads one request and answers it. `Some` when it was the redirect of this sign-in.
async fn serve_one(mut stream: TcpStream, state: &str) -> Option<Redirect> {
    let mut head = Zeroizing::new(Vec::with_capacity(1024));
    let read = tokio::time::timeout(READ_TIMEOUT, async {
        let mut buf = [0u8; 2048];
        loop {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
            zeroize::Zeroize::zeroize(&mut buf);
            if head.windows(4).any(|w| w == b"\r\n\r\n") || head.len() > MAX_HEAD {
                break;
            }
        }
        Ok::<_, std::io::Error>(())
    })
    .await;
    if !matches!(read, Ok(Ok(()))) {
        return None;
    }
    let outcome = parse_redirect(&head, state);
    let (status, title, text) = match &outcome {
        Parsed::NotARedirect => ("404 Not Found", "Not found", "Nothing here."),
        Parsed::WrongState => (
            "400 Bad Request",
            "Sign-in answer not recognised",
            "This answer does not belong to the sign-in PowerShell is waiting for. Return to PowerShell.",
        ),
        Parsed::Redirect(Redirect::Code(_)) => (
            "200 OK",
            "Signed in",
            "You are signed in to PhotoUpdatePolicy. You can close this window and return to PowerShell.",
        ),
        Parsed::Redirect(Redirect::Error { .. }) => (
            "200 OK",
            "Sign-in did not complete",
            "The sign-in did not complete. Return to PowerShell for the reason and what to do.",
        ),
    };
    let body = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><p>{text}</p></body></html>"
    );
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
    match outcome {
        Parsed::Redirect(r) => Some(r),
        _ => None,
    }
}

enum Parsed {
    NotARedirect,
    WrongState,
    Redirect(Redirect),
}

/// Reads `GET /<path>?code=…&state=…` (or `error=…`) from a request head.
fn parse_redirect(head: &[u8], state: &str) -> Parsed {
    let line = head.split(|b| *b == b'\r').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split(' ');
    let (Some("GET"), Some(target)) = (parts.next(), parts.next()) else {
        return Parsed::NotARedirect;
    };
    let Some((_, query)) = target.split_once('?') else {
        return Parsed::NotARedirect;
    };
    let mut code = None;
    let mut got_state = None;
    let mut error = None;
    let mut description = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match &*k {
            "code" => code = Some(Zeroizing::new(v.into_owned())),
            "state" => got_state = Some(v.into_owned()),
            "error" => error = Some(v.into_owned()),
            "error_description" => description = Some(v.into_owned()),
            _ => {}
        }
    }
    if code.is_none() && error.is_none() {
        return Parsed::NotARedirect;
    }
    if got_state.as_deref() != Some(state) {
        return Parsed::WrongState;
    }
    match (code, error) {
        (_, Some(error)) => Parsed::Redirect(Redirect::Error { error, description }),
        (Some(code), None) if !code.is_empty() => Parsed::Redirect(Redirect::Code(code)),
        _ => Parsed::NotARedirect,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_code_error_and_refuses_other_states() {
        let p = parse_redirect(b"GET /?code=abc&state=s1 HTTP/1.1\r\nHost: x\r\n\r\n", "s1");
        assert!(matches!(p, Parsed::Redirect(Redirect::Code(c)) if c.as_str() == "abc"));
        let p = parse_redirect(
            b"GET /?error=access_denied&error_description=AADSTS65004%3A+no&state=s1 HTTP/1.1\r\n\r\n",
            "s1",
        );
        assert!(
            matches!(p, Parsed::Redirect(Redirect::Error { error, description }) if error == "access_denied" && description.as_deref() == Some("AADSTS65004: no"))
        );
        assert!(matches!(
            parse_redirect(b"GET /?code=abc&state=other HTTP/1.1\r\n\r\n", "s1"),
            Parsed::WrongState
        ));
        assert!(matches!(
            parse_redirect(b"GET /?code=abc HTTP/1.1\r\n\r\n", "s1"),
            Parsed::WrongState
        ));
        assert!(matches!(
            parse_redirect(b"GET /favicon.ico HTTP/1.1\r\n\r\n", "s1"),
            Parsed::NotARedirect
        ));
        assert!(matches!(
            parse_redirect(b"POST /?code=abc&state=s1 HTTP/1.1\r\n\r\n", "s1"),
            Parsed::NotARedirect
        ));
    }
}
