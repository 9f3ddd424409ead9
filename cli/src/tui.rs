//! The terminal UI.

pub async fn run(_dir: &std::path::Path) -> Result<(), String> {
    Err("not yet".into())
}
