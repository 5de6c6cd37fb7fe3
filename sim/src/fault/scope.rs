//! Narrowing a fault plan to some threads and some calls.
//!
//! Harness threads (`sim::harness()`) are never faulted; a scope narrows further, from outside
//! the scenario: `--fault-threads server --fault-calls read,write` faults only the server's
//! reads and writes, so a failure found is the server's, not a client's reaction to its own
//! injected error. A scope narrows a profile's plan after drawing it, so a scoped `swarm` plan
//! is a subset of the same seed's unscoped one.

use super::{Plan, Rule};
use crate::trace::Call;
use serde::{Deserialize, Serialize};

/// Threads and calls a plan is narrowed to; an empty list means all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Thread names, or name prefixes ending in `*` (`client*`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threads: Vec<String>,
    /// Call names as `Call::name` spells them (`read`, `accept4`, `epoll_wait`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<String>,
}

impl Scope {
    /// A validated scope: every call known, every thread pattern well formed.
    pub fn new(threads: Vec<String>, calls: Vec<String>) -> Result<Self, String> {
        for t in &threads {
            check_pattern(t)?;
        }
        for c in &calls {
            if Call::from_name(c).is_none() {
                return Err(format!("fault scope: unknown call {c:?}"));
            }
        }
        Ok(Scope { threads, calls })
    }

    /// Parses the CLI's comma-separated lists (`--fault-threads`, `--fault-calls`).
    pub fn parse(threads: Option<&str>, calls: Option<&str>) -> Result<Self, String> {
        let split = |s: Option<&str>| -> Vec<String> {
            s.map(|s| s.split(',').map(|p| p.trim().to_owned()).collect())
                .unwrap_or_default()
        };
        Scope::new(split(threads), split(calls))
    }

    pub fn is_all(&self) -> bool {
        self.threads.is_empty() && self.calls.is_empty()
    }

    /// `plan` with only the rules for the scope's calls, each limited to the scope's threads
    /// (a rule that names threads already keeps those the scope also names, and is dropped if
    /// there are none).
    pub fn apply(&self, plan: Plan) -> Plan {
        if self.is_all() {
            return plan;
        }
        let rules: Vec<Rule> = plan
            .rules()
            .iter()
            .filter(|r| self.calls.is_empty() || self.calls.contains(&r.call))
            .filter_map(|r| {
                Some(Rule {
                    threads: narrow(&r.threads, &self.threads)?,
                    ..r.clone()
                })
            })
            .collect();
        Plan::from_rules(rules).expect("narrowing keeps a valid plan valid")
    }

    /// The CLI flags that give this scope (for the printed rerun command).
    pub fn flags(&self) -> String {
        self.joined("--fault-threads ", "--fault-calls ")
    }

    /// The scope as reports name it, after the profile (` in threads server in calls read`).
    pub fn described(&self) -> String {
        self.joined("in threads ", "in calls ")
    }

    /// ` {threads}a,b {calls}c`, each part only when its list is not empty.
    fn joined(&self, threads: &str, calls: &str) -> String {
        let mut s = String::new();
        for (label, list) in [(threads, &self.threads), (calls, &self.calls)] {
            if !list.is_empty() {
                s += &format!(" {label}{}", list.join(","));
            }
        }
        s
    }
}

/// The threads both lists allow (either list empty means all), or `None` when they allow no
/// thread in common: a rule for `client*` narrowed to `server` applies nowhere, and is dropped
/// rather than moved onto threads it never named.
fn narrow(rule: &[String], scope: &[String]) -> Option<Vec<String>> {
    if scope.is_empty() {
        return Some(rule.to_vec());
    }
    if rule.is_empty() {
        return Some(scope.to_vec());
    }
    let mut both: Vec<String> = scope
        .iter()
        .flat_map(|s| rule.iter().filter_map(move |r| meet(r, s)))
        .collect();
    both.sort_unstable();
    both.dedup();
    (!both.is_empty()).then_some(both)
}

/// The pattern that allows exactly the threads both `a` and `b` allow, if any: the name, or
/// the longer of two prefixes.
fn meet(a: &str, b: &str) -> Option<String> {
    let met = match (a.strip_suffix('*'), b.strip_suffix('*')) {
        (None, None) => a == b,
        (Some(p), None) => return b.starts_with(p).then(|| b.to_owned()),
        (None, Some(p)) => a.starts_with(p),
        (Some(p), Some(q)) if p.starts_with(q) => true,
        (Some(p), Some(q)) => return q.starts_with(p).then(|| b.to_owned()),
    };
    met.then(|| a.to_owned())
}

/// A thread pattern: a name, or a prefix followed by one `*`.
pub(super) fn check_pattern(p: &str) -> Result<(), String> {
    let body = p.strip_suffix('*').unwrap_or(p);
    if p.is_empty() || body.contains('*') || body.contains(',') {
        return Err(format!(
            "fault scope: thread pattern {p:?} is not a name or a prefix ending in `*`"
        ));
    }
    Ok(())
}

/// Whether thread `name` is one `patterns` allows (empty: every thread).
#[inline]
pub(super) fn allows(patterns: &[String], name: &str) -> bool {
    patterns.is_empty()
        || patterns.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == p,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::Decisions;

    fn rule(call: &str, fault: &str) -> Rule {
        Rule {
            call: call.into(),
            fault: fault.into(),
            num: 1,
            den: 1,
            threads: Vec::new(),
        }
    }

    #[test]
    fn a_scoped_plan_faults_only_the_named_threads_and_calls() {
        let plan = Plan::from_rules(vec![rule("read", "EINTR"), rule("write", "EINTR")]).unwrap();
        let scope = Scope::parse(Some("server,client*"), Some("read")).unwrap();
        let scoped = scope.apply(plan);
        assert_eq!(scoped.rules().len(), 1, "write's rule is out of scope");
        let mut d = Decisions::new(1);
        assert!(scoped.roll(Call::Read, "server", &mut d).is_some());
        assert!(scoped.roll(Call::Read, "client7", &mut d).is_some());
        assert_eq!(scoped.roll(Call::Read, "backend", &mut d), None);
        assert_eq!(scoped.roll(Call::Write, "server", &mut d), None);
    }

    #[test]
    fn a_scope_that_names_nothing_real_is_refused_with_a_reason() {
        let e = Scope::parse(None, Some("reed")).unwrap_err();
        assert!(e.contains("unknown call \"reed\""), "{e}");
        let e = Scope::parse(Some("cl*ent"), None).unwrap_err();
        assert!(e.contains("cl*ent"), "{e}");
        let e = Scope::parse(Some("server,"), None).unwrap_err();
        assert!(e.contains("\"\""), "{e}");
    }

    #[test]
    fn a_rule_narrowed_twice_keeps_what_both_allow() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let r = names(&["client*"]);
        assert_eq!(narrow(&r, &names(&["client3"])), Some(names(&["client3"])));
        assert_eq!(narrow(&names(&["client3"]), &r), Some(names(&["client3"])));
        assert_eq!(
            narrow(&r, &names(&["client1*"])),
            Some(names(&["client1*"]))
        );
        assert_eq!(
            narrow(&names(&["client1*"]), &r),
            Some(names(&["client1*"]))
        );
        assert_eq!(narrow(&r, &[]), Some(r.clone()));
        assert_eq!(narrow(&[], &names(&["server"])), Some(names(&["server"])));
        // Nothing in common: the rule applies nowhere in the scope, and goes.
        assert_eq!(narrow(&r, &names(&["server"])), None);
        let plan = Plan::from_rules(vec![Rule {
            threads: r,
            ..rule("read", "EINTR")
        }])
        .unwrap();
        let scoped = Scope::parse(Some("server"), None).unwrap().apply(plan);
        assert!(scoped.is_empty(), "{:?}", scoped.rules());
    }

    #[test]
    fn the_empty_scope_leaves_a_plan_as_it_was() {
        let plan = Plan::from_rules(vec![rule("read", "EINTR")]).unwrap();
        assert_eq!(Scope::default().apply(plan.clone()), plan);
        assert_eq!(Scope::default().flags(), "");
        let scope = Scope::parse(Some("a,b*"), Some("read,write")).unwrap();
        assert_eq!(
            scope.flags(),
            " --fault-threads a,b* --fault-calls read,write"
        );
    }
}
