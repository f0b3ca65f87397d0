//! Events a caller can observe while an operation runs: verbose lines (each request, status,
//! timing, retries), debug lines, warnings and progress. The PowerShell layer turns them into
//! `Write-Verbose`, `Write-Debug`, `Write-Warning` and `Write-Progress` on the pipeline thread.
//!
//! Events never carry tokens, secrets, Authorization headers or request bodies with secrets.

use std::sync::Arc;

/// How an event should be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum EventLevel {
    /// One line for `-Verbose`: request line, status, timing, retry decisions.
    Verbose = 0,
    /// Detail for `-Debug`.
    Debug = 1,
    /// Something the user should know even without `-Verbose`.
    Warning = 2,
    /// A progress report; the message is a JSON object
    /// `{"activity":…,"status":…,"percent":0-100,"completed":n,"total":n}`.
    Progress = 3,
    /// Something the user must see and act on, shown even without `-Verbose` (e.g. the device
    /// code sign-in instructions). PowerShell: `Write-Information` / host output.
    Information = 4,
    /// The caller should open this URL in the system browser (the interactive browser sign-in's
    /// authorize URL; it holds no secret). When no browser can be opened, show it to the user
    /// instead. PowerShell opens it (xdg-open, open, the shell) or writes it as information.
    OpenBrowser = 5,
    /// A fleet run's result for one tenant, as soon as that tenant is done: the message is the
    /// tenant's entry of the run's result JSON. Lets a caller write each result right away, and
    /// keep every finished tenant's result even when the run is stopped or cancelled.
    Result = 6,
}

/// One event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// How to show it.
    pub level: EventLevel,
    /// The text (or JSON for progress). Never contains secrets.
    pub message: String,
}

/// Receives events. Called from whichever thread polls the call (usually its caller's, as the
/// runtime is driven by its callers): implementations must be cheap and thread-safe (the ffi
/// layer forwards to a C callback; C# writes them on the pipeline thread or queues them for it).
pub trait EventSink: Send + Sync {
    /// Delivers one event.
    fn emit(&self, event: Event);
}

/// A sink that drops everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoEvents;

impl EventSink for NoEvents {
    fn emit(&self, _event: Event) {}
}

/// Shared handle to a sink, cheap to clone into tasks.
pub type Events = Arc<dyn EventSink>;

/// A sink that drops everything, as a shared handle.
pub fn none() -> Events {
    Arc::new(NoEvents)
}

/// Emits a verbose line.
pub fn verbose(events: &Events, message: impl Into<String>) {
    events.emit(Event {
        level: EventLevel::Verbose,
        message: message.into(),
    });
}

/// Emits a debug line.
pub fn debug(events: &Events, message: impl Into<String>) {
    events.emit(Event {
        level: EventLevel::Debug,
        message: message.into(),
    });
}

/// Emits a warning.
pub fn warning(events: &Events, message: impl Into<String>) {
    events.emit(Event {
        level: EventLevel::Warning,
        message: message.into(),
    });
}

/// Asks the caller to open `url` in the system browser (see [`EventLevel::OpenBrowser`]).
pub fn open_browser(events: &Events, url: impl Into<String>) {
    events.emit(Event {
        level: EventLevel::OpenBrowser,
        message: url.into(),
    });
}

/// Emits an information message (shown to the user without `-Verbose`).
pub fn information(events: &Events, message: impl Into<String>) {
    events.emit(Event {
        level: EventLevel::Information,
        message: message.into(),
    });
}
