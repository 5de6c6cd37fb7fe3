//! `Signature`: what a seed did, typed. One value per outcome a seed can have, in this
//! process (the run's `Stop`) or in a worker process (a signal, a wall-clock timeout).
//!
//! A signature is the deduplication key of failures (nightly, merge, `run`'s summary) and the
//! expected outcome of a seed file, so it keeps only what is the same on every seed that hits
//! one bug: an oracle's name and the kinds of what it names (not their numbers), a panic's
//! message with the values that vary between runs (fd numbers, addresses, ports, counts)
//! read as `N` while identifiers (`pipe2`, `accept4`, `t1`) stay as written.
//!
//! JSON: internally tagged by `kind`, snake case, fields spelled out
//! (`{"kind":"oracle","oracle":"stale_delivery","subjects":["fd","handle"]}`,
//! `{"kind":"crash","signal":"SIGSEGV"}`). `Display` is the one-line human form
//! (`oracle stale_delivery (fd, handle)`, `crash: SIGSEGV`). The format-1 strings
//! (`"pass"`, `"oracle timer"`, `"crash: SIGABRT"`) are read by `from_v1` and written by `v1`,
//! for the seed files of format 1.

use serde::{Deserialize, Serialize};
use simkern_sim::Stop;
use std::fmt;

/// The outcome of one seed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Signature {
    /// The root thread returned and no oracle objected.
    Pass,
    /// A thread of the code under test panicked; the message as `normalise` reads it.
    Panic { message: String },
    /// A lifecycle oracle objected: its name and the kinds of what its verdict names
    /// (`fd`, `handle`, `timer`, `owner`, `object`, `loop`), sorted, each once.
    Oracle {
        oracle: String,
        #[serde(default)]
        subjects: Vec<String>,
    },
    /// Every live thread parked with nothing to wake one.
    Deadlock,
    /// The step budget ran out.
    Livelock,
    /// More simulated threads than `THREADS_MAX`.
    TooManyThreads,
    /// The worker process running the seed was killed by a signal (an abort, a segfault, a
    /// stack overflow of the code under test): `SIGSEGV`.
    Crash { signal: String },
    /// The worker process ended without a signal and without an answer, or could not be
    /// started or reached: why.
    WorkerLost { reason: String },
    /// The seed ran past the wall-clock `--seed-timeout` and its worker was killed.
    Timeout { after_s: u64 },
}

impl Signature {
    /// The signature of a run that stopped with `stop`.
    pub fn of(stop: &Stop) -> Signature {
        match stop {
            Stop::Completed => Signature::Pass,
            Stop::Panic { message, .. } => Signature::Panic {
                message: normalise(message),
            },
            Stop::Deadlock { .. } => Signature::Deadlock,
            Stop::Livelock { .. } => Signature::Livelock,
            Stop::TooManyThreads => Signature::TooManyThreads,
            Stop::Oracle {
                oracle, subjects, ..
            } => {
                let mut kinds: Vec<String> = subjects.iter().map(|s| s.kind().into()).collect();
                kinds.sort_unstable();
                kinds.dedup();
                Signature::Oracle {
                    oracle: (*oracle).into(),
                    subjects: kinds,
                }
            }
        }
    }

    pub fn is_pass(&self) -> bool {
        *self == Signature::Pass
    }

    /// The seed's worker process died or was killed: nothing in this process saw the run, so
    /// no seed file is written for it (`run` alone reruns it).
    pub fn is_crash(&self) -> bool {
        matches!(
            self,
            Signature::Crash { .. } | Signature::WorkerLost { .. } | Signature::Timeout { .. }
        )
    }

    /// The format-1 string of this signature (`"pass"`, `"oracle timer"`, `"panic: fdN"`,
    /// `"crash: SIGSEGV"`): what a format-1 seed file compares against.
    pub fn v1(&self) -> String {
        match self {
            Signature::Pass => "pass".into(),
            // Format 1 read every run of digits as `N`, identifiers included.
            Signature::Panic { message } => format!("panic: {}", digits_as_n(message)),
            Signature::Oracle { oracle, .. } => format!("oracle {oracle}"),
            Signature::Deadlock => "deadlock".into(),
            Signature::Livelock => "livelock".into(),
            Signature::TooManyThreads => "too many threads".into(),
            Signature::Crash { signal } => format!("crash: {signal}"),
            Signature::WorkerLost { reason } => format!("crash: {reason}"),
            Signature::Timeout { after_s } => format!("crash: wall-clock timeout after {after_s}s"),
        }
    }

    /// Reads a format-1 signature string; the error says what it is not.
    pub fn from_v1(s: &str) -> Result<Signature, String> {
        Ok(match s {
            "pass" => Signature::Pass,
            "deadlock" => Signature::Deadlock,
            "livelock" => Signature::Livelock,
            "too many threads" => Signature::TooManyThreads,
            _ => {
                if let Some(m) = s.strip_prefix("panic: ") {
                    Signature::Panic { message: m.into() }
                } else if let Some(o) = s.strip_prefix("oracle ") {
                    if o.is_empty() || o.contains(char::is_whitespace) {
                        return Err(format!("{s:?} names no oracle"));
                    }
                    Signature::Oracle {
                        oracle: o.into(),
                        subjects: Vec::new(),
                    }
                } else if let Some(c) = s.strip_prefix("crash: ") {
                    match c
                        .strip_prefix("wall-clock timeout after ")
                        .and_then(|t| t.strip_suffix('s'))
                    {
                        Some(t) => Signature::Timeout {
                            after_s: t.parse().map_err(|e| format!("{s:?}: {e}"))?,
                        },
                        None if c.starts_with("SIG") => Signature::Crash { signal: c.into() },
                        None => Signature::WorkerLost { reason: c.into() },
                    }
                } else {
                    return Err(format!(
                        "{s:?} is not an outcome (pass, panic: ..., oracle NAME, deadlock, livelock, too many threads, crash: ...)"
                    ));
                }
            }
        })
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Signature::Oracle { oracle, subjects } if !subjects.is_empty() => {
                write!(f, "oracle {oracle} ({})", subjects.join(", "))
            }
            Signature::Panic { message } => write!(f, "panic: {message}"),
            other => f.write_str(&other.v1()),
        }
    }
}

/// `message` with what varies between runs read as `N`: a number standing alone (`fd 7`,
/// `port 8080`, `:8080`, `after 3 retries`), a number glued to `fd` (`fd7`), and a hex
/// address (`0x7ffd3a2c` as `0xN`). Digits inside an identifier (`pipe2`, `accept4`,
/// `EPOLL_CTL_ADD`, `t1`) are part of its name and stay.
pub fn normalise(message: &str) -> String {
    let chars: Vec<char> = message.chars().collect();
    let mut out = String::with_capacity(message.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let in_word = prev.is_some_and(|p| p.is_alphanumeric() || p == '_');
        if c == '0'
            && chars.get(i + 1) == Some(&'x')
            && chars.get(i + 2).is_some_and(|h| h.is_ascii_hexdigit())
            && !in_word
        {
            // A hex address or value: `0x` and its digits.
            out.push_str("0xN");
            i += 2;
            while chars.get(i).is_some_and(|h| h.is_ascii_hexdigit()) {
                i += 1;
            }
            continue;
        }
        if c.is_ascii_digit() {
            let glued_to_fd = i >= 2
                && chars[i - 2..i] == ['f', 'd']
                && !(i >= 3 && (chars[i - 3].is_alphanumeric() || chars[i - 3] == '_'));
            let mut end = i;
            while chars.get(end).is_some_and(|d| d.is_ascii_digit()) {
                end += 1;
            }
            let ends_word = chars
                .get(end)
                .is_some_and(|n| n.is_alphabetic() || *n == '_');
            if glued_to_fd || (!in_word && !ends_word) {
                out.push('N');
            } else {
                out.extend(&chars[i..end]);
            }
            i = end;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Format 1's normalisation: every run of decimal digits as `N`.
fn digits_as_n(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut in_number = false;
    for c in message.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                out.push('N');
            }
            in_number = true;
        } else {
            out.push(c);
            in_number = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use simkern_sim::thread::ThreadId;

    fn panic(message: &str) -> Signature {
        Signature::of(&Stop::Panic {
            thread: ThreadId::ROOT,
            message: message.into(),
            location: "x.rs:1".into(),
        })
    }

    #[test]
    fn panics_that_differ_only_in_fd_numbers_share_a_signature() {
        let a = panic("eventfd fd4 write failed with EBADF");
        let b = panic("eventfd fd17 write failed with EBADF");
        assert_eq!(
            a,
            Signature::Panic {
                message: "eventfd fdN write failed with EBADF".into()
            }
        );
        assert_eq!(a, b);
        assert_ne!(a, panic("eventfd fd4 read failed"));
    }

    #[test]
    fn normalising_keeps_identifiers_and_reads_values_as_n() {
        assert_eq!(
            normalise("pipe2 on fd 7 failed: EMFILE"),
            "pipe2 on fd N failed: EMFILE"
        );
        assert_eq!(
            normalise("accept4(fd3) at 0x7ffd3a2c"),
            "accept4(fdN) at 0xN"
        );
        assert_eq!(
            normalise("connect 127.0.0.1:8080 from t1"),
            "connect N.N.N.N:N from t1"
        );
        assert_eq!(
            normalise("EPOLL_CTL_ADD x86_64 sha256"),
            "EPOLL_CTL_ADD x86_64 sha256"
        );
        assert_eq!(normalise("2nd try, 3 left"), "2nd try, N left");
        assert_eq!(normalise("sfd3 ufd9"), "sfd3 ufd9");
    }

    #[test]
    fn every_signature_round_trips_through_json_and_format_1() {
        let all = [
            Signature::Pass,
            Signature::Panic {
                message: "pipe2 on fd N".into(),
            },
            Signature::Oracle {
                oracle: "stale_delivery".into(),
                subjects: vec!["fd".into(), "handle".into()],
            },
            Signature::Deadlock,
            Signature::Livelock,
            Signature::TooManyThreads,
            Signature::Crash {
                signal: "SIGSEGV".into(),
            },
            Signature::WorkerLost {
                reason: "worker could not start".into(),
            },
            Signature::Timeout { after_s: 60 },
        ];
        for s in all {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(
                serde_json::from_str::<Signature>(&json).unwrap(),
                s,
                "{json}"
            );
            let back = Signature::from_v1(&s.v1()).unwrap();
            assert_eq!(back.v1(), s.v1());
            assert_eq!(back.is_crash(), s.is_crash(), "{s}");
        }
        assert_eq!(
            serde_json::to_string(&Signature::Crash {
                signal: "SIGABRT".into()
            })
            .unwrap(),
            r#"{"kind":"crash","signal":"SIGABRT"}"#
        );
        assert!(Signature::from_v1("bogus").is_err());
        assert!(Signature::from_v1("oracle ").is_err());
    }
}
