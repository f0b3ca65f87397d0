//! Fleet scale benchmark (not a timed test): 1,000 tenants against the in-process Graph emulator
//! with 25 ms of added latency per Graph request, at concurrency 50 and 100.
//!
//! For each run it prints the ideal time (requests per tenant × latency × tenants ÷ concurrency),
//! the measured time, their ratio, and the process's resident memory (current and peak), and
//! writes the figures as JSON to the path given on the command line (or `PUP_BENCH_OUT`):
//!
//! ```text
//! cargo bench -p photo_policy_core --bench fleet_bench -- target/fleet-bench.json
//! ```
//!
//! The target is a ratio within 1.3 with flat memory (RSS after the last run close to RSS after
//! the first). The emulator shares the process (and the machine's cores) with the client, so the
//! figure is pessimistic on a busy machine.

use std::time::Instant;

use graph_emulator::{Emulator, Fault, FaultKind, FaultRoute, Profile, TokenSpec};
use photo_policy_core::client::{CallContext, PolicyClient};
use photo_policy_core::config::ClientConfig;
use photo_policy_core::fleet::{self, FleetRequest};
use photo_policy_core::runtime::block_on;
use serde_json::{json, Value};
use zeroize::Zeroizing;

const TENANTS: usize = 1_000;
const LATENCY_MS: u64 = 25;

/// `VmRSS` and `VmHWM` (peak) in KiB from /proc (Linux); `None` elsewhere.
fn memory_kib() -> (Option<u64>, Option<u64>) {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return (None, None);
    };
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn main() {
    let out = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .or_else(|| std::env::var("PUP_BENCH_OUT").ok());

    let emu = Emulator::start_blocking(Profile::default());
    let clients: Vec<PolicyClient> = (0..TENANTS)
        .map(|i| {
            let tenant = format!("b0000000-0000-4000-8000-{i:012}");
            let token = emu.mint_token(TokenSpec::app(&tenant, &["PeopleSettings.ReadWrite.All"]));
            let config = ClientConfig {
                tenant_id: Some(tenant),
                graph_endpoint: Some(emu.url()),
                allow_insecure_loopback: true,
                ..ClientConfig::default()
            };
            PolicyClient::new(config, Zeroizing::new(token.into_bytes())).expect("client")
        })
        .collect();
    let refs: Vec<&PolicyClient> = clients.iter().collect();
    emu.add_fault(Fault::new(FaultRoute::Graph, FaultKind::Latency).latency(LATENCY_MS));

    let desired =
        json!({"schemaVersion": 1, "source": "cloud", "allowedRoles": ["Global Administrator"]});
    // (operation, concurrency, Graph requests per tenant): a test is one GET; an apply to a
    // default tenant is GET + PATCH (the emulator answers the PATCH with the policy).
    let runs = [
        ("test", 50, 1u64),
        ("test", 100, 1),
        ("apply", 50, 2),
        ("test", 50, 1),
    ];
    let mut figures = Vec::new();
    let (rss_start, _) = memory_kib();
    println!(
        "fleet_bench: {TENANTS} tenants, {LATENCY_MS} ms latency per Graph request (emulator in process)"
    );
    for (operation, concurrency, per_tenant) in runs {
        let request = FleetRequest::from_json(
            &json!({"operation": operation, "desired": desired, "concurrency": concurrency})
                .to_string(),
        )
        .expect("request");
        let started = Instant::now();
        let report = block_on(fleet::run(&refs, &request, &CallContext::new())).expect("run");
        let measured = started.elapsed().as_secs_f64();
        let ideal = (per_tenant * LATENCY_MS) as f64 / 1000.0 * TENANTS as f64 / concurrency as f64;
        let (rss, peak) = memory_kib();
        let failed = report.summary.failed;
        println!(
            "{operation:>5} concurrency {concurrency:>3}: ideal {ideal:.3} s, measured {measured:.3} s, \
             ratio {:.2}, failed {failed}, RSS {} KiB, peak {} KiB",
            measured / ideal,
            rss.map_or("n/a".into(), |v| v.to_string()),
            peak.map_or("n/a".into(), |v| v.to_string()),
        );
        figures.push(json!({
            "operation": operation,
            "tenants": TENANTS,
            "concurrency": concurrency,
            "latencyMs": LATENCY_MS,
            "requestsPerTenant": per_tenant,
            "idealSeconds": ideal,
            "measuredSeconds": measured,
            "ratio": measured / ideal,
            "failed": failed,
            "summary": report.summary,
            "rssKiB": rss,
            "peakRssKiB": peak,
        }));
    }
    let doc: Value = json!({
        "benchmark": "fleet",
        "target": "ratio <= 1.3, flat memory",
        "rssAtStartKiB": rss_start,
        "runs": figures,
    });
    if let Some(path) = out {
        std::fs::write(&path, serde_json::to_string_pretty(&doc).expect("json"))
            .unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
        println!("figures written to {path}");
    }
}
