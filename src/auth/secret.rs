//! Where the HS256 secret comes from: configuration, or (embedded default only) a random one
//! generated once and kept in the data directory.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use rand::RngCore;

use crate::config::Config;

pub fn load_or_create_secret(config: &Config) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = &config.jwt_secret {
        if secret.0.len() < 32 {
            bail!("CADRE_HEALTH_JWT_SECRET must be at least 32 characters");
        }
        return Ok(secret.0.as_bytes().to_vec());
    }
    if !config.is_embedded() {
        bail!("set CADRE_HEALTH_JWT_SECRET: only the embedded SQLite default generates its own");
    }
    let path = config.data_dir.join("jwt-secret");
    if path.exists() {
        let secret =
            fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        return Ok(secret.trim().as_bytes().to_vec());
    }
    create(&path)
}

fn create(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(secret.as_bytes())?;
    Ok(secret.into_bytes())
}
