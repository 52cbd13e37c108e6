//! A node owned by a host-language object (a Ruby or Python `Node`), reached both from the
//! host object's methods and from the callbacks the node runs. Every skin needs the same
//! thing, so it is written once here.
//!
//! While the loop runs it holds the node mutably, and a callback gets the loop's `&mut Node`;
//! a host method called from inside that callback must use that same reference, never make
//! another one. So a callback *lends* the loop's node for its duration ([`Lender::lend`]), and
//! [`HostedNode::with`] gives the lent node when there is one, the node itself when the loop
//! is not running, and an error (`WrongThread`) otherwise (the loop is waiting and a host
//! method was called from elsewhere: a signal handler, an interrupt, another host thread):
//! only the node's handle reaches it then.
//!
//! A `with` holds the node until it returns. Host code it runs meanwhile (an iterator `map`
//! pulls items from, a value converted back) must not reach the node again through another
//! `with`: that would be a second `&mut Node`. So a nested `with` is `WrongThread` too, unless
//! a callback in between lent the node afresh (a nodelet's set-up, a callback the node ran
//! inside the call), which starts a new loan.

use super::{Node, NodeHandle};
use crate::error::Error;
use std::cell::{Cell, UnsafeCell};
use std::rc::Rc;

/// Where the node stands with the host: lent by a callback, or held by a `with`.
struct Loan {
    /// The node a callback lent, or null.
    lent: Cell<*mut Node>,
    /// A `with` holds the node (the lent one, or the node itself).
    held: Cell<bool>,
}

impl Default for Loan {
    fn default() -> Self {
        Loan {
            lent: Cell::new(std::ptr::null_mut()),
            held: Cell::new(false),
        }
    }
}

/// Lends the loop's node to host code for the duration of a callback. Cheap to clone: every
/// callback closure a skin registers holds one.
#[derive(Clone, Default)]
pub struct Lender {
    loan: Rc<Loan>,
}

/// Puts a loan back as it was when dropped (on return or unwind).
struct Restore<'a> {
    loan: &'a Loan,
    lent: *mut Node,
    held: bool,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        self.loan.lent.set(self.lent);
        self.loan.held.set(self.held);
    }
}

impl Lender {
    /// Runs `f` with `node` (the loop's, as a callback got it) lent to the host object's
    /// methods, as a fresh loan nobody holds yet; the previous loan (an outer callback's, or
    /// the `with` that ran this callback) is restored after, even on a panic.
    pub fn lend<T>(&self, node: &mut Node, f: impl FnOnce() -> T) -> T {
        let _restore = Restore {
            loan: &self.loan,
            lent: self.loan.lent.replace(node as *mut Node),
            held: self.loan.held.replace(false),
        };
        f()
    }

    fn lent(&self) -> *mut Node {
        self.loan.lent.get()
    }

    /// Takes hold of the node for a `with`; `None` if a `with` holds it already.
    fn hold(&self) -> Option<Restore<'_>> {
        if self.loan.held.replace(true) {
            return None;
        }
        Some(Restore {
            loan: &self.loan,
            lent: self.loan.lent.get(),
            held: false,
        })
    }
}

/// A node owned by a host object. Not `Send`: a skin that lets its node move between threads
/// must keep every use on one thread at a time itself.
pub struct HostedNode {
    node: UnsafeCell<Node>,
    lender: Lender,
    /// The loop runs (`run_with` holds the node).
    running: Cell<bool>,
    handle: NodeHandle,
}

impl HostedNode {
    /// Takes ownership of `node`.
    pub fn new(node: Node) -> Self {
        let handle = node.handle();
        HostedNode {
            node: UnsafeCell::new(node),
            lender: Lender::default(),
            running: Cell::new(false),
            handle,
        }
    }

    /// The lender the callbacks of this node lend the loop's node through.
    pub fn lender(&self) -> Lender {
        self.lender.clone()
    }

    /// The node's handle: `post` and `stop` from anywhere, whatever the loop is doing.
    pub fn handle(&self) -> &NodeHandle {
        &self.handle
    }

    /// Whether the loop runs.
    pub fn is_running(&self) -> bool {
        self.running.get()
    }

    /// Runs `f` with the node: inside a callback, the loop's own (lent); outside the loop,
    /// the node itself. `Err(WrongThread)` while the loop runs and lends it to no callback, or
    /// while another `with` holds it (host code that `f` runs calling back in).
    pub fn with<T>(&self, f: impl FnOnce(&mut Node) -> T) -> Result<T, Error> {
        let lent = self.lender.lent();
        if lent.is_null() && self.running.get() {
            return Err(Error::WrongThread(
                "the node's loop is waiting: reach the node from its callbacks, or through \
                 its handle (post, stop)"
                    .into(),
            ));
        }
        let Some(_held) = self.lender.hold() else {
            return Err(Error::WrongThread(
                "the node is in use by the call that called this one".into(),
            ));
        };
        let node = if lent.is_null() {
            self.node.get()
        } else {
            lent
        };
        // SAFETY: either the loop lent its own `&mut Node` for the callback running on this
        // thread (`Lender` is not `Send`), or the loop does not run; and no other `with`
        // holds it (`hold`), so this is the only reference until `f` returns.
        Ok(f(unsafe { &mut *node }))
    }

    /// Whether something holds the node now: the loop, a `with`, or a callback's loan. A skin
    /// refuses to drop its node then.
    pub fn is_in_use(&self) -> bool {
        self.running.get() || self.lender.loan.held.get() || !self.lender.lent().is_null()
    }

    /// Runs the loop (see [`Node::run_with`]); the node's callbacks must lend it through
    /// [`HostedNode::lender`] to reach it. `Err(WrongThread)` if it runs already.
    pub fn run_with(&self, around_wait: &mut dyn FnMut(&mut dyn FnMut())) -> Result<(), Error> {
        if self.is_in_use() {
            return Err(Error::WrongThread("the node's loop runs already".into()));
        }
        self.running.set(true);
        // Not running any more when the loop returns or unwinds.
        struct Stopped<'a>(&'a Cell<bool>);
        impl Drop for Stopped<'_> {
            fn drop(&mut self) {
                self.0.set(false);
            }
        }
        let _stopped = Stopped(&self.running);
        // SAFETY: nothing else holds the node (checked above); callbacks reach it only through
        // the loop's own reference, which they lend.
        unsafe { (*self.node.get()).run_with(around_wait) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_callback_reaches_the_node_through_the_lent_reference_and_nothing_else_does() {
        let hosted = Rc::new(HostedNode::new(Node::new().unwrap()));
        let (inside, seen) = (Rc::clone(&hosted), Rc::new(Cell::new(0)));
        let lender = hosted.lender();
        let count = Rc::clone(&seen);
        hosted
            .with(|node| {
                node.after(Duration::from_millis(5), move |node| {
                    lender.lend(node, || {
                        // A host method inside the callback: the lent node.
                        let timers = inside.with(|n| n.stats().get("timers").cloned());
                        assert!(timers.is_ok());
                        count.set(count.get() + 1);
                        inside.with(|n| n.stop()).unwrap();
                    })
                });
            })
            .unwrap();
        // Outside any callback while the loop waits: refused (simulated from around_wait).
        let mut refused = None;
        let outer = Rc::clone(&hosted);
        hosted
            .run_with(&mut |wait| {
                refused.get_or_insert_with(|| outer.with(|_| ()).unwrap_err());
                wait();
            })
            .unwrap();
        assert_eq!(seen.get(), 1);
        assert_eq!(refused.map(|e| e.class_name()), Some("WrongThread"));
        assert!(
            hosted.with(|n| n.is_stopping()).is_ok(),
            "free again after run"
        );
        let nested = hosted.with(|_| hosted.with(|_| ()));
        assert!(matches!(nested, Ok(Err(Error::WrongThread(_)))));
    }

    #[test]
    fn inside_a_with_only_a_fresh_loan_reaches_the_node_again() {
        let hosted = Rc::new(HostedNode::new(Node::new().unwrap()));
        let lender = hosted.lender();
        let inner = Rc::clone(&hosted);
        // A nodelet's set-up is a callback the node runs inside the `with`: it lends afresh.
        let set_up = hosted
            .with(|node| {
                node.nodelet("n", |node| {
                    lender.lend(node, || inner.with(|n| n.nodelets().len()).unwrap());
                    Ok(())
                })
            })
            .unwrap();
        assert_eq!(set_up, Ok(true));
        // Inside a callback's loan, a `with` whose host code calls back in is refused.
        let (lender, inner) = (hosted.lender(), Rc::clone(&hosted));
        let refused = hosted
            .with(|node| {
                lender.lend(node, || {
                    inner.with(|_| inner.with(|_| ()).is_err()).unwrap()
                })
            })
            .unwrap();
        assert!(refused);
        assert!(!hosted.is_in_use());
    }

    #[test]
    fn a_panic_inside_with_leaves_the_node_free() {
        let hosted = HostedNode::new(Node::new().unwrap());
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            hosted.with(|_| panic!("a host method failed"))
        }));
        assert!(unwound.is_err());
        assert!(!hosted.is_in_use());
        assert!(hosted.with(|_| ()).is_ok());
    }
}
