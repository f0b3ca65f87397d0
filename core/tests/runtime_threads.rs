//! The runtime's threading, alone in its own test process: which thread runs a spawned task
//! depends on which thread drives the shared current-thread runtime at that moment, so another
//! test calling `block_on` at the same time (as the library's unit tests do) would make the
//! first check below a race.

use std::time::Duration;

use photo_policy_core::runtime::{block_on, runtime};

#[test]
fn runtime_is_driven_by_its_callers_on_several_threads_at_once() {
    // Spawned tasks run on the thread in block_on: no worker threads of our own.
    let caller = std::thread::current().id();
    let ran_on = block_on(async {
        tokio::spawn(async { std::thread::current().id() })
            .await
            .unwrap()
    });
    assert_eq!(ran_on, caller);
    assert!(std::ptr::eq(runtime(), runtime()));

    // Blocking work goes to the named blocking pool.
    let blocking = block_on(async {
        tokio::task::spawn_blocking(|| std::thread::current().name().map(str::to_string))
            .await
            .unwrap()
    });
    assert_eq!(blocking.as_deref(), Some("pup-blocking"));

    // Several threads in block_on at once, each waiting on a timer the others' driving must
    // fire: all finish (none waits for another to return first).
    let started = std::time::Instant::now();
    let threads: Vec<_> = (0..4u64)
        .map(|i| {
            std::thread::spawn(move || {
                block_on(async move {
                    tokio::time::sleep(Duration::from_millis(200 - i * 40)).await;
                    i
                })
            })
        })
        .collect();
    let mut done: Vec<u64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    done.sort_unstable();
    assert_eq!(done, vec![0, 1, 2, 3]);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "concurrent callers were serialised"
    );
}
