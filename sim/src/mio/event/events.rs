//! `Events`: the buffer `Poll::poll` fills, its capacity being `epoll_wait`'s `maxevents`.

use super::Event;
use simkern_poller::sys::EpollEvent;

/// A batch of readiness events (mio's `Events`).
pub struct Events {
    /// `capacity` slots, the first `len` of them filled by the last poll.
    buf: Box<[Event]>,
    len: usize,
}

impl Events {
    /// Room for `capacity` events per poll (`maxevents`). As on Linux, zero is refused by the
    /// poll (`EINVAL`), not here.
    pub fn with_capacity(capacity: usize) -> Events {
        Events {
            buf: (0..capacity).map(|_| Event::empty()).collect(),
            len: 0,
        }
    }

    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            inner: self.buf[..self.len].iter(),
        }
    }

    /// Forgets the events of the last poll.
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// The whole buffer, as `epoll_wait` takes it.
    pub(crate) fn sys_buffer(&mut self) -> &mut [EpollEvent] {
        self.len = 0;
        // SAFETY: `Event` is `repr(transparent)` over `EpollEvent`, so a slice of one is a
        // slice of the other with the same length and layout.
        unsafe {
            std::slice::from_raw_parts_mut(self.buf.as_mut_ptr() as *mut EpollEvent, self.buf.len())
        }
    }

    pub(crate) fn set_len(&mut self, len: usize) {
        assert!(
            len <= self.buf.len(),
            "epoll_wait reported {len} events into a buffer of {}",
            self.buf.len()
        );
        self.len = len;
    }
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The events of the last poll, in the order the kernel reported them.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    inner: std::slice::Iter<'a, Event>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a Event;
    fn next(&mut self) -> Option<&'a Event> {
        self.inner.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Events {
    type Item = &'a Event;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}
