//! Command-line flags, each with an environment fallback (DESIGN.md section 5).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LlmKind {
    /// The deterministic offline model.
    Builtin,
    /// Any OpenAI-compatible `/v1/chat/completions` server.
    Openai,
}

#[derive(Debug, Clone, Parser)]
#[command(name = "confab", version, about = "Confab: a self-hosted LLM chat server")]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "CONFAB_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Where chats are stored: sqlite://path (created if missing) or postgres://...
    #[arg(long, env = "CONFAB_DATABASE_URL", default_value = "sqlite://data/confab.db")]
    pub database_url: String,

    /// Which model answers.
    #[arg(long, env = "CONFAB_LLM", value_enum, default_value_t = LlmKind::Builtin)]
    pub llm: LlmKind,

    /// Base URL of the OpenAI-compatible API, up to and including /v1.
    #[arg(long, env = "CONFAB_OPENAI_BASE_URL", default_value = "https://api.openai.com/v1")]
    pub openai_base_url: String,

    /// API key for the OpenAI-compatible server (Ollama and llama.cpp need none).
    #[arg(long, env = "CONFAB_OPENAI_API_KEY", hide_env_values = true)]
    pub openai_api_key: Option<String>,

    /// Model name to ask the OpenAI-compatible server for.
    #[arg(long, env = "CONFAB_MODEL", default_value = "gpt-4o-mini")]
    pub model: String,

    /// Seconds to wait for the model server's first answer and between two streamed chunks.
    #[arg(long, env = "CONFAB_OPENAI_TIMEOUT_SECS", default_value_t = 60)]
    pub openai_timeout_secs: u64,

    /// A TOML file of model providers and more (DESIGN.md section 7; see confab.example.toml).
    #[arg(long, env = "CONFAB_CONFIG")]
    pub config: Option<PathBuf>,

    /// The context length the built-in model reports, in tokens (a small one shows the
    /// context window at work in a short conversation).
    #[arg(long, env = "CONFAB_BUILTIN_CONTEXT_LENGTH", default_value_t = confab_llm::BuiltinModel::DEFAULT_CONTEXT_LENGTH)]
    pub builtin_context_length: u32,

    /// Milliseconds between two tokens of the built-in model.
    #[arg(long, env = "CONFAB_BUILTIN_TOKEN_DELAY_MS", default_value_t = 30)]
    pub builtin_token_delay_ms: u64,

    /// A folder the read_file and list_directory tools may read; those tools are off when unset.
    #[arg(long, env = "CONFAB_WORKSPACE_DIR")]
    pub workspace_dir: Option<PathBuf>,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "CONFAB_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Largest file `POST /api/contexts/import` accepts, in bytes (and what a zip may unpack to).
    #[arg(long, env = "CONFAB_MAX_IMPORT_BYTES", default_value_t = 200 * 1024 * 1024)]
    pub max_import_bytes: usize,

    /// Largest file one upload may be, in bytes.
    #[arg(long, env = "CONFAB_MAX_ATTACHMENT_BYTES", default_value_t = 20 * 1024 * 1024)]
    pub max_attachment_bytes: usize,

    /// Most files one message may carry.
    #[arg(long, env = "CONFAB_MAX_ATTACHMENTS_PER_MESSAGE", default_value_t = app::wire::DEFAULT_MAX_ATTACHMENTS_PER_MESSAGE)]
    pub max_attachments_per_message: usize,

    /// Most bytes one person's files may take (each distinct file counted once).
    #[arg(long, env = "CONFAB_MAX_ATTACHMENT_BYTES_PER_USER", default_value_t = 1024 * 1024 * 1024)]
    pub max_attachment_bytes_per_user: u64,

    /// Images with a longer side are scaled down to it, in pixels (what a vision model gets).
    #[arg(long, env = "CONFAB_MAX_IMAGE_SIDE", default_value_t = 2048)]
    pub max_image_side: u32,

    /// Longest message accepted, in characters.
    #[arg(long, env = "CONFAB_MAX_MESSAGE_CHARS", default_value_t = app::limits::DEFAULT_MAX_MESSAGE_CHARS)]
    pub max_message_chars: usize,

    /// Milliseconds between two saves of a reply that is streaming.
    #[arg(long, env = "CONFAB_STREAM_SAVE_INTERVAL_MS", default_value_t = 250)]
    pub stream_save_interval_ms: u64,

    /// Seconds that shutdown waits for running work before it exits anyway.
    #[arg(long, env = "CONFAB_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,

    /// Whether anyone may create an account (else: nobody but the first). It sets the first
    /// registration mode only: once the server has stored one (administrators change it at
    /// run time, `PUT /api/admin/registration`), the stored one wins.
    #[arg(long, env = "CONFAB_OPEN_REGISTRATION", default_value_t = true, action = clap::ArgAction::Set)]
    pub open_registration: bool,

    /// How long a sign-in lasts, in hours.
    #[arg(long, env = "CONFAB_SESSION_TTL_HOURS", default_value_t = 24 * 30)]
    pub session_ttl_hours: u32,

    /// Mark the session cookie Secure even without `X-Forwarded-Proto: https` (behind TLS).
    #[arg(long, env = "CONFAB_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// Reads (polling, lists, streams) per minute per user; twice that per IP. 0 turns it off.
    #[arg(long, env = "CONFAB_RATE_LIMIT_READS", default_value_t = 600)]
    pub rate_limit_reads: u32,

    /// Actions (anything that changes state) per minute per user; twice that per IP. 0 turns it off.
    #[arg(long, env = "CONFAB_RATE_LIMIT_ACTIONS", default_value_t = 120)]
    pub rate_limit_actions: u32,

    /// Sign-in and sign-up attempts per minute per IP and per username. 0 turns it off.
    #[arg(long, env = "CONFAB_RATE_LIMIT_SIGN_IN", default_value_t = 10)]
    pub rate_limit_sign_in: u32,

    /// Seconds a client may leave the server's writes unread before it is disconnected: a
    /// frozen tab or a dead peer cannot hold a connection and its buffers for ever.
    #[arg(long, env = "CONFAB_WRITE_TIMEOUT_SECS", default_value_t = 30)]
    pub write_timeout_secs: u64,

    /// Seconds after its last use that a conversation is dropped from memory (it loads
    /// again from the database when next used).
    #[arg(long, env = "CONFAB_UNLOAD_IDLE_SECS", default_value_t = 300)]
    pub unload_idle_secs: u64,

    /// Seconds a process's claim on a conversation it works on lasts unless renewed (renewed
    /// every third of that): after a crash, how long until another process sharing the
    /// database recovers the conversation.
    #[arg(long, env = "CONFAB_LEASE_SECS", default_value_t = 15)]
    pub lease_secs: u64,

    /// Behind a reverse proxy: count per-IP rate limits by the rightmost `X-Forwarded-For`
    /// entry (the address the proxy saw) instead of the proxy's own address. Only turn this
    /// on when every request comes through a proxy that sets that header: otherwise a
    /// client could name any address it likes.
    #[arg(long, env = "CONFAB_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,

    /// Folder of the built site (wasm, CSS); cargo-leptos sets LEPTOS_SITE_ROOT.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,
}

impl Config {
    /// The defaults, as if started with no flags and no environment: what tests start from.
    pub fn for_tests(database_url: impl Into<String>) -> Self {
        let mut config = Config::parse_from(["confab"]);
        config.database_url = database_url.into();
        config.addr = "127.0.0.1:0".parse().expect("valid address");
        config.builtin_token_delay_ms = 0;
        config.llm = LlmKind::Builtin;
        config.workspace_dir = None;
        config.config = None;
        // Tests poll freely; the rate-limit tests turn limits back on.
        config.rate_limit_reads = 0;
        config.rate_limit_actions = 0;
        config.rate_limit_sign_in = 0;
        config
    }
}
