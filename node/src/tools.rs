//! Locates the pinned external tools (`tools/bin/<name>`, installed by `make tools`).

use std::path::{Path, PathBuf};

/// A required tool is not installed.
#[derive(Debug, thiserror::Error)]
#[error(
    "{name} not found (looked in {looked}); run `make tools` (tools/setup.sh) or set ARCANUM_TOOLS_DIR to the folder holding bin/{name}"
)]
pub struct ToolNotFound {
    name: String,
    looked: String,
}

/// Finds `name`: `$ARCANUM_TOOLS_DIR/bin`, then `tools/bin` above the current directory or
/// the executable, then `PATH`.
pub fn find(name: &str) -> Result<PathBuf, ToolNotFound> {
    let mut looked = Vec::new();
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(dir) = std::env::var_os("ARCANUM_TOOLS_DIR") {
        candidates.push(PathBuf::from(dir).join("bin").join(name));
    }
    let mut roots = Vec::new();
    if let Ok(cwd) = std::env::current_dir() {
        roots.push(cwd);
    }
    if let Ok(exe) = std::env::current_exe() {
        roots.push(exe);
    }
    roots.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    for root in roots {
        for dir in root.ancestors() {
            candidates.push(dir.join("tools/bin").join(name));
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|p| p.join(name)));
    }
    for c in candidates {
        if is_executable(&c) {
            return Ok(c);
        }
        looked.push(c.display().to_string());
    }
    looked.truncate(4);
    Err(ToolNotFound {
        name: name.into(),
        looked: looked.join(", ") + ", ...",
    })
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_tool_names_the_fix() {
        let err = find("definitely-not-a-real-tool-xyz").expect_err("missing");
        assert!(err.to_string().contains("make tools"));
    }
}
