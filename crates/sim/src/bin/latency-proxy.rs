//! `latency-proxy`: a TCP proxy adding a fixed delay each way, for benchmarks; its first stdout line is the address it listens on.

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use jobfetch_sim::latency_proxy::LatencyProxy;

/// Relays TCP connections to a target, every chunk delayed by --delay-ms in each direction (a round
/// trip costs twice that), connections and chunks in parallel as on a long network path.
///
/// The first line on stdout is the address it listens on; on Ctrl-C (SIGINT) it prints, as its last
/// line, what it relayed as JSON: {"connections": n, "bytes_to_target": n, "bytes_from_target": n}.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Address every connection is relayed to, e.g. the sim's 127.0.0.1:PORT.
    #[arg(long)]
    to: SocketAddr,
    /// Delay added in each direction, in milliseconds.
    #[arg(long, default_value_t = 20)]
    delay_ms: u64,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let proxy =
        LatencyProxy::start(args.listen, args.to, Duration::from_millis(args.delay_ms)).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", proxy.addr())?;
    out.flush()?;
    tokio::signal::ctrl_c().await?;
    writeln!(out, "{}", serde_json::to_string(&proxy.stop())?)?;
    out.flush()
}
