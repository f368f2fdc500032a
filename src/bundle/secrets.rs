//! Keeping secrets out of bundles: values of secret-looking arguments, environment variables and
//! URL credentials are found once, then masked in every file the bundle holds.

/// What a masked value is replaced with.
pub const MASK: &str = "********";

/// Shorter values are masked where they stand (cmdline, environ) but not searched for across
/// files: replacing every "ab" in a bundle would destroy the data and hide nothing.
const MIN_GLOBAL_LEN: usize = 4;

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

/// Whether a name (`--db-password`, `AWS_SECRET_ACCESS_KEY`) looks like it holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.trim_start_matches('-').to_ascii_uppercase();
    SECRET_WORDS.iter().any(|word| upper.contains(word))
}

/// The secrets found in a target's arguments and environment, and how to mask them.
#[derive(Debug, Default, Clone)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// Finds secrets in `args` (the command line) and `env` (`KEY=value` entries).
    pub fn new(args: &[String], env: &[String]) -> Self {
        let mut secrets = Vec::new();
        let mut iter = args.iter().peekable();
        while let Some(arg) = iter.next() {
            if let Some((key, value)) = arg.split_once('=') {
                if is_secret_name(key) && !value.is_empty() {
                    secrets.push(value.to_string());
                }
            } else if arg.starts_with('-') && is_secret_name(arg) {
                if let Some(next) = iter.peek().filter(|n| !n.starts_with('-')) {
                    secrets.push((*next).clone());
                }
            }
            secrets.extend(url_passwords(arg));
        }
        for entry in env {
            if let Some((key, value)) = entry.split_once('=') {
                if is_secret_name(key) && !value.is_empty() {
                    secrets.push(value.to_string());
                }
                secrets.extend(url_passwords(value));
            }
        }
        // Longest first, so a secret containing another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets }
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// Masks one argument or environment entry where it stands.
    pub fn mask_entry(&self, entry: &str) -> String {
        let mut masked = entry.to_string();
        for secret in &self.secrets {
            if masked == *secret {
                return MASK.to_string();
            }
            if let Some((key, value)) = masked.split_once('=') {
                if value == secret {
                    masked = format!("{key}={MASK}");
                    continue;
                }
            }
            if secret.len() >= MIN_GLOBAL_LEN || masked.contains(&format!(":{secret}@")) {
                masked = masked.replace(secret.as_str(), MASK);
            }
        }
        masked
    }

    /// Masks every NUL-separated entry of a raw `cmdline` or `environ` file.
    pub fn mask_nul_separated(&self, raw: &[u8]) -> Vec<u8> {
        let text = String::from_utf8_lossy(raw);
        let mut out: Vec<u8> = Vec::with_capacity(raw.len());
        for entry in text.split_terminator('\0') {
            out.extend_from_slice(self.mask_entry(entry).as_bytes());
            out.push(0);
        }
        out
    }

    /// Masks every occurrence of every secret long enough to search for, in any file.
    pub fn mask_bytes(&self, data: &[u8]) -> Vec<u8> {
        let mut out = data.to_vec();
        for secret in self.secrets.iter().filter(|s| s.len() >= MIN_GLOBAL_LEN) {
            out = replace_all(&out, secret.as_bytes(), MASK.as_bytes());
        }
        out
    }
}

/// Passwords in `scheme://user:password@host` URLs inside `text`.
fn url_passwords(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("://") {
        let after = &rest[start + 3..];
        let authority_end = after.find(['/', '?', '#', ' ']).unwrap_or(after.len());
        let authority = &after[..authority_end];
        if let Some((userinfo, _host)) = authority.rsplit_once('@') {
            if let Some((_user, password)) = userinfo.split_once(':') {
                if !password.is_empty() {
                    found.push(password.to_string());
                }
            }
        }
        rest = after;
    }
    found
}

fn replace_all(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return haystack.to_vec();
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
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
    fn finds_and_masks_secrets() {
        let args = strings(&[
            "server",
            "--password=hunter22",
            "--api-token",
            "tok-123456",
            "--verbose",
            "postgres://app:s3cr3tpw@db:5432/x",
            "token=abcdef1",
        ]);
        let env = strings(&[
            "HOME=/root",
            "AWS_SECRET_ACCESS_KEY=AKIAsecretvalue",
            "PATH=/bin",
        ]);
        let r = Redactor::new(&args, &env);
        assert_eq!(r.mask_entry("--password=hunter22"), "--password=********");
        assert_eq!(r.mask_entry("tok-123456"), MASK);
        assert_eq!(
            r.mask_entry("postgres://app:s3cr3tpw@db:5432/x"),
            "postgres://app:********@db:5432/x"
        );
        assert_eq!(r.mask_entry("token=abcdef1"), "token=********");
        assert_eq!(r.mask_entry("--verbose"), "--verbose");
        assert_eq!(
            r.mask_entry("AWS_SECRET_ACCESS_KEY=AKIAsecretvalue"),
            "AWS_SECRET_ACCESS_KEY=********"
        );
        assert_eq!(r.mask_entry("HOME=/root"), "HOME=/root");
        let masked = r.mask_bytes(b"log: connecting with hunter22 and AKIAsecretvalue");
        assert_eq!(
            masked,
            b"log: connecting with ******** and ********".to_vec()
        );
        let raw = r.mask_nul_separated(b"server\0--password=hunter22\0");
        assert_eq!(raw, b"server\0--password=********\0".to_vec());
    }

    #[test]
    fn short_values_are_masked_in_place_only() {
        let r = Redactor::new(&strings(&["--password=ab"]), &[]);
        assert_eq!(r.mask_entry("--password=ab"), "--password=********");
        assert_eq!(r.mask_bytes(b"tab"), b"tab".to_vec());
    }
}
