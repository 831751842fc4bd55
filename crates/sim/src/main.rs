//! `jobfetch-sim`: runs the fake DESaccess, MAST, UP42 and JDMA servers until Ctrl-C; its first stdout line is its [`Description`](jobfetch_sim::Description) as JSON.

use std::io::Write;
use std::time::Duration;

use clap::Parser;
use jobfetch_sim::demo::Endings;
use jobfetch_sim::jdma::JdmaConfig;
use jobfetch_sim::{Description, Sim, SimConfig};

/// A local fake of the DESaccess (API and file server), MAST, UP42 and JDMA archives.
///
/// The first line on stdout is one JSON object with each archive's addresses and demo account.
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
    /// Seconds after the start at which every demo job that is running ends (by default they end
    /// after 30 s, 45 s and 2 min; the description's desaccess.live_jobs and up42.live_jobs say which and when).
    #[arg(long, value_name = "SECS")]
    live_jobs_end_after: Option<u64>,
    /// How long each JDMA request stage lasts, in milliseconds of the sim's clock.
    #[arg(long, default_value_t = JdmaConfig::default().stage_interval.as_millis() as u64)]
    jdma_stage_ms: u64,
    /// About how many MiB the JDMA demo batch's large file has.
    #[arg(long, default_value_t = JdmaConfig::default().large_file_len >> 20)]
    jdma_large_file_mib: u64,
    /// Folder for JDMA's group workspaces (made if missing); by default a temporary one, removed on exit.
    #[arg(long, value_name = "DIR")]
    jdma_workspace_root: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let config = SimConfig {
        port: args.port,
        token_ttl: Duration::from_secs(args.token_ttl),
        seed: args.seed,
        live_jobs: args
            .live_jobs_end_after
            .map_or_else(Endings::default, |secs| {
                Endings::all_after(Duration::from_secs(secs))
            }),
        jdma: JdmaConfig {
            stage_interval: Duration::from_millis(args.jdma_stage_ms.max(1)),
            large_file_len: args.jdma_large_file_mib << 20,
            workspace_root: args.jdma_workspace_root,
        },
        ..SimConfig::default()
    };
    let sim = Sim::start(config).await?;
    sim.faults()
        .set_global_delay(Duration::from_millis(args.delay_ms));
    announce(&sim.description())?;
    tokio::signal::ctrl_c().await?;
    sim.shutdown().await;
    Ok(())
}

/// Prints the description as one JSON line for programs, flushed at once, then a few lines for people.
/// A client that closed the pipe after the first line must not stop the sim, so those later lines may fail.
fn announce(description: &Description) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", serde_json::to_string(description)?)?;
    out.flush()?;
    let (desaccess, mast, up42, jdma) = (
        &description.desaccess,
        &description.mast,
        &description.up42,
        &description.jdma,
    );
    let _ = writeln!(
        out,
        "DESaccess API {}, files {}\ndemo login: {} / {} (database {})\n\
         MAST {} (astroquery [mast] server), demo token {}, proposal {} {}\n\
         UP42 seed API {} (project {}, API key {}), current API {} (sign-in {}), account {} / {}\n\
         JDMA {} (jdma_client's JDMA_API_URL), user {}, workspace {} at {}\n\
         Ctrl-C stops the sim.",
        desaccess.api,
        desaccess.files,
        desaccess.username,
        desaccess.password,
        desaccess.database,
        mast.base,
        mast.token,
        mast.collection,
        mast.proposal,
        up42.base,
        up42.project_id,
        up42.api_key,
        up42.api_v2,
        up42.token_url,
        up42.username,
        up42.password,
        jdma.base,
        jdma.user,
        jdma.workspace,
        jdma.workspace_path
    )
    .and_then(|()| out.flush());
    Ok(())
}
