//! Timers: `after`, `every` and `next_tick` order and timing, cancelling (also from inside a
//! repeating timer's own callback), panics in timers, and timers not starving the routes.

mod support;

use dripdrop::{Error, Mode, Node, RouteKind, TimerId};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};
use support::node::{collect_errors, inproc, node_stat, numbered, run_until_stopped};

type Log = Rc<RefCell<Vec<(&'static str, Duration)>>>;

fn logger(log: &Log, started: Instant, name: &'static str) -> impl FnOnce(&mut Node) + 'static {
    let log = Rc::clone(log);
    move |_| log.borrow_mut().push((name, started.elapsed()))
}

fn names(log: &Log) -> Vec<&'static str> {
    log.borrow().iter().map(|(n, _)| *n).collect()
}

#[test]
fn timers_fire_by_due_time_then_by_creation_and_never_early() {
    let mut node = Node::new().unwrap();
    let log: Log = Rc::default();
    let started = Instant::now();
    node.after(Duration::from_millis(30), logger(&log, started, "after30"));
    node.after(Duration::from_millis(10), logger(&log, started, "after10"));
    node.next_tick(logger(&log, started, "tick1"));
    node.after(Duration::ZERO, logger(&log, started, "after0"));
    node.next_tick(logger(&log, started, "tick2"));
    node.after(Duration::from_millis(40), |node| node.stop());
    run_until_stopped(&mut node, "the timers");

    assert_eq!(
        names(&log),
        vec!["tick1", "after0", "tick2", "after10", "after30"]
    );
    for (name, at) in log.borrow().iter() {
        let due = match *name {
            "after10" => Duration::from_millis(10),
            "after30" => Duration::from_millis(30),
            _ => Duration::ZERO,
        };
        assert!(*at >= due, "{name} fired after {at:?}, before {due:?}");
    }
}

#[test]
fn a_next_tick_made_in_a_callback_runs_after_the_ticks_already_due() {
    let mut node = Node::new().unwrap();
    let log: Log = Rc::default();
    let started = Instant::now();
    let inner = logger(&log, started, "tick3");
    let first = logger(&log, started, "tick1");
    node.next_tick(move |node| {
        first(node);
        node.next_tick(inner);
    });
    node.next_tick(logger(&log, started, "tick2"));
    let stop_log = Rc::clone(&log);
    node.every(Duration::from_millis(1), move |node| {
        if stop_log.borrow().len() == 3 {
            node.stop();
        }
    });
    run_until_stopped(&mut node, "three ticks");
    assert_eq!(names(&log), vec!["tick1", "tick2", "tick3"]);
}

#[test]
fn every_repeats_once_per_period_starting_one_period_from_now() {
    let period = Duration::from_millis(10);
    let mut node = Node::new().unwrap();
    let started = Instant::now();
    let calls = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&calls);
    node.every(period, move |node| {
        sink.borrow_mut().push(started.elapsed());
        if sink.borrow().len() == 5 {
            node.stop();
        }
    });
    run_until_stopped(&mut node, "five periods");
    let calls = calls.borrow();
    assert_eq!(calls.len(), 5);
    for (i, at) in calls.iter().enumerate() {
        let due = period * (i as u32 + 1);
        assert!(*at >= due, "call {i} came at {at:?}, before {due:?}");
    }
}

#[test]
fn a_cancelled_timer_never_fires_and_cancel_reports_whether_it_was_live() {
    let mut node = Node::new().unwrap();
    let fired = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&fired);
    let doomed = node.after(Duration::from_millis(5), move |_| {
        sink.borrow_mut().push("doomed")
    });
    let sink = Rc::clone(&fired);
    let doomed_every = node.every(Duration::from_millis(1), move |_| {
        sink.borrow_mut().push("doomed every")
    });
    let sink = Rc::clone(&fired);
    let kept = node.next_tick(move |_| sink.borrow_mut().push("kept"));
    assert_eq!(node_stat(&node, "timers"), 3);
    assert!(node.cancel_timer(doomed));
    assert!(!node.cancel_timer(doomed), "already cancelled");
    assert!(node.cancel_timer(doomed_every));
    assert_eq!(node_stat(&node, "timers"), 1);
    let result = Rc::new(RefCell::new(None));
    let out = Rc::clone(&result);
    node.after(Duration::from_millis(30), move |node| {
        // `kept` has fired and does not repeat: nothing left to cancel.
        *out.borrow_mut() = Some(node.cancel_timer(kept));
        node.stop();
    });
    run_until_stopped(&mut node, "the stop timer");
    assert_eq!(*fired.borrow(), vec!["kept"]);
    assert_eq!(*result.borrow(), Some(false));
}

#[test]
fn an_every_timer_may_cancel_itself_from_its_own_callback() {
    let mut node = Node::new().unwrap();
    let calls = Rc::new(Cell::new(0));
    let own_id: Rc<Cell<Option<TimerId>>> = Rc::default();
    let cancels = Rc::new(RefCell::new(Vec::new()));
    let (count, me, results) = (Rc::clone(&calls), Rc::clone(&own_id), Rc::clone(&cancels));
    let id = node.every(Duration::from_millis(1), move |node| {
        count.set(count.get() + 1);
        if count.get() == 3 {
            let id = me.get().expect("id stored");
            results.borrow_mut().push(node.cancel_timer(id));
            results.borrow_mut().push(node.cancel_timer(id));
        }
    });
    own_id.set(Some(id));
    // Long enough for several more periods, had the cancel not held.
    node.after(Duration::from_millis(40), |node| node.stop());
    run_until_stopped(&mut node, "the stop timer");
    assert_eq!(calls.get(), 3, "the timer ran after cancelling itself");
    assert_eq!(*cancels.borrow(), vec![true, false]);
    assert!(!node.cancel_timer(id));
    assert_eq!(node_stat(&node, "timers"), 0);
}

#[test]
fn one_timer_may_cancel_another_repeating_timer() {
    let mut node = Node::new().unwrap();
    let calls = Rc::new(Cell::new(0));
    let count = Rc::clone(&calls);
    let ticker = node.every(Duration::from_millis(1), move |_| {
        count.set(count.get() + 1)
    });
    let at_cancel = Rc::new(Cell::new(None));
    let (seen, snapshot) = (Rc::clone(&calls), Rc::clone(&at_cancel));
    node.after(Duration::from_millis(10), move |node| {
        assert!(node.cancel_timer(ticker));
        snapshot.set(Some(seen.get()));
    });
    node.after(Duration::from_millis(40), |node| node.stop());
    run_until_stopped(&mut node, "the stop timer");
    assert!(at_cancel.get().expect("cancelled") > 0);
    assert_eq!(
        Some(calls.get()),
        at_cancel.get(),
        "it ran after being cancelled"
    );
}

#[test]
fn a_panicking_timer_is_reported_and_a_repeating_one_keeps_going() {
    let mut node = Node::new().unwrap();
    let errors = collect_errors(&mut node);
    let calls = Rc::new(Cell::new(0));
    let count = Rc::clone(&calls);
    node.every(Duration::from_millis(1), move |node| {
        count.set(count.get() + 1);
        if count.get() == 1 {
            panic!("first tick fails");
        }
        if count.get() == 3 {
            node.stop();
        }
    });
    node.next_tick(|_| panic!("a tick fails"));
    run_until_stopped(&mut node, "the third tick");
    assert_eq!(calls.get(), 3);
    let errors = errors.borrow();
    assert_eq!(errors.len(), 2, "{errors:?}");
    for error in errors.iter() {
        assert!(
            matches!(error, Error::Callback { message, .. } if message.contains("fails")),
            "{error:?}"
        );
    }
    assert_eq!(node_stat(&node, "errors"), 2);
}

#[test]
fn a_busy_next_tick_chain_does_not_starve_the_routes() {
    fn spin(node: &mut Node, turns: Rc<Cell<u64>>) {
        turns.set(turns.get() + 1);
        node.next_tick(move |node| spin(node, turns));
    }
    let mut node = Node::new().unwrap();
    let address = inproc("tick-starve");
    node.route("in", RouteKind::Pull, &[&address], Mode::Bind)
        .unwrap();
    node.route("out", RouteKind::Push, &[&address], Mode::Connect)
        .unwrap();
    let turns = Rc::new(Cell::new(0));
    let arrived = Rc::new(Cell::new(false));
    let flag = Rc::clone(&arrived);
    node.on_receive("in", move |node, _| {
        flag.set(true);
        node.stop();
    })
    .unwrap();
    spin(&mut node, Rc::clone(&turns));
    node.send_message("out", &numbered("through", 1)).unwrap();
    run_until_stopped(&mut node, "the message past the busy ticks");
    assert!(arrived.get());
    assert!(turns.get() >= 1);
}
