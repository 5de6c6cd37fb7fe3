//! The text forms a seed file holds numbers in: a trace hash as `0x` and 16 hex digits, the
//! per-step digests as one hex string, and where two digest lists first differ.

pub fn format_hash(h: u64) -> String {
    format!("0x{h:016x}")
}

pub fn parse_hash(s: &str) -> Result<u64, String> {
    let hex = s
        .strip_prefix("0x")
        .ok_or_else(|| format!("{s:?} does not start with 0x"))?;
    if hex.len() != 16 {
        return Err(format!("{s:?} is not 16 hex digits"));
    }
    u64::from_str_radix(hex, 16).map_err(|e| format!("{s:?}: {e}"))
}

pub fn encode_digests(d: &[u32]) -> String {
    d.iter().map(|x| format!("{x:08x}")).collect()
}

pub fn decode_digests(s: &str) -> Result<Vec<u32>, String> {
    if !s.len().is_multiple_of(8) {
        return Err(format!(
            "length {} is not a multiple of 8 hex digits",
            s.len()
        ));
    }
    (0..s.len())
        .step_by(8)
        .map(|i| u32::from_str_radix(&s[i..i + 8], 16).map_err(|e| format!("at offset {i}: {e}")))
        .collect()
}

/// The first index where two digest lists differ (or where one ends), if any.
pub fn first_divergence(expected: &[u32], actual: &[u32]) -> Option<usize> {
    let common = expected.iter().zip(actual).position(|(a, b)| a != b);
    common.or_else(|| (expected.len() != actual.len()).then(|| expected.len().min(actual.len())))
}
