//! The registry of built-in scenarios: names resolve, and every declared default is valid.

use crate::{builtin, find};

#[test]
fn echo_refuses_clients_outside_its_declared_range() {
    let echo = find("echo").unwrap();
    for bad in [0, 10_001, u64::MAX] {
        let err = echo.setup(None, &[("clients".into(), bad)]).unwrap_err();
        assert!(
            err.contains(&format!("clients={bad}")) && err.contains("1..=10000"),
            "{err}"
        );
    }
    let ok = echo.setup(None, &[("clients".into(), 10_000)]).unwrap();
    assert_eq!(ok.param("clients"), 10_000);
}

/// `Scenario::setup` asserts that each default lies in its parameter's range.
#[test]
fn every_builtin_variant_sets_up_with_its_defaults() {
    for s in builtin() {
        for v in s.variants {
            s.setup(Some(v), &[]).unwrap();
        }
    }
}

#[test]
fn an_unknown_name_is_an_error_listing_the_builtins() {
    let err = find("no-such").unwrap_err();
    assert!(
        err.starts_with("unknown scenario \"no-such\" (known scenarios: echo, "),
        "{err}"
    );
}
