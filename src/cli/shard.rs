//! `--shard`: which part of the seed range this process runs, for batch engines.
//!
//! `K/N` runs the seeds whose offset in the range is `K` mod `N` (a CI matrix passes it as
//! a flag). `auto/N` takes `K` from the engine: Kubernetes indexed Jobs set
//! `JOB_COMPLETION_INDEX`, Slurm job arrays `SLURM_ARRAY_TASK_ID`. `auto` alone also takes
//! `N` from Slurm's `SLURM_ARRAY_TASK_COUNT`. The partition depends only on the range and
//! `N`, so every shard of a run agrees on it, and `simkern merge` recombines their reports.

/// Parses `--shard`, reading the environment through `env` (a function, so tests can pass one).
pub fn parse(spec: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<(u64, u64), String> {
    let number = |what: &str, v: &str| -> Result<u64, String> {
        v.trim()
            .parse::<u64>()
            .map_err(|_| format!("--shard {spec:?}: {what} {v:?} is not a non-negative integer"))
    };
    let from_env = || -> Result<u64, String> {
        for var in ["JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"] {
            if let Some(v) = env(var) {
                return number(var, &v);
            }
        }
        Err(format!("--shard {spec:?}: neither JOB_COMPLETION_INDEX (Kubernetes) nor SLURM_ARRAY_TASK_ID (Slurm) is set"))
    };
    let (k, n) = match spec.split_once('/') {
        Some(("auto", n)) => (from_env()?, number("shard count", n)?),
        Some((k, n)) => (number("shard index", k)?, number("shard count", n)?),
        None if spec == "auto" => {
            let n = env("SLURM_ARRAY_TASK_COUNT").ok_or_else(|| {
                "--shard auto: SLURM_ARRAY_TASK_COUNT is not set (use auto/N elsewhere)".to_string()
            })?;
            (from_env()?, number("SLURM_ARRAY_TASK_COUNT", &n)?)
        }
        None => return Err(format!("--shard {spec:?}: expected K/N, auto/N or auto")),
    };
    if n == 0 || k >= n {
        return Err(format!("--shard {spec:?}: index {k} is not in 0..{n}"));
    }
    Ok((k, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn shards_come_from_flags_or_the_engines_environment() {
        let none = env_of(&[]);
        assert_eq!(parse("2/4", &none), Ok((2, 4)));
        assert_eq!(
            parse("auto/4", &env_of(&[("JOB_COMPLETION_INDEX", "3")])),
            Ok((3, 4))
        );
        assert_eq!(
            parse("auto/4", &env_of(&[("SLURM_ARRAY_TASK_ID", "1")])),
            Ok((1, 4))
        );
        assert_eq!(
            parse(
                "auto",
                &env_of(&[
                    ("SLURM_ARRAY_TASK_ID", "0"),
                    ("SLURM_ARRAY_TASK_COUNT", "8")
                ])
            ),
            Ok((0, 8))
        );
        assert!(parse("4/4", &none).unwrap_err().contains("not in 0..4"));
        assert!(parse("auto/4", &none)
            .unwrap_err()
            .contains("JOB_COMPLETION_INDEX"));
        assert!(parse("auto", &env_of(&[("SLURM_ARRAY_TASK_ID", "0")]))
            .unwrap_err()
            .contains("SLURM_ARRAY_TASK_COUNT"));
        assert!(parse("x", &none).is_err());
    }
}
