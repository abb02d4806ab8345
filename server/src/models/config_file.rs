//! The optional config file (`--config`, `CONFAB_CONFIG`; TOML, DESIGN.md section 7): the
//! model providers, and the sections later parts of the server read (`mcp_servers`,
//! `oidc`). A file with an error is refused at start, with the line it is on.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

/// The name Confab's offline model always has.
pub const BUILTIN: &str = "builtin";
/// The name of the provider the `--llm openai` flags make.
pub const FLAG_PROVIDER: &str = "openai";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The model new conversations use unless a user chose their own: `provider/model`.
    #[serde(default)]
    pub default_model: Option<Spanned<String>>,
    #[serde(default)]
    pub providers: Vec<ProviderConfig>,
    /// The MCP tool servers (see [`confab_mcp::ServerConfig`]).
    #[serde(default)]
    pub mcp_servers: Vec<Spanned<confab_mcp::ServerConfig>>,
    /// Single sign-on (see [`OidcConfig`]).
    #[serde(default)]
    pub oidc: Option<Spanned<OidcConfig>>,
}

/// The `[oidc]` table: an OpenID Connect provider people sign in with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The provider's issuer URL (its discovery document is under it).
    pub issuer: String,
    pub client_id: String,
    /// The environment variable that holds the client secret (never the file).
    #[serde(default)]
    pub client_secret_env: Option<String>,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The claim a new account's username comes from.
    #[serde(default = "default_username_claim")]
    pub username_claim: String,
    /// The claim that lists a person's groups, for the two rules below.
    #[serde(default)]
    pub groups_claim: Option<String>,
    /// Only members of this group get in.
    #[serde(default)]
    pub required_group: Option<String>,
    /// Members of this group are administrators.
    #[serde(default)]
    pub admin_group: Option<String>,
    /// Whether people may still sign in (and up) with a password.
    #[serde(default = "yes")]
    pub password_login: bool,
}

fn default_scopes() -> Vec<String> {
    ["openid", "profile", "email"].map(String::from).to_vec()
}

fn default_username_claim() -> String {
    "preferred_username".into()
}

fn yes() -> bool {
    true
}

/// Single sign-on as the server runs it: the `[oidc]` table, checked, with its secret.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    pub config: OidcConfig,
    pub client_secret: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    pub name: Spanned<String>,
    /// Up to and including `/v1`.
    pub base_url: Spanned<String>,
    /// The environment variable that holds the API key (the key itself is never in the file).
    #[serde(default)]
    pub api_key_env: Option<Spanned<String>>,
    /// Only these models; default: whatever the server's `/v1/models` lists.
    #[serde(default)]
    pub models: Option<Vec<String>>,
    /// Tokens of context per model, where the server does not say or says wrong.
    #[serde(default)]
    pub context_length: HashMap<String, u32>,
    /// Models that take images.
    #[serde(default)]
    pub vision: Vec<String>,
}

/// Why the config file was refused.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigFileError {
    pub path: String,
    pub message: String,
}

/// A provider as the file describes it, checked, with its key read from the environment.
#[derive(Debug, Clone)]
pub struct ProviderSetup {
    pub name: String,
    pub base_url: String,
    pub api_key: Option<String>,
    pub models: Option<Vec<String>>,
    pub context_length: HashMap<String, u32>,
    pub vision: Vec<String>,
}

/// What the file sets, checked.
#[derive(Debug, Default)]
pub struct Loaded {
    pub default_model: Option<String>,
    pub providers: Vec<ProviderSetup>,
    pub file: ConfigFile,
    oidc: Option<OidcSettings>,
}

/// Reads and checks the file; `env` looks up environment variables (the process's own in
/// the server, a map in tests).
pub fn load(path: &Path, env: impl Fn(&str) -> Option<String>) -> Result<Loaded, ConfigFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigFileError { path: shown.clone(), message: format!("cannot read it: {e}") })?;
    parse(&text, env).map_err(|message| ConfigFileError { path: shown, message })
}

/// Parses and checks the text of a config file. Errors name the line.
pub fn parse(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Loaded, String> {
    let file: ConfigFile = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
    let at = |span: Range<usize>, message: String| format!("line {}: {message}", line_of(text, span.start));
    let mut providers: Vec<ProviderSetup> = Vec::new();
    for provider in &file.providers {
        let name = provider.name.get_ref();
        if !valid_name(name) {
            let message = format!("provider name {name:?} must be 1 to 40 of a-z, 0-9, _ and -");
            return Err(at(provider.name.span(), message));
        }
        if name == BUILTIN {
            return Err(at(provider.name.span(), format!("the provider name {BUILTIN:?} is reserved")));
        }
        if providers.iter().any(|p| p.name == *name) {
            return Err(at(provider.name.span(), format!("a second provider is named {name:?}")));
        }
        let base_url = provider.base_url.get_ref().trim_end_matches('/').to_string();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            let message = format!("base_url of {name:?} must start with http:// or https://");
            return Err(at(provider.base_url.span(), message));
        }
        let api_key = match &provider.api_key_env {
            None => None,
            Some(var) => match env(var.get_ref()).filter(|k| !k.is_empty()) {
                Some(key) => Some(key),
                None => {
                    let message =
                        format!("the environment variable {:?} (api_key_env of {name:?}) is not set", var.get_ref());
                    return Err(at(var.span(), message));
                }
            },
        };
        providers.push(ProviderSetup {
            name: name.clone(),
            base_url,
            api_key,
            models: provider.models.clone(),
            context_length: provider.context_length.clone(),
            vision: provider.vision.clone(),
        });
    }
    let default_model = match &file.default_model {
        None => None,
        Some(model) => {
            let known = model.get_ref().split_once('/').is_some_and(|(provider, name)| {
                !name.is_empty()
                    && (provider == BUILTIN
                        || provider == FLAG_PROVIDER
                        || providers.iter().any(|p| p.name == provider))
            });
            if !known {
                let message = format!(
                    "default_model {:?} must be provider/model with a provider this file or the flags name",
                    model.get_ref()
                );
                return Err(at(model.span(), message));
            }
            Some(model.get_ref().clone())
        }
    };
    for (n, server) in file.mcp_servers.iter().enumerate() {
        server.get_ref().check().map_err(|message| at(server.span(), message))?;
        if file.mcp_servers[..n].iter().any(|other| other.get_ref().name == server.get_ref().name) {
            return Err(at(server.span(), format!("a second MCP server is named {:?}", server.get_ref().name)));
        }
    }
    let oidc = match &file.oidc {
        None => None,
        Some(oidc) => Some(check_oidc(oidc.get_ref(), &env).map_err(|message| at(oidc.span(), message))?),
    };
    Ok(Loaded { default_model, providers, file, oidc })
}

fn check_oidc(oidc: &OidcConfig, env: &impl Fn(&str) -> Option<String>) -> Result<OidcSettings, String> {
    if !(oidc.issuer.starts_with("https://") || oidc.issuer.starts_with("http://")) {
        return Err("[oidc] issuer must start with https:// (or http:// for a provider on this machine)".into());
    }
    if oidc.client_id.trim().is_empty() {
        return Err("[oidc] client_id must not be empty".into());
    }
    if !oidc.scopes.iter().any(|scope| scope == "openid") {
        return Err("[oidc] scopes must include \"openid\"".into());
    }
    if oidc.groups_claim.is_none() && (oidc.required_group.is_some() || oidc.admin_group.is_some()) {
        return Err("[oidc] required_group and admin_group need groups_claim".into());
    }
    let client_secret = match &oidc.client_secret_env {
        None => None,
        Some(var) => Some(
            env(var)
                .filter(|secret| !secret.is_empty())
                .ok_or_else(|| format!("the environment variable {var:?} (client_secret_env of [oidc]) is not set"))?,
        ),
    };
    Ok(OidcSettings { config: oidc.clone(), client_secret })
}

impl Loaded {
    /// Single sign-on, if the file configures it.
    pub fn oidc(&self) -> Option<OidcSettings> {
        self.oidc.clone()
    }

    /// The MCP servers the file configures, checked.
    pub fn mcp_servers(&self) -> Vec<confab_mcp::ServerConfig> {
        self.file.mcp_servers.iter().map(|s| s.get_ref().clone()).collect()
    }
}

fn valid_name(name: &str) -> bool {
    (1..=40).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].bytes().filter(|&b| b == b'\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "LOCAL_KEY").then(|| "sk-secret".to_string())
    }

    const GOOD: &str = r#"
default_model = "local/llama3.1"

[[providers]]
name = "local"
base_url = "http://127.0.0.1:11434/v1/"
api_key_env = "LOCAL_KEY"
models = ["llama3.1"]
context_length = { "llama3.1" = 8192 }
vision = ["llava"]

[[providers]]
name = "router"
base_url = "https://openrouter.ai/api/v1"
"#;

    #[test]
    fn a_good_file_gives_its_providers_with_their_keys_from_the_environment() {
        let loaded = parse(GOOD, env).unwrap();
        assert_eq!(loaded.default_model.as_deref(), Some("local/llama3.1"));
        let local = &loaded.providers[0];
        assert_eq!((local.name.as_str(), local.base_url.as_str()), ("local", "http://127.0.0.1:11434/v1"));
        assert_eq!(local.api_key.as_deref(), Some("sk-secret"));
        assert_eq!(local.context_length["llama3.1"], 8192);
        assert_eq!(loaded.providers[1].api_key, None);
    }

    #[test]
    fn every_mistake_is_refused_naming_its_line() {
        let cases = [
            ("[[providers]]\nname = \"Local\"\nbase_url = \"http://x/v1\"\n", "line 2", "must be 1 to 40"),
            ("[[providers]]\nname = \"builtin\"\nbase_url = \"http://x/v1\"\n", "line 2", "reserved"),
            (
                "[[providers]]\nname = \"a\"\nbase_url = \"http://x/v1\"\n[[providers]]\nname = \"a\"\nbase_url = \"http://y/v1\"\n",
                "line 5",
                "second provider",
            ),
            ("[[providers]]\nname = \"a\"\nbase_url = \"ftp://x\"\n", "line 3", "http://"),
            ("[[providers]]\nname = \"a\"\nbase_url = \"http://x/v1\"\napi_key_env = \"NOPE\"\n", "line 4", "NOPE"),
            ("default_model = \"elsewhere/m\"\n", "line 1", "default_model"),
            ("[[providers]]\nname = \"a\"\nbase_url = \"http://x/v1\"\ncolour = 1\n", "line 4", "colour"),
            ("[[providers]\nname = 1\n", "line 1", ""),
            ("[oidc]\nissuer = \"id.example\"\nclient_id = \"c\"\n", "line 1", "https://"),
            ("[oidc]\nissuer = \"https://id\"\nclient_id = \"c\"\nrequired_group = \"g\"\n", "line 1", "groups_claim"),
            ("[oidc]\nissuer = \"https://id\"\nclient_id = \"c\"\nclient_secret_env = \"NOPE\"\n", "line 1", "NOPE"),
            ("[oidc]\nissuer = \"https://id\"\nclient_id = \"c\"\nscopes = [\"profile\"]\n", "line 1", "openid"),
            ("[oidc]\nissuer = \"https://id\"\nclient_id = \"c\"\nsecret = \"x\"\n", "line 4", "secret"),
        ];
        for (text, line, words) in cases {
            let error = parse(text, env).unwrap_err();
            assert!(error.contains(line), "{error:?} should name {line}");
            assert!(error.contains(words), "{error:?} should say {words:?}");
        }
    }

    #[test]
    fn single_sign_on_takes_its_secret_from_the_environment_and_defaults_the_rest() {
        let text =
            "[oidc]\nissuer = \"https://id.example\"\nclient_id = \"confab\"\nclient_secret_env = \"LOCAL_KEY\"\n";
        let oidc = parse(text, env).unwrap().oidc().expect("set up");
        assert_eq!(oidc.client_secret.as_deref(), Some("sk-secret"));
        assert_eq!(oidc.config.scopes, ["openid", "profile", "email"]);
        assert_eq!(oidc.config.username_claim, "preferred_username");
        assert!(oidc.config.password_login);
        assert!(parse(GOOD, env).unwrap().oidc().is_none());
    }

    #[test]
    fn the_example_in_the_repository_is_a_good_file() {
        let example = include_str!("../../../confab.example.toml");
        let loaded = parse(example, |_| Some("a-key".to_string())).unwrap();
        let names: Vec<_> = loaded.providers.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["openai", "ollama", "llamacpp", "vllm", "openrouter"]);
        assert_eq!(loaded.default_model.as_deref(), Some("ollama/llama3.1"));
    }

    #[test]
    fn a_key_never_appears_in_an_error() {
        let text = "[[providers]]\nname = \"local\"\nbase_url = \"nope\"\napi_key_env = \"LOCAL_KEY\"\n";
        let error = parse(text, env).unwrap_err();
        assert!(!error.contains("sk-secret"), "{error}");
    }
}
