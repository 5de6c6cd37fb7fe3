//! `proptest` strategies for seeds and fault plans, so proptest shrinks them.
//!
//! A failing property shrinks its seed toward 0 and its fault plan toward fewer rules and
//! rarer faults, ending at the smallest plan that still fails — usually one rule naming the
//! errno the code mishandles.

use crate::fault::{Plan, Rule, ALLOWED};
use proptest::prelude::*;

/// Any seed; shrinks toward 0.
pub fn seeds() -> impl Strategy<Value = u64> {
    any::<u64>()
}

/// Every (call, fault) pair a plan may contain.
fn menu() -> Vec<(&'static str, String)> {
    ALLOWED
        .iter()
        .flat_map(|(call, faults)| faults.iter().map(move |f| (call.name(), f.to_string())))
        .collect()
}

/// Fault plans of up to `max_rules` rules, each fault allowed for its call, rates from 1/2 to
/// 1/10000. Shrinks toward fewer rules and rarer faults.
pub fn fault_plans(max_rules: usize) -> impl Strategy<Value = Plan> {
    let menu = menu();
    let n = menu.len();
    proptest::collection::vec((0..n, 2u32..10_000), 0..=max_rules).prop_map(move |picks| {
        let rules = picks
            .into_iter()
            .map(|(i, den)| Rule {
                call: menu[i].0.to_owned(),
                fault: menu[i].1.clone(),
                num: 1,
                den,
                threads: Vec::new(),
            })
            .collect();
        Plan::from_rules(rules).expect("the menu holds only allowed faults")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    #[test]
    fn generated_plans_are_valid_and_shrink_toward_fewer_rules() {
        let mut runner = TestRunner::deterministic();
        let mut tree = fault_plans(6).new_tree(&mut runner).unwrap();
        while tree.current().rules().is_empty() {
            tree = fault_plans(6).new_tree(&mut runner).unwrap();
        }
        let before = tree.current().rules().len();
        while tree.simplify() {}
        assert!(
            tree.current().rules().len() < before,
            "shrinking kept all {before} rules"
        );
    }
}
