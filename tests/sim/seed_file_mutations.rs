//! Mutated seed files through `simkern replay`, as a property: whatever is done to a
//! committed seed file's fields, the binary neither panics, aborts nor hangs; it exits 2 with
//! one line on stderr naming the field (and the line says `error`, never `panicked`).
//!
//! A mutation is chosen so that the file is certainly invalid: a field given a value of the
//! wrong type (every JSON type but the one it holds; never `null`, which an optional field
//! takes as absent), a required field removed, an unknown field added, a key written twice,
//! a parameter set past its declared range, or the text cut short (which names no field,
//! only `not JSON`). Mutations that leave a valid file (a different seed) are replays, not
//! bad input, and are the business of `seeds.rs`.
//!
//! Cases: 48 per run, each one process start (about 10 ms in debug), so the whole property
//! costs well under two seconds; a failure prints the mutation and proptest's seed.

use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A replay that takes longer than this is a hang (a parse error takes milliseconds).
const HANG_S: u64 = 20;

fn seed_texts() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// Every field path of `v` that a mutation may target (objects' keys, to depth 2, and the
/// first element of arrays of objects), as (JSON pointer, dotted name).
fn fields(v: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Value::Object(top) = v else { return out };
    for (k, x) in top {
        out.push((format!("/{k}"), k.clone()));
        match x {
            Value::Object(inner) => {
                for k2 in inner.keys() {
                    out.push((format!("/{k}/{k2}"), format!("{k}.{k2}")));
                }
            }
            Value::Array(items) => {
                if let Some(Value::Object(first)) = items.first() {
                    for k2 in first.keys() {
                        out.push((format!("/{k}/0/{k2}"), format!("{k}[0].{k2}")));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Values of every JSON type but `like`'s (and never null).
fn wrong_types(like: &Value) -> Vec<Value> {
    let all = [
        json!("x"),
        json!(true),
        json!(-1),
        json!(1.5),
        json!([1]),
        json!({"k": 1}),
    ];
    all.into_iter()
        .filter(|w| {
            let same = match (like, w) {
                (Value::Number(_), Value::Number(n)) => {
                    // -1 and 1.5 are wrong for every unsigned field the file holds.
                    !(n.is_f64() || n.as_i64().is_some_and(|i| i < 0))
                }
                (Value::String(_), Value::String(_))
                | (Value::Bool(_), Value::Bool(_))
                | (Value::Array(_), Value::Array(_))
                | (Value::Object(_), Value::Object(_)) => true,
                _ => false,
            };
            !same
        })
        .collect()
}

#[derive(Clone, Debug)]
enum Mutation {
    WrongType { field: usize, value: usize },
    Remove { field: usize },
    Unknown,
    Duplicate { field: usize },
    ParamPastRange,
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), any::<usize>()).prop_map(|(field, value)| Mutation::WrongType { field, value }),
        2 => any::<usize>().prop_map(|field| Mutation::Remove { field }),
        1 => Just(Mutation::Unknown),
        2 => any::<usize>().prop_map(|field| Mutation::Duplicate { field }),
        1 => Just(Mutation::ParamPastRange),
        1 => any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

/// The file `m` makes of `text`, and the word its error must contain (`None`: a field
/// the mutation could not reach in this file; the case is skipped).
fn apply(text: &str, m: &Mutation) -> Option<(String, String)> {
    let original: Value = serde_json::from_str(text).unwrap();
    let fields = fields(&original);
    let mut v = original.clone();
    Some(match *m {
        Mutation::WrongType { field, value } => {
            let (pointer, name) = &fields[field % fields.len()];
            let old = v.pointer(pointer).unwrap().clone();
            let wrong = wrong_types(&old);
            *v.pointer_mut(pointer).unwrap() = wrong[value % wrong.len()].clone();
            (serde_json::to_string_pretty(&v).unwrap(), name.clone())
        }
        Mutation::Remove { field } => {
            // Only the fields every seed file must have (the optional ones may go).
            const REQUIRED: [&str; 9] = [
                "format",
                "scenario",
                "variant",
                "seed",
                "strategy",
                "faults",
                "fault_plan",
                "step_budget",
                "expected",
            ];
            let name = REQUIRED[field % REQUIRED.len()];
            v.as_object_mut().unwrap().remove(name);
            let needle = match name {
                // Without a format the file says so before anything else.
                "format" => "format".to_owned(),
                _ => format!("missing field `{name}`"),
            };
            (serde_json::to_string_pretty(&v).unwrap(), needle)
        }
        Mutation::Unknown => {
            v.as_object_mut()
                .unwrap()
                .insert("surprise".into(), json!(1));
            (serde_json::to_string_pretty(&v).unwrap(), "surprise".into())
        }
        Mutation::Duplicate { field } => {
            // The text itself: a parsed value cannot hold a key twice.
            let top: Vec<&String> = original.as_object().unwrap().keys().collect();
            let key = top[field % top.len()];
            let value = serde_json::to_string(&original[key.as_str()]).unwrap();
            let body = text.trim_end().strip_suffix('}').unwrap();
            (
                format!("{body},\n  \"{key}\": {value}\n}}\n"),
                format!("duplicate key `{key}`"),
            )
        }
        Mutation::ParamPastRange => {
            let params = v.get_mut("params")?.as_object_mut()?;
            let (name, value) = params.iter_mut().next()?;
            *value = json!(u64::MAX);
            let name = name.clone();
            (serde_json::to_string_pretty(&v).unwrap(), name)
        }
        Mutation::Truncate { at } => {
            // Short of the last closing brace, so the text is never whole.
            let cut = at % text.trim_end().len();
            let mut end = cut;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            (text[..end].to_owned(), "not JSON".into())
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_mutated_seed_file_is_refused_in_one_line_naming_the_field(
        file in 0usize..64,
        m in mutation(),
    ) {
        let seeds = seed_texts();
        let (name, text) = &seeds[file % seeds.len()];
        let Some((mutated, needle)) = apply(text, &m) else {
            return Ok(());
        };
        let dir = crate::determinism::tempdir();
        let path = dir.join(name);
        std::fs::write(&path, &mutated).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_simkern"))
            .arg("replay")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let reader = simkern::sim::wall::background(move || {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut stderr, &mut s).unwrap();
            s
        });
        let (status, hung) = simkern::sim::wall::wait_with_timeout(&mut child, Duration::from_secs(HANG_S));
        let err = reader.join().unwrap();
        prop_assert!(!hung, "{name} {m:?}: replay hung");
        let status = status.expect("an exit status");
        prop_assert_eq!(status.code(), Some(2), "{} {:?}: {}", name, m, err);
        prop_assert_eq!(err.lines().count(), 1, "{} {:?}: not one line: {}", name, m, err);
        prop_assert!(!err.contains("panicked"), "{name} {m:?}: {err}");
        prop_assert!(err.contains(&needle), "{name} {m:?}: {err:?} does not name {needle:?}");
    }
}
