//! `Token`: the caller's name for a registration, returned with each of its events.

/// Associates readiness events with the source they belong to (mio's `Token`): the value is
/// the epoll entry's `data`, handed back as is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Token(pub usize);

impl From<Token> for usize {
    fn from(token: Token) -> usize {
        token.0
    }
}
