//! Fault plans: which syscalls fail, how, and how often.
//!
//! A plan is a list of rules consulted in order; the first rule for the call whose dice come
//! up wins (turmoil's rule/verdict shape). Probabilities are integer ratios. Every injected
//! fault is one Linux can produce for that call, so a failure found under faults is a bug
//! that can happen, not an artefact of a kinder or harsher kernel:
//! - `Errno(e)` fails the call with `e` before it touches kernel state (`EMFILE` from `socket`,
//!   `ENOMEM` from `epoll_ctl`, `EINTR` from `epoll_wait`, `ECONNREFUSED` from `connect`...);
//!   `ALLOWED` lists which errno each call may be given. `EINTR` is a signal arriving: it
//!   fails only a call that would wait (a read or write on a blocking file with nothing to
//!   do, `epoll_wait` with nothing ready and a timeout), which returns `EINTR` instead of
//!   sleeping, or the bytes it had queued; any other call completes, as on Linux, where a
//!   nonblocking socket answers `EAGAIN` before it looks at pending signals
//!   (`crate::sys::interruptible`).
//! - `Reset` resets the connection under a `read`/`write` first, so the call then fails the
//!   way Linux fails it (`ECONNRESET`, then `EPIPE`).
//! - `Short` makes a `write`/`writev` accept fewer bytes than offered (buffers nearly full),
//!   arming the writer's next `EPOLLOUT` wakeup as a filled buffer does on Linux.
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

mod allowed;
mod scope;
use allowed::allowed;
pub use allowed::ALLOWED;
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
mod tests;
