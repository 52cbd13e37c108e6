//! `NodeHandle::shutdown` (what SIGTERM does in a launched process): the loop stops as with
//! `stop`, and no task submitted to a pool is left without an answer: tasks that finish
//! within the stop linger reach their callbacks with their results, the rest are cancelled
//! and handed back (`Error::Stopped`) before `run` returns.

use dripdrop::{Error, Node, NodeOptions, PoolOptions, Value};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

/// The outcomes of `count` naps of `nap` each on one local thread, when the node is shut
/// down right after the first result, with this stop linger.
fn shut_down_during(count: usize, nap: Duration, linger: Duration) -> Vec<Result<Value, Error>> {
    let options = NodeOptions {
        stop_linger: linger,
        ..NodeOptions::default()
    };
    let mut node = Node::with_options(options).unwrap();
    node.task("nap", move |_, _| {
        std::thread::sleep(nap);
        Ok(Value::from("rested"))
    });
    node.worker_pool("p", PoolOptions::local(1)).unwrap();
    let outcomes = Rc::new(RefCell::new(Vec::new()));
    let handle = node.handle();
    let mut pool = node.pool("p").unwrap();
    for _ in 0..count {
        let outcomes = Rc::clone(&outcomes);
        let handle = handle.clone();
        pool.defer("nap", Value::Nil, move |_, result| {
            outcomes.borrow_mut().push(result);
            // From another thread, as the signal thread does.
            let handle = handle.clone();
            std::thread::spawn(move || handle.shutdown());
        })
        .unwrap();
    }
    let (done_tx, done) = mpsc::channel();
    let watchdog = node.handle();
    std::thread::spawn(move || {
        // A safety net only: the test fails if the shutdown did not end the run by itself.
        if done.recv_timeout(Duration::from_secs(30)).is_err() {
            watchdog.stop();
        }
    });
    node.run().unwrap();
    done_tx.send(()).unwrap();
    let outcomes = outcomes.borrow().clone();
    outcomes
}

#[test]
fn tasks_that_cannot_finish_within_the_linger_are_handed_back() {
    let outcomes = shut_down_during(50, Duration::from_millis(40), Duration::from_millis(200));
    assert_eq!(outcomes.len(), 50, "every task answered: {outcomes:?}");
    let rested = outcomes.iter().filter(|o| o.is_ok()).count();
    let stopped = outcomes
        .iter()
        .filter(|o| matches!(o, Err(Error::Stopped)))
        .count();
    assert_eq!(rested + stopped, 50, "{outcomes:?}");
    assert!(
        rested >= 1 && stopped >= 1,
        "rested {rested}, stopped {stopped}"
    );
}

#[test]
fn tasks_that_finish_within_the_linger_reach_their_callbacks() {
    let outcomes = shut_down_during(4, Duration::from_millis(20), Duration::from_secs(20));
    assert_eq!(outcomes.len(), 4, "{outcomes:?}");
    assert!(
        outcomes.iter().all(|o| o == &Ok(Value::from("rested"))),
        "{outcomes:?}"
    );
}
