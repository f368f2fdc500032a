//! The HotSpot dynamic-attach client, as jcmd/jstack (and jattach) speak it:
//!
//! 1. socket `/proc/PID/root/tmp/.java_pid<nspid>`; if a listener answers there, use it;
//! 2. else create the trigger file `.attach_pid<nspid>` in the target's cwd (or its /tmp),
//!    check SigCgt says SIGQUIT is caught and SigIgn does not ignore it, send SIGQUIT (the
//!    Signal Dispatcher sees the trigger, starts the Attach Listener and does *not* print a
//!    thread dump), poll for the socket, remove the trigger;
//! 3. write protocol v1 `1\0<cmd>\0<arg0>\0<arg1>\0<arg2>\0`, read `<status>\n` and the text
//!    until EOF.
//!
//! Credentials: the listener accepts peers with the JVM's euid/egid, or root; run healthtop as
//! the JVM's user or as root. The trigger goes in a directory the JVM's user controls, so it is
//! created (and removed) as that user, never through a link ([`MarkerFile`]): HotSpot wants it
//! owned by the JVM's euid anyway.
//!
//! A JVM started with `-XX:+DisableAttachMechanism` never listens: it is sent nothing.
//!
//! May import: siblings in `runtimes` (`target`), the parent's error type, `safe_file`.

use crate::parse::status::Status;
use crate::runtimes::target::Target;
use crate::runtimes::DumpError;
use crate::safe_file::{MarkerFile, Owner, SafeFileError};
use std::io::{Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const SIGQUIT: u32 = 3;
/// `name_length_max` / `arg_length_max` / `arg_count_max` in attachListener.hpp.
const MAX_COMMAND: usize = 16;
const MAX_ARG: usize = 1024;

/// Runs one attach command and returns the JVM's text answer (status 0), or a protocol error
/// carrying the JVM's own message.
pub fn execute(
    target: &Target,
    command: &str,
    args: [&str; 3],
    timeout: Duration,
) -> Result<String, DumpError> {
    if command.len() > MAX_COMMAND || args.iter().any(|a| a.len() > MAX_ARG) {
        return Err(DumpError::Protocol {
            what: "attach".into(),
            detail: format!("command or argument too long for protocol v1: {command:?}"),
        });
    }
    if let Some(source) = attach_disabled_by(target) {
        return Err(DumpError::Unavailable {
            reason: format!(
                "attach is disabled in this JVM (-XX:+DisableAttachMechanism {source}): \
                 nothing was sent; jstack and jcmd cannot attach to it either"
            ),
        });
    }
    let mut stream = connect(target, timeout)?;
    let socket_path = socket_path(target)?;
    // Two JVMs in different pid namespaces can share one /tmp and one nspid: make sure the
    // listener is the target (the kernel reports the peer's pid in our namespace).
    match peer_pid(&stream) {
        Some(peer) if peer != target.pid => {
            return Err(DumpError::Protocol {
                what: "attach".into(),
                detail: format!(
                    "{} belongs to process {peer}, not {}: another JVM with the same \
                     namespace pid shares this /tmp",
                    socket_path.display(),
                    target.pid
                ),
            })
        }
        _ => {}
    }
    let io = |e| DumpError::Io {
        path: socket_path.clone(),
        source: e,
    };
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    stream.set_write_timeout(Some(timeout)).map_err(io)?;
    let mut request = Vec::with_capacity(64);
    for part in ["1", command, args[0], args[1], args[2]] {
        request.extend_from_slice(part.as_bytes());
        request.push(0);
    }
    stream.write_all(&request).map_err(io)?;
    let mut reply = Vec::new();
    (&mut stream)
        .take(MAX_REPLY + 1)
        .read_to_end(&mut reply)
        .map_err(io)?;
    parse_reply(&reply, command)
}

/// Most bytes of a reply read: a thread dump of 10,000 threads is about 20 MB.
pub const MAX_REPLY: u64 = 256 << 20;

/// `<status>\n<text>`: the text for status 0, else an error with the JVM's message. A reply
/// longer than [`MAX_REPLY`] is refused, not cut.
pub fn parse_reply(reply: &[u8], command: &str) -> Result<String, DumpError> {
    if reply.len() as u64 > MAX_REPLY {
        return Err(DumpError::Protocol {
            what: "attach".into(),
            detail: format!("the reply is larger than {} MiB", MAX_REPLY >> 20),
        });
    }
    let reply = crate::safe_text::from_bytes(reply);
    let (status, text) = reply.split_once('\n').unwrap_or((reply.as_str(), ""));
    match status.trim().parse::<i32>() {
        Ok(0) => Ok(text.to_string()),
        Ok(101) => Err(DumpError::Protocol {
            what: "attach".into(),
            detail: "the JVM rejected protocol version 1 (status 101)".into(),
        }),
        Ok(code) => Err(DumpError::Protocol {
            what: format!("attach command {command} failed with status {code}"),
            detail: truncate(text.trim(), 2000).to_string(),
        }),
        Err(_) => Err(DumpError::Protocol {
            what: "attach".into(),
            detail: format!("no status line in the reply: {:?}", truncate(&reply, 200)),
        }),
    }
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// `/proc/PID/root/tmp/.java_pid<nspid>`: HotSpot binds under its own /tmp whatever
/// `java.io.tmpdir` says.
pub fn socket_path(target: &Target) -> Result<PathBuf, DumpError> {
    Ok(target.path(&format!("root/tmp/.java_pid{}", target.namespace_pid()?)))
}

/// Connects to a live listener, starting it first if needed.
fn connect(target: &Target, timeout: Duration) -> Result<UnixStream, DumpError> {
    let socket = socket_path(target)?;
    if let Some(stream) = try_connect(&socket) {
        return Ok(stream);
    }
    let disposition = target.disposition(SIGQUIT)?;
    if !disposition.caught || disposition.ignored {
        return Err(DumpError::Refused {
            reason: "the JVM does not catch SIGQUIT (started with -Xrs or \
                     -XX:+ReduceSignalUsage?): sending it to start the attach listener would \
                     kill it. Start the JVM with -XX:+StartAttachListener to attach without a \
                     signal"
                .to_string(),
        });
    }
    let _trigger = Trigger::create(target)?;
    target.send_signal(SIGQUIT)?;
    let start = Instant::now();
    let mut pause = Duration::from_millis(20);
    loop {
        std::thread::sleep(pause);
        if let Some(stream) = try_connect(&socket) {
            return Ok(stream);
        }
        if !crate::runtimes::target::exists(target.pid) {
            return Err(DumpError::NoSuchProcess { pid: target.pid });
        }
        if start.elapsed() >= timeout {
            return Err(DumpError::Protocol {
                what: "attach".into(),
                detail: format!(
                    "no attach listener at {} within {timeout:?} after SIGQUIT (attach disabled \
                     with -XX:+DisableAttachMechanism, a non-HotSpot JVM, or a /tmp cleaner \
                     removed the socket)",
                    socket.display()
                ),
            });
        }
        pause = (pause + Duration::from_millis(20)).min(Duration::from_millis(200));
    }
}

/// A connection when `path` is a socket with a listener (a stale file refuses).
fn try_connect(path: &Path) -> Option<UnixStream> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.file_type().is_socket() {
        return None;
    }
    UnixStream::connect(path).ok()
}

/// The pid (in healthtop's pid namespace) of the process that listens on `stream`'s peer.
fn peer_pid(stream: &UnixStream) -> Option<u32> {
    let credentials =
        nix::sys::socket::getsockopt(stream, nix::sys::socket::sockopt::PeerCredentials).ok()?;
    u32::try_from(credentials.pid()).ok()
}

/// Where `-XX:+DisableAttachMechanism` was given, if it is in force: HotSpot reads
/// `JAVA_TOOL_OPTIONS`, then the launcher's `JDK_JAVA_OPTIONS`, then the command line, then
/// `_JAVA_OPTIONS`, and the last `+`/`-` wins. The environment is read only where the kernel
/// lets healthtop (the JVM's user or root), and only the JVM's own options count (not the
/// application's arguments after the main class).
pub fn attach_disabled_by(target: &Target) -> Option<&'static str> {
    let environ = std::fs::read(target.path("environ")).unwrap_or_default();
    let variable = |name: &str| -> Vec<String> {
        let prefix = format!("{name}=");
        environ
            .split(|b| *b == 0)
            .find_map(|entry| entry.strip_prefix(prefix.as_bytes()))
            .map(|value| {
                String::from_utf8_lossy(value)
                    .split_ascii_whitespace()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let cmdline = std::fs::read(target.path("cmdline")).unwrap_or_default();
    let arguments: Vec<String> = cmdline
        .split(|b| *b == 0)
        .skip(1)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let sources = [
        ("in JAVA_TOOL_OPTIONS", variable("JAVA_TOOL_OPTIONS")),
        ("in JDK_JAVA_OPTIONS", variable("JDK_JAVA_OPTIONS")),
        ("on its command line", jvm_options(&arguments)),
        ("in _JAVA_OPTIONS", variable("_JAVA_OPTIONS")),
    ];
    let mut disabled_by = None;
    for (source, options) in &sources {
        for option in options {
            match option.as_str() {
                "-XX:+DisableAttachMechanism" => disabled_by = Some(*source),
                "-XX:-DisableAttachMechanism" => disabled_by = None,
                _ => {}
            }
        }
    }
    disabled_by
}

/// The launcher's own options: the arguments before the main class, `-jar FILE` or
/// `-m MODULE` (what follows belongs to the application).
fn jvm_options(arguments: &[String]) -> Vec<String> {
    const WITH_VALUE: [&str; 7] = [
        "-cp",
        "-classpath",
        "--class-path",
        "-p",
        "--module-path",
        "--upgrade-module-path",
        "--add-modules",
    ];
    let mut options = Vec::new();
    let mut arguments = arguments.iter();
    while let Some(argument) = arguments.next() {
        if !argument.starts_with('-') || matches!(argument.as_str(), "-jar" | "-m" | "--module") {
            break;
        }
        if WITH_VALUE.contains(&argument.as_str()) {
            arguments.next();
        }
        options.push(argument.clone());
    }
    options
}

/// The JVM's effective uid and gid (second fields of `Uid:` and `Gid:`): the owner HotSpot
/// accepts for the trigger, and the identity it is created as.
fn jvm_owner(target: &Target) -> Result<Owner, DumpError> {
    let status = target.status()?;
    let effective = |key: &str| -> Result<u32, DumpError> {
        effective_id(&status, key).ok_or_else(|| DumpError::Protocol {
            what: "attach".into(),
            detail: format!("no effective {key} in /proc/{}/status", target.pid),
        })
    };
    Ok(Owner {
        uid: effective("Uid")?,
        gid: effective("Gid")?,
    })
}

fn effective_id(status: &Status, key: &str) -> Option<u32> {
    status.get(key)?.split_whitespace().nth(1)?.parse().ok()
}

/// The `.attach_pid<nspid>` trigger file, created as the JVM's user; removed when dropped.
struct Trigger {
    _marker: MarkerFile,
}

impl Trigger {
    /// In the target's cwd (what HotSpot checks first), else in its /tmp. A name already taken
    /// in either (a planted link, a stale file) refuses the attach: HotSpot follows a link
    /// there, and healthtop uses no trigger it did not create.
    fn create(target: &Target) -> Result<Trigger, DumpError> {
        let name = format!(".attach_pid{}", target.namespace_pid()?);
        let owner = jvm_owner(target)?;
        let mut last_error = None;
        for dir in [target.path("cwd"), target.path("root/tmp")] {
            match MarkerFile::create_as(&dir, &name, owner) {
                Ok(marker) => return Ok(Trigger { _marker: marker }),
                Err(error) if error.is_refusal() => {
                    return Err(DumpError::Refused {
                        reason: format!(
                            "{error}; the attach trigger must be a new file that healthtop \
                             creates as the JVM's user (remove the name if it is a stale \
                             trigger): nothing was sent"
                        ),
                    })
                }
                Err(error) => last_error = Some(error),
            }
        }
        Err(match last_error {
            Some(SafeFileError::Io { path, source }) => {
                DumpError::from_proc_io(target.pid, path, source)
            }
            Some(SafeFileError::Identity { path, detail, .. }) => DumpError::PermissionDenied {
                path,
                source: std::io::Error::other(detail),
            },
            other => DumpError::Protocol {
                what: "attach".into(),
                detail: other.map_or_else(
                    || "no place for the trigger file".to_string(),
                    |e| e.to_string(),
                ),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn jvm_options_stop_at_the_application() {
        let arguments = strings(&[
            "-Xmx1g",
            "-cp",
            "-XX:+DisableAttachMechanism",
            "-XX:-DisableAttachMechanism",
            "Main",
            "-XX:+DisableAttachMechanism",
        ]);
        assert_eq!(
            jvm_options(&arguments),
            strings(&["-Xmx1g", "-cp", "-XX:-DisableAttachMechanism"])
        );
        let jar = strings(&["-XX:+DisableAttachMechanism", "-jar", "app.jar", "-x"]);
        assert_eq!(jvm_options(&jar), strings(&["-XX:+DisableAttachMechanism"]));
    }

    #[test]
    fn effective_ids_are_the_second_field() {
        let status = Status::parse("Uid:\t1000\t65534\t1000\t65534\nGid:\t5\t6\t5\t6\n");
        assert_eq!(effective_id(&status, "Uid"), Some(65534));
        assert_eq!(effective_id(&status, "Gid"), Some(6));
        assert_eq!(effective_id(&status, "Groups"), None);
    }

    #[test]
    fn replies() {
        assert_eq!(
            parse_reply(b"0\n\"main\" #1\n", "threaddump")
                .ok()
                .as_deref(),
            Some("\"main\" #1\n")
        );
        let failed = parse_reply(b"1\nunknown command\n", "x").expect_err("status 1");
        assert!(failed.to_string().contains("status 1"), "{failed}");
        assert!(parse_reply(b"101\n", "x").is_err());
        assert!(parse_reply(b"", "x").is_err());
        assert!(parse_reply(b"\xff\xfe", "x").is_err());
    }
}
