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
    /// (a rule that names threads already keeps those the scope also names).
    pub fn apply(&self, plan: Plan) -> Plan {
        if self.is_all() {
            return plan;
        }
        let rules: Vec<Rule> = plan
            .rules()
            .iter()
            .filter(|r| self.calls.is_empty() || self.calls.contains(&r.call))
            .map(|r| Rule {
                threads: narrow(&r.threads, &self.threads),
                ..r.clone()
            })
            .collect();
        Plan::from_rules(rules).expect("narrowing keeps a valid plan valid")
    }

    /// The CLI flags that give this scope (for the printed rerun command).
    pub fn flags(&self) -> String {
        let mut s = String::new();
        if !self.threads.is_empty() {
            s += &format!(" --fault-threads {}", self.threads.join(","));
        }
        if !self.calls.is_empty() {
            s += &format!(" --fault-calls {}", self.calls.join(","));
        }
        s
    }
}

/// The threads both lists allow (either list empty means all). Two patterns that allow
/// nothing in common would leave a rule that never fires, which reads as a silent no-op, so
/// the scope's patterns win when the rule's own do not overlap them.
fn narrow(rule: &[String], scope: &[String]) -> Vec<String> {
    if scope.is_empty() {
        return rule.to_vec();
    }
    if rule.is_empty() {
        return scope.to_vec();
    }
    let both: Vec<String> = scope
        .iter()
        .filter(|s| rule.iter().any(|r| overlaps(r, s)))
        .cloned()
        .collect();
    if both.is_empty() {
        scope.to_vec()
    } else {
        both
    }
}

fn overlaps(a: &str, b: &str) -> bool {
    let (pa, pb) = (a.strip_suffix('*'), b.strip_suffix('*'));
    match (pa, pb) {
        (None, None) => a == b,
        (Some(p), None) => b.starts_with(p),
        (None, Some(p)) => a.starts_with(p),
        (Some(p), Some(q)) => p.starts_with(q) || q.starts_with(p),
    }
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
        let r = vec!["client*".to_string()];
        assert_eq!(narrow(&r, &["client3".into()]), vec!["client3".to_string()]);
        assert_eq!(narrow(&r, &[]), r);
        assert_eq!(narrow(&[], &["server".into()]), vec!["server".to_string()]);
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
