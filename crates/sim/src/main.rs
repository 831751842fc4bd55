//! `jobfetch-sim`: runs the fake DESaccess server until Ctrl-C.

use std::time::Duration;

use clap::Parser;
use jobfetch_sim::{demo, Sim, SimConfig};

/// A local fake of the DESaccess archive (API and file server).
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Lifetime of issued tokens, in seconds.
    #[arg(long, default_value_t = SimConfig::default().token_ttl.as_secs())]
    token_ttl: u64,
    /// Seed for the demo positions, pixels and tokens.
    #[arg(long, default_value_t = SimConfig::default().seed)]
    seed: u64,
    /// Delay added to every API and file request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let config = SimConfig {
        port: args.port,
        token_ttl: Duration::from_secs(args.token_ttl),
        seed: args.seed,
    };
    let sim = Sim::start(config).await?;
    sim.faults()
        .set_global_delay(Duration::from_millis(args.delay_ms));
    println!("desaccess api: {}", sim.desaccess_api_url());
    println!("desaccess files: {}", sim.desaccess_files_url());
    println!(
        "demo login: {} / {} (database {})",
        demo::USERNAME,
        demo::PASSWORD,
        demo::DATABASE
    );
    tokio::signal::ctrl_c().await?;
    sim.shutdown().await;
    Ok(())
}
