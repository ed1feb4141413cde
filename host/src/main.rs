//! `spin-local`: runs this project's `spin.toml` like `spin up`, where Spin's CLI is unavailable.

use clap::Parser;
use host::cli::{Cli, Command, build, manifest_path, prepare, routes_listing};
use host::manifest::Manifest;
use host::serve::{bind, serve, shutdown_signal};

#[tokio::main]
async fn main() {
    if let Err(error) = run(Cli::parse()).await {
        eprintln!("Error: {error:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Build(args) => {
            let file = manifest_path(&args.from);
            let manifest = Manifest::load(&file)?;
            let dir = file.parent().filter(|p| !p.as_os_str().is_empty());
            build(&manifest, dir.unwrap_or(std::path::Path::new(".")))
        }
        Command::Up(args) => {
            let prepared = prepare(&args).await?;
            let listener = bind(args.listen).await?;
            let addr = listener.local_addr()?;
            let _ticker = host::app::start_epoch_ticker(&prepared.app.engine);
            for job in prepared.cron {
                println!(
                    "Scheduled component {} with cron expression '{}'",
                    job.component(),
                    job.expression()
                );
                tokio::spawn(job.run(prepared.app.clone()));
            }
            println!("\nServing http://{addr}");
            print!("{}", routes_listing(&prepared.router, addr));
            serve(listener, prepared.trigger, shutdown_signal()).await
        }
    }
}
