//! `DripDrop::Native::Worker`: a worker process's connection to a pool, run on a Rust thread
//! (its I/O thread: heartbeats never wait for Ruby) while Ruby threads serve its task queue.

use crate::errors::{error, rb_result, to_rb_error};
use crate::gvl;
use crate::options::{named, seconds};
use crate::tasks::RbTaskQueue;
use dripdrop::pool::HostQueue;
use dripdrop::{Worker, WorkerHandle, WorkerOptions};
use magnus::{
    gc, prelude::*, typed_data::Obj, value::Opaque, DataTypeFunctions, Error, RHash, Ruby,
    TypedData, Value,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[derive(TypedData)]
#[magnus(class = "DripDrop::Native::Worker", mark)]
pub struct RbWorker {
    /// Tasks it runs at once: the number of Ruby threads to serve its queue.
    concurrency: usize,
    worker: Mutex<Option<Worker>>,
    handle: WorkerHandle,
    queue: Opaque<Value>,
    thread: Mutex<Option<JoinHandle<Result<(), dripdrop::Error>>>>,
    host_queue: Arc<HostQueue>,
}

impl Drop for RbWorker {
    /// A collected worker object stops its worker (which would otherwise serve on, with
    /// nobody to join it) and ends its task threads.
    fn drop(&mut self) {
        self.handle.stop();
        self.host_queue.close();
    }
}

impl DataTypeFunctions for RbWorker {
    fn mark(&self, marker: &gc::Marker) {
        marker.mark(self.queue);
    }
}

fn poisoned(ruby: &Ruby) -> Error {
    error(ruby, "Error", "the worker's state was poisoned by a panic")
}

impl RbWorker {
    /// `Native::Worker.new(addresses, options)`: core's worker options by name.
    fn new(ruby: &Ruby, addresses: Vec<String>, options: Option<RHash>) -> Result<Self, Error> {
        let options =
            WorkerOptions::from_named(named(ruby, options)?).map_err(|e| to_rb_error(ruby, e))?;
        let concurrency = options.concurrency;
        let addresses: Vec<&str> = addresses.iter().map(String::as_str).collect();
        let worker = rb_result(ruby, Worker::new(&addresses, options))?;
        let queue = RbTaskQueue::new();
        let host_queue = queue.host_queue();
        let queue = ruby.obj_wrap(queue);
        Ok(RbWorker {
            concurrency,
            host_queue,
            handle: worker.handle(),
            worker: Mutex::new(Some(worker)),
            queue: Opaque::from(queue.as_value()),
            thread: Mutex::new(None),
        })
    }

    /// Announces task `name`, run by the Ruby threads serving `queue`.
    fn task(ruby: &Ruby, rb_self: &Self, name: String) -> Result<(), Error> {
        let queue = Obj::<RbTaskQueue>::try_convert(ruby.get_inner(rb_self.queue))?;
        let mut worker = rb_self.worker.lock().map_err(|_| poisoned(ruby))?;
        let worker = worker
            .as_mut()
            .ok_or_else(|| error(ruby, "Error", "the worker already runs"))?;
        worker.host_task(&name, &queue.host_queue());
        Ok(())
    }

    fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// The queue its Ruby threads serve.
    fn queue(ruby: &Ruby, rb_self: &Self) -> Value {
        ruby.get_inner(rb_self.queue)
    }

    /// Starts the worker's I/O on a Rust thread.
    fn start(ruby: &Ruby, rb_self: &Self) -> Result<(), Error> {
        let worker = rb_self
            .worker
            .lock()
            .map_err(|_| poisoned(ruby))?
            .take()
            .ok_or_else(|| error(ruby, "Error", "the worker already ran"))?;
        let thread = std::thread::Builder::new()
            .name("dripdrop-worker-io".into())
            .spawn(move || {
                let mut worker = worker;
                worker.run()
            })
            .map_err(|e| error(ruby, "Error", format!("cannot start the worker: {e}")))?;
        *rb_self.thread.lock().map_err(|_| poisoned(ruby))? = Some(thread);
        Ok(())
    }

    /// Waits up to `timeout` seconds (GVL released) for the worker to end; true once it has
    /// (raising its error, if any).
    fn wait(ruby: &Ruby, rb_self: &Self, timeout: f64) -> Result<bool, Error> {
        let deadline = Instant::now() + seconds(ruby, timeout.max(0.0))?;
        let interrupted = AtomicBool::new(false);
        let finished = || {
            rb_self
                .thread
                .lock()
                .map(|t| t.as_ref().is_none_or(|t| t.is_finished()))
                .unwrap_or(true)
        };
        let done = gvl::without_gvl(
            || loop {
                if finished() {
                    return true;
                }
                if Instant::now() >= deadline || interrupted.load(Ordering::Acquire) {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(5));
            },
            &|| interrupted.store(true, Ordering::Release),
        )
        .unwrap_or(false);
        gvl::check_interrupts()?;
        if !done {
            return Ok(false);
        }
        let thread = rb_self.thread.lock().map_err(|_| poisoned(ruby))?.take();
        if let Some(thread) = thread {
            let result = thread.join().unwrap_or(Err(dripdrop::Error::Stopped));
            rb_result(ruby, result)?;
        }
        Ok(true)
    }

    /// Makes the worker say DISCONNECT and end (from any thread).
    fn stop(&self) {
        self.handle.stop();
    }
}

pub fn define(ruby: &Ruby, native: &magnus::RModule) -> Result<(), Error> {
    use magnus::{function, method};
    let class = native.define_class("Worker", ruby.class_object())?;
    class.define_singleton_method("new", function!(RbWorker::new, 2))?;
    class.define_method("concurrency", method!(RbWorker::concurrency, 0))?;
    class.define_method("task", method!(RbWorker::task, 1))?;
    class.define_method("queue", method!(RbWorker::queue, 0))?;
    class.define_method("start", method!(RbWorker::start, 0))?;
    class.define_method("wait", method!(RbWorker::wait, 1))?;
    class.define_method("stop", method!(RbWorker::stop, 0))?;
    Ok(())
}
