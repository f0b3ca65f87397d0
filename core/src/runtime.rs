//! Process-wide state shared by every client: one tokio runtime and one pooled HTTP client, created
//! lazily on first use, so a second cmdlet call reuses warm connections.
//!
//! The pools live as long as a client does ([`PoolLease`]): when the last client is freed (a
//! PowerShell Disconnect frees the session's), the shared HTTP clients are dropped and their
//! pooled connections closed, with the buffers that held the last requests' headers (bearer
//! tokens included). The next client opens new ones.
//!
//! TLS is rustls with the ring provider and the platform's certificate verifier, handed to reqwest
//! as a ready `ClientConfig`. No process-wide default crypto provider is installed: the library is
//! a guest in someone else's process (PowerShell, maybe with other native modules).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use once_cell::sync::Lazy;
use rustls_platform_verifier::BuilderVerifierExt;

use crate::config::Timeouts;
use crate::error::{Error, ErrorKind, Result};

/// The `User-Agent` every request sends.
pub const USER_AGENT: &str = concat!("PhotoUpdatePolicy/", env!("CARGO_PKG_VERSION"));

/// The process-wide runtime: a current-thread scheduler, driven by whichever thread is in
/// [`block_on`] (the caller of a C ABI function: PowerShell's pipeline thread, a C# worker, a C
/// program's thread). A warm call then runs start to finish on the caller's thread: no hand-over to
/// a worker to write the request and back to read the answer. That measured 0.07 ms less per warm
/// call than two worker threads (0.29-0.31 ms against 0.37 ms through the cmdlet, docs/performance.md),
/// and no idle threads. Callers on several threads at once share it safely: one drives the I/O
/// driver and the pooled connections' tasks for all, each polls its own call; none is starved, as
/// every call awaits I/O. Blocking work (DNS) goes to the blocking pool, whose threads are named
/// `pup-blocking`. Nothing may block inside a future (it would stall the other callers' I/O).
static RUNTIME: Lazy<tokio::runtime::Runtime> = Lazy::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .thread_name("pup-blocking")
        .enable_all()
        .build()
        // Only fails when the OS refuses an I/O driver; the ffi panic boundary turns this into a
        // status code.
        .expect("the tokio runtime could not be started")
});

/// The process-wide tokio runtime (see `RUNTIME`: current-thread, driven by the callers).
pub fn runtime() -> &'static tokio::runtime::Runtime {
    &RUNTIME
}

/// Runs `f` to completion on [`runtime()`], blocking the calling thread. Meant for ffi callers on
/// foreign threads; must not be called from inside the runtime (tokio panics on nested blocking;
/// [`try_block_on`] refuses instead).
pub fn block_on<F: Future>(f: F) -> F::Output {
    runtime().block_on(f)
}

/// [`block_on`], or an [`ErrorKind::InvalidArgument`](crate::error::ErrorKind) error when the
/// calling thread is already inside a runtime: an event callback that calls the library again
/// runs inside the call that raised the event, and blocking there would deadlock (tokio panics
/// to say so). The caller gets a status and a message instead of a panic on stderr.
pub fn try_block_on<F: Future>(f: F) -> Result<F::Output> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::invalid_argument(
            "A PhotoUpdatePolicy call was made from inside the event callback of another call \
             (or from async code running on a runtime); it would block the call that raised the \
             event. Make the call after the first one returns, or from another thread.",
        ));
    }
    Ok(runtime().block_on(f))
}

/// HTTP clients by connect timeout (milliseconds). reqwest fixes the connect timeout per client,
/// so clients with different timeouts each get one pooled client; in practice there is one.
static CLIENTS: Lazy<Mutex<HashMap<u64, reqwest::Client>>> = Lazy::new(Default::default);

/// The TLS configuration: ring provider, platform verifier, ALPN h2 + http/1.1.
fn tls_config() -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map_err(|e| {
            Error::new(
                ErrorKind::Network,
                format!("TLS could not be set up with the system's certificate store: {e}."),
            )
        })?
        .with_no_client_auth();
    // reqwest leaves ALPN to the owner of a preconfigured config; offer HTTP/2 first.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

fn build_client(connect_timeout: Duration) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config()?)
        .user_agent(USER_AGENT)
        .connect_timeout(connect_timeout)
        // Graph never redirects this resource; following a redirect could carry the bearer token
        // to another host.
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(90))
        .build()
        .map_err(|e| {
            Error::new(
                ErrorKind::Internal,
                format!("The HTTP client could not be created: {e}."),
            )
        })
}

/// The pooled HTTP client for `connect_timeout`, created on first use. Proxies come from
/// `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` and the system settings (reqwest's defaults).
pub fn http_client_with_connect_timeout(connect_timeout: Duration) -> Result<reqwest::Client> {
    let key = u64::try_from(connect_timeout.as_millis()).unwrap_or(u64::MAX);
    let mut clients = CLIENTS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(c) = clients.get(&key) {
        // reqwest::Client is an Arc inside: clones share the pool.
        return Ok(c.clone());
    }
    let client = build_client(connect_timeout)?;
    // Each distinct connect timeout keeps a pool alive for the life of the process; callers
    // choosing many different timeouts must not grow that without bound. Past the cap, the
    // client still works, it just does not share its pool with later calls.
    if clients.len() < MAX_SHARED_CLIENTS {
        clients.insert(key, client.clone());
    }
    Ok(client)
}

/// How many distinct connect timeouts get a shared, process-lifetime connection pool.
const MAX_SHARED_CLIENTS: usize = 8;

/// True when `err` (or anything it wraps) is a TLS certificate the verifier rejected.
///
/// Retrying cannot fix an untrusted or mismatched certificate, and the user must see it at once
/// rather than after the whole retry budget. `io::Error` hides its payload from `source()`, so
/// this also looks inside wrapped I/O errors.
pub fn is_certificate_error(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(rustls::Error::InvalidCertificate(_)) = e.downcast_ref::<rustls::Error>() {
            return true;
        }
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if is_certificate_error(inner) {
                return true;
            }
        }
        current = e.source();
    }
    false
}

/// The shared HTTP client with the default connect timeout (a handle on its pool).
///
/// # Panics
/// When TLS cannot be set up at all (no usable certificate store). [`try_http_client`] reports
/// that as an error instead; the core itself uses the fallible form.
pub fn http_client() -> reqwest::Client {
    match try_http_client() {
        Ok(c) => c,
        Err(e) => panic!("{}", e.message()),
    }
}

/// [`http_client`], reporting a TLS set-up failure as an error.
pub fn try_http_client() -> Result<reqwest::Client> {
    http_client_with_connect_timeout(Duration::from_millis(Timeouts::default().connect_ms))
}

/// Clients alive that may use the shared pools (see [`PoolLease`]).
static LEASES: AtomicUsize = AtomicUsize::new(0);

/// Held by every client ([`crate::client::PolicyClient`]) for its lifetime. When the last lease
/// is dropped, the shared HTTP clients are forgotten ([`close_pools`]): their pools, and the
/// connections with the request buffers they keep, go with the last handle on them.
#[derive(Debug)]
pub struct PoolLease(());

impl PoolLease {
    /// Takes a lease on the shared pools.
    pub fn new() -> Self {
        // Counted under the pools' lock, like the release below: a lease taken while the last
        // one is being dropped either keeps the pools (taken first) or starts new ones (taken
        // after they were forgotten), never has its fresh pool forgotten under it.
        let _pools = CLIENTS.lock().unwrap_or_else(|p| p.into_inner());
        LEASES.fetch_add(1, Ordering::SeqCst);
        PoolLease(())
    }
}

impl Default for PoolLease {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for PoolLease {
    fn drop(&mut self) {
        let dropped: Vec<reqwest::Client> = {
            let mut clients = CLIENTS.lock().unwrap_or_else(|p| p.into_inner());
            if LEASES.fetch_sub(1, Ordering::SeqCst) != 1 {
                return;
            }
            clients.drain().map(|(_, c)| c).collect()
        };
        finish_closing(dropped);
    }
}

/// Forgets every shared HTTP client. A client still alive keeps its own handle (its pool lives
/// on until it is freed); a new client gets new pools. Outside the runtime, the runtime is run
/// briefly so the closed connections' tasks end and free their buffers now rather than at the
/// next call.
pub fn close_pools() {
    let dropped: Vec<reqwest::Client> = {
        let mut clients = CLIENTS.lock().unwrap_or_else(|p| p.into_inner());
        clients.drain().map(|(_, c)| c).collect()
    };
    finish_closing(dropped);
}

/// Drops the forgotten clients (outside the pools' lock) and lets their connections' tasks end.
fn finish_closing(dropped: Vec<reqwest::Client>) {
    drop(dropped);
    if tokio::runtime::Handle::try_current().is_err() {
        block_on(async {
            for _ in 0..8 {
                tokio::task::yield_now().await;
            }
        });
    }
}

/// How many shared HTTP clients (pools) are kept now: 0 after the last client was freed.
pub fn shared_pools() -> usize {
    CLIENTS.lock().unwrap_or_else(|p| p.into_inner()).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A loopback HTTP/1.1 server answering 200 to every request, keeping connections alive;
    /// returns its URL and the count of connections it accepted.
    fn counting_server() -> (String, Arc<AtomicUsize>) {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { return };
                count.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || {
                    let mut seen = Vec::new();
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = stream.read(&mut buf) {
                        if n == 0 {
                            return;
                        }
                        seen.extend_from_slice(&buf[..n]);
                        while let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                            seen.drain(..end + 4);
                            let _ =
                                stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
                        }
                    }
                });
            }
        });
        (url, accepted)
    }

    #[test]
    fn clients_are_shared_and_no_default_provider_is_installed() {
        // Two handles on the client for one connect timeout share one pool: the second request
        // reuses the first one's connection.
        // The default timeout's client is the one every client uses, so it is always among the
        // shared ones (the cap on distinct timeouts cannot leave it out, whatever other tests in
        // this process asked for). The body is read to its end, so the connection is back in
        // the pool before the next request looks for it.
        let _lease = PoolLease::new();
        let (url, accepted) = counting_server();
        let timeout = Duration::from_millis(Timeouts::default().connect_ms);
        for _ in 0..2 {
            let client = http_client_with_connect_timeout(timeout).unwrap();
            let status = block_on(async {
                let r = client.get(&url).send().await?;
                let status = r.status();
                r.bytes().await.map(|_| status)
            });
            assert_eq!(status.unwrap(), 200);
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1, "one pooled connection");
        let _ = http_client_with_connect_timeout(Duration::from_millis(1234)).unwrap();
        assert!(rustls::crypto::CryptoProvider::get_default().is_none());
        assert!(USER_AGENT.starts_with("PhotoUpdatePolicy/"));
    }
}
