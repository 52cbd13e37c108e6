//! Local `defer`: ops run on the pool, callbacks back on the node's thread, panics become
//! errors, many defers all complete, and the pool has the size it was given.

mod support;

use dripdrop::{Error, Node, NodeOptions};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;
use support::node::{collect_errors, node_stat, run_until_stopped};

fn bare_pool(threads: usize) -> Node {
    Node::with_options(NodeOptions {
        defer_threads: threads,
        ..Default::default()
    })
    .unwrap()
}

/// A node with a pool of `threads` and no timers of its own: results must wake it.
fn pool_of(threads: usize) -> Node {
    bare_pool(threads)
}

#[test]
fn the_op_runs_on_the_pool_and_the_callback_on_the_node_thread() {
    let mut node = pool_of(2);
    let node_thread = thread::current().id();
    let seen = Rc::new(RefCell::new(None));
    let sink = Rc::clone(&seen);
    node.defer(
        || {
            let me = thread::current();
            (me.id(), me.name().map(str::to_owned), 6 * 7)
        },
        move |node, result: Result<_, Error>| {
            *sink.borrow_mut() = Some((thread::current().id(), result));
            node.stop();
        },
    );
    run_until_stopped(&mut node, "the deferred result");
    let (callback_thread, result) = seen.borrow_mut().take().expect("the callback ran");
    let (op_thread, op_name, answer) = result.expect("the op returned");
    assert_eq!(answer, 42);
    assert_eq!(
        callback_thread, node_thread,
        "the callback runs on the node thread"
    );
    assert_ne!(op_thread, node_thread, "the op runs off the node thread");
    let op_name = op_name.unwrap_or_default();
    assert!(op_name.starts_with("dripdrop-defer-"), "{op_name}");
}

#[test]
fn a_panicking_op_reaches_its_callback_as_an_error_and_the_pool_survives() {
    // One thread: the same thread that caught the panic must run the next op.
    let mut node = pool_of(1);
    let errors = collect_errors(&mut node);
    let outcomes: Rc<RefCell<Vec<Result<u32, Error>>>> = Rc::default();
    let sink = Rc::clone(&outcomes);
    node.defer(
        || -> u32 { panic!("boom in the op") },
        move |node, result| {
            sink.borrow_mut().push(result);
            let sink = Rc::clone(&sink);
            node.defer(
                || 7,
                move |node, result| {
                    sink.borrow_mut().push(result);
                    node.stop();
                },
            );
        },
    );
    run_until_stopped(&mut node, "both deferred results");
    let outcomes = outcomes.borrow();
    match &outcomes[0] {
        Err(Error::Callback { message, .. }) => {
            assert!(message.contains("boom in the op"), "{message}")
        }
        other => panic!("expected the op's panic as an error, got {other:?}"),
    }
    assert_eq!(outcomes[1], Ok(7));
    assert!(
        errors.borrow().is_empty(),
        "the panic went to the callback, not to on_error: {:?}",
        errors.borrow()
    );
}

#[test]
fn a_panicking_callback_goes_to_on_error_and_the_loop_goes_on() {
    let mut node = pool_of(2);
    let errors = collect_errors(&mut node);
    node.defer(|| 1, |_, _| panic!("boom in the callback"));
    let after = Rc::new(RefCell::new(false));
    let flag = Rc::clone(&after);
    node.defer(
        || 2,
        move |node, result| {
            assert_eq!(result, Ok(2));
            *flag.borrow_mut() = true;
            // Let the other callback run too, if it has not yet.
            node.after(Duration::from_millis(20), |node| node.stop());
        },
    );
    run_until_stopped(&mut node, "the second callback");
    assert!(*after.borrow());
    let errors = errors.borrow();
    assert_eq!(errors.len(), 1, "{errors:?}");
    match &errors[0] {
        Error::Callback { message, .. } => assert!(message.contains("boom in the callback")),
        other => panic!("expected a callback error, got {other:?}"),
    }
}

#[test]
fn many_defers_all_complete_once() {
    const N: usize = 20_000;
    let mut node = pool_of(4);
    let seen = Rc::new(RefCell::new(vec![0u8; N]));
    let done = Rc::new(RefCell::new(0));
    for i in 0..N {
        let (seen, done) = (Rc::clone(&seen), Rc::clone(&done));
        node.defer(
            move || i * 3,
            move |node, result| {
                let value = result.unwrap();
                assert_eq!(value, i * 3);
                seen.borrow_mut()[i] += 1;
                *done.borrow_mut() += 1;
                if *done.borrow() == N {
                    node.stop();
                }
            },
        );
    }
    assert!(node_stat(&node, "defer.pending") > 0);
    run_until_stopped(&mut node, "every deferred result");
    assert!(
        seen.borrow().iter().all(|&n| n == 1),
        "each callback runs once"
    );
    assert_eq!(node_stat(&node, "defer.pending"), 0);
}

/// Runs `ops` defers that each record how many ops run at once and on which thread.
fn concurrency_with(threads: usize, ops: usize, meet: usize) -> (usize, Vec<String>) {
    let mut node = pool_of(threads);
    assert_eq!(node_stat(&node, "defer.threads"), threads as u64);
    let active = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    // The first `meet` ops wait (up to a bound) until `meet` of them run at once.
    let gathering = Arc::new((Mutex::new(0usize), Condvar::new()));
    let names = Rc::new(RefCell::new(Vec::new()));
    for i in 0..ops {
        let (active, most, gathering) = (
            Arc::clone(&active),
            Arc::clone(&most),
            Arc::clone(&gathering),
        );
        let sink = Rc::clone(&names);
        node.defer(
            move || {
                let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                if i < meet {
                    let (count, arrived) = &*gathering;
                    let mut count = count.lock().unwrap();
                    *count += 1;
                    arrived.notify_all();
                    let _ = arrived
                        .wait_timeout_while(count, Duration::from_secs(5), |c| *c < meet)
                        .unwrap();
                }
                active.fetch_sub(1, Ordering::SeqCst);
                thread::current().name().unwrap_or_default().to_owned()
            },
            move |node, name| {
                sink.borrow_mut().push(name.unwrap());
                if sink.borrow().len() == ops {
                    node.stop();
                }
            },
        );
    }
    run_until_stopped(&mut node, "the deferred ops");
    let mut names = names.borrow().clone();
    names.sort();
    names.dedup();
    (most.load(Ordering::SeqCst), names)
}

#[test]
fn a_pool_of_four_runs_four_ops_at_once() {
    let (most, names) = concurrency_with(4, 40, 4);
    assert_eq!(most, 4, "four ops met on four threads");
    assert!(names.len() == 4, "{names:?}");
}

#[test]
fn a_pool_of_one_runs_one_op_at_a_time() {
    let (most, names) = concurrency_with(1, 40, 0);
    assert_eq!(most, 1);
    assert_eq!(names, vec!["dripdrop-defer-0".to_owned()]);
}

#[test]
fn a_pool_of_zero_threads_still_runs_ops() {
    // Zero is taken as one rather than a pool that never runs anything.
    let mut node = pool_of(0);
    assert_eq!(node_stat(&node, "defer.threads"), 1);
    let ran = Rc::new(RefCell::new(false));
    let flag = Rc::clone(&ran);
    node.defer(
        || 1,
        move |node, _| {
            *flag.borrow_mut() = true;
            node.stop();
        },
    );
    run_until_stopped(&mut node, "an op on a zero-thread pool");
    assert!(*ran.borrow());
}

/// Starts a chain of `left` defers, each submitted by the previous one's callback.
fn chain(node: &mut Node, left: usize, done: Rc<RefCell<usize>>, chains: usize) {
    if left == 0 {
        *done.borrow_mut() += 1;
        if *done.borrow() == chains {
            node.stop();
        }
        return;
    }
    node.defer(
        move || left,
        move |node, result| {
            assert_eq!(result, Ok(left));
            chain(node, left - 1, done, chains);
        },
    );
}

#[test]
fn defers_submitted_from_callbacks_while_others_finish_all_complete() {
    // Results arrive while the loop drains earlier ones: the wake-up race is exercised.
    const CHAINS: usize = 8;
    const LENGTH: usize = 5_000;
    let mut node = bare_pool(4);
    let done = Rc::new(RefCell::new(0));
    for _ in 0..CHAINS {
        chain(&mut node, LENGTH, Rc::clone(&done), CHAINS);
    }
    run_until_stopped(&mut node, "every chain of defers");
    assert_eq!(*done.borrow(), CHAINS);
}
