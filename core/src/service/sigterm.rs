//! SIGTERM in a process launched for a node of a manifest (`DRIPDROP_NODE` set, as the
//! launcher and the exported units do): instead of dying on the spot, every node of the
//! process shuts down (`NodeHandle::shutdown`): its sends go out and its pool tasks finish
//! within the stop linger, the tasks that do not are handed back to their callers
//! (`Error::Stopped`), it says goodbye to the control server, and the program's `run`
//! returns. The launcher sends SIGKILL to whoever takes longer than the node's stop grace.
//!
//! One thread per process waits for the signal (`signal-hook`'s iterator: the handler only
//! writes to a pipe, the thread does the rest). When no node is alive the signal does what
//! it always does: the process ends.

use signal_hook::consts::SIGTERM;
use signal_hook::iterator::Signals;
use std::sync::{Mutex, OnceLock};

/// Set by the launcher for each process; its presence turns SIGTERM into a clean stop.
pub const SIGTERM_STOPS_ENV: &str = "DRIPDROP_NODE";

type Stop = Box<dyn Fn() + Send + Sync>;

/// The live nodes' stops, by registration number.
static STOPS: Mutex<Vec<(u64, Stop)>> = Mutex::new(Vec::new());
/// Whether the signal thread runs (started at the first registration).
static WATCHING: OnceLock<bool> = OnceLock::new();

/// While held, SIGTERM stops its node.
pub(crate) struct Registration {
    number: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Ok(mut stops) = STOPS.lock() {
            stops.retain(|(number, _)| *number != self.number);
        }
    }
}

/// Registers `stop` when the process was launched for a node; `None` otherwise (or when
/// the signal cannot be watched, in which case SIGTERM keeps its default).
pub(super) fn register_if_launched(stop: Stop) -> Option<Registration> {
    std::env::var_os(SIGTERM_STOPS_ENV).filter(|node| !node.is_empty())?;
    if !*WATCHING.get_or_init(start_watching) {
        return None;
    }
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let number = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    STOPS.lock().ok()?.push((number, stop));
    Some(Registration { number })
}

fn start_watching() -> bool {
    let Ok(mut signals) = Signals::new([SIGTERM]) else {
        return false;
    };
    std::thread::Builder::new()
        .name("dripdrop-sigterm".into())
        .spawn(move || {
            for _ in signals.forever() {
                let stops = STOPS
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                if stops.is_empty() {
                    // No node to stop cleanly: end as SIGTERM always ends a process.
                    let _ = signal_hook::low_level::emulate_default_handler(SIGTERM);
                }
                for (_, stop) in stops.iter() {
                    stop();
                }
            }
        })
        .is_ok()
}
