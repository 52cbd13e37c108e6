//! The open connections of a route: each under the number its handlers see (never reused
//! in the route's life) and under the reactor token its events come with.

use crate::reactor::{Interest, Sources, Token};
use rustc_hash::FxHashMap;
use std::os::fd::RawFd;

/// Connections of type `C`, by number and by token.
pub(crate) struct Connections<C> {
    by_id: FxHashMap<u64, (C, Token)>,
    by_token: FxHashMap<Token, u64>,
    /// The last number given; numbers start at 1.
    last_id: u64,
}

impl<C> Default for Connections<C> {
    fn default() -> Self {
        Connections {
            by_id: FxHashMap::default(),
            by_token: FxHashMap::default(),
            last_id: 0,
        }
    }
}

impl<C> Connections<C> {
    /// Registers `fd` with the reactor and keeps `connection` under a new number.
    pub(crate) fn insert(&mut self, sources: &mut dyn Sources, fd: RawFd, connection: C) -> u64 {
        self.last_id += 1;
        let id = self.last_id;
        let token = sources.add_fd(fd, Interest::READABLE);
        self.by_id.insert(id, (connection, token));
        self.by_token.insert(token, id);
        id
    }

    /// Removes a connection and its registration (before its socket is closed).
    pub(crate) fn remove(&mut self, sources: &mut dyn Sources, id: u64) -> Option<C> {
        let (connection, token) = self.by_id.remove(&id)?;
        self.by_token.remove(&token);
        sources.remove(token);
        Some(connection)
    }

    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut C> {
        self.by_id.get_mut(&id).map(|(c, _)| c)
    }

    /// The number of the connection registered under `token`.
    pub(crate) fn id_of(&self, token: Token) -> Option<u64> {
        self.by_token.get(&token).copied()
    }

    /// Says what the next wait looks for on a connection.
    pub(crate) fn set_interest(&self, sources: &mut dyn Sources, id: u64, interest: Interest) {
        if let Some((_, token)) = self.by_id.get(&id) {
            sources.set_interest(*token, interest);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Every connection's number, in no particular order.
    pub(crate) fn ids(&self) -> Vec<u64> {
        self.by_id.keys().copied().collect()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &C)> {
        self.by_id.iter().map(|(id, (c, _))| (*id, c))
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (u64, &mut C)> {
        self.by_id.iter_mut().map(|(id, (c, _))| (*id, c))
    }
}
