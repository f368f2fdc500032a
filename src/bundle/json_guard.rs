//! A streaming check of a JSON document's shape, run on the bytes while serde reads them:
//! nesting depth, string length and the length of every array are bounded before serde
//! allocates for them, so a hostile bundle cannot make a small file cost gigabytes.
//!
//! serde's `flatten` (the report's layout) buffers whole sub-trees before it converts them, so
//! bounds checked after parsing would come too late; this reader stops the parse instead.
//!
//! May import: nothing from the crate.

use std::io::{self, Read};

/// The limits of one document.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Deepest nesting of arrays and objects.
    pub max_depth: usize,
    /// Longest string, in bytes as written (escapes included).
    pub max_string: u64,
    /// Elements of an array whose key has no bound of its own in `array_caps`.
    pub max_array: u64,
    /// `(key, most elements)` for arrays that are known to be short.
    pub array_caps: &'static [(&'static str, u64)],
}

/// Longest key kept to look up its array bound; longer keys are no known key.
const MAX_KEY: usize = 32;

#[derive(Debug)]
struct Level {
    array: bool,
    /// Elements seen so far beyond the first (commas at this level).
    commas: u64,
    /// Most elements allowed, for arrays.
    cap: u64,
    /// Objects: the next string is a key.
    expect_key: bool,
    /// Arrays: the key they are the value of (empty for none).
    key: Vec<u8>,
}

/// Wraps a reader; a read that would cross a limit fails with `InvalidData` saying which.
pub struct JsonGuard<R> {
    inner: R,
    shape: Shape,
    levels: Vec<Level>,
    in_string: bool,
    escaped: bool,
    string_len: u64,
    /// Whether the string being read is an object key, and its first bytes.
    in_key: bool,
    key: Vec<u8>,
    last_key: Vec<u8>,
}

impl<R: Read> JsonGuard<R> {
    pub fn new(inner: R, shape: Shape) -> Self {
        JsonGuard {
            inner,
            shape,
            levels: Vec::new(),
            in_string: false,
            escaped: false,
            string_len: 0,
            in_key: false,
            key: Vec::with_capacity(MAX_KEY),
            last_key: Vec::with_capacity(MAX_KEY),
        }
    }

    fn scan(&mut self, data: &[u8]) -> Result<(), String> {
        for &byte in data {
            if self.in_string {
                self.string_byte(byte)?;
                continue;
            }
            match byte {
                b'"' => {
                    self.in_string = true;
                    self.string_len = 0;
                    self.in_key = self.levels.last().is_some_and(|l| !l.array && l.expect_key);
                    self.key.clear();
                }
                b'[' | b'{' => {
                    if self.levels.len() >= self.shape.max_depth {
                        return Err(format!(
                            "nested deeper than {} levels",
                            self.shape.max_depth
                        ));
                    }
                    let array = byte == b'[';
                    let under_key = self.levels.last().is_some_and(|l| !l.array);
                    let key = if array && under_key {
                        self.last_key.clone()
                    } else {
                        Vec::new()
                    };
                    let cap = if array { self.cap_of(&key) } else { u64::MAX };
                    self.levels.push(Level {
                        array,
                        commas: 0,
                        cap,
                        expect_key: !array,
                        key,
                    });
                }
                b']' | b'}' => {
                    self.levels.pop();
                }
                b',' => {
                    if let Some(level) = self.levels.last_mut() {
                        level.commas += 1;
                        if level.array && level.commas >= level.cap {
                            return Err(format!(
                                "an array{} has more than {} elements",
                                if level.key.is_empty() {
                                    String::new()
                                } else {
                                    format!(" ({})", level.key.escape_ascii())
                                },
                                level.cap
                            ));
                        }
                        level.expect_key = !level.array;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn string_byte(&mut self, byte: u8) -> Result<(), String> {
        self.string_len += 1;
        if self.string_len > self.shape.max_string {
            return Err(format!(
                "a string is longer than {} bytes",
                self.shape.max_string
            ));
        }
        if self.escaped {
            self.escaped = false;
        } else if byte == b'\\' {
            self.escaped = true;
        } else if byte == b'"' {
            self.in_string = false;
            if self.in_key {
                self.last_key.clone_from(&self.key);
                if let Some(level) = self.levels.last_mut() {
                    level.expect_key = false;
                }
            }
            return Ok(());
        }
        if self.in_key && self.key.len() < MAX_KEY {
            self.key.push(byte);
        }
        Ok(())
    }

    /// The bound of an array that is the value of `key` (empty: not under a key).
    fn cap_of(&self, key: &[u8]) -> u64 {
        self.shape
            .array_caps
            .iter()
            .find(|(name, _)| !key.is_empty() && name.as_bytes() == key)
            .map_or(self.shape.max_array, |&(_, cap)| cap)
    }
}

impl<R: Read> Read for JsonGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.scan(&buf[..n])
            .map_err(|why| io::Error::new(io::ErrorKind::InvalidData, why))?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPE: Shape = Shape {
        max_depth: 4,
        max_string: 8,
        max_array: 3,
        array_caps: &[("short", 1)],
    };

    fn check(text: &str) -> Result<serde_json::Value, String> {
        serde_json::from_reader(JsonGuard::new(text.as_bytes(), SHAPE)).map_err(|e| e.to_string())
    }

    #[test]
    fn within_the_limits() {
        assert!(check(r#"{"a":[1,2,3],"short":[{"k":"v,]["}],"b":{"c":[[]]}}"#).is_ok());
        assert!(check(r#"{"short":"x","other":[1,2,3]}"#).is_ok());
        assert!(check(r#"["a\"b,,,"]"#).is_ok());
    }

    #[test]
    fn past_the_limits() {
        assert!(check("[1,2,3,4]")
            .expect_err("refused")
            .contains("more than 3"));
        assert!(check(r#"{"short":[1,2]}"#)
            .expect_err("refused")
            .contains("(short) has more than 1"));
        assert!(check("[[[[[]]]]]")
            .expect_err("refused")
            .contains("deeper than 4"));
        assert!(check(r#"["123456789"]"#)
            .expect_err("refused")
            .contains("longer than 8"));
    }
}
