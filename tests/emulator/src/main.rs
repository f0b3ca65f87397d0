//! `graph-emulator`: runs the Graph emulator as a process, for PowerShell tests and for admins
//! trying scripts offline. Prints `graph-emulator listening on http://127.0.0.1:PORT` first.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use graph_emulator::{Profile, PROFILE_KEYS};

/// Microsoft Graph photo update settings and Entra ID sign-in emulator, on loopback.
#[derive(Parser, Debug)]
#[command(name = "graph-emulator", version, about, long_about = None)]
struct Args {
    /// TCP port to listen on (0 = any free port).
    #[arg(long, default_value_t = 5099)]
    port: u16,

    /// Address to listen on. Keep it on loopback: the control API has no authentication.
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::IpAddr,

    /// A profile setting key=value (repeatable), applied after GRAPH_EMULATOR_PROFILE.
    #[arg(long = "profile", value_name = "KEY=VALUE", help = format!("A profile setting (repeatable): {PROFILE_KEYS}"))]
    profile: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut profile = Profile::default();
    if let Ok(list) = std::env::var("GRAPH_EMULATOR_PROFILE") {
        if let Err(e) = profile.apply_list(&list) {
            eprintln!("graph-emulator: GRAPH_EMULATOR_PROFILE: {e}");
            return ExitCode::from(2);
        }
    }
    for pair in &args.profile {
        if let Err(e) = profile.apply_pair(pair) {
            eprintln!("graph-emulator: --profile: {e}");
            return ExitCode::from(2);
        }
    }
    if !args.bind.is_loopback() {
        eprintln!(
            "graph-emulator: warning: listening on {} exposes the unauthenticated control API beyond this machine",
            args.bind
        );
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("graph-emulator: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind((args.bind, args.port)).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!(
                    "graph-emulator: cannot listen on {}:{}: {e}",
                    args.bind, args.port
                );
                return ExitCode::FAILURE;
            }
        };
        let addr = match listener.local_addr() {
            Ok(a) => a,
            Err(e) => {
                eprintln!("graph-emulator: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut out = std::io::stdout();
        let _ = writeln!(out, "graph-emulator listening on http://{addr}");
        let _ = out.flush();
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = tx.send(true);
            } else {
                // No signal support: run until killed, keeping the sender (and so the server) alive.
                std::future::pending::<()>().await;
            }
        });
        graph_emulator::serve(listener, profile, rx).await;
        ExitCode::SUCCESS
    })
}
