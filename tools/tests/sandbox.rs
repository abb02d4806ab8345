//! The file tools stay inside their workspace folder, whatever path the model sends.

use confab_tools::{ToolError, ToolRegistry, Workspace};
use serde_json::json;

struct Fixture {
    _outside: tempfile::TempDir,
    _workspace: tempfile::TempDir,
    registry: ToolRegistry,
}

fn fixture() -> Fixture {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "top secret").unwrap();
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(workspace.path().join("notes.txt"), "hello notes").unwrap();
    std::fs::create_dir(workspace.path().join("sub")).unwrap();
    std::fs::write(workspace.path().join("sub/inner.md"), "# inner").unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), workspace.path().join("escape.txt")).unwrap();
    std::os::unix::fs::symlink(outside.path(), workspace.path().join("escape_dir")).unwrap();
    std::os::unix::fs::symlink("notes.txt", workspace.path().join("inside_link.txt")).unwrap();
    let registry = ToolRegistry::standard(Some(Workspace::open(workspace.path()).unwrap()));
    Fixture { _outside: outside, _workspace: workspace, registry }
}

async fn read(f: &Fixture, path: &str) -> Result<String, ToolError> {
    f.registry.call("read_file", &json!({ "path": path })).await
}

#[tokio::test]
async fn files_inside_the_workspace_can_be_read_and_listed() {
    let f = fixture();
    assert_eq!(read(&f, "notes.txt").await.unwrap(), "hello notes");
    assert_eq!(read(&f, "./sub/inner.md").await.unwrap(), "# inner");
    assert_eq!(read(&f, "inside_link.txt").await.unwrap(), "hello notes", "a link that stays inside is fine");
    let listing = f.registry.call("list_directory", &json!({})).await.unwrap();
    assert!(listing.contains("notes.txt") && listing.contains("sub/"), "{listing}");
    let sub = f.registry.call("list_directory", &json!({"path": "sub"})).await.unwrap();
    assert_eq!(sub, "inner.md");
}

#[tokio::test]
async fn parent_directories_are_refused() {
    let f = fixture();
    for path in ["../secret.txt", "sub/../../secret.txt", ".."] {
        assert!(matches!(read(&f, path).await, Err(ToolError::Refused(_))), "{path}");
    }
    let listing = f.registry.call("list_directory", &json!({"path": ".."})).await;
    assert!(matches!(listing, Err(ToolError::Refused(_))));
}

#[tokio::test]
async fn absolute_paths_are_refused() {
    let f = fixture();
    assert!(matches!(read(&f, "/etc/passwd").await, Err(ToolError::Refused(_))));
    let listing = f.registry.call("list_directory", &json!({"path": "/"})).await;
    assert!(matches!(listing, Err(ToolError::Refused(_))));
}

#[tokio::test]
async fn symlinks_out_of_the_workspace_are_refused() {
    let f = fixture();
    let file = read(&f, "escape.txt").await;
    assert!(file.is_err(), "{file:?}");
    assert!(!format!("{file:?}").contains("top secret"));
    let through_dir = read(&f, "escape_dir/secret.txt").await;
    assert!(through_dir.is_err(), "{through_dir:?}");
    let listing = f.registry.call("list_directory", &json!({"path": "escape_dir"})).await;
    assert!(listing.is_err(), "{listing:?}");
}

#[tokio::test]
async fn bad_arguments_are_clear_errors() {
    let f = fixture();
    assert!(matches!(f.registry.call("read_file", &json!({})).await, Err(ToolError::InvalidArguments(_))));
    assert!(matches!(f.registry.call("read_file", &json!("x")).await, Err(ToolError::InvalidArguments(_))));
    assert!(matches!(read(&f, "missing.txt").await, Err(ToolError::Failed(_))));
    assert!(matches!(read(&f, "sub").await, Err(ToolError::Failed(_))));
    assert!(matches!(f.registry.call("nope", &json!({})).await, Err(ToolError::Unknown(_))));
}

#[tokio::test]
async fn without_a_workspace_there_are_no_file_tools() {
    let tools = ToolRegistry::standard(None).all();
    let names: Vec<_> = tools.iter().map(|t| t.name()).collect();
    assert_eq!(names, vec!["current_time", "calculator"]);
    assert!(tools.iter().all(|t| t.approval().effective(None) == confab_core::ToolPolicy::Ask));
    for tool in &tools {
        assert_eq!(tool.parameters()["type"], "object", "{} declares an object schema", tool.name());
    }
}

#[tokio::test]
async fn the_clock_and_the_calculator_answer() {
    let registry = ToolRegistry::standard(None);
    let time = registry.call("current_time", &json!({})).await.unwrap();
    assert!(time.ends_with("UTC"), "{time}");
    assert_eq!(registry.call("calculator", &json!({"expression": "2*(3+4)"})).await.unwrap(), "14");
}
