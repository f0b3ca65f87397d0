//! `PupCallContext`: what a caller attaches to a blocking call to cancel it from another thread,
//! to observe its events, and to give it its own timeouts and retry limits.

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::{Arc, RwLock};

use photo_policy_core::events::{Event, EventLevel, EventSink, Events};
use photo_policy_core::limits::CallLimits;
use tokio_util::sync::CancellationToken;

use crate::error::PupError;
use crate::json::parse_json;
use crate::panic::{call, guard};
use crate::status::PupStatus;
use crate::strings::str_arg;

/// The `level` a [`PupEventFn`] receives. Values are part of the ABI: never reused or renumbered;
/// new ones are appended, so a caller writes an unknown level as it writes a verbose line.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PupEventLevel {
    /// A line for verbose output (each request, each decision).
    Verbose = 0,
    /// A line for debug output (request and answer details, secrets redacted).
    Debug = 1,
    /// A warning the user should read.
    Warning = 2,
    /// Progress: `msg` is a JSON object `{"activity","status","percent","completed","total"}`.
    Progress = 3,
    /// Something the user must act on now, shown even without verbose output (e.g. a device
    /// code sign-in's instructions).
    Information = 4,
    /// `msg` is a URL to open in the system browser (an interactive sign-in's authorize URL; it
    /// holds no secret), or to show the user when no browser can be opened.
    OpenBrowser = 5,
    /// `msg` is one tenant's entry of a fleet run's result JSON, sent as soon as that tenant is
    /// done (the same JSON as in the run's result).
    Result = 6,
}

impl From<EventLevel> for PupEventLevel {
    /// The one mapping from the core's levels; exhaustive, so a new core level does not compile
    /// until it is given an ABI value here.
    fn from(level: EventLevel) -> Self {
        match level {
            EventLevel::Verbose => PupEventLevel::Verbose,
            EventLevel::Debug => PupEventLevel::Debug,
            EventLevel::Warning => PupEventLevel::Warning,
            EventLevel::Progress => PupEventLevel::Progress,
            EventLevel::Information => PupEventLevel::Information,
            EventLevel::OpenBrowser => PupEventLevel::OpenBrowser,
            EventLevel::Result => PupEventLevel::Result,
        }
    }
}

/// Receives the events of a call: `level` is a [`PupEventLevel`]: 0 verbose, 1 debug, 2 warning,
/// 3 progress (then `msg` is a JSON object `{"activity","status","percent","completed","total"}`),
/// 4 information (shown without verbose, e.g. device code instructions), 5 open-browser (`msg` is
/// a URL to open in the system browser, or to show when none can open), 6 result (`msg` is one
/// tenant's entry of a fleet run's result JSON, sent as soon as that tenant is done). Treat
/// unknown levels as
/// verbose.
///
/// Invoked only while that call is in progress (never after it returned), usually on the thread
/// that made the call (the runtime is driven by its callers), but possibly on another thread: it
/// must be callable from any thread, and must not wait for a lock the calling thread holds. It must return quickly, must not call back
/// into this library with the same context, and must not unwind (no C++ exception, no managed
/// exception). `msg` is UTF-8, not NUL-terminated, and valid only during the callback.
pub type PupEventFn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, level: u32, msg: *const u8, len: usize)>;

/// Cancellation and an optional event sink for one or more calls. Create with
/// [`pup_call_context_new`], cancel from any thread with [`pup_call_context_cancel`], free with
/// [`pup_call_context_free`] once no call uses it any more.
pub struct PupCallContext {
    cancel: CancellationToken,
    /// Set by [`pup_call_context_stop`]: start no new work, finish what is in flight.
    stop: CancellationToken,
    callback: Option<Callback>,
    /// Set by [`pup_call_context_set_limits`]; each call reads it once when it starts. A lock,
    /// not `&mut`, because other threads may be running calls with the same context.
    limits: RwLock<Option<CallLimits>>,
}

/// A C callback and its `user_data`.
#[derive(Clone, Copy)]
struct Callback {
    function: unsafe extern "C" fn(*mut c_void, u32, *const u8, usize),
    user_data: *mut c_void,
}

// SAFETY: the C caller promises (see `PupEventFn`) that the callback may be invoked from any
// thread with this `user_data`; Rust never dereferences `user_data` itself.
unsafe impl Send for Callback {}
// SAFETY: as above; the pair is only copied and passed back to the callback.
unsafe impl Sync for Callback {}

/// The sink one call hands to the core. It forwards to the C callback while the call runs; when
/// the call returns, [`CallbackSink::close`] waits for an event in flight and turns later events
/// (from a task that outlived the call) into no-ops, so the callback never runs after the call
/// returned and the caller may free `user_data`.
struct CallbackSink {
    callback: RwLock<Option<Callback>>,
}

impl CallbackSink {
    fn close(&self) {
        // A poisoned lock only means a previous emit panicked; closing must still happen.
        let mut slot = self.callback.write().unwrap_or_else(|p| p.into_inner());
        *slot = None;
    }
}

impl EventSink for CallbackSink {
    fn emit(&self, event: Event) {
        let slot = self.callback.read().unwrap_or_else(|p| p.into_inner());
        if let Some(cb) = *slot {
            let message = event.message;
            // Defensive: a callback written in Rust could panic; never let that unwind into the
            // core's task.
            let _ = catch_unwind(AssertUnwindSafe(|| {
                // SAFETY: the function pointer and user_data came from the caller, who promised
                // they are callable from any thread while the call is in progress (it is: the
                // sink is closed before the call returns). `message` outlives the callback.
                unsafe {
                    (cb.function)(
                        cb.user_data,
                        PupEventLevel::from(event.level) as u32,
                        message.as_ptr(),
                        message.len(),
                    )
                }
            }));
        }
    }
}

/// What a blocking call needs from an optional context: a token to watch and a sink to emit into.
pub(crate) struct CallScope {
    pub(crate) cancel: CancellationToken,
    pub(crate) stop: CancellationToken,
    pub(crate) events: Events,
    /// The context's limits as they were when the call started.
    pub(crate) limits: Option<CallLimits>,
    sink: Option<Arc<CallbackSink>>,
}

impl CallScope {
    /// The scope for one call made with `ctx` (NULL: not cancellable, no events).
    ///
    /// # Safety
    /// `ctx` is NULL or a live context handle.
    pub(crate) unsafe fn new(ctx: *const PupCallContext) -> Self {
        // SAFETY: caller's contract.
        match unsafe { ctx.as_ref() } {
            None => Self {
                cancel: CancellationToken::new(),
                stop: CancellationToken::new(),
                events: photo_policy_core::events::none(),
                limits: None,
                sink: None,
            },
            Some(ctx) => {
                let limits = *ctx.limits.read().unwrap_or_else(|p| p.into_inner());
                match ctx.callback {
                    None => Self {
                        cancel: ctx.cancel.clone(),
                        stop: ctx.stop.clone(),
                        events: photo_policy_core::events::none(),
                        limits,
                        sink: None,
                    },
                    Some(cb) => {
                        let sink = Arc::new(CallbackSink {
                            callback: RwLock::new(Some(cb)),
                        });
                        Self {
                            cancel: ctx.cancel.clone(),
                            stop: ctx.stop.clone(),
                            events: sink.clone(),
                            limits,
                            sink: Some(sink),
                        }
                    }
                }
            }
        }
    }
}

impl Drop for CallScope {
    fn drop(&mut self) {
        if let Some(sink) = &self.sink {
            sink.close();
        }
    }
}

/// Creates a call context. `on_event` may be NULL (no events); `user_data` is passed back to it
/// untouched and may be NULL. Returns NULL only if the library hit an internal error. Free with
/// [`pup_call_context_free`].
///
/// One context can serve several calls, also at once; cancelling it cancels every call using it,
/// and a cancelled context stays cancelled (later calls with it return `PUP_STATUS_CANCELLED`).
/// Use a fresh context per operation when that is not wanted.
#[no_mangle]
pub extern "C" fn pup_call_context_new(
    on_event: PupEventFn,
    user_data: *mut c_void,
) -> *mut PupCallContext {
    guard(ptr::null_mut(), || {
        let context = PupCallContext {
            cancel: CancellationToken::new(),
            stop: CancellationToken::new(),
            callback: on_event.map(|function| Callback {
                function,
                user_data,
            }),
            limits: RwLock::new(None),
        };
        Box::into_raw(Box::new(context))
    })
}

/// Cancels every call running with `ctx`, and every later one. Any thread, any number of times.
/// Calls return `PUP_STATUS_CANCELLED` promptly (they do not wait for the service to answer);
/// a write that was already sent may still take effect, so read the policy back to be sure.
///
/// # Safety
/// `ctx` is NULL (then `PUP_STATUS_NULL_ARGUMENT`) or a live context handle.
#[no_mangle]
pub unsafe extern "C" fn pup_call_context_cancel(ctx: *const PupCallContext) -> PupStatus {
    guard(ptr::null_mut(), || {
        // SAFETY: caller's contract.
        match unsafe { ctx.as_ref() } {
            Some(ctx) => {
                ctx.cancel.cancel();
                PupStatus::Ok
            }
            None => PupStatus::NullArgument,
        }
    })
}

/// Asks every call running with `ctx`, and every later one, to start no new work and finish what
/// is in flight. Any thread, any number of times. A fleet run ([`crate::pup_fleet_run`]) lets the
/// tenants already running finish (a change in progress is completed, not cut off), starts no
/// more, and returns normally with the rest as `"notStarted"`; calls on one tenant are not
/// affected. Use it for a graceful stop (Ctrl+C in PowerShell); [`pup_call_context_cancel`] stops
/// everything at once.
///
/// # Safety
/// `ctx` is NULL (then `PUP_STATUS_NULL_ARGUMENT`) or a live context handle.
#[no_mangle]
pub unsafe extern "C" fn pup_call_context_stop(ctx: *const PupCallContext) -> PupStatus {
    guard(ptr::null_mut(), || {
        // SAFETY: caller's contract.
        match unsafe { ctx.as_ref() } {
            Some(ctx) => {
                ctx.stop.cancel();
                PupStatus::Ok
            }
            None => PupStatus::NullArgument,
        }
    })
}

/// Sets the timeouts and retry limits of the calls made with `ctx` from now on, overriding the
/// client's config for those calls only (a shared client keeps its own). `limits_json` is
/// `{"timeouts":{"connectMs","totalMs"},"retry":{"maxRetries","maxRetryAfterSeconds","budgetMs",
/// "baseDelayMs"}}`, every field optional; NULL,0 or `{}` clears the overrides. Calls already
/// running keep the limits they started with.
///
/// An unknown field or a wrong type is `PUP_STATUS_INVALID_JSON` naming it; a value out of range
/// (e.g. `totalMs` 0 or negative, `maxRetries` above 10) is `PUP_STATUS_INVALID_ARGUMENT` naming
/// the field and the allowed range. On failure the context's limits are unchanged.
///
/// # Safety
/// `ctx` is NULL (then `PUP_STATUS_NULL_ARGUMENT`) or a live context handle; `(limits_json,
/// limits_len)` is NULL with length 0 or points to `limits_len` readable bytes; `out_error` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn pup_call_context_set_limits(
    ctx: *mut PupCallContext,
    limits_json: *const u8,
    limits_len: usize,
    out_error: *mut *mut PupError,
) -> PupStatus {
    call(out_error, || {
        // SAFETY: caller's contract; only a shared reference is made (calls may be running).
        let ctx =
            unsafe { ctx.as_ref() }.ok_or_else(|| Box::new(PupError::null_argument("ctx")))?;
        // SAFETY: caller's contract for the pair.
        let text = unsafe { str_arg("limits_json", limits_json, limits_len) }?;
        let limits = if text.trim().is_empty() {
            None
        } else {
            let limits: CallLimits = parse_json("limits_json", "call limits", text)?;
            limits.validate()?;
            Some(limits).filter(|l| !l.is_empty())
        };
        *ctx.limits.write().unwrap_or_else(|p| p.into_inner()) = limits;
        Ok(())
    })
}

/// Frees a call context. NULL is accepted. No call may be using it any more.
///
/// # Safety
/// `ctx` is NULL or a context handle not yet freed; it must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn pup_call_context_free(ctx: *mut PupCallContext) {
    guard(ptr::null_mut(), || {
        if !ctx.is_null() {
            // SAFETY: came from Box::into_raw in `pup_call_context_new` (caller's contract).
            drop(unsafe { Box::from_raw(ctx) });
        }
    })
}
