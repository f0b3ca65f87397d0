//! Control API over HTTP, scale (1,000 tenants, 300 concurrent connections) and the binary.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::*;
use graph_emulator::*;
use serde_json::{json, Value};

#[tokio::test]
async fn control_api_round_trip_and_reset() {
    let start = Profile {
        patch: PatchAnswer::NoContent204,
        ..Profile::default()
    };
    let emu = Emulator::start(start).await;
    let c = http();
    let u = emu.url();
    // Mint over HTTP and use it.
    let minted: Value = c
        .post(format!("{u}/_emulator/tokens"))
        .json(&json!({"tenantId":"t9","roles":[WRITE_PERMISSION]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(minted["expires_in"].as_i64().unwrap() > 3500);
    let token = minted["access_token"].as_str().unwrap().to_string();
    // Policy set verbatim and read back.
    let r = c
        .put(format!("{u}/_emulator/tenants/t9/policy"))
        .json(&json!({"source":"cloud","x":[1]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let p: Value = c
        .get(format!("{u}/_emulator/tenants/t9/policy"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(p, json!({"source":"cloud","x":[1]}));
    let r = c
        .put(format!("{u}/_emulator/tenants/t9/policy"))
        .json(&json!([1]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Profile partial merge, and a clear error for bad values.
    let prof: Value = c
        .put(format!("{u}/_emulator/profile"))
        .json(&json!({"delete":"refused"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(prof["delete"], "refused");
    assert_eq!(prof["patch"], "204");
    let bad = c
        .put(format!("{u}/_emulator/profile"))
        .json(&json!({"patch":"201"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let msg: Value = bad.json().await.unwrap();
    assert!(msg["error"].as_str().unwrap().contains("'201'"));
    // Apps: a bad certificate is refused with a reason.
    let bad_app = c
        .post(format!("{u}/_emulator/apps"))
        .json(&json!({"tenantId":"t9","clientId":"c","certificatePem":"nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_app.status(), 400);
    // Requests log over HTTP, with redaction, then cleared.
    get(&emu, &token).await;
    let log: Value = c
        .get(format!("{u}/_emulator/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log.as_array().unwrap().len(), 1);
    assert_eq!(log[0]["headers"]["authorization"], "Bearer <redacted>");
    assert_eq!(log[0]["method"], "GET");
    assert_eq!(log[0]["status"], 200);
    assert!(!log.to_string().contains(&token));
    c.delete(format!("{u}/_emulator/requests"))
        .send()
        .await
        .unwrap();
    assert!(emu.requests().is_empty());
    // Reset forgets tenants and restores the start-up profile.
    let r = c.post(format!("{u}/_emulator/reset")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(emu.policy("t9"), json!({}));
    assert_eq!(emu.profile().delete, DeleteBehavior::Supported);
    assert_eq!(emu.profile().patch, PatchAnswer::NoContent204);
    // Unknown control call.
    assert_eq!(
        c.get(format!("{u}/_emulator/nope"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn a_thousand_tenants() {
    let emu = Emulator::start(Profile::default()).await;
    let c = http();
    let sources = ["cloud", "onPremises"];
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let token = emu.mint_token(TokenSpec::app(
            &format!("tenant-{i:04}"),
            &[WRITE_PERMISSION],
        ));
        let url = format!("{}{POLICY}", emu.url());
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let r = c
                .patch(&url)
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(json!({"source": sources[i % 2]}).to_string())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }));
        if tasks.len() == 50 {
            for t in tasks.drain(..) {
                t.await.unwrap();
            }
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    for i in (0..1000).step_by(97) {
        assert_eq!(
            emu.policy(&format!("tenant-{i:04}"))["source"],
            sources[i % 2]
        );
    }
    assert_eq!(emu.requests().len(), 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_concurrent_connections() {
    let (emu, token) = emu_with(Profile::default()).await;
    // Every request waits 300 ms inside the server, so all 300 connections are open at once.
    emu.add_fault(Fault::new(FaultRoute::Graph, FaultKind::Latency).latency(300));
    let mut tasks = Vec::new();
    for _ in 0..300 {
        // One client per task: no connection sharing, 300 distinct TCP connections.
        let c = http();
        let url = format!("{}{POLICY}", emu.url());
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let sent = std::time::Instant::now();
            let status = c
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            (status, sent, std::time::Instant::now())
        }));
    }
    let mut answered = Vec::new();
    for t in tasks {
        let (status, _sent, at) = t.await.unwrap();
        assert_eq!(status, 200);
        answered.push(at);
    }
    // Served concurrently, not one after another: one after another, each answer waits its own
    // 300 ms, so no 300 ms window could hold more than two answers. Counted rather than timed as
    // a whole, so a loaded machine (slow to send) does not fail it.
    answered.sort();
    let window = std::time::Duration::from_millis(300);
    let most_in_window = (0..answered.len())
        .map(|i| {
            answered[i..]
                .iter()
                .take_while(|t| **t - answered[i] < window)
                .count()
        })
        .max()
        .unwrap();
    assert!(
        most_in_window >= 10,
        "at most {most_in_window} of 300 answers came within one 300 ms window"
    );
}

#[test]
fn binary_prints_its_url_and_applies_profiles() {
    let bin = env!("CARGO_BIN_EXE_graph-emulator");
    let started = std::time::Instant::now();
    let mut child = Command::new(bin)
        .args(["--port", "0", "--profile", "patch=204"])
        .env(
            "GRAPH_EMULATOR_PROFILE",
            "preset=learn,delete=refused,includeId=true",
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let startup = started.elapsed();
    let url = line
        .trim()
        .strip_prefix("graph-emulator listening on ")
        .expect(&line)
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let prof: Value = rt.block_on(async {
        http()
            .get(format!("{url}/_emulator/profile"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(prof["patch"], "204");
    assert_eq!(prof["delete"], "refused");
    assert_eq!(prof["includeId"], true);
    // The preset gave the earlier reading; the settings after it refined it.
    assert_eq!(prof["sourceKey"], "source");
    assert_eq!(prof["refusal"], "generic");
    assert!(
        startup < std::time::Duration::from_secs(1),
        "started in {startup:?}"
    );

    // A bad profile value stops it with a message naming the value.
    let out = Command::new(bin)
        .args(["--port", "0", "--profile", "patch=999"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("'999'"));
}
