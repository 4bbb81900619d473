//! Runs the mock on its own: `cargo run -p wopi-mock-office --example standalone -- 127.0.0.1:8500`.
//! (`wopi-conformance office --listen ADDR` does the same from the harness binary.)

use std::net::SocketAddr;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listen: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8500".to_string())
        .parse()?;
    wopi_mock_office::run_standalone(listen).await?;
    Ok(())
}
