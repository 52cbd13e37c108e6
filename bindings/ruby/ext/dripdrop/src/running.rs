//! The nodes whose loops run on this thread, so that a block posted from another Ruby thread
//! (`Node#post`) finds what it needs on the loop's thread. A posted closure must be `Send`,
//! and what the loop's callbacks share (`Shared`) is not: the closure carries only the node's
//! number and finds the rest here, on the thread that runs it.

use crate::shared::Shared;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

thread_local! {
    /// The running loops of this thread, innermost last (a callback may run another node).
    static RUNNING: RefCell<Vec<(u64, Rc<Shared>)>> = const { RefCell::new(Vec::new()) };
}

/// A number for a new node, unique in the process.
pub fn next_node_number() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Node `number`'s loop runs on this thread until this is dropped.
pub struct Running(u64);

impl Running {
    pub fn start(number: u64, shared: Rc<Shared>) -> Running {
        RUNNING.with(|running| running.borrow_mut().push((number, shared)));
        Running(number)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.with(|running| {
            let mut running = running.borrow_mut();
            if let Some(at) = running.iter().rposition(|(number, _)| *number == self.0) {
                running.remove(at);
            }
        });
    }
}

/// What node `number`'s callbacks share, if its loop runs on this thread.
pub fn shared_of(number: u64) -> Option<Rc<Shared>> {
    RUNNING.with(|running| {
        running
            .borrow()
            .iter()
            .rev()
            .find(|(n, _)| *n == number)
            .map(|(_, shared)| Rc::clone(shared))
    })
}
