//! The web config file of Prometheus exporters (exporter-toolkit's `--web.config.file`
//! convention): TLS and basic auth for `/metrics`.
//!
//! ```yaml
//! tls_server_config:
//!   cert_file: server.crt      # relative paths are relative to this file's directory
//!   key_file: server.key
//! basic_auth_users:
//!   prometheus: $2y$10$...     # bcrypt hashes (htpasswd -nBC 10 "" | tr -d ':\n')
//! ```
//!
//! Any other key (client certificates, cipher suites, HTTP headers) is refused rather than
//! ignored: a setting that looks applied but is not would be a false sense of safety.

use crate::config::{read_config_text, ConfigError};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_rustls::rustls;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    tls_server_config: Option<TlsFiles>,
    basic_auth_users: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsFiles {
    cert_file: PathBuf,
    key_file: PathBuf,
}

/// What the web config asks for.
#[derive(Clone, Default)]
pub struct WebConfig {
    /// Serve HTTPS with this certificate and key.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// User name → bcrypt hash; empty: no authentication.
    pub users: BTreeMap<String, String>,
}

impl std::fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebConfig")
            .field("tls", &self.tls.is_some())
            .field("users", &self.users.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl WebConfig {
    /// Reads and checks `path`: the certificate and key must load together, every hash must
    /// be a bcrypt hash.
    pub fn load(path: &Path) -> Result<WebConfig, ConfigError> {
        let text = read_config_text(path)?;
        let parse = |message: String| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        };
        let file: File = if text.trim().is_empty() {
            File {
                tls_server_config: None,
                basic_auth_users: None,
            }
        } else {
            serde_yaml_ng::from_str(&text).map_err(|e| parse(e.to_string()))?
        };
        let users = file.basic_auth_users.unwrap_or_default();
        for (user, hash) in &users {
            if bcrypt::verify("", hash).is_err() {
                return Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    key: format!("basic_auth_users.{user}"),
                    reason: "not a bcrypt hash (make one with htpasswd -nBC 10 USER)".into(),
                });
            }
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        let tls = match file.tls_server_config {
            Some(files) => Some(Arc::new(tls_config(path, dir, &files)?)),
            None => None,
        };
        Ok(WebConfig { tls, users })
    }
}

fn tls_config(
    path: &Path,
    dir: &Path,
    files: &TlsFiles,
) -> Result<rustls::ServerConfig, ConfigError> {
    let invalid = |key: &str, reason: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        key: format!("tls_server_config.{key}"),
        reason,
    };
    let cert_path = dir.join(&files.cert_file);
    let key_path = dir.join(&files.key_file);
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(read_config_text(&cert_path)?.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| invalid("cert_file", format!("{}: {e}", cert_path.display())))?;
    if certs.is_empty() {
        return Err(invalid(
            "cert_file",
            format!("{}: no PEM certificate in it", cert_path.display()),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(read_config_text(&key_path)?.as_bytes())
        .map_err(|e| invalid("key_file", format!("{}: {e}", key_path.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid("cert_file", e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| invalid("key_file", format!("does not go with the certificate: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<WebConfig, ConfigError> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("web.yml");
        std::fs::write(&path, text).expect("write");
        WebConfig::load(&path)
    }

    #[test]
    fn users_need_bcrypt_hashes_and_unknown_keys_are_refused() {
        let hash = bcrypt::hash("secret", 4).expect("hash");
        let config = load(&format!("basic_auth_users:\n  alice: '{hash}'\n")).expect("loads");
        assert!(config.users.contains_key("alice") && config.tls.is_none());
        let plain = load("basic_auth_users:\n  alice: secret\n").expect_err("plain text");
        assert!(plain.to_string().contains("bcrypt"), "{plain}");
        let unknown = load("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n")
            .expect_err("unknown key");
        assert!(
            unknown.to_string().contains("client_auth_type"),
            "{unknown}"
        );
        assert!(load("").expect("empty").users.is_empty());
    }
}
