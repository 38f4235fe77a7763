//! The `agg` command line: parses arguments, loads the config, runs the library, maps outcomes
//! to exit codes (0 clean, 1 some source or page failed, 2 bad config or command line).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};

use agg::app::{self, Context};
use agg::config::{self, Config};

#[derive(Parser)]
#[command(
    name = "agg",
    version,
    about = "News aggregator: sources in, Hugo Markdown and feeds out"
)]
struct Cli {
    /// More log output (-v debug, -vv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Only warnings and errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Log format on stderr: text (default) or json (one object per line).
    #[arg(long, global = true, env = "AGG_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run sources once, write new and changed articles and feeds, print a summary.
    FetchOnce {
        /// Config file (default: $AGG_CONFIG or config/agg.yaml).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Only this source (repeatable).
        #[arg(long = "source")]
        sources: Vec<String>,
        /// text (a line per source and per failed page) or json (the run report as one object).
        #[arg(long, default_value = "text", value_parser = ["text", "json"])]
        format: String,
    },
    /// Run every source on its schedule until SIGINT/SIGTERM.
    Daemon {
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Serve the feeds folder over HTTP until SIGINT/SIGTERM.
    Serve {
        #[arg(long)]
        config: Option<PathBuf>,
        /// Address to listen on (default: server.listen, else 127.0.0.1:8080); port 0 picks a
        /// free port. The bound address is printed.
        #[arg(long)]
        listen: Option<String>,
    },
    /// Extract articles from files or URLs and print them (md or one JSON object per line).
    Extract {
        /// Files or http(s) URLs.
        #[arg(required = true)]
        inputs: Vec<String>,
        /// The page's URL (resolves relative links; picks site rules).
        #[arg(long)]
        url: Option<String>,
        #[arg(long, default_value = "md", value_parser = ["md", "json"])]
        format: String,
        /// Zone of dates without an offset: an IANA name, or "auto" (Asia/Shanghai for
        /// Chinese pages, else UTC).
        #[arg(long, default_value = "auto")]
        timezone: String,
        /// Allow fetching URLs on private networks (local testing).
        #[arg(long)]
        allow_private_networks: bool,
    },
    /// Rebuild every feed from the store.
    BuildFeeds {
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Validate the config; print every problem with its file, line and key.
    CheckConfig {
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print each source's last run, result and next run.
    Status {
        #[arg(long)]
        config: Option<PathBuf>,
        /// text (one line per source) or json (an array of objects).
        #[arg(long, default_value = "text", value_parser = ["text", "json"])]
        format: String,
    },
    /// Forget an article for good: delete its file and feed entry; no later run recreates it.
    Forget {
        #[arg(long)]
        config: Option<PathBuf>,
        /// The article's URL (any URL it was seen under).
        url: String,
    },
    /// List the duplicate groups found: each first-seen item and its alternates.
    DedupReport {
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // On a terminal, fetch-once draws progress bars; info logs would scroll them away, so the
    // default level is then warn (-v or RUST_LOG bring the logs back).
    let progress = matches!(cli.command, Command::FetchOnce { .. })
        && std::io::IsTerminal::is_terminal(&std::io::stderr())
        && cli.log_format != "json"
        && cli.verbose == 0
        && std::env::var_os("RUST_LOG").is_none();
    init_logging(cli.verbose, cli.quiet || progress, cli.log_format == "json");
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(dispatch(cli.command, progress)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn init_logging(verbose: u8, quiet: bool, json: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "warn",
        (_, 0) => "info",
        (_, 1) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("warn,html5ever=off,agg={default}"))
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
}

/// Loads the config or prints its problems; `Err(code)` carries exit code 2.
fn load(path: Option<&Path>) -> Result<Config, ExitCode> {
    let path = config::resolve_path(path);
    Config::load(&path).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(2)
    })
}

/// Loads the config and opens the store and fetcher (the context every command but `extract`,
/// `serve` and `check-config` needs); `Err(code)` carries exit code 2 for a bad config.
async fn open(path: Option<&Path>) -> Result<Result<Context, ExitCode>> {
    let c = match load(path) {
        Ok(c) => c,
        Err(code) => return Ok(Err(code)),
    };
    Ok(Ok(Context::open_async(c).await.context("cannot start")?))
}

/// Opens the context or returns the exit code from the command.
macro_rules! open_or_exit {
    ($path:expr) => {
        match open($path.as_deref()).await? {
            Ok(ctx) => ctx,
            Err(code) => return Ok(code),
        }
    };
}

async fn dispatch(command: Command, progress: bool) -> Result<ExitCode> {
    match command {
        Command::CheckConfig { config } => Ok(match load(config.as_deref()) {
            Ok(c) => {
                println!("{}: ok ({} sources)", c.file.display(), c.sources.len());
                ExitCode::SUCCESS
            }
            Err(code) => code,
        }),
        Command::FetchOnce {
            config,
            sources,
            format,
        } => fetch_once(config, sources, &format, progress).await,
        Command::Daemon { config } => daemon(open_or_exit!(config)).await,
        Command::Serve { config, listen } => {
            let c = match load(config.as_deref()) {
                Ok(c) => c,
                Err(code) => return Ok(code),
            };
            let mut opts = agg::serve::ServeOptions::from_config(&c);
            if let Some(listen) = listen {
                opts.listen = listen;
            }
            let cancel = agg::daemon::shutdown_signal();
            let _ = start_server(opts, &cancel).await?.await;
            Ok(ExitCode::SUCCESS)
        }
        Command::BuildFeeds { config } => {
            let ctx = open_or_exit!(config);
            let report = app::publish::all(&ctx).await?;
            println!(
                "feeds: {} written, {} unchanged",
                report.written.len(),
                report.unchanged
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Status { config, format } => {
            let ctx = open_or_exit!(config);
            print_status(&ctx, &format).await
        }
        Command::Forget { config, url } => {
            let Ok(url) = url::Url::parse(&url) else {
                eprintln!("error: not an absolute URL: {url:?}");
                return Ok(ExitCode::from(2));
            };
            let ctx = open_or_exit!(config);
            match app::forget::forget_url(&ctx, &url).await? {
                Some(item) => println!("forgot {} ({}): deleted {}", item.id, item.url, item.path),
                None => println!("{url}: not stored; it will not be"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::DedupReport { config } => {
            let ctx = open_or_exit!(config);
            let groups = ctx.blocking(|ctx| ctx.store.duplicate_groups()).await?;
            print!("{}", app::forget::render(&groups));
            Ok(ExitCode::SUCCESS)
        }
        Command::Extract {
            inputs,
            url,
            format,
            timezone,
            allow_private_networks,
        } => extract(inputs, url, &format, &timezone, allow_private_networks).await,
    }
}

/// `agg fetch-once`: runs the sources, prints the report (text or JSON), exit 1 unless clean.
async fn fetch_once(
    config: Option<PathBuf>,
    sources: Vec<String>,
    format: &str,
    progress: bool,
) -> Result<ExitCode> {
    let c = match load(config.as_deref()) {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    if let Some(unknown) = sources.iter().find(|n| c.source(n).is_none()) {
        eprintln!("error: no source named {unknown:?} in {}", c.file.display());
        return Ok(ExitCode::from(2));
    }
    let mut ctx = Context::open_async(c).await.context("cannot start")?;
    if progress {
        let names: Vec<&str> = ctx
            .config
            .sources
            .iter()
            .map(|s| s.name.as_str())
            .filter(|n| sources.is_empty() || sources.iter().any(|x| x == n))
            .collect();
        let bars = std::sync::Arc::new(agg::obs::progress::Bars::new(names));
        ctx = ctx.with_progress(bars);
    }
    let report = app::run(&ctx, &sources).await;
    let mut out = std::io::stdout().lock();
    match format {
        "json" => writeln!(out, "{}", serde_json::to_string(&report)?)?,
        _ => write!(out, "{}", report.text())?,
    }
    Ok(if report.clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `agg daemon`: serves when `server.listen` is set, runs sources until a stop signal.
async fn daemon(ctx: Context) -> Result<ExitCode> {
    let cancel = agg::daemon::shutdown_signal();
    let server = match ctx.config.server {
        Some(_) => {
            let mut opts = agg::serve::ServeOptions::from_config(&ctx.config);
            opts.metrics = Some(ctx.metrics.clone());
            Some(start_server(opts, &cancel).await?)
        }
        None => None,
    };
    tracing::info!(sources = ctx.config.sources.len(), "daemon started");
    agg::daemon::run(ctx, cancel.clone()).await;
    cancel.cancel();
    if let Some(server) = server {
        let _ = server.await;
    }
    tracing::info!("daemon stopped");
    Ok(ExitCode::SUCCESS)
}

/// `agg extract`: one result per input, as Markdown or JSON lines; exit 1 when one failed.
async fn extract(
    inputs: Vec<String>,
    url: Option<String>,
    format: &str,
    timezone: &str,
    allow_private_networks: bool,
) -> Result<ExitCode> {
    let tz = match timezone {
        "auto" => None,
        name => match name.parse::<chrono_tz::Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                eprintln!("error: unknown time zone {name:?}");
                return Ok(ExitCode::from(2));
            }
        },
    };
    let opts = agg::extract::batch::BatchOptions {
        url,
        timezone: tz,
        allow_private_networks,
    };
    let mut failed = false;
    let mut out = std::io::stdout().lock();
    for input in &inputs {
        let result = agg::extract::batch::extract_input(input, &opts).await;
        failed |= result.error.is_some();
        if format == "json" {
            writeln!(out, "{}", serde_json::to_string(&result)?)?;
        } else if let Some(e) = &result.error {
            eprintln!("error: {input}: {e}");
        } else {
            writeln!(out, "{}", result.to_markdown())?;
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Binds, prints the bound address (tests and scripts read it), and serves in a task until
/// `cancel` fires.
async fn start_server(
    opts: agg::serve::ServeOptions,
    cancel: &tokio_util::sync::CancellationToken,
) -> Result<tokio::task::JoinHandle<()>> {
    let listener = agg::serve::bind(&opts.listen).await?;
    let addr = listener
        .local_addr()
        .context("listening socket has no address")?;
    println!("serving {} on http://{addr}/", opts.root.display());
    std::io::stdout().flush()?;
    let server = agg::serve::serve(listener, opts, cancel.clone());
    Ok(tokio::spawn(server))
}

async fn print_status(ctx: &Context, format: &str) -> Result<ExitCode> {
    let (statuses, items) = ctx
        .blocking(|ctx| -> Result<_, agg::store::StoreError> {
            Ok((app::status::collect(ctx)?, ctx.store.count_items()?))
        })
        .await?;
    if format == "json" {
        println!("{}", serde_json::to_string_pretty(&statuses)?);
    } else {
        print!(
            "{}",
            app::status::render_text(&statuses, ctx.config.site.timezone)
        );
        println!("items: {items}");
    }
    Ok(if statuses.iter().any(|s| s.unhealthy()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
