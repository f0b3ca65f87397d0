//! The token cache every sign-in mode shares: one cached token, refreshed a few minutes before it
//! expires, with a single-flight refresh so concurrent calls share one sign-in.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio_util::sync::CancellationToken;

use super::token::AccessToken;
use crate::error::{Error, Result};

/// Source of "now" for the cache; injectable so tests can make a cached token expire.
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// The real clock.
pub fn system_clock() -> Clock {
    Arc::new(SystemTime::now)
}

/// The boxed future [`super::TokenSource::token`] returns.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<AccessToken>> + Send + 'a>>;

/// How long before expiry a cached token is replaced (MSAL uses the same 5 minutes).
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// One cached token behind an async mutex. Holding the mutex while signing in makes the refresh
/// single-flight: callers that arrive meanwhile wait, then find the fresh token.
pub struct TokenCache {
    slot: tokio::sync::Mutex<Option<AccessToken>>,
    clock: Clock,
    margin: Duration,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("margin", &self.margin)
            .finish_non_exhaustive()
    }
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::new(system_clock())
    }
}

impl TokenCache {
    /// An empty cache using `clock` and the standard refresh margin.
    pub fn new(clock: Clock) -> Self {
        Self {
            slot: tokio::sync::Mutex::new(None),
            clock,
            margin: REFRESH_MARGIN,
        }
    }

    /// The current time by this cache's clock.
    pub fn now(&self) -> SystemTime {
        (self.clock)()
    }

    /// True when `token` is still good for longer than the refresh margin. A token without a
    /// known expiry is never reused: we cannot tell when it stops working.
    fn is_fresh(&self, token: &AccessToken) -> bool {
        token
            .expires_at
            .is_some_and(|exp| exp > self.now() + self.margin)
    }

    /// The cached token when fresh, else the result of `fetch` (which is then cached). `fetch`
    /// runs with the cache locked, so concurrent callers share one sign-in.
    pub async fn get_or_fetch<F, Fut>(
        &self,
        cancel: &CancellationToken,
        fetch: F,
    ) -> Result<AccessToken>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken>>,
    {
        // `biased`: an already-cancelled call must report Cancelled, not win a coin toss against
        // a lock or fetch that happens to be ready too.
        let mut slot = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(Error::cancelled()),
            guard = self.slot.lock() => guard,
        };
        if let Some(token) = slot.as_ref().filter(|t| self.is_fresh(t)) {
            return Ok(token.clone());
        }
        // Drop a stale token now so it is zeroized even if the refresh fails.
        *slot = None;
        let token = tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(Error::cancelled()),
            t = fetch() => t?,
        };
        *slot = Some(token.clone());
        Ok(token)
    }

    /// [`Self::get_or_fetch`], boxed as [`super::TokenSource::token`] returns it: the one body
    /// every caching sign-in mode's `token` shares.
    pub fn get_or_fetch_boxed<'a, F, Fut>(
        &'a self,
        cancel: &'a CancellationToken,
        fetch: F,
    ) -> TokenFuture<'a>
    where
        F: FnOnce() -> Fut + Send + 'a,
        Fut: Future<Output = Result<AccessToken>> + Send + 'a,
    {
        Box::pin(self.get_or_fetch(cancel, fetch))
    }

    /// Forgets the cached token (e.g. after Graph rejected it), so the next call signs in again.
    pub async fn clear(&self) {
        *self.slot.lock().await = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use zeroize::Zeroizing;

    fn token(exp: SystemTime) -> AccessToken {
        AccessToken {
            token: Zeroizing::new("t".into()),
            expires_at: Some(exp),
        }
    }

    #[tokio::test]
    async fn reuses_until_margin_then_refreshes() {
        let now = Arc::new(AtomicU64::new(1_000_000));
        let n2 = now.clone();
        let cache = TokenCache::new(Arc::new(move || {
            SystemTime::UNIX_EPOCH + Duration::from_secs(n2.load(Ordering::SeqCst))
        }));
        let calls = AtomicUsize::new(0);
        let cancel = CancellationToken::new();
        let fetch = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(token(cache.now() + Duration::from_secs(3600)))
        };
        cache.get_or_fetch(&cancel, fetch).await.unwrap();
        cache.get_or_fetch(&cancel, fetch).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // 56 minutes later the token has 4 minutes left: inside the 5-minute margin.
        now.fetch_add(56 * 60, Ordering::SeqCst);
        cache.get_or_fetch(&cancel, fetch).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch() {
        let cache = Arc::new(TokenCache::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let cache = cache.clone();
            let calls = calls.clone();
            tasks.push(tokio::spawn(async move {
                let cancel = CancellationToken::new();
                cache
                    .get_or_fetch(&cancel, || async {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok(token(SystemTime::now() + Duration::from_secs(3600)))
                    })
                    .await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn cancelled_fetch_returns_cancelled_and_caches_nothing() {
        let cache = TokenCache::default();
        let cancel = CancellationToken::new();
        cancel.cancel();
        let e = cache
            .get_or_fetch(&cancel, || async { Ok(token(SystemTime::now())) })
            .await
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Cancelled);
    }
}
