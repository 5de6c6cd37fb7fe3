//! The config's overrides round trip, the strict profile, and `set`'s refusals.

use super::*;

#[test]
fn overrides_rebuild_the_config_through_set() {
    let mut c = Config::default();
    assert_eq!(c.overrides(), Some(vec![]));
    for arg in [
        "rlimit_nofile=20000",
        "permute_ready=false",
        "linux=6.5.0",
        "step_ns_max=0",
    ] {
        c.set_arg(arg).unwrap();
    }
    let args = c.overrides().expect("every field is nameable");
    let mut rebuilt = Config::default();
    for arg in &args {
        rebuilt.set_arg(arg).unwrap();
    }
    assert_eq!(rebuilt, c, "{args:?}");
    // No version answers listen-after-connect the 6.18.44 way and eventfd the pre-6.6 way.
    c.linux.listen_after_connect_einval = true;
    assert_eq!(c.overrides(), None);
}

#[test]
fn the_strict_profile_turns_every_freedom_off_and_nothing_else() {
    let strict = Config::strict();
    assert!(!strict.permute_ready && !strict.write_len_freedom);
    let freed = Config {
        permute_ready: true,
        write_len_freedom: true,
        ..strict
    };
    assert_eq!(freed, Config::default());
}

#[test]
fn set_takes_each_tunable_by_name_and_names_the_field_it_refuses() {
    let mut c = Config::default();
    c.set("rlimit_nofile", "20000").unwrap();
    assert_eq!(c.rlimit_nofile, 20_000);
    c.set("permute_ready", "off").unwrap();
    assert!(!c.permute_ready);
    c.set("profile", "strict").unwrap();
    assert_eq!((c.permute_ready, c.write_len_freedom), (false, false));
    assert_eq!(c.rlimit_nofile, 20_000, "a profile sets the freedoms only");
    assert!(c.set("profile", "lax").is_err());
    c.set("linux", "5.10").unwrap();
    assert_eq!(c.linux, Behaviours::of(Version::new(5, 10, 0)));
    let e = c.set("rlimit_nofile", "lots").unwrap_err();
    assert_eq!(e.field, "rlimit_nofile");
    let e = c.set("fd_limit", "1").unwrap_err();
    assert!(e.to_string().contains("\"fd_limit\""), "{e}");
    let e = c.set("linux", "six").unwrap_err();
    assert_eq!(e.field, "linux");
    let e = c.set("latency_ns_min", "2000000").unwrap_err();
    assert_eq!(e.field, "latency_ns_min", "checked against latency_ns_max");
}

/// The latency range is drawn as `min + below(max - min + 1)`: the full `u64` range would
/// overflow that count, so `check` refuses it (naming the field), and the range one short of
/// it, and `ip_default_ttl` 0, by their fields too.
#[test]
fn check_refuses_a_latency_range_of_2_to_the_64_values_and_ttl_0() {
    let full = Config {
        latency_ns_min: 0,
        latency_ns_max: u64::MAX,
        ..Config::default()
    };
    assert_eq!(full.check().map_err(|e| e.field), Err("latency_ns_max"));
    let short = Config {
        latency_ns_min: 1,
        ..full.clone()
    };
    assert_eq!(short.check(), Ok(()));
    let ttl = Config {
        ip_default_ttl: 0,
        ..Config::default()
    };
    assert_eq!(ttl.check().map_err(|e| e.field), Err("ip_default_ttl"));
}
