//! Browser sign-in (authorization code + PKCE, loopback redirect) against the in-process
//! emulator, with a scripted "browser": it opens the authorize URL the source hands out, the test
//! approves or declines through the emulator's control API, and the browser follows the redirect
//! to the loopback listener. Then refresh (rotation), a revoked session, a wrong tenant, a stray
//! redirect, a timeout and cancellation.

mod auth_support;

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_support::*;
use graph_emulator::{AuthorizationApproval, Emulator};
use photo_policy_core::auth::browser::BrowserSource;
use photo_policy_core::auth::{self, connection_info, AuthConfig, TokenSource};
use photo_policy_core::call_context::CallContext;
use photo_policy_core::cloud::Cloud;
use photo_policy_core::events::{EventLevel, Events};
use photo_policy_core::ErrorKind;
use tokio_util::sync::CancellationToken;
use zeroize::Zeroizing;

const PEOPLE_ADMIN: &str = "024906de-61e5-49c8-8572-40335f1e0e10";

/// A plain HTTP/1.1 GET (emulator and loopback listener are plain HTTP): (status, head, body).
fn http_get(url: &str) -> (u16, String, String) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let addr = authority.replace("localhost", "127.0.0.1");
    let mut s = std::net::TcpStream::connect(&addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_string(), body.to_string())
}

/// Waits for the source to ask for a browser; returns the authorize URL.
fn wait_for_browser(rec: &Recorder) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(url) = rec.messages(EventLevel::OpenBrowser).pop() {
            return url;
        }
        assert!(Instant::now() < deadline, "no browser was asked for");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The user's side: open the URL, decide in the "browser", follow the redirect to the loopback.
fn browse(emu: &Emulator, rec: &Recorder, approval: Option<AuthorizationApproval>) -> String {
    let url = wait_for_browser(rec);
    let (status, _, body) = http_get(&url);
    assert_eq!(status, 200, "{body}");
    let redirect = match approval {
        Some(a) => emu.approve_authorization(a).unwrap(),
        None => emu.decline_authorization(None).unwrap(),
    };
    // Opening the authorize URL again is answered with the redirect, as the browser would see.
    let (status, head, _) = http_get(&url);
    assert_eq!(status, 302);
    assert!(head.contains(&redirect), "{head}");
    let (status, _, page) = http_get(&redirect);
    assert_eq!(status, 200, "{page}");
    page
}

fn start(
    source: &Arc<dyn TokenSource>,
    events: &Events,
    cancel: &CancellationToken,
) -> std::thread::JoinHandle<photo_policy_core::Result<photo_policy_core::auth::AccessToken>> {
    let (source, events, cancel) = (source.clone(), events.clone(), cancel.clone());
    std::thread::spawn(move || {
        let call = CallContext {
            cancel,
            stop: Default::default(),
            events,
            limits: None,
        };
        photo_policy_core::runtime::block_on(async move { source.token(&call).await })
    })
}

fn browser_source(emu: &Emulator, tenant: Option<&str>) -> Arc<dyn TokenSource> {
    let mut cfg = config(emu, Cloud::Global, AuthConfig::Browser { client_id: None });
    cfg.tenant_id = tenant.map(str::to_string);
    auth::token_source(&cfg, Zeroizing::new(Vec::new())).unwrap()
}

fn approval(expires_in: Option<i64>) -> AuthorizationApproval {
    AuthorizationApproval {
        tenant_id: Some(TENANT.into()),
        wids: vec![PEOPLE_ADMIN.into()],
        upn: Some("admin@contoso.example".into()),
        expires_in_seconds: expires_in,
        ..Default::default()
    }
}

#[test]
fn approved_sign_in_then_refreshes_silently_with_the_rotating_refresh_token() {
    let emu = emulator();
    // Tokens of 2 minutes are inside the 5-minute refresh margin: every call refreshes.
    let source = browser_source(&emu, None);
    let (rec, events) = recorder();
    let cancel = CancellationToken::new();
    let handle = start(&source, &events, &cancel);
    let page = browse(&emu, &rec, Some(approval(Some(120))));
    assert!(page.contains("You can close this window"), "{page}");
    let first = handle.join().unwrap().unwrap();

    let url = rec.messages(EventLevel::OpenBrowser).pop().unwrap();
    assert!(url.starts_with(&format!(
        "{}/organizations/oauth2/v2.0/authorize?",
        emu.url()
    )));
    for part in [
        "client_id=14d82eec-204b-4c2f-b7e8-296a70dab67e",
        "response_type=code",
        "redirect_uri=http%3A%2F%2Flocalhost%3A",
        "code_challenge_method=S256",
        "PeopleSettings.ReadWrite.All",
        "offline_access",
    ] {
        assert!(url.contains(part), "{part} missing from {url}");
    }
    // The URL is also a verbose line (for hosts where no browser opens).
    assert!(rec
        .messages(EventLevel::Verbose)
        .iter()
        .any(|m| m.contains(&url)));

    let info = photo_policy_core::runtime::block_on(connection_info(
        source.as_ref(),
        &CallContext {
            cancel: cancel.clone(),
            stop: Default::default(),
            events: events.clone(),
            limits: None,
        },
    ))
    .unwrap();
    assert_eq!(info.auth_mode, "browser");
    assert_eq!(info.account.as_deref(), Some("admin@contoso.example"));
    assert_eq!(info.tenant_id.as_deref(), Some(TENANT));

    // Two more tokens: each a refresh (no new browser), each with a new refresh token.
    let second = token(source.as_ref(), &events).unwrap();
    let _third = token(source.as_ref(), &events).unwrap();
    assert_ne!(first.token.as_str(), second.token.as_str());
    assert_eq!(rec.messages(EventLevel::OpenBrowser).len(), 1);
    let bodies: Vec<String> = requests_on(&emu, "token")
        .into_iter()
        .filter(|r| r.method == "POST")
        .filter_map(|r| r.body)
        .collect();
    let refreshes = bodies
        .iter()
        .filter(|b| b.contains("grant_type=refresh_token"))
        .count();
    assert!(refreshes >= 2, "{bodies:?}");
    assert!(bodies
        .iter()
        .any(|b| b.contains("grant_type=authorization_code") && b.contains("code_verifier=")));

    // Nothing secret in any event: no code, verifier, refresh or access token.
    let all = rec.all_text();
    assert!(!all.contains(first.token.as_str()) && !all.contains(second.token.as_str()));
    assert!(!all.contains("refresh_token=") && !all.contains("code_verifier"));

    // A revoked session: the next refresh fails and says to connect again; no browser opens.
    emu.revoke_refresh_tokens();
    let e = token(source.as_ref(), &events).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Authentication);
    assert!(
        e.message().contains("could not be renewed"),
        "{}",
        e.message()
    );
    assert!(e
        .recommended_action()
        .unwrap_or_default()
        .contains("Connect-PhotoUpdatePolicy"));
    assert_eq!(rec.messages(EventLevel::OpenBrowser).len(), 1);
}

#[test]
fn declined_sign_in_is_an_authentication_error_saying_so() {
    let emu = emulator();
    let source = browser_source(&emu, Some(TENANT));
    let (rec, events) = recorder();
    let cancel = CancellationToken::new();
    let handle = start(&source, &events, &cancel);
    let page = browse(&emu, &rec, None);
    assert!(page.contains("did not complete"), "{page}");
    let e = handle.join().unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Authentication);
    assert!(e.message().contains("declined"), "{}", e.message());
    assert_eq!(
        e.service().and_then(|s| s.aadsts.as_deref()),
        Some("AADSTS65004")
    );
}

#[test]
fn a_user_of_another_tenant_is_refused_by_the_tenant_endpoint() {
    let emu = emulator();
    let source = browser_source(&emu, Some("fabrikam.example"));
    let (rec, events) = recorder();
    let cancel = CancellationToken::new();
    let handle = start(&source, &events, &cancel);
    browse(&emu, &rec, Some(approval(None)));
    let e = handle.join().unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Authentication);
    assert_eq!(
        e.service().and_then(|s| s.aadsts.as_deref()),
        Some("AADSTS50020"),
        "{}",
        e.message()
    );
}

#[test]
fn a_stray_redirect_with_another_state_is_ignored() {
    let emu = emulator();
    let source = browser_source(&emu, None);
    let (rec, events) = recorder();
    let cancel = CancellationToken::new();
    let handle = start(&source, &events, &cancel);
    let url = wait_for_browser(&rec);
    let redirect_uri = url::Url::parse(&url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .unwrap()
        .1
        .into_owned();
    let (status, _, _) = http_get(&format!("{redirect_uri}?code=injected&state=not-ours"));
    assert_eq!(status, 400);
    let (status, _, _) = http_get(&format!("{redirect_uri}favicon.ico"));
    assert_eq!(status, 404);
    browse(&emu, &rec, Some(approval(None)));
    assert!(handle.join().unwrap().is_ok());
}

#[test]
fn no_answer_times_out_and_cancel_stops_the_wait() {
    let emu = emulator();
    let cfg = config(&emu, Cloud::Global, AuthConfig::Browser { client_id: None });
    let source = BrowserSource::new(context(&cfg), None)
        .unwrap()
        .with_timeout(Duration::from_millis(300));
    let (_rec, events) = recorder();
    let e = token(&source, &events).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Authentication);
    assert!(e.message().contains("not completed"), "{}", e.message());

    let source: Arc<dyn TokenSource> = Arc::new(BrowserSource::new(context(&cfg), None).unwrap());
    let (rec, events) = recorder();
    let cancel = CancellationToken::new();
    let handle = start(&source, &events, &cancel);
    wait_for_browser(&rec);
    let t0 = Instant::now();
    cancel.cancel();
    let e = handle.join().unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled);
    assert!(t0.elapsed() < Duration::from_secs(2));
}
