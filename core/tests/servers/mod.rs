//! Hosting for the hand-written loopback servers some tests script answers with.
#![allow(dead_code)]

/// Runs a test server on a thread and runtime of its own: the core's runtime is driven only by
/// the calls under test (it is current-thread, driven by its callers), so it must not host the
/// server that answers them.
pub fn serve_in_background(server: impl std::future::Future<Output = ()> + Send + 'static) {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("test server runtime")
            .block_on(server)
    });
}
