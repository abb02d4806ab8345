//! `read_file` and `list_directory`, confined to one workspace folder.
//!
//! Confinement is cap-std's: every path is opened relative to a directory handle and any
//! way out (`..`, an absolute path, a symlink pointing outside) is refused by the library,
//! not by string checks. The checks here only make the common refusals easy to read.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use cap_std::ambient_authority;
use cap_std::fs::Dir;
use serde_json::{json, Value};

use crate::{object, string_arg, Tool, ToolError};

const MAX_FILE_BYTES: u64 = 256 * 1024;
const MAX_ENTRIES: usize = 500;

/// The folder the file tools may read.
#[derive(Clone)]
pub struct Workspace {
    dir: Arc<Dir>,
    root: PathBuf,
}

impl Workspace {
    pub fn open(root: &Path) -> std::io::Result<Self> {
        let dir = Dir::open_ambient_dir(root, ambient_authority())?;
        Ok(Workspace { dir: Arc::new(dir), root: root.to_path_buf() })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A relative path inside the workspace, or a refusal that says why.
    fn relative(raw: &str) -> Result<PathBuf, ToolError> {
        let path = Path::new(raw.trim());
        if path.is_absolute() || raw.starts_with('/') || raw.starts_with('\\') {
            return Err(ToolError::Refused("absolute paths are not allowed; use a path inside the workspace".into()));
        }
        if path.components().any(|c| matches!(c, Component::ParentDir)) {
            return Err(ToolError::Refused("paths may not contain `..`".into()));
        }
        let cleaned: PathBuf = path.components().filter(|c| matches!(c, Component::Normal(_))).collect();
        Ok(if cleaned.as_os_str().is_empty() { PathBuf::from(".") } else { cleaned })
    }
}

fn io_error(path: &Path, error: std::io::Error) -> ToolError {
    match error.kind() {
        std::io::ErrorKind::NotFound => ToolError::Failed(format!("{} does not exist", path.display())),
        std::io::ErrorKind::PermissionDenied => {
            ToolError::Refused(format!("{} is outside the workspace or not readable", path.display()))
        }
        _ => ToolError::Refused(format!("{} cannot be read: {error}", path.display())),
    }
}

pub struct ReadFile(pub Workspace);

#[async_trait]
impl Tool for ReadFile {
    fn name(&self) -> &'static str {
        "read_file"
    }
    fn description(&self) -> &'static str {
        "Reads a UTF-8 text file from the workspace folder."
    }
    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": { "path": { "type": "string", "description": "Path relative to the workspace" } },
            "required": ["path"],
            "additionalProperties": false
        })
    }
    async fn call(&self, arguments: &Value) -> Result<String, ToolError> {
        let path = Workspace::relative(string_arg(arguments, "path")?)?;
        let dir = self.0.dir.clone();
        tokio::task::spawn_blocking(move || {
            let metadata = dir.metadata(&path).map_err(|e| io_error(&path, e))?;
            if !metadata.is_file() {
                return Err(ToolError::Failed(format!("{} is not a file", path.display())));
            }
            if metadata.len() > MAX_FILE_BYTES {
                return Err(ToolError::Refused(format!(
                    "{} is {} bytes; the limit is {MAX_FILE_BYTES}",
                    path.display(),
                    metadata.len()
                )));
            }
            let bytes = dir.read(&path).map_err(|e| io_error(&path, e))?;
            String::from_utf8(bytes).map_err(|_| ToolError::Failed(format!("{} is not UTF-8 text", path.display())))
        })
        .await
        .map_err(|e| ToolError::Failed(format!("the read did not finish: {e}")))?
    }
}

pub struct ListDirectory(pub Workspace);

#[async_trait]
impl Tool for ListDirectory {
    fn name(&self) -> &'static str {
        "list_directory"
    }
    fn description(&self) -> &'static str {
        "Lists a folder of the workspace: one entry a line, folders ending in /."
    }
    fn parameters(&self) -> Value {
        json!({
            "type": "object",
            "properties": { "path": { "type": "string", "description": "Folder relative to the workspace; . for its top" } },
            "additionalProperties": false
        })
    }
    async fn call(&self, arguments: &Value) -> Result<String, ToolError> {
        let raw = object(arguments)?.get("path").and_then(Value::as_str).unwrap_or(".");
        let path = Workspace::relative(raw)?;
        let dir = self.0.dir.clone();
        tokio::task::spawn_blocking(move || {
            let entries = dir.read_dir(&path).map_err(|e| io_error(&path, e))?;
            let mut lines = Vec::new();
            for entry in entries {
                let entry = entry.map_err(|e| io_error(&path, e))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
                lines.push(if is_dir { format!("{name}/") } else { name });
            }
            lines.sort();
            let total = lines.len();
            lines.truncate(MAX_ENTRIES);
            if total > MAX_ENTRIES {
                lines.push(format!("… and {} more", total - MAX_ENTRIES));
            }
            Ok(if lines.is_empty() { "(empty)".to_string() } else { lines.join("\n") })
        })
        .await
        .map_err(|e| ToolError::Failed(format!("the listing did not finish: {e}")))?
    }
}
