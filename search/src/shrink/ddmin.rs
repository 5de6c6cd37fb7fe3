//! Delta debugging (Zeller and Hildebrandt, "Simplifying and Isolating Failure-Inducing Input",
//! TSE 2002), complements only: the search `shrink` runs over a run's switches and decisions.

/// Delta debugging: a 1-minimal subset of `atoms` (in order) for which `fails` holds, given
/// that it holds for all of them. Tries the empty set first; then splits the atoms into `n`
/// chunks and removes a chunk whose removal still fails (then `n - 1` chunks), or doubles `n`
/// when none can go, down to single atoms.
///
/// Departure from Zeller's ddmin: it tests only complements (removals), not each chunk on its
/// own. A failure here needs several atoms together (a preemption and a latency), which a
/// lone chunk rarely holds; on the seed bugs this halves the runs and shrinks further within
/// the same budget. With two chunks the two tests coincide anyway.
pub fn ddmin<T: Clone>(mut atoms: Vec<T>, mut fails: impl FnMut(&[T]) -> bool) -> Vec<T> {
    if atoms.is_empty() || fails(&[]) {
        return Vec::new();
    }
    let mut n = 2;
    while atoms.len() >= 2 {
        let chunks = split(&atoms, n);
        let smaller = (0..chunks.len()).find_map(|skip| {
            let rest: Vec<T> = chunks
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != skip)
                .flat_map(|(_, c)| c.iter().cloned())
                .collect();
            fails(&rest).then_some(rest)
        });
        match smaller {
            Some(rest) => {
                atoms = rest;
                n = (n - 1).max(2);
            }
            None if n >= atoms.len() => break,
            None => n = (2 * n).min(atoms.len()),
        }
    }
    atoms
}

/// `atoms` in `n` contiguous chunks of nearly equal length (the first ones one longer).
fn split<T: Clone>(atoms: &[T], n: usize) -> Vec<Vec<T>> {
    let (base, extra) = (atoms.len() / n, atoms.len() % n);
    let mut chunks = Vec::with_capacity(n);
    let mut at = 0;
    for i in 0..n {
        let len = base + usize::from(i < extra);
        chunks.push(atoms[at..at + len].to_vec());
        at += len;
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddmin_finds_the_two_atoms_that_matter() {
        let atoms: Vec<u32> = (0..64).collect();
        let mut tests = 0;
        let kept = ddmin(atoms, |s| {
            tests += 1;
            s.contains(&13) && s.contains(&50)
        });
        assert_eq!(kept, vec![13, 50]);
        assert!(tests < 64, "ddmin took {tests} tests for 2 of 64 atoms");
    }

    #[test]
    fn ddmin_returns_nothing_when_nothing_is_needed() {
        assert!(ddmin(vec![1, 2, 3], |_| true).is_empty());
        assert_eq!(ddmin(vec![7], |s| !s.is_empty()), vec![7]);
    }
}
