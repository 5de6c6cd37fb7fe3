//! Seed files: round trips, old formats, and bad files refused naming the field.

use super::*;

fn sample() -> SeedFile {
    SeedFile {
        format: FORMAT,
        scenario: "echo".into(),
        variant: "fixed".into(),
        params: BTreeMap::new(),
        seed: 7,
        strategy: strategy::Kind::Pct { depth: 3 },
        faults: "none".into(),
        fault_plan: Plan::none(),
        step_budget: 1000,
        kernel: kernel::Config::default(),
        decisions: None,
        fill: Fill::Stream,
        schedule: None,
        expected: Expected {
            outcome: Signature::Pass,
            trace_hash: format_hash(0xdead_beef),
            steps: 10,
        },
        digests: Some(encode_digests(&[1, 2, 0xffff_ffff])),
        postmortem: String::new(),
    }
}

#[test]
fn a_seed_file_round_trips() {
    let f = sample();
    let text = serde_json::to_string(&f).unwrap();
    assert_eq!(SeedFile::parse(&text, "x").unwrap(), f);
    assert_eq!(f.digests().unwrap(), vec![1, 2, 0xffff_ffff]);
}

#[test]
fn malformed_seed_files_name_the_field() {
    let good = serde_json::to_value(sample()).unwrap();
    let with = |path: &str, v: serde_json::Value| {
        let mut x = good.clone();
        *x.pointer_mut(path).unwrap() = v;
        SeedFile::parse(&x.to_string(), "f.json").unwrap_err()
    };
    let wrong_type = with("/seed", "seven".into());
    assert!(wrong_type.contains("field `seed`"), "{wrong_type}");
    assert!(with("/format", 4.into()).contains("field `format` is 4"));
    assert!(with("/strategy", "dfs".into()).contains("unknown strategy"));
    assert!(with("/expected/trace_hash", "12".into()).contains("expected.trace_hash"));
    assert!(with("/digests", "123".into()).contains("digests"));
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("scenario");
    assert!(SeedFile::parse(&missing.to_string(), "f")
        .unwrap_err()
        .contains("missing field `scenario`"));
    assert!(SeedFile::parse("{", "f").unwrap_err().contains("not JSON"));
    let bad_plan = with(
        "/fault_plan",
        serde_json::json!([{"call":"accept4","fault":"EPIPE","num":1,"den":2}]),
    );
    assert!(
        bad_plan.contains("accept4 cannot fail with EPIPE"),
        "{bad_plan}"
    );
}

#[test]
fn a_format_1_file_loads_and_compares_its_outcome_as_format_1_did() {
    let mut v1 = serde_json::to_value(sample()).unwrap();
    v1["format"] = 1.into();
    v1["expected"]["outcome"] = "oracle stale_delivery".into();
    let f = SeedFile::parse(&v1.to_string(), "old.json").unwrap();
    assert_eq!(f.format, 1);
    let got = Signature::Oracle {
        oracle: "stale_delivery".into(),
        subjects: vec!["fd".into(), "handle".into()],
    };
    assert!(f.expects(&got));
    assert!(!f.expects(&Signature::Pass));
    v1["expected"]["outcome"] = "panic: pipeN on fdN".into();
    let f = SeedFile::parse(&v1.to_string(), "old.json").unwrap();
    assert!(f.expects(&Signature::Panic {
        message: "pipe2 on fdN".into()
    }));
    v1["expected"]["outcome"] = "bogus".into();
    let e = SeedFile::parse(&v1.to_string(), "old.json").unwrap_err();
    assert!(e.contains("field `expected.outcome`"), "{e}");
    // A format-2 file's outcome is an object; a string is refused there.
    let mut v2 = serde_json::to_value(sample()).unwrap();
    v2["expected"]["outcome"] = "pass".into();
    let e = SeedFile::parse(&v2.to_string(), "new.json").unwrap_err();
    assert!(e.contains("field `expected.outcome`"), "{e}");
}

#[test]
fn a_format_1_file_is_written_back_as_format_1() {
    let mut f = sample();
    f.format = 1;
    f.expected.outcome = Signature::Oracle {
        oracle: "timer".into(),
        subjects: Vec::new(),
    };
    let text = f.to_json();
    assert!(text.contains("\"outcome\": \"oracle timer\""), "{text}");
    assert_eq!(SeedFile::parse(&text, "x").unwrap(), f);
}

#[test]
fn a_file_older_than_format_3_runs_with_time_standing_still_unless_it_says_otherwise() {
    let mut old = serde_json::to_value(sample()).unwrap();
    assert!(
        old.get("kernel").is_none(),
        "the sample's kernel is the default"
    );
    old["format"] = 2.into();
    let f = SeedFile::parse(&old.to_string(), "old.json").unwrap();
    assert_eq!((f.format, f.kernel.step_ns_max), (2, 0));
    assert_eq!(
        f.kernel.rlimit_nofile,
        kernel::Config::default().rlimit_nofile
    );
    // Written back, it still says 0; a step time it names is kept.
    assert_eq!(SeedFile::parse(&f.to_json(), "x").unwrap(), f);
    old["kernel"] = serde_json::json!({"step_ns_max": 500, "somaxconn": 8});
    let f = SeedFile::parse(&old.to_string(), "old.json").unwrap();
    assert_eq!((f.kernel.step_ns_max, f.kernel.somaxconn), (500, 8));
    old["kernel"] = serde_json::json!(7);
    let e = SeedFile::parse(&old.to_string(), "old.json").unwrap_err();
    assert!(e.contains("field `kernel`"), "{e}");
    // This format's files take today's default.
    let f = SeedFile::parse(&serde_json::to_string(&sample()).unwrap(), "new.json").unwrap();
    assert_eq!(f.kernel.step_ns_max, kernel::STEP_NS_MAX);
    assert_ne!(kernel::STEP_NS_MAX, 0);
}

#[test]
fn a_duplicate_key_is_refused_by_name() {
    let text = serde_json::to_string(&sample()).unwrap();
    let twice = text.replacen("\"seed\":7", "\"seed\":7,\"seed\":8", 1);
    assert_ne!(twice, text);
    let e = SeedFile::parse(&twice, "f.json").unwrap_err();
    assert!(e.contains("duplicate key `seed`"), "{e}");
    assert!(!e.contains('\n'), "{e}");
}

#[test]
fn a_struct_written_as_an_array_of_its_fields_is_refused_by_name() {
    // serde reads a struct from a sequence of its fields in order; a seed file that did would
    // run a configuration (`kernel: [1]`: fd limit 1, all else default) its reader never saw.
    let good = serde_json::to_value(sample()).unwrap();
    let rule = serde_json::json!({"call":"read","fault":"EINTR","num":1,"den":2});
    let cases = [
        ("/kernel", serde_json::json!([1]), "kernel"),
        (
            "/expected",
            serde_json::json!(["pass", "0x00000000deadbeef", 10]),
            "expected",
        ),
        (
            "/fault_plan",
            serde_json::json!([["read", "EINTR", 1, 2]]),
            "fault_plan[0]",
        ),
        (
            "/fault_plan",
            serde_json::json!([rule, [1]]),
            "fault_plan[1]",
        ),
    ];
    for (pointer, bad, path) in cases {
        let mut x = good.clone();
        match x.pointer_mut(pointer) {
            Some(v) => *v = bad,
            None => {
                x[pointer.trim_start_matches('/')] = bad;
            }
        }
        let e = SeedFile::parse(&x.to_string(), "f.json").unwrap_err();
        assert!(
            e.starts_with(&format!("f.json: field `{path}`: invalid type: sequence")),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
    }
}

#[test]
fn divergence_is_the_first_differing_step() {
    assert_eq!(first_divergence(&[1, 2, 3], &[1, 2, 3]), None);
    assert_eq!(first_divergence(&[1, 2, 3], &[1, 5, 3]), Some(1));
    assert_eq!(first_divergence(&[1, 2], &[1, 2, 3]), Some(2));
}
