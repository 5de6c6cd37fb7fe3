//! Flag values: budgets with units, jobs capped per core, ranges and lists naming their flag.

use super::*;

#[test]
fn budgets_parse_with_units_and_reject_nonsense() {
    assert_eq!(budget("90s").unwrap(), Duration::from_secs(90));
    assert_eq!(budget("2m").unwrap(), Duration::from_secs(120));
    assert_eq!(budget("8h").unwrap(), Duration::from_secs(8 * 3600));
    assert_eq!(budget("45").unwrap(), Duration::from_secs(45));
    for bad in ["", "m", "2d", "0m", "-1m", "1.5h"] {
        assert!(budget(bad).is_err(), "{bad:?} should not parse");
    }
}

#[test]
fn jobs_default_to_the_cores_and_are_capped_at_a_few_per_core() {
    assert_eq!(jobs(None, 2), Ok((2, None)));
    assert_eq!(jobs(Some(3), 2), Ok((3, None)));
    assert!(jobs(Some(0), 2).unwrap_err().contains("--jobs 0"));
    let (n, note) = jobs(Some(200), 2).unwrap();
    assert_eq!(n, 8);
    assert!(note.unwrap().contains("--jobs 200"));
    assert!(budget("99999999999999999h")
        .unwrap_err()
        .contains("too long"));
}

#[test]
fn ranges_and_lists_name_the_flag_when_they_are_wrong() {
    assert_eq!(range("3..5").unwrap(), 3..5);
    assert!(range("5").unwrap_err().contains("expected A..B"));
    assert!(range("9..3").unwrap_err().contains("empty"));
    assert!(list("", "faults", |s| Ok(s.to_owned()))
        .unwrap_err()
        .contains("--faults"));
}
