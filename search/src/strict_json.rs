//! JSON as `serde_json::Value`, refusing an object that names one key twice.
//!
//! `serde_json` keeps the last of duplicate keys, so a seed file with two `seed` fields would
//! replay a seed its reader never saw. This reader is the same grammar with that one check:
//! the error names the key by its path (`expected.outcome`), with serde_json's line and
//! column. Nesting is bounded by serde_json's own recursion limit (128), so a hostile file
//! cannot overflow the stack here either.

use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Parses `text`; the error is one line.
pub fn parse(text: &str) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = At(String::new()).deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// A value at a path (`""` for the root, `fault_plan[0]`, `expected`).
struct At(String);

impl At {
    fn key(&self, key: &str) -> At {
        At(match self.0.is_empty() {
            true => key.to_owned(),
            false => format!("{}.{key}", self.0),
        })
    }
}

impl<'de> DeserializeSeed<'de> for At {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for At {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(At(format!("{}[{}]", self.0, items.len())))? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let path = self.key(&key);
            if object.contains_key(&key) {
                return Err(A::Error::custom(format_args!("duplicate key `{}`", path.0)));
            }
            let v = map.next_value_seed(path)?;
            object.insert(key, v);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_named_by_their_path() {
        let e = parse(r#"{"seed": 1, "seed": 2}"#).unwrap_err().to_string();
        assert!(e.starts_with("duplicate key `seed`"), "{e}");
        let e = parse(r#"{"expected": {"steps": 1, "steps": 1}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("duplicate key `expected.steps`"), "{e}");
        let e = parse(r#"{"p": [{"a": 1}, {"a": 1, "a": 2}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("duplicate key `p[1].a`"), "{e}");
        assert!(!e.contains('\n'));
    }

    #[test]
    fn strict_parsing_agrees_with_serde_json_on_everything_else() {
        for text in [
            r#"{"a": [1, -2, 3.5, "x", null, true, {"b": {}}], "c": 18446744073709551615}"#,
            "[]",
            "  7 ",
        ] {
            let ours = parse(text).unwrap();
            let theirs: Value = serde_json::from_str(text).unwrap();
            assert_eq!(ours, theirs, "{text}");
        }
        assert!(parse("{} x").is_err());
        assert!(parse(&"[".repeat(10_000)).is_err());
    }
}
