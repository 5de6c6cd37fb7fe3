//! Typed reading of a JSON value in which a struct is an object, never an array.
//!
//! serde's derived `Deserialize` accepts a struct as a sequence of its fields in order (the
//! way binary formats without field names send it), and serde_json hands it any array, so
//! `"kernel": [1]` reads as a kernel configuration whose first field is 1 and whose other
//! fields are defaults: a seed file nobody wrote that way would run a configuration its
//! reader never saw. The data format is where that rule belongs (serde_yaml refuses sequences
//! for structs outright): this is serde_json's `Value` deserializer with that one change,
//! made by wrapping every deserializer, visitor and access it hands out, so the rule holds at
//! every depth, in struct variants of enums too.
//!
//! Errors carry the path of the refused value (serde_path_to_error), as `field `kernel``.

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess,
    Unexpected, VariantAccess, Visitor,
};
use serde_json::Value;
use std::fmt;

/// Reads a `T` from `value`; the error names the field (`field `fault_plan[0].num`: ...`),
/// or is serde's message alone when the root itself is wrong.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_path_to_error::deserialize(Strict(value)).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match path.as_str() {
            "." => inner.to_string(),
            _ => format!("field `{path}`: {inner}"),
        }
    })
}

/// A deserializer, visitor, seed or access whose every product is wrapped again.
struct Strict<T>(T);

/// A struct's visitor: maps pass, sequences are refused.
struct Fields<V>(V);

macro_rules! forward {
    ($($method:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            self.0.$method(Strict(visitor))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<D> {
    type Error = D::Error;

    forward!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
        deserialize_ignored_any,
    );

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_unit_struct(name, Strict(visitor))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_newtype_struct(name, Strict(visitor))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple(len, Strict(visitor))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_tuple_struct(name, len, Strict(visitor))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_struct(name, fields, Fields(visitor))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_enum(name, variants, Strict(visitor))
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! visit_scalars {
    ($($method:ident: $ty:ty),* $(,)?) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<Self::Value, E> {
            self.0.$method(v)
        }
    )*};
}

macro_rules! visitor {
    ($wrapper:ident, |$self_:ident, $seq:ident| $on_seq:expr) => {
        impl<'de, V: Visitor<'de>> Visitor<'de> for $wrapper<V> {
            type Value = V::Value;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                self.0.expecting(f)
            }

            visit_scalars!(
                visit_bool: bool,
                visit_i8: i8,
                visit_i16: i16,
                visit_i32: i32,
                visit_i64: i64,
                visit_i128: i128,
                visit_u8: u8,
                visit_u16: u16,
                visit_u32: u32,
                visit_u64: u64,
                visit_u128: u128,
                visit_f32: f32,
                visit_f64: f64,
                visit_char: char,
                visit_str: &str,
                visit_borrowed_str: &'de str,
                visit_string: String,
                visit_bytes: &[u8],
                visit_borrowed_bytes: &'de [u8],
                visit_byte_buf: Vec<u8>,
            );

            fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
                self.0.visit_none()
            }

            fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
                self.0.visit_unit()
            }

            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
                self.0.visit_some(Strict(d))
            }

            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<V::Value, D::Error> {
                self.0.visit_newtype_struct(Strict(d))
            }

            fn visit_seq<A: SeqAccess<'de>>($self_, $seq: A) -> Result<V::Value, A::Error> {
                $on_seq
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
                self.0.visit_map(Strict(map))
            }

            fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
                self.0.visit_enum(Strict(data))
            }
        }
    };
}

visitor!(Strict, |self, seq| self.0.visit_seq(Strict(seq)));
visitor!(Fields, |self, _seq| Err(de::Error::invalid_type(
    Unexpected::Seq,
    &Named(&self.0)
)));

/// What a struct's visitor expects, followed by how to write it.
struct Named<'a, V>(&'a V);

impl<'de, V: Visitor<'de>> de::Expected for Named<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)?;
        f.write_str(" as an object with named fields")
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Strict<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(Strict(d))
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Strict<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Strict(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Strict<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(Strict(seed))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(Strict(seed))
    }

    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Strict<A> {
    type Error = A::Error;
    type Variant = Strict<A::Variant>;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Strict<A::Variant>), A::Error> {
        let (value, variant) = self.0.variant_seed(Strict(seed))?;
        Ok((value, Strict(variant)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Strict<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(Strict(seed))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, Strict(visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, Fields(visitor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Inner {
        a: u32,
        #[serde(default)]
        b: u32,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    enum Shape {
        Point { x: u32 },
        Pair(u32, u32),
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Outer {
        inner: Inner,
        list: Vec<Inner>,
        pair: (u32, u32),
        maybe: Option<Inner>,
        shape: Shape,
    }

    fn good() -> Value {
        json!({"inner": {"a": 1}, "list": [{"a": 2, "b": 3}], "pair": [4, 5],
               "maybe": {"a": 6}, "shape": {"Pair": [7, 8]}})
    }

    #[test]
    fn objects_lists_tuples_and_variants_read_as_serde_json_reads_them() {
        let ours: Outer = from_value(good()).unwrap();
        let theirs: Outer = serde_json::from_value(good()).unwrap();
        assert_eq!(ours, theirs);
        assert_eq!(ours.list[0], Inner { a: 2, b: 3 });
    }

    #[test]
    fn a_struct_given_as_an_array_is_refused_at_every_depth_with_its_path() {
        // serde_json alone takes the first three (its `Value` already refuses an array for a
        // struct variant, with its own message).
        let cases = [
            ("inner", json!([1]), "inner", true),
            ("list", json!([[2, 3]]), "list[0]", true),
            ("maybe", json!([6]), "maybe", true),
            ("shape", json!({"Point": [1]}), "shape.Point", false),
        ];
        for (key, bad, path, serde_json_takes_it) in cases {
            let mut v = good();
            v[key] = bad.clone();
            let theirs = serde_json::from_value::<Outer>(v.clone());
            assert_eq!(theirs.is_ok(), serde_json_takes_it, "{key}");
            let e = from_value::<Outer>(v).unwrap_err();
            assert!(e.starts_with(&format!("field `{path}`: ")), "{key}: {e}");
            assert!(e.contains("invalid type: sequence"), "{key}: {e}");
            if serde_json_takes_it {
                assert!(e.contains("as an object with named fields"), "{key}: {e}");
            }
        }
        let e = from_value::<Inner>(json!([1, 2])).unwrap_err();
        assert!(
            e.starts_with("invalid type: sequence, expected struct Inner"),
            "{e}"
        );
    }
}
