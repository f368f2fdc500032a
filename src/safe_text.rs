//! Text the target controls, made safe to show: the one sanitizer for everything healthtop
//! writes to a terminal or a text file (report, stacks, dumps, errors, the TUI, folded stacks),
//! and the lossless decoding of the target's bytes that feeds it.
//!
//! A target names its threads, its argv, its files and its sockets; whoever runs it can put an
//! ESC sequence there (OSC 52 writes the user's clipboard), a C1 control, or a bidi override
//! that makes a line read backwards. So on display:
//! - C0 controls and DEL are shown as `\x1b`, C1 controls, bidi controls and the noncharacters
//!   U+FFFE/U+FFFF (which XML forbids) as `\u202e`;
//! - a byte that is not UTF-8 is shown as `\xff` (never dropped);
//! - `\` itself is shown as `\\`, so every escape reads back to exactly one original.
//!
//! The model keeps `String`s. A byte that is not UTF-8 travels in them as the code point
//! U+10FF00 + byte (plane 16, private use; see [`from_bytes`]), so the text stays exact for
//! the report's JSON and the display can still show the byte. JSON values are never passed
//! through here: serde escapes them and they stay exact.
//!
//! May import: nothing else in the crate.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::fmt::Write as _;

/// Where non-UTF-8 bytes 0x80..=0xFF are carried: `CARRIED_BASE + byte`.
const CARRIED_BASE: u32 = 0x10_FF00;
/// The first code point that carries a byte (bytes below 0x80 are always valid UTF-8).
const CARRIED_FIRST: char = '\u{10FF80}';

/// The target's bytes as text, losslessly: valid UTF-8 as it is; every other byte (and the 4
/// bytes of a genuine U+10FF80..U+10FFFF, so that the mapping stays one-to-one) as the code
/// point U+10FF00 + byte, which [`line`] shows as `\xHH`.
pub fn from_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        // 0xF4 leads every code point from U+100000 up; without it the run is copied whole
        // (the common case: /proc text, maps of 50,000 lines).
        if valid.as_bytes().contains(&0xf4) {
            for c in valid.chars() {
                if c >= CARRIED_FIRST {
                    let mut buffer = [0; 4];
                    carry_bytes(&mut out, c.encode_utf8(&mut buffer).as_bytes());
                } else {
                    out.push(c);
                }
            }
        } else {
            out.push_str(valid);
        }
        carry_bytes(&mut out, chunk.invalid());
    }
    out
}

/// A path or file name from the kernel (`readlink`, a directory entry), losslessly.
pub fn from_os(text: &OsStr) -> String {
    // On Unix the encoded bytes are the name's own bytes.
    from_bytes(text.as_encoded_bytes())
}

fn carry_bytes(out: &mut String, bytes: &[u8]) {
    for &byte in bytes {
        // 0x80..=0xFF + 0x10FF00 stays within U+10FF80..=U+10FFFF: always a valid char.
        if let Some(c) = char::from_u32(CARRIED_BASE + u32::from(byte)) {
            out.push(c);
        }
    }
}

/// One line of display text: every character listed in the module header escaped, `\n` and
/// `\t` included. Borrows when nothing needs escaping (the common case, and cheap to check).
pub fn line(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// Multi-line display text (a runtime's dump): as [`line`], but `\n` and `\t` stay.
pub fn lines(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

/// One frame of a folded stack (`root;…;leaf COUNT`): as [`line`], so a newline cannot end the
/// line, and `;`, which separates frames, written `\x3b`.
pub fn folded_frame(name: &str) -> String {
    line(name).replace(';', "\\x3b")
}

/// Whether [`line`] would leave `text` as it is apart from `\`: no control, bidi control or
/// carried byte in it.
pub fn is_displayable(text: &str) -> bool {
    !text.chars().any(|c| c != '\\' && needs_escape(c, false))
}

fn escape(text: &str, keep_layout: bool) -> Cow<'_, str> {
    // Fast path: printable ASCII without `\` needs no look at characters.
    let plain = text
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'\\');
    if plain || !text.chars().any(|c| needs_escape(c, keep_layout)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c, keep_layout) {
            out.push(c);
        } else if c == '\\' {
            out.push_str("\\\\");
        } else if c >= CARRIED_FIRST {
            let _ = write!(out, "\\x{:02x}", u32::from(c) - CARRIED_BASE);
        } else if (c as u32) < 0x80 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{:04x}", c as u32);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char, keep_layout: bool) -> bool {
    match c {
        '\n' | '\t' => !keep_layout,
        '\\' => true,
        // C0, DEL, C1.
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        // Bidi: ALM, LRM/RLM, LRE..RLO, LRI..PDI.
        '\u{061c}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}' => true,
        // Noncharacters that XML forbids.
        '\u{fffe}' | '\u{ffff}' => true,
        c => c >= CARRIED_FIRST,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(bytes: &[u8]) -> String {
        line(&from_bytes(bytes)).into_owned()
    }

    #[test]
    fn c0_del_and_c1_are_escaped() {
        assert_eq!(shown(b"a\x1b[31mb"), "a\\x1b[31mb");
        assert_eq!(shown(b"\x00\x07\x08\x0d\x7f"), "\\x00\\x07\\x08\\x0d\\x7f");
        assert_eq!(shown(b"x\ny\tz"), "x\\x0ay\\x09z");
        // U+009B (CSI), encoded as UTF-8.
        assert_eq!(shown("a\u{9b}b\u{85}".as_bytes()), "a\\u009bb\\u0085");
    }

    #[test]
    fn osc_52_cannot_reach_the_terminal() {
        let osc = b"\x1b]52;c;aGVsbG8=\x07";
        assert_eq!(shown(osc), "\\x1b]52;c;aGVsbG8=\\x07");
    }

    #[test]
    fn bidi_controls_are_escaped() {
        for (c, escaped) in [
            ('\u{202a}', "\\u202a"),
            ('\u{202e}', "\\u202e"),
            ('\u{2066}', "\\u2066"),
            ('\u{2069}', "\\u2069"),
            ('\u{200e}', "\\u200e"),
            ('\u{200f}', "\\u200f"),
            ('\u{061c}', "\\u061c"),
        ] {
            assert_eq!(line(&format!("a{c}b")), format!("a{escaped}b"));
        }
    }

    #[test]
    fn invalid_utf8_is_escaped_not_dropped() {
        assert_eq!(shown(b"\xff\xfename"), "\\xff\\xfename");
        // A raw 0x9B byte is not the character U+009B: the two show differently.
        assert_eq!(shown(b"\x9b"), "\\x9b");
        // A truncated sequence keeps every byte.
        assert_eq!(shown(b"a\xe2\x82"), "a\\xe2\\x82");
        // A genuine plane-16 character in the carrier range is shown as its bytes.
        assert_eq!(shown("\u{10ffff}".as_bytes()), "\\xf4\\x8f\\xbf\\xbf");
    }

    #[test]
    fn backslash_is_escaped_so_escapes_are_unambiguous() {
        assert_eq!(shown(b"a\\x1b"), "a\\\\x1b");
        assert_ne!(shown(b"\\x1b"), shown(b"\x1b"));
        assert_ne!(shown(b"\\xff"), shown(b"\xff"));
    }

    #[test]
    fn plain_and_unicode_text_is_borrowed() {
        assert!(matches!(line("worker-12 [pool]"), Cow::Borrowed(_)));
        assert!(matches!(line("größe 名前 ✓"), Cow::Borrowed(_)));
        assert!(matches!(
            lines("goroutine 1 [running]:\n\tmain.main()\n"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(line("a\\b"), Cow::Owned(_)));
        assert_eq!(from_bytes("größe".as_bytes()), "größe");
    }

    #[test]
    fn lines_keeps_layout_only() {
        assert_eq!(lines("a\n\tb\x1b\r"), "a\n\tb\\x1b\\x0d");
    }

    #[test]
    fn is_displayable_ignores_backslash_only() {
        assert!(is_displayable("a\\b;c"));
        assert!(!is_displayable("a\u{202e}"));
        assert!(!is_displayable(&from_bytes(b"\xff")));
    }

    /// Round trip: decoding the display form gives back the original bytes, for every single
    /// byte and every pair of bytes, and for characters from each class.
    #[test]
    fn display_form_is_one_to_one() {
        fn undo(shown: &str) -> Vec<u8> {
            let mut out = Vec::new();
            let mut rest = shown;
            while let Some(c) = rest.chars().next() {
                if let Some(tail) = rest.strip_prefix("\\\\") {
                    out.push(b'\\');
                    rest = tail;
                } else if let Some(tail) = rest.strip_prefix("\\x") {
                    out.push(u8::from_str_radix(&tail[..2], 16).expect("hex"));
                    rest = &tail[2..];
                } else if let Some(tail) = rest.strip_prefix("\\u") {
                    let code = u32::from_str_radix(&tail[..4], 16).expect("hex");
                    let c = char::from_u32(code).expect("char");
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    rest = &tail[4..];
                } else {
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    rest = &rest[c.len_utf8()..];
                }
            }
            out
        }
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        for a in 0..=255u8 {
            inputs.push(vec![a]);
            for b in [0u8, b'\\', b'x', 0x1b, 0x7f, 0x9b, 0xc2, 0xe2, 0xff] {
                inputs.push(vec![a, b]);
                inputs.push(vec![b, a]);
            }
        }
        for text in [
            "\u{202e}x",
            "\u{9b}",
            "\u{fffe}",
            "\u{10ff9b}",
            "\\u202e",
            "é\u{2066}",
        ] {
            inputs.push(text.as_bytes().to_vec());
        }
        for input in inputs {
            let shown = shown(&input);
            assert!(
                !shown.chars().any(|c| c != '\\' && needs_escape(c, false)),
                "{shown:?} still holds something to escape"
            );
            assert_eq!(undo(&shown), input, "{shown:?}");
        }
    }
}
