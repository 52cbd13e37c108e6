//! `one_api`: the scenario every language runs the same way (examples/one_api/README.md),
//! in Rust. It prints four JSON lines that must equal examples/one_api/expected.txt, as the
//! C, Ruby and Python versions' must: the cross-language test compares them.

use clap::Parser;
use dripdrop::{Error, Node, PoolOptions, TaskError, Value};
use std::cell::RefCell;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// The most a step may take before the program gives up on it.
const STEP_LIMIT: Duration = Duration::from_secs(30);

/// The scenario every DripDrop language runs the same way (examples/one_api/README.md): an
/// unknown pool, a task error without an errback, a map with an item that cannot be read,
/// cancel by id. Prints one JSON line per step.
#[derive(Debug, Parser)]
#[command(name = "one_api")]
struct Args {}

fn main() -> ExitCode {
    // No flags: clap gives --help and refuses anything else.
    Args::parse();
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("one_api: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Error> {
    let mut node = Node::new()?;
    node.task("fail", |_, _| Err(TaskError::new("Boom", "boom")));
    node.task("double", |_, n| match n {
        Value::Int(n) => Ok(Value::Int(n * 2)),
        other => Err(TaskError::new("ArgumentError", format!("{other:?}"))),
    });
    node.task("slow", |task, _| {
        let give_up = Instant::now() + Duration::from_secs(10);
        while !task.is_cancelled() && Instant::now() < give_up {
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(Value::from("finished"))
    });
    node.worker_pool("p", PoolOptions::local(2))?;
    let errors: Rc<RefCell<Vec<Error>>> = Rc::default();
    let sink = Rc::clone(&errors);
    node.on_error(move |_, error| sink.borrow_mut().push(error.clone()));

    // 1. An unknown pool.
    let unknown = node.pool("nope").err().map_or("none", |e| e.class_name());
    println!(r#"{{"step":"unknown_pool","error":"{unknown}"}}"#);

    // 2. A failing task whose callback takes no error: Rust callbacks always get a Result, so
    //    this one hands the error to the node's error handler, as a result-only callback in
    //    Ruby or Python has it handed.
    node.pool("p")?.defer("fail", 1, |node, result| {
        if let Err(e) = result {
            node.report_error(e);
        }
        node.stop();
    })?;
    run_step(&mut node)?;
    let reported = errors.borrow_mut().drain(..).next();
    let (class, remote_class, remote_message) = match &reported {
        Some(e @ Error::Remote { class, message, .. }) => {
            (e.class_name(), class.as_str(), message.as_str())
        }
        Some(e) => (e.class_name(), "", ""),
        None => ("none", "", ""),
    };
    println!(
        r#"{{"step":"defer_without_errback","on_error":"{class}","remote_class":"{remote_class}","remote_message":"{remote_message}"}}"#
    );

    // 3. A map whose third item cannot be produced.
    let items = vec![
        Ok(Value::Int(1)),
        Ok(Value::Int(2)),
        Err(Error::InvalidArgument("bad item".into())),
        Ok(Value::Int(4)),
    ];
    let results: Rc<RefCell<Vec<(u64, i64)>>> = Rc::default();
    let done = Rc::new(RefCell::new(false));
    let (result_sink, done_flag) = (Rc::clone(&results), Rc::clone(&done));
    node.pool("p")?.try_map(
        "double",
        items,
        move |_, index, result| {
            if let Ok(Value::Int(n)) = result {
                result_sink.borrow_mut().push((index, n));
            }
        },
        move |node| {
            *done_flag.borrow_mut() = true;
            node.stop();
        },
    )?;
    run_step(&mut node)?;
    let mut results = results.borrow().clone();
    results.sort_unstable();
    let results: Vec<String> = results
        .iter()
        .map(|(index, n)| format!("[{index},{n}]"))
        .collect();
    let item_error = errors
        .borrow_mut()
        .drain(..)
        .any(|e| e.to_string().contains("bad item"));
    println!(
        r#"{{"step":"map_with_bad_item","results":[{}],"item_error_reported":{item_error},"done":{}}}"#,
        results.join(","),
        done.borrow()
    );

    // 4. Cancel by the id defer returned.
    let ended: Rc<RefCell<Option<&'static str>>> = Rc::default();
    let ending = Rc::clone(&ended);
    let mut pool = node.pool("p")?;
    let id = pool.defer("slow", Value::Nil, move |node, result| {
        *ending.borrow_mut() = Some(result.err().map_or("none", |e| e.class_name()));
        node.stop();
    })?;
    let cancelled = pool.cancel(id);
    run_step(&mut node)?;
    let error = ended.borrow().unwrap_or("none");
    println!(r#"{{"step":"cancel_by_id","cancel_returned":{cancelled},"error":"{error}"}}"#);
    Ok(())
}

/// Runs the node until the step stops it, or fails the program after `STEP_LIMIT`.
fn run_step(node: &mut Node) -> Result<(), Error> {
    let timed_out = Rc::new(RefCell::new(false));
    let flag = Rc::clone(&timed_out);
    let limit = node.after(STEP_LIMIT, move |node| {
        *flag.borrow_mut() = true;
        node.stop();
    });
    node.run()?;
    node.cancel_timer(limit);
    if *timed_out.borrow() {
        return Err(Error::InvalidArgument(
            "a step did not finish in time".into(),
        ));
    }
    Ok(())
}
