//! A node's routes: by name and by index, registered with the node's reactor.

use crate::error::Error;
use crate::reactor::Reactor;
use crate::route::Route;

/// The routes of a node, in the order they were made; a route's index is its key in the
/// reactor and in the node's handler and request tables.
#[derive(Default)]
pub(crate) struct RouteTable {
    routes: Vec<Route>,
    /// Every send looks its route up by name; route names are the app's own, not a peer's,
    /// so a fast non-keyed hash is safe here.
    by_name: rustc_hash::FxHashMap<String, usize>,
}

impl RouteTable {
    /// Adds a route (its name must be new) and registers its sources; returns its index.
    pub(crate) fn add<T>(&mut self, mut route: Route, reactor: &mut Reactor<usize, T>) -> usize {
        let index = self.routes.len();
        route.register(&mut reactor.sources(index));
        self.by_name.insert(route.name().to_owned(), index);
        self.routes.push(route);
        index
    }

    pub(crate) fn len(&self) -> usize {
        self.routes.len()
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    pub(crate) fn index_of(&self, name: &str) -> Result<usize, Error> {
        self.by_name
            .get(name)
            .copied()
            .ok_or_else(|| Error::NoSuchRoute(name.to_owned()))
    }

    pub(crate) fn get(&self, index: usize) -> &Route {
        &self.routes[index]
    }

    pub(crate) fn get_mut(&mut self, index: usize) -> &mut Route {
        &mut self.routes[index]
    }

    pub(crate) fn iter(&self) -> std::slice::Iter<'_, Route> {
        self.routes.iter()
    }

    /// Tells the reactor what each route waits for; nothing is read once `reading` is false.
    pub(crate) fn prepare_wait<T>(&mut self, reactor: &mut Reactor<usize, T>, reading: bool) {
        for (index, route) in self.routes.iter_mut().enumerate() {
            route.prepare_wait(&mut reactor.sources(index), reading);
        }
    }

    /// The earliest time a route needs its deadline served.
    pub(crate) fn deadline(&self) -> Option<std::time::Instant> {
        self.routes.iter().filter_map(Route::deadline).min()
    }

    /// The routes whose deadline has come by `now`.
    pub(crate) fn due(&self, now: std::time::Instant) -> Vec<usize> {
        let due = |(_, route): &(usize, &Route)| route.deadline().is_some_and(|at| at <= now);
        self.routes
            .iter()
            .enumerate()
            .filter(due)
            .map(|(i, _)| i)
            .collect()
    }

    /// Whether no route holds a message it could send now.
    pub(crate) fn flushed(&self) -> bool {
        !self.routes.iter().any(Route::has_sendable)
    }

    /// Closes every route (their sockets, once the reactor lets them go too).
    pub(crate) fn clear(&mut self) {
        self.routes.clear();
        self.by_name.clear();
    }
}
