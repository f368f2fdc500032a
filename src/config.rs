//! Rule thresholds: a TOML file at an XDG path, merged over the defaults embedded from
//! `assets/default-config.toml`, then validated.
//!
//! A user file may name only the keys it changes; unknown sections or keys are errors (a typo
//! must not silently keep a default), and every error names the file and the key.
//!
//! May import: nothing else in the crate.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The default configuration, documented key by key.
pub const DEFAULT_TOML: &str = include_str!("../assets/default-config.toml");

/// Largest config file read: the defaults are 4 KiB, so anything near this is not a config.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// Why a configuration could not be used.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config {path} refused: {reason}")]
    Refused { path: PathBuf, reason: String },
    #[error("config {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("config {path}: {key}: {reason}")]
    Invalid {
        path: PathBuf,
        key: String,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub trend: TrendConfig,
    pub fd_headroom: HeadroomConfig,
    pub fd_leak: LeakConfig,
    pub thread_headroom: HeadroomConfig,
    pub thread_leak: LeakConfig,
    pub memory_growth: MemoryGrowthConfig,
    pub memory_pressure: PressureConfig,
    pub map_count: MapCountConfig,
    pub close_wait: CloseWaitConfig,
    pub zombie_children: ZombieConfig,
    pub d_state: DStateConfig,
    pub pending_signals: PendingConfig,
    pub stall: StallConfig,
    pub goroutine_leak: GoroutineLeakConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrendConfig {
    pub min_tau: f64,
    pub min_z: f64,
    pub confirm_z: f64,
    pub clear_tau: f64,
    pub recent_window_secs: u64,
    pub warmup_samples: usize,
    pub warmup_secs: u64,
    pub young_process_secs: u64,
    pub watch_min_samples: usize,
    pub short_window_secs: u64,
    pub long_window_secs: u64,
    pub eta_crit_secs: u64,
    pub eta_warn_secs: u64,
    pub persistence: u32,
}

/// A usage level against a limit, in percent, with hysteresis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadroomConfig {
    pub warn_percent: f64,
    pub crit_percent: f64,
    pub clear_margin_percent: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeakConfig {
    pub min_level: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryGrowthConfig {
    pub min_level_bytes: u64,
    pub warn_percent: f64,
    pub crit_percent: f64,
    pub clear_margin_percent: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PressureConfig {
    pub warn_some_avg10: f64,
    pub crit_full_avg10: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapCountConfig {
    pub warn_percent: f64,
    pub crit_percent: f64,
    pub clear_margin_percent: f64,
    pub min_level: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseWaitConfig {
    pub warn_count: u64,
    pub min_level: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZombieConfig {
    pub warn_count: u64,
    pub crit_count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DStateConfig {
    pub warn_secs: u64,
    pub crit_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingConfig {
    pub warn_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StallConfig {
    pub window_secs: u64,
    pub min_censuses: usize,
}

/// `goroutine-leak`: gates against small or slow rises, and the ceiling the ETA aims at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoroutineLeakConfig {
    /// No verdict below this many goroutines.
    pub min_level: f64,
    /// The fitted rise over the window must reach this many goroutines.
    pub min_rise: f64,
    /// The fitted rate must reach this many goroutines per minute.
    pub min_rate_per_min: f64,
    /// The configured ceiling (goroutines).
    pub max_goroutines: f64,
    /// Bytes each goroutine costs at least (its smallest stack), for the memory ceiling.
    pub stack_bytes: u64,
}

impl Default for Config {
    fn default() -> Self {
        // The embedded file is checked by the unit tests below; it cannot fail at run time.
        Config::from_toml_str(DEFAULT_TOML, Path::new("<built-in defaults>"))
            .expect("assets/default-config.toml is valid (unit-tested)")
    }
}

impl Config {
    /// `$XDG_CONFIG_HOME/healthtop/config.toml`, else `$HOME/.config/healthtop/config.toml`.
    pub fn default_path() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|home| PathBuf::from(home).join(".config"))
            })?;
        Some(base.join("healthtop").join("config.toml"))
    }

    /// The file given on the command line (which must exist), else the XDG file if there is
    /// one, else the defaults.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        match explicit {
            Some(path) => Config::from_file(path),
            None => match Config::default_path() {
                Some(path) if path.exists() => Config::from_file(&path),
                _ => Ok(Config::default()),
            },
        }
    }

    /// Reads and validates the TOML file at `path` (see [`read_config_text`]).
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        Config::from_toml_str(&read_config_text(path)?, path)
    }

    /// Parses `text` (named `path` in errors) over the defaults and validates the result.
    pub fn from_toml_str(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let parse_error = |message: String| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        };
        let parse = |text: &str| {
            text.parse::<toml::Table>().map_err(|e| {
                let line = e
                    .span()
                    .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
                parse_error(match line {
                    Some(line) => format!("line {line}: {}", e.message().trim()),
                    None => e.message().trim().to_string(),
                })
            })
        };
        let defaults = parse(DEFAULT_TOML)?;
        let user = parse(text)?;
        let mut merged = defaults.clone();
        merge(&mut merged, user.clone());
        let config: Config = match toml::Value::Table(merged).try_into() {
            Ok(config) => config,
            Err(error) => {
                let error: toml::de::Error = error;
                let key = culprit(&defaults, &user).unwrap_or_else(|| "?".to_string());
                return Err(parse_error(format!("{key}: {}", error.message().trim())));
            }
        };
        config.validate(path)?;
        Ok(config)
    }

    /// Checks ranges and orderings; the first problem is returned with its key.
    pub fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |key: &str, reason: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            key: key.to_string(),
            reason,
        };
        let t = &self.trend;
        if !(0.0..=1.0).contains(&t.min_tau) || !(0.0..=1.0).contains(&t.clear_tau) {
            return Err(invalid(
                "trend.min_tau",
                "tau values must lie in 0..=1".into(),
            ));
        }
        if t.clear_tau > t.min_tau {
            return Err(invalid(
                "trend.clear_tau",
                format!("must not exceed trend.min_tau ({})", t.min_tau),
            ));
        }
        if t.min_z.is_nan() || t.min_z < 0.0 {
            return Err(invalid("trend.min_z", "must be 0 or more".into()));
        }
        if t.confirm_z < t.min_z {
            return Err(invalid(
                "trend.confirm_z",
                format!("must be at least trend.min_z ({})", t.min_z),
            ));
        }
        if t.recent_window_secs == 0 {
            return Err(invalid(
                "trend.recent_window_secs",
                "must be positive".into(),
            ));
        }
        if t.watch_min_samples < 3 || t.warmup_samples < 3 {
            return Err(invalid(
                "trend.watch_min_samples",
                "a trend needs at least 3 samples (also trend.warmup_samples)".into(),
            ));
        }
        if t.short_window_secs == 0 || t.long_window_secs < t.short_window_secs {
            return Err(invalid(
                "trend.long_window_secs",
                "windows must be positive and long_window_secs >= short_window_secs".into(),
            ));
        }
        if t.eta_crit_secs == 0 || t.eta_warn_secs < t.eta_crit_secs {
            return Err(invalid(
                "trend.eta_warn_secs",
                "must be positive and at least trend.eta_crit_secs".into(),
            ));
        }
        if t.persistence == 0 {
            return Err(invalid("trend.persistence", "must be at least 1".into()));
        }
        let percents = [
            ("fd_headroom", &self.fd_headroom),
            ("thread_headroom", &self.thread_headroom),
        ];
        for (section, h) in percents {
            check_percents(
                section,
                h.warn_percent,
                h.crit_percent,
                h.clear_margin_percent,
            )
            .map_err(|(key, reason)| invalid(&key, reason))?;
        }
        let m = &self.memory_growth;
        check_percents(
            "memory_growth",
            m.warn_percent,
            m.crit_percent,
            m.clear_margin_percent,
        )
        .map_err(|(key, reason)| invalid(&key, reason))?;
        let m = &self.map_count;
        check_percents(
            "map_count",
            m.warn_percent,
            m.crit_percent,
            m.clear_margin_percent,
        )
        .map_err(|(key, reason)| invalid(&key, reason))?;
        let p = &self.memory_pressure;
        for (key, v) in [
            ("memory_pressure.warn_some_avg10", p.warn_some_avg10),
            ("memory_pressure.crit_full_avg10", p.crit_full_avg10),
        ] {
            if !(0.0..=100.0).contains(&v) {
                return Err(invalid(key, "a PSI average lies in 0..=100".into()));
            }
        }
        if self.zombie_children.warn_count == 0
            || self.zombie_children.crit_count < self.zombie_children.warn_count
        {
            return Err(invalid(
                "zombie_children.crit_count",
                "warn_count must be positive and crit_count at least warn_count".into(),
            ));
        }
        if self.d_state.warn_secs == 0 || self.d_state.crit_secs < self.d_state.warn_secs {
            return Err(invalid(
                "d_state.crit_secs",
                "warn_secs must be positive and crit_secs at least warn_secs".into(),
            ));
        }
        if self.stall.window_secs == 0 || self.stall.min_censuses < 2 {
            return Err(invalid(
                "stall.min_censuses",
                "window_secs must be positive and min_censuses at least 2".into(),
            ));
        }
        let g = &self.goroutine_leak;
        for (key, v) in [
            ("goroutine_leak.min_level", g.min_level),
            ("goroutine_leak.min_rise", g.min_rise),
            ("goroutine_leak.min_rate_per_min", g.min_rate_per_min),
        ] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(invalid(key, "must be a number, 0 or more".into()));
            }
        }
        if !(g.max_goroutines.is_finite() && g.max_goroutines > g.min_level) {
            return Err(invalid(
                "goroutine_leak.max_goroutines",
                format!("must be above goroutine_leak.min_level ({})", g.min_level),
            ));
        }
        if g.stack_bytes == 0 {
            return Err(invalid(
                "goroutine_leak.stack_bytes",
                "must be positive".into(),
            ));
        }
        if self.close_wait.warn_count == 0 {
            return Err(invalid("close_wait.warn_count", "must be positive".into()));
        }
        Ok(())
    }
}

fn check_percents(
    section: &str,
    warn: f64,
    crit: f64,
    margin: f64,
) -> Result<(), (String, String)> {
    for (key, v) in [("warn_percent", warn), ("crit_percent", crit)] {
        if !(v > 0.0 && v <= 100.0) {
            return Err((format!("{section}.{key}"), "must lie in (0, 100]".into()));
        }
    }
    if crit < warn {
        return Err((
            format!("{section}.crit_percent"),
            format!("must be at least warn_percent ({warn})"),
        ));
    }
    if !(0.0..warn).contains(&margin) {
        return Err((
            format!("{section}.clear_margin_percent"),
            "must be 0 or more and below warn_percent".into(),
        ));
    }
    Ok(())
}

/// The first `section.key` of `user` that alone makes the defaults fail to deserialize (a type
/// error or an unknown name), so the error can name it.
fn culprit(defaults: &toml::Table, user: &toml::Table) -> Option<String> {
    for (section, value) in user {
        let fails = |overlay: toml::Table| {
            let mut trial = defaults.clone();
            merge(&mut trial, overlay);
            toml::Value::Table(trial).try_into::<Config>().is_err()
        };
        let toml::Value::Table(keys) = value else {
            return Some(section.clone());
        };
        if !defaults.contains_key(section) {
            return Some(section.clone());
        }
        for (key, v) in keys {
            let mut inner = toml::Table::new();
            inner.insert(key.clone(), v.clone());
            let mut overlay = toml::Table::new();
            overlay.insert(section.clone(), toml::Value::Table(inner));
            if fails(overlay) {
                return Some(format!("{section}.{key}"));
            }
        }
    }
    None
}

/// Recursively lays `overlay` over `base`; tables merge, anything else replaces.
fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(base_table)), toml::Value::Table(over_table)) => {
                merge(base_table, over_table)
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Reads a configuration file (healthtop's, or `serve`'s web config and its certificates): a
/// regular file of at most [`MAX_CONFIG_BYTES`] of UTF-8 text, checked on the opened
/// descriptor (opened without blocking, so a FIFO is refused, not waited on) and read with
/// that cap.
pub fn read_config_text(path: &Path) -> Result<String, ConfigError> {
    use std::io::Read;
    let read_error = |source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    };
    let refuse = |reason: &str| ConfigError::Refused {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let file = crate::safe_file::open_for_reading(path).map_err(read_error)?;
    let meta = file.metadata().map_err(read_error)?;
    if !meta.is_file() {
        return Err(refuse("not a regular file"));
    }
    let too_large = || refuse(&format!("larger than {} KiB", MAX_CONFIG_BYTES / 1024));
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|_| refuse("not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml_str(text, Path::new("test.toml"))
    }

    #[test]
    fn embedded_defaults_are_valid() {
        let config = Config::default();
        assert_eq!(config.fd_headroom.crit_percent, 95.0);
        assert_eq!(config.trend.watch_min_samples, 10);
    }

    #[test]
    fn a_partial_file_changes_only_its_keys() {
        let config = parse("[fd_headroom]\nwarn_percent = 70.0\n").expect("valid");
        assert_eq!(config.fd_headroom.warn_percent, 70.0);
        assert_eq!(config.fd_headroom.crit_percent, 95.0);
        assert_eq!(config.stall, Config::default().stall);
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_key() {
        let error = parse("[fd_headroom]\nwarn_percnt = 70.0\n").expect_err("typo");
        let text = error.to_string();
        assert!(text.contains("warn_percnt"), "{text}");
        assert!(text.contains("test.toml"), "{text}");
        let error = parse("[fd_headrom]\nwarn_percent = 70.0\n").expect_err("typo");
        assert!(error.to_string().contains("fd_headrom"), "{error}");
    }

    #[test]
    fn wrong_types_and_bad_syntax_are_errors() {
        assert!(parse("[d_state]\nwarn_secs = \"soon\"\n").is_err());
        assert!(parse("[d_state\n").is_err());
    }

    #[test]
    fn out_of_range_values_are_errors_naming_the_key() {
        let error = parse("[fd_headroom]\nwarn_percent = 99.0\n").expect_err("warn > crit");
        assert!(
            error.to_string().contains("fd_headroom.crit_percent"),
            "{error}"
        );
        let error = parse("[trend]\nmin_tau = 1.5\n").expect_err("tau > 1");
        assert!(error.to_string().contains("trend.min_tau"), "{error}");
        let error = parse("[trend]\npersistence = 0\n").expect_err("zero");
        assert!(error.to_string().contains("trend.persistence"), "{error}");
        let error = parse("[trend]\nconfirm_z = 1.0\n").expect_err("below min_z");
        assert!(error.to_string().contains("trend.confirm_z"), "{error}");
        let error = parse("[trend]\nrecent_window_secs = 0\n").expect_err("zero");
        assert!(
            error.to_string().contains("trend.recent_window_secs"),
            "{error}"
        );
    }
}
