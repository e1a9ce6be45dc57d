//! Per-thread working state of a run, lent out and given back: a thread takes one for a piece
//! of work and returns it when done, so that what the state has learnt (the texts seen in each
//! column, the explanations written) outlives rayon's pieces of work while no two threads
//! share one. Also buffers handed from one thread to another (a chunk's lines, taken by the
//! worker that decides it, given back by the writer).

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;

/// States not in use: at most as many as were ever out at once (one per thread at work for a
/// lent state; for buffers, the chunks in flight), since each is given back.
#[derive(Debug, Default)]
pub struct Pool<T>(Mutex<Vec<T>>);

impl<T: Default> Pool<T> {
    /// A state for the caller alone until the guard is dropped: one given back earlier, or a
    /// new one.
    pub fn lend(&self) -> Lent<'_, T> {
        Lent { state: self.take(), pool: self }
    }

    /// A state to keep until it is given back with [`Pool::give`], perhaps by another thread:
    /// one given back earlier, or a new one.
    pub fn take(&self) -> T {
        self.0.lock().ok().and_then(|mut idle| idle.pop()).unwrap_or_default()
    }

    /// Gives a state back, to be taken again.
    pub fn give(&self, state: T) {
        if let Ok(mut idle) = self.0.lock() {
            idle.push(state);
        }
    }
}

/// A state lent by a [`Pool`], given back when dropped.
#[derive(Debug)]
pub struct Lent<'p, T: Default> {
    state: T,
    pool: &'p Pool<T>,
}

impl<T: Default> Deref for Lent<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.state
    }
}

impl<T: Default> DerefMut for Lent<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.state
    }
}

impl<T: Default> Drop for Lent<'_, T> {
    fn drop(&mut self) {
        self.pool.give(std::mem::take(&mut self.state));
    }
}
