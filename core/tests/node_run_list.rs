//! Nodelets and `run_list`: only the listed nodelets are set up, their routes carry the
//! nodelet's name, and an excluded nodelet creates nothing.

mod support;

use dripdrop::{Error, Mode, Node, NodeOptions, RouteKind, Value};
use std::cell::RefCell;
use std::rc::Rc;
use support::node::{inproc, number, numbered, run_until_stopped};

fn with_run_list(list: &[&str]) -> Node {
    Node::with_options(NodeOptions {
        run_list: Some(list.iter().map(|s| (*s).to_owned()).collect()),
        ..Default::default()
    })
    .unwrap()
}

/// Sets up the three roles of a small app on `node`; returns which setups ran.
fn roles(node: &mut Node, address: &str) -> Rc<RefCell<Vec<&'static str>>> {
    let ran: Rc<RefCell<Vec<&'static str>>> = Rc::default();
    for (name, kind, mode) in [
        ("producer", RouteKind::Push, Mode::Connect),
        ("collector", RouteKind::Pull, Mode::Bind),
        ("reporter", RouteKind::Publish, Mode::Bind),
    ] {
        let log = Rc::clone(&ran);
        let address = if name == "reporter" {
            inproc("reporter")
        } else {
            address.to_owned()
        };
        node.nodelet(name, move |node| {
            log.borrow_mut().push(name);
            node.route(&format!("{name}_route"), kind, &[&address], mode)?;
            Ok(())
        })
        .unwrap();
    }
    ran
}

#[test]
fn an_excluded_nodelet_is_not_set_up_and_creates_no_route() {
    let mut node = with_run_list(&["producer", "collector"]);
    let address = inproc("run-list");
    let ran = roles(&mut node, &address);

    assert_eq!(*ran.borrow(), vec!["producer", "collector"]);
    assert_eq!(node.nodelets(), ["producer", "collector"]);
    assert!(matches!(
        node.get_route("reporter_route"),
        Err(Error::NoSuchRoute(name)) if name == "reporter_route"
    ));
    let names: Vec<&str> = node.routes().map(|r| r.name()).collect();
    assert_eq!(names, vec!["producer_route", "collector_route"]);
    let stats = node.stats();
    let routes = stats.get("routes").unwrap();
    assert!(routes.get("reporter_route").is_none());
    assert_eq!(
        routes.get("collector_route").and_then(|r| r.get("nodelet")),
        Some(&Value::from("collector"))
    );

    // The nodelets that were set up work together.
    node.on_receive("collector_route", |node, msg| {
        assert_eq!(number(&msg), 5);
        node.stop();
    })
    .unwrap();
    node.send_message("producer_route", &numbered("stat", 5))
        .unwrap();
    run_until_stopped(&mut node, "the collector");
}

#[test]
fn without_a_run_list_every_nodelet_runs() {
    let mut node = Node::new().unwrap();
    let ran = roles(&mut node, &inproc("all-roles"));
    assert_eq!(*ran.borrow(), vec!["producer", "collector", "reporter"]);
    assert_eq!(node.nodelets(), ["producer", "collector", "reporter"]);
    assert_eq!(node.routes().count(), 3);
}

#[test]
fn an_empty_run_list_runs_no_nodelet() {
    let mut node = with_run_list(&[]);
    let ran = roles(&mut node, &inproc("no-roles"));
    assert!(ran.borrow().is_empty());
    assert!(node.nodelets().is_empty());
    assert_eq!(node.routes().count(), 0);
}

#[test]
fn routes_remember_their_nodelet_and_others_have_none() {
    let mut node = with_run_list(&["worker"]);
    let set_up = node
        .nodelet("worker", |node| {
            node.route("jobs", RouteKind::Pull, &[&inproc("jobs")], Mode::Bind)?;
            Ok(())
        })
        .unwrap();
    assert!(set_up);
    let skipped = node
        .nodelet("web", |_| {
            panic!("an excluded nodelet's setup must not run")
        })
        .unwrap();
    assert!(!skipped);
    node.route(
        "control",
        RouteKind::Pull,
        &[&inproc("control")],
        Mode::Bind,
    )
    .unwrap();
    assert_eq!(node.get_route("jobs").unwrap().nodelet(), Some("worker"));
    assert_eq!(node.get_route("control").unwrap().nodelet(), None);
    let stats = node.stats();
    let control = stats.get("routes").and_then(|r| r.get("control")).unwrap();
    assert_eq!(control.get("nodelet"), Some(&Value::Nil));
    assert_eq!(
        control.get("kind"),
        Some(&Value::from("zmq_pull")),
        "stats name the kind as DripDrop does"
    );
}

#[test]
fn a_failing_setup_returns_its_error() {
    let mut node = Node::new().unwrap();
    let result = node.nodelet("broken", |node| {
        node.route("bad", RouteKind::Pull, &["nonsense://x"], Mode::Bind)?;
        Ok(())
    });
    assert!(matches!(result, Err(Error::Zmq { .. })), "{result:?}");
    assert!(node.nodelets().is_empty(), "a failed nodelet is not listed");
    // Routes made afterwards belong to no nodelet.
    node.route("after", RouteKind::Pull, &[&inproc("after")], Mode::Bind)
        .unwrap();
    assert_eq!(node.get_route("after").unwrap().nodelet(), None);
}
