//! Raw client benchmark (not a timed test): what one warm read of the policy costs in Rust, with no
//! C ABI and no PowerShell, next to a plain reqwest loop against the same URL with the same token.
//!
//! The PowerShell bench (`tests/bench/Invoke-Benchmarks.ps1`) subtracts these figures from the
//! cmdlet's per-call time to get the cmdlet's own overhead. It runs this bench against the Graph
//! emulator it started as a separate process, passing the emulator's URL and a minted token in the
//! environment (never on the command line):
//!
//! ```text
//! PUP_BENCH_GRAPH_URL=http://127.0.0.1:PORT PUP_BENCH_TOKEN=… \
//!   cargo bench -p photo_policy_core --bench raw_client -- target/raw-client.json
//! ```
//!
//! Without `PUP_BENCH_GRAPH_URL` it starts the emulator in this process and mints its own token,
//! so `cargo bench -p photo_policy_core --bench raw_client` works on its own too.
//!
//! Figures (milliseconds per call, median and p90 of `PUP_BENCH_CALLS`, default 1,000, measured in
//! interleaved blocks of 100 so a load spike on a shared machine hits both loops alike):
//! - `plainReqwest`: GET with the bearer token on one pooled `reqwest::Client` (the same process
//!   wide client the core uses), body read and parsed as JSON, each call a `block_on` from the main
//!   thread (as the C ABI does).
//! - `policyClientGet`: [`PolicyClient::get`] (token check, GET, retries armed, policy model and
//!   view), each call a `block_on`.
//! - `clientNew`: [`PolicyClient::new`] with a ready access token (no network): what creating a
//!   client per call would cost.
//! - `firstCall`: the process's first `get` (runtime start, TLS set-up, connection) vs warm.
//! - `clientSecret`: a client-secret client's first `get` (sign-in + GET) vs its warm calls (the
//!   cached token is reused, no sign-in request).

use std::time::{Duration, Instant};

use photo_policy_core::auth::AuthConfig;
use photo_policy_core::client::{CallContext, PolicyClient};
use photo_policy_core::config::ClientConfig;
use photo_policy_core::runtime::{block_on, http_client};
use serde_json::{json, Value};
use zeroize::Zeroizing;

/// Calls per measured loop unless `PUP_BENCH_CALLS` says otherwise.
const DEFAULT_CALLS: usize = 1_000;
/// Calls per block when two loops are interleaved.
const BLOCK: usize = 100;
/// Calls made before measuring (connections opened, caches warm).
const WARM_UP: usize = 50;
/// The tenant the bench uses when it starts its own emulator, and the app it registers.
const TENANT: &str = "b1000000-0000-4000-8000-000000000001";
const APP_ID: &str = "b1000000-0000-4000-8000-0000000000a1";
const APP_SECRET: &str = "raw-client-bench-secret";

/// Median, p90, mean, min and max of `samples` (milliseconds), as JSON.
fn stats(samples: &[f64]) -> Value {
    let mut s = samples.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let pick = |q: f64| s[((s.len() - 1) as f64 * q).round() as usize];
    json!({
        "count": s.len(),
        "medianMs": pick(0.5),
        "p90Ms": pick(0.9),
        "meanMs": s.iter().sum::<f64>() / s.len() as f64,
        "minMs": s[0],
        "maxMs": s[s.len() - 1],
    })
}

/// The process's resident set (`VmRSS`) in MiB from /proc (Linux); `None` elsewhere.
fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(v: &Value) -> f64 {
    v["medianMs"].as_f64().unwrap_or(f64::NAN)
}

/// Where the bench talks to: an emulator started elsewhere (URL and token from the environment)
/// or one started here. The in-process one lives as long as this value.
struct Target {
    url: String,
    token: String,
    _emulator: Option<graph_emulator::Emulator>,
}

fn target() -> Target {
    match std::env::var("PUP_BENCH_GRAPH_URL") {
        Ok(url) if !url.trim().is_empty() => {
            let token = std::env::var("PUP_BENCH_TOKEN").unwrap_or_else(|_| {
                panic!("PUP_BENCH_GRAPH_URL is set but PUP_BENCH_TOKEN (an emulator token) is not")
            });
            Target {
                url: url.trim().trim_end_matches('/').to_string(),
                token,
                _emulator: None,
            }
        }
        _ => {
            let emu = graph_emulator::Emulator::start_blocking(graph_emulator::Profile::default());
            emu.set_policy(TENANT, json!({"source": "cloud"}));
            let token = emu.mint_token(graph_emulator::TokenSpec::app(
                TENANT,
                &["PeopleSettings.ReadWrite.All"],
            ));
            Target {
                url: emu.url(),
                token,
                _emulator: Some(emu),
            }
        }
    }
}

fn config(url: &str, auth: AuthConfig, tenant: Option<&str>) -> ClientConfig {
    ClientConfig {
        tenant_id: tenant.map(str::to_string),
        graph_endpoint: Some(url.to_string()),
        authority_endpoint: Some(url.to_string()),
        allow_insecure_loopback: true,
        auth,
        ..ClientConfig::default()
    }
}

/// One plain reqwest GET: bearer token, whole body read, parsed as JSON (as any caller would).
async fn plain_get(http: &reqwest::Client, url: &str, token: &str) -> Value {
    let resp = http
        .get(url)
        .bearer_auth(token)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .expect("plain reqwest GET failed");
    assert!(
        resp.status().is_success(),
        "plain reqwest GET answered {}",
        resp.status()
    );
    let body = resp.bytes().await.expect("plain reqwest body");
    serde_json::from_slice(&body).expect("plain reqwest body is JSON")
}

/// The client-secret figures: registers an app on the emulator through its control API, then
/// times the first `get` (sign-in + GET) and warm ones (cached token), counting sign-in requests
/// from the emulator's request log.
fn client_secret_figures(url: &str, calls: usize) -> Value {
    let http = &http_client();
    let tenant = TENANT;
    let registered = block_on(async {
        http.post(format!("{url}/_emulator/apps"))
            .json(
                &json!({"tenantId": tenant, "clientId": APP_ID, "secret": APP_SECRET,
                          "roles": ["PeopleSettings.ReadWrite.All"]}),
            )
            .send()
            .await
            .map(|r| r.status().is_success())
    });
    if !matches!(registered, Ok(true)) {
        return json!({"skipped": "the emulator's control API did not register the bench app"});
    }
    let client = PolicyClient::new(
        config(
            url,
            AuthConfig::ClientSecret {
                client_id: APP_ID.into(),
            },
            Some(tenant),
        ),
        Zeroizing::new(APP_SECRET.as_bytes().to_vec()),
    )
    .expect("client-secret client");
    let ctx = CallContext::new();
    let started = Instant::now();
    block_on(client.get(&ctx)).expect("client-secret first get");
    let first = ms(started.elapsed());
    let log_before = sign_in_requests(url);
    let mut warm = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        block_on(client.get(&ctx)).expect("client-secret warm get");
        warm.push(ms(started.elapsed()));
    }
    let sign_ins_during_warm = match (log_before, sign_in_requests(url)) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    json!({
        "firstCallMs": first,
        "warm": stats(&warm),
        "signInRequestsDuringWarmCalls": sign_ins_during_warm,
    })
}

/// How many token-route requests the emulator's log holds (None if it cannot be read).
fn sign_in_requests(url: &str) -> Option<usize> {
    let log: Value = block_on(async {
        http_client()
            .get(format!("{url}/_emulator/requests"))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()
    })?;
    let entries = log.as_array().or_else(|| log["requests"].as_array())?;
    Some(
        entries
            .iter()
            .filter(|e| e["route"].as_str() == Some("token"))
            .count(),
    )
}

fn main() {
    let out = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .or_else(|| std::env::var("PUP_BENCH_OUT").ok());
    let calls: usize = std::env::var("PUP_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n >= BLOCK)
        .unwrap_or(DEFAULT_CALLS);
    let target = target();
    let url = target.url.clone();
    let policy_url = format!("{url}/beta/admin/people/photoUpdateSettings");

    // The first call of the process: runtime, TLS configuration, connection.
    let rss_before = rss_mib();
    let started = Instant::now();
    let client = PolicyClient::new(
        config(&url, AuthConfig::AccessToken, None),
        Zeroizing::new(target.token.clone().into_bytes()),
    )
    .expect("access-token client");
    let ctx = CallContext::new();
    block_on(client.get(&ctx)).expect("first get");
    let first_call = ms(started.elapsed());

    let http = &http_client();
    for _ in 0..WARM_UP {
        block_on(client.get(&ctx)).expect("warm-up get");
        block_on(plain_get(http, &policy_url, &target.token));
    }

    let mut plain = Vec::with_capacity(calls);
    let mut policy = Vec::with_capacity(calls);
    for _ in 0..calls / BLOCK {
        for _ in 0..BLOCK {
            let started = Instant::now();
            let body = block_on(plain_get(http, &policy_url, &target.token));
            plain.push(ms(started.elapsed()));
            std::hint::black_box(body);
        }
        for _ in 0..BLOCK {
            let started = Instant::now();
            let view = block_on(client.get(&ctx)).expect("get");
            policy.push(ms(started.elapsed()));
            std::hint::black_box(view);
        }
    }

    let rss_after_calls = rss_mib();

    let mut client_new = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        let c = PolicyClient::new(
            config(&url, AuthConfig::AccessToken, None),
            Zeroizing::new(target.token.clone().into_bytes()),
        )
        .expect("client");
        client_new.push(ms(started.elapsed()));
        std::hint::black_box(c);
    }

    let secret = client_secret_figures(&url, calls.min(200));

    let plain = stats(&plain);
    let policy = stats(&policy);
    let client_new = stats(&client_new);
    println!("raw_client: {calls} calls each against {url}");
    println!(
        "  plain reqwest          median {:.3} ms  p90 {:.3} ms",
        median(&plain),
        plain["p90Ms"].as_f64().unwrap_or(f64::NAN)
    );
    println!(
        "  PolicyClient::get      median {:.3} ms  p90 {:.3} ms  (overhead {:+.3} ms)",
        median(&policy),
        policy["p90Ms"].as_f64().unwrap_or(f64::NAN),
        median(&policy) - median(&plain)
    );
    println!(
        "  PolicyClient::new      median {:.4} ms",
        median(&client_new)
    );
    println!("  first call of process  {first_call:.3} ms");
    if let (Some(a), Some(b)) = (rss_before, rss_after_calls) {
        println!("  resident memory        {a:.1} MiB before the first call, {b:.1} MiB after");
    }
    println!("  client secret          {secret}");

    let doc = json!({
        "benchmark": "raw_client",
        "calls": calls,
        "blockSize": BLOCK,
        "warmUpCalls": WARM_UP,
        "emulator": if target._emulator.is_some() { "in process" } else { "separate process" },
        "plainReqwest": plain,
        "policyClientGet": policy,
        "policyClientOverheadMs": median(&policy) - median(&plain),
        "clientNew": client_new,
        "firstCallMs": first_call,
        "clientSecret": secret,
        // Resident memory of this Rust process before its first call and after the measured
        // loops: what the runtime, TLS set-up and HTTP pool cost without .NET or PowerShell.
        "rssBeforeFirstCallMiB": rss_before,
        "rssAfterCallsMiB": rss_after_calls,
    });
    if let Some(path) = out {
        std::fs::write(&path, serde_json::to_string_pretty(&doc).expect("json"))
            .unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
        println!("figures written to {path}");
    }
}
