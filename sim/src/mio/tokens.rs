//! `Tokens`: on the simulated kernel, what a registration's epoll data stands for.
//!
//! mio hands a `Token` to epoll as the event's data, and code written on mio picks tokens as
//! it likes: tokio's are the addresses of its per-source state. Addresses differ between two
//! runs of one seed, and epoll data is part of the trace, so a run's trace hash would differ
//! with them while its behaviour did not. On the simulated kernel a `Registry` gives epoll
//! the number of the registration instead (0, 1, 2, ... in `epoll_ctl` order, shared by its
//! `try_clone`s) and maps each harvested event back to its token. Each `ADD` and `MOD` takes
//! a new number, never reused: an event harvested before a `MOD` or a `DEL` carries the token
//! it was registered with, as on Linux. The real kernel gets the token itself.

use super::Token;
use simkern_poller::sys::EpollEvent;
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug, Default)]
pub(crate) struct Tokens(Arc<Mutex<Vec<Token>>>);

impl Tokens {
    /// The epoll data of a new registration (or re-registration) with `token`.
    pub(crate) fn data_for(&self, token: Token) -> u64 {
        let mut table = self.0.lock().unwrap_or_else(|p| p.into_inner());
        table.push(token);
        (table.len() - 1) as u64
    }

    /// Puts back the token each harvested event's data stands for (one lock for the batch).
    pub(crate) fn translate(&self, events: &mut [EpollEvent]) {
        let table = self.0.lock().unwrap_or_else(|p| p.into_inner());
        for ev in events {
            let data = ev.data();
            let token = table
                .get(data as usize)
                .unwrap_or_else(|| panic!("epoll data {data} is no registration of this Poll"));
            *ev = EpollEvent::new(ev.events(), token.0 as u64);
        }
    }
}
