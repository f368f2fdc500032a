//! `healthtop rules [--markdown]`: the rule catalogue from the registry, with the thresholds of
//! the config in force (defaults, the XDG file or `--config`).

use crate::cli::RulesArgs;
use crate::config::{Config, ConfigError};
use crate::exit::{CliError, ExitCode};
use crate::rules;
use std::path::Path;

impl From<ConfigError> for CliError {
    fn from(error: ConfigError) -> Self {
        CliError::new(ExitCode::BadInput, error.to_string())
    }
}

pub fn run(args: &RulesArgs, config_path: Option<&Path>) -> Result<(), CliError> {
    let config = Config::load(config_path)?;
    let text = if args.markdown {
        rules::catalogue_markdown(&config)
    } else {
        rules::catalogue_text(&config)
    };
    super::write_stdout(&text)
}
