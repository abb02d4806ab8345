//! Answers that come in one of two shapes, told apart by a field only one of them has.
//! serde's `untagged` would do this by reading the whole value into a generic intermediate
//! form first; that form's code, instantiated for every type read through it, was about a
//! sixth of the page's wasm after compression. Here the JSON is read once to look for the
//! field (skipping every value) and once as the shape it is.

use serde::de::{DeserializeOwned, Error, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// Reads `A` when the object has `field`, `B` when it has not; only from JSON.
pub(crate) fn by_field<'de, D, A, B, T>(
    deserializer: D,
    field: &str,
    with_field: fn(A) -> T,
    without: fn(B) -> T,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    A: DeserializeOwned,
    B: DeserializeOwned,
{
    let raw = Box::<RawValue>::deserialize(deserializer)?;
    let has_field = serde_json::Deserializer::from_str(raw.get()).deserialize_map(HasField(field));
    let read = match has_field.map_err(D::Error::custom)? {
        true => serde_json::from_str(raw.get()).map(with_field),
        false => serde_json::from_str(raw.get()).map(without),
    };
    read.map_err(D::Error::custom)
}

/// Whether an object has a key, its values skipped unread.
struct HasField<'f>(&'f str);

impl<'de> Visitor<'de> for HasField<'_> {
    type Value = bool;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a JSON object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<bool, M::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<String>()? {
            found |= key == self.0;
            map.next_value::<IgnoredAny>()?;
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Deserialize)]
    struct Patch {
        patch: u32,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Whole {
        whole: String,
    }

    #[derive(Debug, PartialEq)]
    enum Reply {
        Patch(Patch),
        Whole(Whole),
    }

    impl<'de> Deserialize<'de> for Reply {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            by_field(deserializer, "patch", Reply::Patch, Reply::Whole)
        }
    }

    #[test]
    fn the_field_decides_the_shape_wherever_it_stands() {
        let read = |json| serde_json::from_str::<Reply>(json);
        assert_eq!(read(r#"{"patch": 3}"#).unwrap(), Reply::Patch(Patch { patch: 3 }));
        assert_eq!(read(r#"{"whole": "x", "n": {"patch": 1}}"#).unwrap(), Reply::Whole(Whole { whole: "x".into() }));
        let nested: Vec<Reply> = serde_json::from_str(r#"[{"whole": "a"}, {"x": [1, {}], "patch": 2}]"#).unwrap();
        assert_eq!(nested, [Reply::Whole(Whole { whole: "a".into() }), Reply::Patch(Patch { patch: 2 })]);
    }

    #[test]
    fn a_wrong_value_is_an_error_about_the_shape_it_has() {
        let error = serde_json::from_str::<Reply>(r#"{"patch": "three"}"#).unwrap_err().to_string();
        assert!(error.contains("invalid type: string \"three\", expected u32"), "{error}");
        assert!(serde_json::from_str::<Reply>("[1]").is_err());
        assert!(serde_json::from_str::<Reply>(r#"{"neither": 1}"#)
            .unwrap_err()
            .to_string()
            .contains("missing field `whole`"));
    }
}
