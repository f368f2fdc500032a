//! A bounded HTTP/1.0 GET for pprof, and the decoder of its reply. Every byte of the reply is
//! the target's (or whatever listens on its port), so everything is capped: the head at
//! [`MAX_HEAD`] bytes, the body at a size chosen per request ([`Limits`]), each chunk-size and
//! trailer line, and the whole exchange by a deadline. The decoder is a pure state machine fed
//! byte slices, so memory is the caps, never the input, and any byte sequence gives either a
//! reply or an error (fuzzed: `fuzz/fuzz_targets/pprof_reply.rs`, `tests/pprof_reply_never_panics.rs`).
//!
//! Framing (RFC 9112 §6): `Content-Length` (every copy must agree), `Transfer-Encoding:
//! chunked` (sizes of at most 15 hex digits, each chunk's data followed by CRLF, trailers
//! skipped within the head's cap), or the end of the connection. A reply with both is refused,
//! as is any other transfer coding.
//!
//! May import: std and `thiserror` only.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The status line and headers (and, for chunked bodies, trailers) together.
pub const MAX_HEAD: usize = 16 << 10;
/// One chunk-size line, extensions included.
const MAX_CHUNK_LINE: usize = 1024;
/// 15 hex digits: any chunk size fits a u64 with room to add.
const MAX_CHUNK_DIGITS: usize = 15;
/// Bytes read from the socket at a time.
const READ_SIZE: usize = 16 << 10;

/// What to do when the body reaches its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// The reply is an error (a page that should be small).
    Refuse,
    /// Keep the first `body_bytes` and say the reply was cut (a dump).
    Truncate,
}

/// Caps for one reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub body_bytes: usize,
    pub overflow: Overflow,
}

/// A decoded reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    /// The body was cut at [`Limits::body_bytes`] (only with [`Overflow::Truncate`]).
    pub truncated: bool,
}

/// Why a reply was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("no reply (the connection closed before any byte)")]
    Empty,
    #[error("not an HTTP reply (status line {0:?})")]
    NotHttp(String),
    #[error("reply headers larger than {MAX_HEAD} bytes")]
    HeadTooLarge,
    #[error("malformed header line {0:?}")]
    BadHeader(String),
    #[error("invalid Content-Length {0:?}")]
    BadLength(String),
    #[error("Content-Length and Transfer-Encoding together (ambiguous framing)")]
    AmbiguousLength,
    #[error("unsupported Transfer-Encoding {0:?}")]
    UnsupportedEncoding(String),
    #[error("malformed chunked body: {0}")]
    BadChunk(&'static str),
    #[error("reply body larger than {0} bytes")]
    BodyTooLarge(usize),
    #[error("the connection closed {0}")]
    Incomplete(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(u64),
    Chunked,
    UntilClose,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Head,
    /// Plain body: bytes still expected (`None`: until the connection closes).
    Body(Option<u64>),
    ChunkSize,
    ChunkData(u64),
    /// After a chunk's data: 0 = expecting CR or LF, 1 = seen CR.
    ChunkEnd(u8),
    Trailers,
    Done,
}

/// Incremental decoder of one HTTP/1.x reply; feed it what the socket gives.
#[derive(Debug, Clone)]
pub struct ReplyDecoder {
    limits: Limits,
    state: State,
    /// The head while in `Head`; the current chunk-size or trailer line afterwards.
    line: Vec<u8>,
    /// Head and trailer bytes seen, against [`MAX_HEAD`].
    head_bytes: usize,
    status: u16,
    body: Vec<u8>,
    truncated: bool,
    seen_any: bool,
}

impl ReplyDecoder {
    pub fn new(limits: Limits) -> ReplyDecoder {
        ReplyDecoder {
            limits,
            state: State::Head,
            line: Vec::new(),
            head_bytes: 0,
            status: 0,
            body: Vec::new(),
            truncated: false,
            seen_any: false,
        }
    }

    /// Feeds the next bytes; `Ok(true)` when the reply is complete (or cut at its cap) and
    /// nothing more needs to be read.
    pub fn feed(&mut self, mut bytes: &[u8]) -> Result<bool, ReplyError> {
        self.seen_any |= !bytes.is_empty();
        while !bytes.is_empty() && self.state != State::Done {
            bytes = match self.state {
                State::Head => self.feed_head(bytes)?,
                State::Body(left) => self.feed_body(bytes, left)?,
                State::ChunkSize => self.feed_chunk_size(bytes)?,
                State::ChunkData(left) => self.feed_chunk_data(bytes, left)?,
                State::ChunkEnd(seen_cr) => self.feed_chunk_end(bytes, seen_cr)?,
                State::Trailers => self.feed_trailers(bytes)?,
                State::Done => bytes,
            };
        }
        Ok(self.state == State::Done)
    }

    /// The reply once the connection has closed (or [`feed`](Self::feed) said it is complete).
    pub fn finish(self) -> Result<Reply, ReplyError> {
        match self.state {
            State::Done | State::Body(None) => Ok(Reply {
                status: self.status,
                body: self.body,
                truncated: self.truncated,
            }),
            State::Head if !self.seen_any => Err(ReplyError::Empty),
            State::Head => Err(ReplyError::Incomplete("inside the reply headers")),
            State::Body(Some(_)) => Err(ReplyError::Incomplete("before Content-Length bytes")),
            _ => Err(ReplyError::Incomplete("inside the chunked body")),
        }
    }

    fn feed_head<'a>(&mut self, bytes: &'a [u8]) -> Result<&'a [u8], ReplyError> {
        let before = self.line.len();
        let room = MAX_HEAD.saturating_sub(before);
        let take = bytes.len().min(room);
        self.line.extend_from_slice(&bytes[..take]);
        // The blank line may straddle two reads: search from a little before the new bytes.
        let from = before.saturating_sub(3);
        let Some(end) = find_blank_line(&self.line, from) else {
            if self.line.len() >= MAX_HEAD {
                return Err(ReplyError::HeadTooLarge);
            }
            return Ok(&[]);
        };
        let head_len = end.0;
        let rest_from = end.1 - before;
        let head = std::mem::take(&mut self.line);
        self.head_bytes = end.1;
        let framing = self.parse_head(head.get(..head_len).unwrap_or_default())?;
        self.state = match framing {
            Framing::Length(0) => State::Done,
            Framing::Length(n) => State::Body(Some(n)),
            Framing::UntilClose => State::Body(None),
            Framing::Chunked => State::ChunkSize,
        };
        if let Framing::Length(n) = framing {
            if n > self.limits.body_bytes as u64 && self.limits.overflow == Overflow::Refuse {
                return Err(ReplyError::BodyTooLarge(self.limits.body_bytes));
            }
        }
        Ok(bytes.get(rest_from..).unwrap_or_default())
    }

    /// Status line and headers, without the blank line; returns the body's framing.
    fn parse_head(&mut self, head: &[u8]) -> Result<Framing, ReplyError> {
        let text = String::from_utf8_lossy(head);
        let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let status_line = lines.next().unwrap_or_default();
        self.status = parse_status_line(status_line)
            .ok_or_else(|| ReplyError::NotHttp(shorten(status_line)))?;
        let mut length: Option<u64> = None;
        let mut chunked = false;
        for line in lines {
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| ReplyError::BadHeader(shorten(line)))?;
            if name.is_empty() || name.bytes().any(|b| b.is_ascii_whitespace()) {
                return Err(ReplyError::BadHeader(shorten(line)));
            }
            let value = value.trim_matches([' ', '\t']);
            if name.eq_ignore_ascii_case("content-length") {
                let parsed =
                    parse_length(value).ok_or_else(|| ReplyError::BadLength(shorten(value)))?;
                if length.is_some_and(|l| l != parsed) {
                    return Err(ReplyError::BadLength(shorten(value)));
                }
                length = Some(parsed);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                for coding in value.split(',').map(str::trim) {
                    if coding.eq_ignore_ascii_case("chunked") && !chunked {
                        chunked = true;
                    } else if !coding.eq_ignore_ascii_case("identity") {
                        return Err(ReplyError::UnsupportedEncoding(shorten(value)));
                    }
                }
            }
        }
        match (length, chunked) {
            (Some(_), true) => Err(ReplyError::AmbiguousLength),
            (Some(n), false) => Ok(Framing::Length(n)),
            (None, true) => Ok(Framing::Chunked),
            (None, false) => Ok(Framing::UntilClose),
        }
    }

    /// Appends to the body up to its cap; `true` when the cap was reached.
    fn push_body(&mut self, data: &[u8]) -> Result<bool, ReplyError> {
        let room = self.limits.body_bytes.saturating_sub(self.body.len());
        if data.len() <= room {
            self.body.extend_from_slice(data);
            return Ok(false);
        }
        match self.limits.overflow {
            Overflow::Refuse => Err(ReplyError::BodyTooLarge(self.limits.body_bytes)),
            Overflow::Truncate => {
                self.body.extend_from_slice(&data[..room]);
                self.truncated = true;
                self.state = State::Done;
                Ok(true)
            }
        }
    }

    fn feed_body<'a>(
        &mut self,
        bytes: &'a [u8],
        left: Option<u64>,
    ) -> Result<&'a [u8], ReplyError> {
        let take = match left {
            Some(left) => bytes.len().min(usize::try_from(left).unwrap_or(usize::MAX)),
            None => bytes.len(),
        };
        if self.push_body(&bytes[..take])? {
            return Ok(&[]);
        }
        self.state = match left {
            Some(left) if left == take as u64 => State::Done,
            Some(left) => State::Body(Some(left - take as u64)),
            None => State::Body(None),
        };
        // Bytes past Content-Length are not part of this reply.
        Ok(if self.state == State::Done {
            &[]
        } else {
            bytes.get(take..).unwrap_or_default()
        })
    }

    /// Collects one line (up to LF) into `self.line`, at most `max` bytes; returns the rest of
    /// `bytes` and whether the line is complete.
    fn collect_line<'a>(
        &mut self,
        bytes: &'a [u8],
        max: usize,
        too_long: ReplyError,
    ) -> Result<(&'a [u8], bool), ReplyError> {
        let (part, rest, complete) = match bytes.iter().position(|&b| b == b'\n') {
            Some(at) => (&bytes[..at], &bytes[at + 1..], true),
            None => (bytes, &[][..], false),
        };
        if self.line.len() + part.len() > max {
            return Err(too_long);
        }
        self.line.extend_from_slice(part);
        Ok((rest, complete))
    }

    fn feed_chunk_size<'a>(&mut self, bytes: &'a [u8]) -> Result<&'a [u8], ReplyError> {
        let (rest, complete) = self.collect_line(
            bytes,
            MAX_CHUNK_LINE,
            ReplyError::BadChunk("chunk-size line too long"),
        )?;
        if !complete {
            return Ok(rest);
        }
        let line = std::mem::take(&mut self.line);
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        // `1a;name=value`: the size, then optional extensions (ignored).
        let digits_end = line
            .iter()
            .position(|b| !b.is_ascii_hexdigit())
            .unwrap_or(line.len());
        let (digits, after) = line.split_at(digits_end);
        if digits.is_empty() || digits.len() > MAX_CHUNK_DIGITS {
            return Err(ReplyError::BadChunk("chunk size is not 1 to 15 hex digits"));
        }
        if !after.is_empty() && !matches!(after[0], b';' | b' ' | b'\t') {
            return Err(ReplyError::BadChunk("junk after the chunk size"));
        }
        let size = digits.iter().try_fold(0u64, |acc, &d| {
            let digit = u64::from((d as char).to_digit(16)?);
            acc.checked_mul(16)?.checked_add(digit)
        });
        let size = size.ok_or(ReplyError::BadChunk("chunk size overflows"))?;
        self.state = if size == 0 {
            State::Trailers
        } else {
            if self.limits.overflow == Overflow::Refuse
                && size
                    > (self.limits.body_bytes - self.body.len().min(self.limits.body_bytes)) as u64
            {
                return Err(ReplyError::BodyTooLarge(self.limits.body_bytes));
            }
            State::ChunkData(size)
        };
        Ok(rest)
    }

    fn feed_chunk_data<'a>(&mut self, bytes: &'a [u8], left: u64) -> Result<&'a [u8], ReplyError> {
        let take = bytes.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if self.push_body(&bytes[..take])? {
            return Ok(&[]);
        }
        let left = left - take as u64;
        self.state = if left == 0 {
            State::ChunkEnd(0)
        } else {
            State::ChunkData(left)
        };
        Ok(bytes.get(take..).unwrap_or_default())
    }

    fn feed_chunk_end<'a>(&mut self, bytes: &'a [u8], seen_cr: u8) -> Result<&'a [u8], ReplyError> {
        match (bytes.first(), seen_cr) {
            (Some(b'\r'), 0) => self.state = State::ChunkEnd(1),
            (Some(b'\n'), _) => self.state = State::ChunkSize,
            _ => return Err(ReplyError::BadChunk("chunk data not followed by CRLF")),
        }
        Ok(bytes.get(1..).unwrap_or_default())
    }

    fn feed_trailers<'a>(&mut self, bytes: &'a [u8]) -> Result<&'a [u8], ReplyError> {
        let room = MAX_HEAD.saturating_sub(self.head_bytes);
        let before = self.line.len();
        let (rest, complete) = self.collect_line(bytes, room, ReplyError::HeadTooLarge)?;
        self.head_bytes += self.line.len() - before + usize::from(complete);
        if complete {
            let line = std::mem::take(&mut self.line);
            if line.is_empty() || line == b"\r" {
                self.state = State::Done;
                return Ok(&[]);
            }
        }
        Ok(rest)
    }
}

/// Where the head ends: (end of the last header line, start of the body), for CRLF CRLF or
/// a bare LF LF; searching from `from`.
fn find_blank_line(buf: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut i = from;
    while i < buf.len() {
        if buf[i] == b'\n' {
            if buf.get(i + 1) == Some(&b'\n') {
                return Some((i, i + 2));
            }
            if buf.get(i + 1) == Some(&b'\r') && buf.get(i + 2) == Some(&b'\n') {
                let end = if i > 0 && buf[i - 1] == b'\r' {
                    i - 1
                } else {
                    i
                };
                return Some((end, i + 3));
            }
        }
        i += 1;
    }
    None
}

/// `HTTP/1.1 200 OK` → 200.
fn parse_status_line(line: &str) -> Option<u16> {
    let rest = line
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| line.strip_prefix("HTTP/1.0 "))?;
    let code = rest.get(..3)?;
    if !code.bytes().all(|b| b.is_ascii_digit()) || rest.get(3..4).is_some_and(|s| s != " ") {
        return None;
    }
    code.parse().ok()
}

/// Decimal digits only (no sign, no spaces), at most 19 of them.
fn parse_length(value: &str) -> Option<u64> {
    if value.is_empty() || value.len() > 19 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// A bounded, printable excerpt of hostile text for an error message.
fn shorten(text: &str) -> String {
    text.chars()
        .take(60)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Decodes a whole reply held in memory (the connection closed after `raw`).
pub fn decode(raw: &[u8], limits: Limits) -> Result<Reply, ReplyError> {
    let mut decoder = ReplyDecoder::new(limits);
    decoder.feed(raw)?;
    decoder.finish()
}

/// Why a GET failed.
#[derive(Debug, thiserror::Error)]
pub enum GetError {
    #[error("connect: {0}")]
    Connect(std::io::Error),
    #[error("send: {0}")]
    Send(std::io::Error),
    #[error("read: {0}")]
    Read(std::io::Error),
    #[error("no complete answer within {0:?}")]
    Timeout(Duration),
    #[error(transparent)]
    Reply(#[from] ReplyError),
}

/// One HTTP/1.0 GET of `path` at `address`, bounded by `timeout` overall (connect included);
/// stops reading as soon as the reply is complete or cut at its cap.
pub fn get(
    address: SocketAddr,
    host: &str,
    path: &str,
    timeout: Duration,
    limits: Limits,
) -> Result<Reply, GetError> {
    let deadline = Instant::now() + timeout;
    let request = format!(
        "GET {path} HTTP/1.0\r\nHost: {host}\r\nUser-Agent: healthtop\r\nAccept: text/plain, \
         text/html\r\n\r\n"
    );
    let mut stream = TcpStream::connect_timeout(&address, timeout).map_err(|e| {
        if matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ) {
            GetError::Timeout(timeout)
        } else {
            GetError::Connect(e)
        }
    })?;
    let left = deadline.saturating_duration_since(Instant::now());
    stream
        .set_write_timeout(Some(left.max(Duration::from_millis(1))))
        .and_then(|()| stream.write_all(request.as_bytes()))
        .map_err(GetError::Send)?;
    let mut decoder = ReplyDecoder::new(limits);
    let mut buffer = vec![0u8; READ_SIZE];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(GetError::Timeout(timeout));
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(GetError::Read)?;
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                if decoder.feed(&buffer[..n])? {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // A read timeout surfaces as EAGAIN (WouldBlock) on Linux.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(GetError::Timeout(timeout))
            }
            Err(e) => return Err(GetError::Read(e)),
        }
    }
    Ok(decoder.finish()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: Limits = Limits {
        body_bytes: 16,
        overflow: Overflow::Refuse,
    };
    const CUT: Limits = Limits {
        body_bytes: 4,
        overflow: Overflow::Truncate,
    };

    fn body(raw: &[u8], limits: Limits) -> Result<(Vec<u8>, bool), ReplyError> {
        decode(raw, limits).map(|r| (r.body, r.truncated))
    }

    #[test]
    fn framings() {
        let until_close = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello";
        assert_eq!(body(until_close, SMALL), Ok((b"hello".to_vec(), false)));
        let length = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcEXTRA";
        assert_eq!(body(length, SMALL), Ok((b"abc".to_vec(), false)));
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n";
        assert_eq!(body(chunked, SMALL), Ok((b"abcde".to_vec(), false)));
        assert_eq!(
            decode(b"HTTP/1.1 404 Not Found\r\n\r\n", SMALL).map(|r| r.status),
            Ok(404)
        );
    }

    #[test]
    fn every_split_of_a_chunked_reply_decodes_alike() {
        let raw: &[u8] =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\n";
        for split in 0..raw.len() {
            let mut d = ReplyDecoder::new(SMALL);
            let done = d.feed(&raw[..split]).expect("first part");
            assert!(!done, "split {split}");
            assert!(d.feed(&raw[split..]).expect("second part"), "split {split}");
            assert_eq!(d.finish().expect("reply").body, b"abc0123456789");
        }
    }

    #[test]
    fn caps_and_truncation() {
        let big = b"HTTP/1.0 200 OK\r\nContent-Length: 17\r\n\r\n";
        assert_eq!(body(big, SMALL), Err(ReplyError::BodyTooLarge(16)));
        let long = b"HTTP/1.0 200 OK\r\n\r\n0123456789abcdefXYZ";
        assert_eq!(body(long, SMALL), Err(ReplyError::BodyTooLarge(16)));
        assert_eq!(body(long, CUT), Ok((b"0123".to_vec(), true)));
        let chunk = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffff\r\n";
        assert_eq!(body(chunk, SMALL), Err(ReplyError::BodyTooLarge(16)));
        let mut head = b"HTTP/1.0 200 OK\r\n".to_vec();
        head.extend(std::iter::repeat_n(b'a', MAX_HEAD));
        assert_eq!(body(&head, SMALL), Err(ReplyError::HeadTooLarge));
    }

    #[test]
    fn hostile_framing_is_refused() {
        for (raw, why) in [
            (&b"SSH-2.0-OpenSSH\r\n\r\n"[..], "not http"),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                "negative length",
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                "two lengths",
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                "both",
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                "gzip",
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n",
                "17 digits",
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXX",
                "no CRLF",
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n",
                "unterminated",
            ),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab", "short"),
            (b"HTTP/1.1 200 OK\r\nbad header\r\n\r\n", "no colon"),
            (b"", "empty"),
        ] {
            assert!(decode(raw, SMALL).is_err(), "{why}");
        }
    }
}
