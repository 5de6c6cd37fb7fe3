//! Flag values: seed ranges, scenario parameters, budgets, comma-separated lists. Each error
//! names the flag and the value.

use std::ops::Range;
use std::time::Duration;

/// `A..B` (B excluded, not empty).
pub fn range(s: &str) -> Result<Range<u64>, String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("--seeds {s:?}: expected A..B"))?;
    let a: u64 = a
        .parse()
        .map_err(|_| format!("--seeds {s:?}: {a:?} is not a seed"))?;
    let b: u64 = b
        .parse()
        .map_err(|_| format!("--seeds {s:?}: {b:?} is not a seed"))?;
    if a >= b {
        return Err(format!("--seeds {s:?}: the range is empty"));
    }
    Ok(a..b)
}

/// `NAME=VALUE` pairs of `--param`.
pub fn params(params: &[String]) -> Result<Vec<(String, u64)>, String> {
    params
        .iter()
        .map(|p| {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| format!("--param {p:?}: expected NAME=VALUE"))?;
            let v: u64 = v
                .parse()
                .map_err(|_| format!("--param {p:?}: {v:?} is not a non-negative integer"))?;
            Ok((k.to_owned(), v))
        })
        .collect()
}

/// Most `--jobs` per available core: a job is one worker process running seeds flat out, so
/// past a few per core they only contend (a few, not one: a worker also waits on pipes).
pub const JOBS_PER_CORE_MAX: usize = 4;

/// The cores this process may use (`std::thread::available_parallelism`: affinity masks and
/// cgroup quotas included); 1 if that cannot be read.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `--jobs`: `None` is one per core; 0 is an error; more than `JOBS_PER_CORE_MAX` per core
/// is clamped to that, with a note saying so (returned for the caller to print).
pub fn jobs(asked: Option<usize>, cores: usize) -> Result<(usize, Option<String>), String> {
    let cap = cores.saturating_mul(JOBS_PER_CORE_MAX);
    match asked {
        None => Ok((cores, None)),
        Some(0) => Err("--jobs 0: must be at least 1".into()),
        Some(n) if n > cap => Ok((
            cap,
            Some(format!(
                "--jobs {n} is more than {JOBS_PER_CORE_MAX} per core on {cores} cores; running {cap} jobs"
            )),
        )),
        Some(n) => Ok((n, None)),
    }
}

/// `--step-budget`: at least one step (a budget of 0 would call every seed a livelock).
pub fn step_budget(n: u64) -> Result<u64, String> {
    if n == 0 {
        return Err("--step-budget 0: must be at least 1".into());
    }
    Ok(n)
}

/// `90s`, `2m`, `30m`, `8h`, or plain seconds.
pub fn budget(s: &str) -> Result<Duration, String> {
    let (number, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("--budget {s:?}: expected a number and s, m or h (e.g. 30m)"))?;
    let secs = match unit {
        "s" => n,
        "m" => n
            .checked_mul(60)
            .ok_or_else(|| format!("--budget {s:?}: too long"))?,
        "h" => n
            .checked_mul(3600)
            .ok_or_else(|| format!("--budget {s:?}: too long"))?,
        _ => return Err(format!("--budget {s:?}: unit {unit:?} is not s, m or h")),
    };
    if secs == 0 {
        return Err(format!("--budget {s:?}: the budget is empty"));
    }
    Ok(Duration::from_secs(secs))
}

/// A comma-separated, non-empty list of `--what`, each item through `parse`.
pub fn list<T>(
    s: &str,
    what: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let items: Vec<T> = s
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(&parse)
        .collect::<Result<_, _>>()?;
    if items.is_empty() {
        return Err(format!("--{what} {s:?}: the list is empty"));
    }
    Ok(items)
}

#[cfg(test)]
mod tests;
