//! Keeping secrets out of bundles, by structure: a value is masked where it lives (an argument,
//! an environment entry, the password of a URL) when its KEY says it is a secret
//! (`--password=…`, `--token …`, `-Ddb.password=…`, `API_TOKEN=…`). Nothing is searched for
//! as text across files: a bare `2048` or `false` seen in a secret-looking argument must never
//! be masked inside a number of `report.json`, which would make the bundle unreadable.

/// What a masked value is replaced with.
pub const MASK: &str = "********";

const SECRET_WORDS: [&str; 12] = [
    "PASSWORD",
    "PASSWD",
    "PASS",
    "SECRET",
    "TOKEN",
    "KEY",
    "CREDENTIAL",
    "AUTH",
    "PRIVATE",
    "COOKIE",
    "SESSION",
    "SIGNATURE",
];

/// Whether a name (`--db-password`, `AWS_SECRET_ACCESS_KEY`, `-Djavax.net.ssl.keyStorePassword`)
/// looks like it holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.trim_start_matches('-').to_ascii_uppercase();
    SECRET_WORDS.iter().any(|word| upper.contains(word))
}

/// Masks a command line, argument by argument: `KEY=value` and `-DKEY=value` whose key looks
/// secret, the argument after a secret-looking flag (`--token abc`), and URL passwords.
pub fn mask_args(args: &[String]) -> Vec<String> {
    let mut masked = Vec::with_capacity(args.len());
    let mut value_is_secret = false;
    for arg in args {
        if value_is_secret && !arg.starts_with('-') {
            masked.push(MASK.to_string());
            value_is_secret = false;
            continue;
        }
        value_is_secret = false;
        if let Some(entry) = mask_key_value(arg) {
            masked.push(entry);
        } else {
            value_is_secret = arg.starts_with('-') && is_secret_name(arg);
            masked.push(mask_url_passwords(arg));
        }
    }
    masked
}

/// Masks environment entries (`KEY=value`): the value when the key looks secret, otherwise
/// any URL password inside it.
pub fn mask_env(entries: &[String]) -> Vec<String> {
    entries
        .iter()
        .map(|entry| mask_key_value(entry).unwrap_or_else(|| mask_url_passwords(entry)))
        .collect()
}

/// Masks a raw NUL-separated `cmdline` as [`mask_args`] does.
pub fn mask_raw_cmdline(raw: &[u8]) -> Vec<u8> {
    join_nul(&mask_args(&split_nul(raw)))
}

/// Masks a raw NUL-separated `environ` as [`mask_env`] does.
pub fn mask_raw_environ(raw: &[u8]) -> Vec<u8> {
    join_nul(&mask_env(&split_nul(raw)))
}

/// `key=value` with a secret-looking key, value masked (URL passwords in the value otherwise);
/// `None` when `entry` is not `key=value`.
fn mask_key_value(entry: &str) -> Option<String> {
    let (key, value) = entry.split_once('=')?;
    if key.is_empty() {
        return None;
    }
    Some(if is_secret_name(key) && !value.is_empty() {
        format!("{key}={MASK}")
    } else {
        format!("{key}={}", mask_url_passwords(value))
    })
}

/// `scheme://user:password@host` → `scheme://user:********@host`, for every URL in `text`.
fn mask_url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("://") {
        let (before, after) = rest.split_at(start + 3);
        out.push_str(before);
        let authority_end = after.find(['/', '?', '#', ' ']).unwrap_or(after.len());
        let authority = &after[..authority_end];
        match authority.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, password)) if !password.is_empty() => {
                    out.push_str(user);
                    out.push(':');
                    out.push_str(MASK);
                    out.push('@');
                    out.push_str(host);
                }
                _ => out.push_str(authority),
            },
            None => out.push_str(authority),
        }
        rest = &after[authority_end..];
    }
    out.push_str(rest);
    out
}

fn split_nul(raw: &[u8]) -> Vec<String> {
    // The file ends with a NUL: the empty piece after it is not an entry.
    let raw = raw.strip_suffix(&[0]).unwrap_or(raw);
    if raw.is_empty() {
        return Vec::new();
    }
    raw.split(|&b| b == 0)
        .map(|piece| String::from_utf8_lossy(piece).into_owned())
        .collect()
}

fn join_nul(entries: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in entries {
        out.extend_from_slice(entry.as_bytes());
        out.push(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn arguments_are_masked_by_their_key() {
        let args = strings(&[
            "server",
            "--password=hunter22",
            "--api-token",
            "tok-123456",
            "--verbose",
            "postgres://app:s3cr3tpw@db:5432/x",
            "token=abcdef1",
            "-Djdk.tls.ephemeralDHKeySize=2048",
            "-Dsize=2048",
            "--auth=false",
            "--port",
            "2048",
        ]);
        assert_eq!(
            mask_args(&args),
            strings(&[
                "server",
                "--password=********",
                "--api-token",
                "********",
                "--verbose",
                "postgres://app:********@db:5432/x",
                "token=********",
                "-Djdk.tls.ephemeralDHKeySize=********",
                "-Dsize=2048",
                "--auth=********",
                "--port",
                "2048",
            ])
        );
    }

    #[test]
    fn a_secret_flag_followed_by_a_flag_masks_nothing_else() {
        assert_eq!(
            mask_args(&strings(&["--token", "--verbose", "x"])),
            strings(&["--token", "--verbose", "x"])
        );
    }

    #[test]
    fn environment_entries_are_masked_by_their_key() {
        let env = strings(&[
            "HOME=/root",
            "AWS_SECRET_ACCESS_KEY=AKIAsecretvalue",
            "DATABASE_URL=mysql://u:pw123@h/db",
            "PATH=/bin",
        ]);
        assert_eq!(
            mask_env(&env),
            strings(&[
                "HOME=/root",
                "AWS_SECRET_ACCESS_KEY=********",
                "DATABASE_URL=mysql://u:********@h/db",
                "PATH=/bin",
            ])
        );
    }

    #[test]
    fn raw_copies_keep_their_nul_structure() {
        assert_eq!(
            mask_raw_cmdline(b"server\0--password=hunter22\0-Dsize=2048\0"),
            b"server\0--password=********\0-Dsize=2048\0".to_vec()
        );
        assert_eq!(
            mask_raw_environ(b"A=1\0MY_TOKEN=abc\0"),
            b"A=1\0MY_TOKEN=********\0".to_vec()
        );
        assert_eq!(mask_raw_cmdline(b""), Vec::<u8>::new());
    }
}
