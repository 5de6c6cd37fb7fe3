//! Fault plans: which syscalls fail, how, and how often.
//!
//! A plan is a list of rules consulted in order; the first rule for the call whose dice come
//! up wins (turmoil's rule/verdict shape). Probabilities are integer ratios. Every injected
//! fault is one Linux can produce for that call, so a failure found under faults is a bug
//! that can happen, not an artefact of a kinder or harsher kernel:
//! - `Errno(e)` fails the call with `e` before it touches kernel state (`EMFILE` from `socket`,
//!   `ENOMEM` from `epoll_ctl`, `EINTR` from `epoll_wait`, `ECONNREFUSED` from `connect`...);
//!   `ALLOWED` lists which errno each call may be given.
//! - `Reset` resets the connection under a `read`/`write` first, so the call then fails the
//!   way Linux fails it (`ECONNRESET`, then `EPIPE`).
//! - `Short` makes a `write`/`writev` accept fewer bytes than offered (buffers nearly full).
//! - `EarlyWake` makes `epoll_wait` return 0 before its timeout (harsher than Linux, which
//!   rounds timeouts up; a loop that recomputes its timeout is unaffected).
//!
//! Profiles: `none`; `default` (every fault, rarely); `swarm` (a fresh random plan per seed:
//! each fault kind on or off, each with its own rate, as in swarm testing, Groce et al. 2012).

use crate::decision::{Choice, Decisions};
use crate::trace::Call;
use serde::{Deserialize, Serialize};
use simkern_poller::sys::Errno;
use std::fmt;
use std::str::FromStr;

mod scope;
pub use scope::Scope;

/// One way a call can fail.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    Errno(Errno),
    Reset,
    Short,
    EarlyWake,
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Errno(e) => write!(f, "{e}"),
            Fault::Reset => f.write_str("reset"),
            Fault::Short => f.write_str("short"),
            Fault::EarlyWake => f.write_str("early-wake"),
        }
    }
}

impl FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "reset" => Ok(Fault::Reset),
            "short" => Ok(Fault::Short),
            "early-wake" => Ok(Fault::EarlyWake),
            _ => Errno::from_name(s)
                .map(Fault::Errno)
                .ok_or_else(|| format!("unknown fault {s:?}")),
        }
    }
}

/// The faults each call may be given (the ones Linux documents for it, or that follow from
/// the connection being reset under it).
pub const ALLOWED: &[(Call, &[Fault])] = &[
    (
        Call::EpollWait,
        &[Fault::Errno(Errno::EINTR), Fault::EarlyWake],
    ),
    (
        Call::EpollCtl,
        &[Fault::Errno(Errno::ENOMEM), Fault::Errno(Errno::ENOSPC)],
    ),
    (
        Call::EpollCreate,
        &[
            Fault::Errno(Errno::EMFILE),
            Fault::Errno(Errno::ENFILE),
            Fault::Errno(Errno::ENOMEM),
        ],
    ),
    (
        Call::Socket,
        &[
            Fault::Errno(Errno::EMFILE),
            Fault::Errno(Errno::ENFILE),
            Fault::Errno(Errno::ENOMEM),
        ],
    ),
    (
        Call::Accept4,
        &[
            Fault::Errno(Errno::EMFILE),
            Fault::Errno(Errno::ENFILE),
            Fault::Errno(Errno::ENOMEM),
            Fault::Errno(Errno::EINTR),
            Fault::Errno(Errno::ECONNABORTED),
        ],
    ),
    (
        Call::Connect,
        &[
            Fault::Errno(Errno::ECONNREFUSED),
            Fault::Errno(Errno::EADDRNOTAVAIL),
            Fault::Errno(Errno::EINTR),
        ],
    ),
    (Call::Read, &[Fault::Errno(Errno::EINTR), Fault::Reset]),
    (
        Call::Write,
        &[Fault::Errno(Errno::EINTR), Fault::Reset, Fault::Short],
    ),
    (
        Call::Writev,
        &[Fault::Errno(Errno::EINTR), Fault::Reset, Fault::Short],
    ),
    (Call::Dup, &[Fault::Errno(Errno::EMFILE)]),
    (
        Call::Pipe2,
        &[Fault::Errno(Errno::EMFILE), Fault::Errno(Errno::ENFILE)],
    ),
    (
        Call::Eventfd,
        &[
            Fault::Errno(Errno::EMFILE),
            Fault::Errno(Errno::ENFILE),
            Fault::Errno(Errno::ENOMEM),
        ],
    ),
    // Appended after the older calls, so `swarm` draws their rates as before.
    (
        Call::Sendto,
        &[
            Fault::Errno(Errno::EINTR),
            Fault::Errno(Errno::ENOBUFS),
            Fault::Errno(Errno::ENOMEM),
            Fault::Reset,
            Fault::Short,
        ],
    ),
    (
        Call::Recvfrom,
        &[
            Fault::Errno(Errno::EINTR),
            Fault::Errno(Errno::ENOMEM),
            Fault::Reset,
        ],
    ),
    (Call::Getpeername, &[Fault::Errno(Errno::ENOBUFS)]),
    // Unix sockets, appended likewise (bind(2), connect(2), accept(2), socketpair(2),
    // send(2), recv(2), getsockname(2), unlink(2)). Directory errnos stand for the path
    // checks the simulated namespace does not make.
    (
        Call::BindUnix,
        &[
            Fault::Errno(Errno::EACCES),
            Fault::Errno(Errno::ENOENT),
            Fault::Errno(Errno::ENOTDIR),
            Fault::Errno(Errno::ENOMEM),
        ],
    ),
    (
        Call::ConnectUnix,
        &[
            Fault::Errno(Errno::EINTR),
            Fault::Errno(Errno::EACCES),
            Fault::Errno(Errno::EAGAIN),
            Fault::Errno(Errno::ENOMEM),
        ],
    ),
    (
        Call::Accept4Unix,
        &[
            Fault::Errno(Errno::EINTR),
            Fault::Errno(Errno::EMFILE),
            Fault::Errno(Errno::ENFILE),
            Fault::Errno(Errno::ENOBUFS),
            Fault::Errno(Errno::ENOMEM),
        ],
    ),
    (Call::UnixName, &[Fault::Errno(Errno::ENOBUFS)]),
    (
        Call::Socketpair,
        &[
            Fault::Errno(Errno::EMFILE),
            Fault::Errno(Errno::ENFILE),
            Fault::Errno(Errno::ENOMEM),
        ],
    ),
    (
        Call::SendtoUnix,
        &[
            Fault::Errno(Errno::EINTR),
            Fault::Errno(Errno::ENOBUFS),
            Fault::Errno(Errno::ENOMEM),
            Fault::Short,
        ],
    ),
    (
        Call::RecvfromUnix,
        &[Fault::Errno(Errno::EINTR), Fault::Errno(Errno::ENOMEM)],
    ),
    (
        Call::Unlink,
        &[
            Fault::Errno(Errno::EACCES),
            Fault::Errno(Errno::EBUSY),
            Fault::Errno(Errno::EIO),
        ],
    ),
    // fd calls, appended likewise. dup2(2): EBUSY (a race with open(2)), EINTR (the close
    // of the old file was interrupted); EMFILE as for dup. fcntl(2) and ioctl(2) list no
    // errno for F_GETFD/F_SETFD/F_GETFL/F_SETFL or FIONREAD that a valid call may meet.
    (
        Call::Dup3,
        &[
            Fault::Errno(Errno::EBUSY),
            Fault::Errno(Errno::EINTR),
            Fault::Errno(Errno::EMFILE),
        ],
    ),
    (
        Call::Dup2,
        &[
            Fault::Errno(Errno::EBUSY),
            Fault::Errno(Errno::EINTR),
            Fault::Errno(Errno::EMFILE),
        ],
    ),
    (Call::Fcntl, &[]),
    (Call::Ioctl, &[]),
    // Waits, appended likewise: epoll_pwait(2) and epoll_pwait2 as epoll_wait; poll(2) and
    // ppoll(2) EINTR and ENOMEM (no room for the kernel's copy of the fd table); an early
    // return of poll is not Linux's (its timeout is a lower bound). clock_nanosleep(2): EINTR.
    (
        Call::EpollPwait,
        &[Fault::Errno(Errno::EINTR), Fault::EarlyWake],
    ),
    (
        Call::EpollPwait2,
        &[Fault::Errno(Errno::EINTR), Fault::EarlyWake],
    ),
    (
        Call::Poll,
        &[Fault::Errno(Errno::EINTR), Fault::Errno(Errno::ENOMEM)],
    ),
    (
        Call::Ppoll,
        &[Fault::Errno(Errno::EINTR), Fault::Errno(Errno::ENOMEM)],
    ),
    (Call::Nanosleep, &[Fault::Errno(Errno::EINTR)]),
];

fn allowed(call: Call) -> &'static [Fault] {
    ALLOWED
        .iter()
        .find(|(c, _)| *c == call)
        .map(|(_, f)| *f)
        .unwrap_or(&[])
}

/// One rule: `call` fails with `fault` with probability `num/den`, in the threads `threads`
/// names (names, or prefixes ending in `*`; empty: every thread but the harness's).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub call: String,
    pub fault: String,
    pub num: u32,
    pub den: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threads: Vec<String>,
}

/// A validated rule.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Compiled {
    fault: Fault,
    num: u32,
    den: u32,
    threads: Vec<String>,
}

/// A fault plan. Serialised as its rules; compiled (validated) before use.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Rule>", into = "Vec<Rule>")]
pub struct Plan {
    rules: Vec<Rule>,
    /// Per call (indexed by `Call as usize`), its rules in order.
    by_call: Vec<Vec<Compiled>>,
}

impl Plan {
    pub fn none() -> Self {
        Plan::from_rules(Vec::new()).expect("the empty plan is valid")
    }

    /// Validates rules: known call, a fault allowed for it, a probability `0 < num <= den`.
    pub fn from_rules(rules: Vec<Rule>) -> Result<Self, String> {
        let mut by_call = vec![Vec::new(); Call::ALL.len()];
        for (i, r) in rules.iter().enumerate() {
            let call = Call::from_name(&r.call)
                .ok_or_else(|| format!("fault rule {i}: unknown call {:?}", r.call))?;
            let fault: Fault = r
                .fault
                .parse()
                .map_err(|e| format!("fault rule {i}: {e}"))?;
            if !allowed(call).contains(&fault) {
                return Err(format!(
                    "fault rule {i}: {} cannot fail with {fault} (allowed: {})",
                    r.call,
                    list(allowed(call))
                ));
            }
            if r.den == 0 || r.num == 0 || r.num > r.den {
                return Err(format!(
                    "fault rule {i}: probability {}/{} is not in (0, 1]",
                    r.num, r.den
                ));
            }
            for t in &r.threads {
                scope::check_pattern(t).map_err(|e| format!("fault rule {i}: {e}"))?;
            }
            by_call[call as usize].push(Compiled {
                fault,
                num: r.num,
                den: r.den,
                threads: r.threads.clone(),
            });
        }
        Ok(Plan { rules, by_call })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The fault to inject into this `call` made by thread `thread`, if any. Rolls dice only
    /// for this call's rules that apply to the thread.
    #[inline]
    pub fn roll(&self, call: Call, thread: &str, decisions: &mut Decisions) -> Option<Fault> {
        for rule in &self.by_call[call as usize] {
            if !scope::allows(&rule.threads, thread) {
                continue;
            }
            if decisions.chance(Choice::Fault, rule.num, rule.den) {
                return Some(rule.fault);
            }
        }
        None
    }
}

fn list(faults: &[Fault]) -> String {
    if faults.is_empty() {
        return "none".into();
    }
    faults
        .iter()
        .map(|f| f.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl TryFrom<Vec<Rule>> for Plan {
    type Error = String;
    fn try_from(rules: Vec<Rule>) -> Result<Self, String> {
        Plan::from_rules(rules)
    }
}

impl From<Plan> for Vec<Rule> {
    fn from(p: Plan) -> Vec<Rule> {
        p.rules
    }
}

/// A named way to make a plan.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Profile {
    None,
    Default,
    Swarm,
}

/// `default`'s rate for every allowed fault: rare enough that a run mostly makes progress,
/// common enough that 100 seeds of the echo scenario see every kind.
pub const DEFAULT_RATE: (u32, u32) = (1, 200);
/// `swarm`'s menu of rates, one drawn per enabled fault.
pub const SWARM_RATES: [(u32, u32); 4] = [(1, 20), (1, 100), (1, 500), (1, 2000)];

impl Profile {
    /// The plan for one seed (`swarm` draws it; the runner passes `Decisions::for_plan`).
    pub fn plan(self, decisions: &mut Decisions) -> Plan {
        let mut rules = Vec::new();
        for (call, faults) in ALLOWED {
            for fault in *faults {
                let rate = match self {
                    Profile::None => continue,
                    Profile::Default => DEFAULT_RATE,
                    Profile::Swarm => {
                        if decisions.choose(Choice::Fault, 2) == 0 {
                            continue;
                        }
                        SWARM_RATES
                            [decisions.choose(Choice::Fault, SWARM_RATES.len() as u64) as usize]
                    }
                };
                rules.push(Rule {
                    call: call.name().into(),
                    fault: fault.to_string(),
                    num: rate.0,
                    den: rate.1,
                    threads: Vec::new(),
                });
            }
        }
        Plan::from_rules(rules).expect("profiles only use allowed faults")
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Profile::None => "none",
            Profile::Default => "default",
            Profile::Swarm => "swarm",
        })
    }
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "none" => Ok(Profile::None),
            "default" => Ok(Profile::Default),
            "swarm" => Ok(Profile::Swarm),
            _ => Err(format!(
                "unknown fault profile {s:?} (expected none, default or swarm)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(call: &str, fault: &str, num: u32, den: u32) -> Rule {
        Rule {
            call: call.into(),
            fault: fault.into(),
            num,
            den,
            threads: Vec::new(),
        }
    }

    #[test]
    fn a_plan_that_makes_no_sense_is_refused_with_a_reason() {
        let err = Plan::from_rules(vec![rule("accept4", "EPIPE", 1, 2)]).unwrap_err();
        assert!(err.contains("accept4 cannot fail with EPIPE"), "{err}");
        assert!(Plan::from_rules(vec![rule("frobnicate", "EINTR", 1, 2)])
            .unwrap_err()
            .contains("unknown call"));
        assert!(Plan::from_rules(vec![rule("read", "EINTR", 3, 2)])
            .unwrap_err()
            .contains("not in (0, 1]"));
        assert!(Plan::from_rules(vec![rule("read", "EINTR", 1, 0)]).is_err());
        assert!(Plan::from_rules(vec![rule("read", "EWHAT", 1, 2)])
            .unwrap_err()
            .contains("unknown fault"));
    }

    #[test]
    fn plans_round_trip_through_json() {
        let plan = Profile::Default.plan(&mut Decisions::new(1));
        let json = serde_json::to_string(&plan).unwrap();
        let back: Plan = serde_json::from_str(&json).unwrap();
        assert_eq!(plan, back);
        let bad: Result<Plan, _> =
            serde_json::from_str(r#"[{"call":"read","fault":"EPIPE","num":1,"den":2}]"#);
        assert!(bad
            .unwrap_err()
            .to_string()
            .contains("read cannot fail with EPIPE"));
    }

    #[test]
    fn swarm_draws_different_plans_for_different_seeds_and_the_same_for_the_same() {
        let a = Profile::Swarm.plan(&mut Decisions::new(1));
        let b = Profile::Swarm.plan(&mut Decisions::new(2));
        assert_eq!(a, Profile::Swarm.plan(&mut Decisions::new(1)));
        assert_ne!(a, b);
        assert!(Profile::None.plan(&mut Decisions::new(1)).is_empty());
    }

    #[test]
    fn a_certain_rule_always_fires_and_only_for_its_call() {
        let plan = Plan::from_rules(vec![rule("epoll_wait", "EINTR", 1, 1)]).unwrap();
        let mut d = Decisions::new(5);
        assert_eq!(
            plan.roll(Call::EpollWait, "t", &mut d),
            Some(Fault::Errno(Errno::EINTR))
        );
        assert_eq!(plan.roll(Call::Read, "t", &mut d), None);
    }
}
