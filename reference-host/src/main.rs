//! `wopi-reference-host`: see [`wopi_reference_host::cli`].

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    wopi_reference_host::cli::init_tracing();
    wopi_reference_host::cli::cli_main(wopi_reference_host::cli::HostArgs::parse()).await
}
