//! `clearchat demo`: the story of DESIGN.md section 1 with three in-process clients on loopback.

pub async fn run() -> Result<(), String> {
    Err("not yet".into())
}
