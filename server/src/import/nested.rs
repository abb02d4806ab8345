//! Flattens a tree written as nested JSON (LibreChat's `messagesTree`: each message holds its
//! replies in `children`) in one pass over the text and without recursion, so however deep
//! the tree, neither the stack nor serde's depth limit is at stake.
//!
//! The text must be valid JSON (it comes out of a parse already); each message comes out as
//! its own JSON object without `children`, with the index of the message it was nested in.

/// One message of the tree.
pub(super) struct Flat {
    /// The message as a JSON object, without its `children`.
    pub json: String,
    /// The message it is nested in (an index into the result).
    pub parent: Option<usize>,
}

enum Frame {
    /// In a list of messages nested in `parent`.
    List { parent: Option<usize> },
    /// In the object of message `index`.
    Object { index: usize },
}

/// The messages of `list`, the JSON text of a list of messages, parents first.
pub(super) fn flatten(list: &str) -> Result<Vec<Flat>, String> {
    let bytes = list.as_bytes();
    let mut pos = skip_ws(bytes, 0);
    if bytes.get(pos) != Some(&b'[') {
        return Err("the messages are not a list".into());
    }
    pos += 1;
    let mut out: Vec<Flat> = Vec::new();
    let mut stack = vec![Frame::List { parent: None }];
    while let Some(frame) = stack.last() {
        pos = skip_ws(bytes, pos);
        let Some(&byte) = bytes.get(pos) else { return Err("the messages end too early".into()) };
        match (frame, byte) {
            (_, b',') => pos += 1,
            (Frame::List { .. }, b']') | (Frame::Object { .. }, b'}') => {
                if let Frame::Object { index } = frame {
                    out[*index].json.push('}');
                }
                stack.pop();
                pos += 1;
            }
            (Frame::List { parent }, b'{') => {
                out.push(Flat { json: "{".into(), parent: *parent });
                stack.push(Frame::Object { index: out.len() - 1 });
                pos += 1;
            }
            (Frame::List { .. }, _) => return Err("a message is not a JSON object".into()),
            (Frame::Object { index }, b'"') => {
                let index = *index;
                let key_end = string_end(bytes, pos)?;
                let key: String = serde_json::from_str(&list[pos..key_end]).map_err(|e| e.to_string())?;
                let value = skip_ws(bytes, key_end);
                if bytes.get(value) != Some(&b':') {
                    return Err("a message's field has no value".into());
                }
                let value = skip_ws(bytes, value + 1);
                if key == "children" && bytes.get(value) == Some(&b'[') {
                    stack.push(Frame::List { parent: Some(index) });
                    pos = value + 1;
                } else {
                    let end = value_end(bytes, value)?;
                    let json = &mut out[index].json;
                    if json.len() > 1 {
                        json.push(',');
                    }
                    json.push_str(&list[pos..key_end]);
                    json.push(':');
                    json.push_str(&list[value..end]);
                    pos = end;
                }
            }
            (Frame::Object { .. }, _) => return Err("a message is not a well-formed JSON object".into()),
        }
    }
    Ok(out)
}

fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
        pos += 1;
    }
    pos
}

/// Where the string starting at `pos` (its opening quote) ends, just past its closing quote.
fn string_end(bytes: &[u8], pos: usize) -> Result<usize, String> {
    let mut at = pos + 1;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'\\' => at += 2,
            b'"' => return Ok(at + 1),
            _ => at += 1,
        }
    }
    Err("a string does not end".into())
}

/// Where the value starting at `pos` ends: nested lists and objects are skipped by counting
/// brackets, not by recursion.
fn value_end(bytes: &[u8], pos: usize) -> Result<usize, String> {
    let mut depth = 0usize;
    let mut at = pos;
    loop {
        let Some(&byte) = bytes.get(at) else {
            return if depth == 0 { Ok(at) } else { Err("a value does not end".into()) };
        };
        match byte {
            b'"' => {
                at = string_end(bytes, at)?;
                if depth == 0 {
                    return Ok(at);
                }
                continue;
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' if depth == 0 => return Ok(at),
            b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Ok(at + 1);
                }
            }
            b',' if depth == 0 => return Ok(at),
            byte if depth == 0 && byte.is_ascii_whitespace() => return Ok(at),
            _ => {}
        }
        at += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn nested_messages_come_out_flat_with_their_parents() {
        let tree = json!([
            {"id": "a", "text": "x,]}\"", "children": [
                {"id": "b", "children": [], "meta": {"k": [1, {"children": [2]}]}},
                {"id": "c", "n": -1.5e3, "ok": true, "none": null, "children": [{"id": "d"}]}
            ], "after": "yes"},
            {"id": "e"}
        ]);
        let flat = flatten(&tree.to_string()).unwrap();
        let parsed: Vec<(Value, Option<usize>)> =
            flat.iter().map(|f| (serde_json::from_str(&f.json).unwrap(), f.parent)).collect();
        assert_eq!(
            parsed,
            vec![
                (json!({"id": "a", "text": "x,]}\"", "after": "yes"}), None),
                (json!({"id": "b", "meta": {"k": [1, {"children": [2]}]}}), Some(0)),
                (json!({"id": "c", "n": -1.5e3, "ok": true, "none": null}), Some(0)),
                (json!({"id": "d"}), Some(2)),
                (json!({"id": "e"}), None),
            ]
        );
        let spaced = flatten("[ { \"id\" : \"a\" , \"children\" : [ { \"id\" : \"b\" } ] } ]").unwrap();
        assert_eq!(spaced.len(), 2);
        assert_eq!(spaced[1].parent, Some(0));
    }

    #[test]
    fn a_very_deep_tree_is_flattened_without_recursion() {
        let depth = 100_000;
        let mut text = String::new();
        for n in 0..depth {
            text.push_str(&format!("[{{\"id\":\"{n}\",\"children\":"));
        }
        text.push_str("[]");
        for _ in 0..depth {
            text.push_str("}]");
        }
        let flat = flatten(&text).unwrap();
        assert_eq!(flat.len(), depth);
        assert_eq!(flat[depth - 1].parent, Some(depth - 2));
    }

    #[test]
    fn what_is_not_a_list_of_objects_is_refused() {
        assert!(flatten("{}").is_err());
        assert!(flatten("[1]").is_err());
        assert!(flatten("[{\"id\": \"a\"").is_err());
    }
}
