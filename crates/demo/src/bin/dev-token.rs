//! `dev-token`: prints a development JWT for a local app (HS256 with `jwt_secret`).
//!
//! ```text
//! SPIN_VARIABLE_JWT_SECRET=... dev-token                 # an admin token, valid 12 hours
//! dev-token --sub stu-42 --role student --hours 1
//! ```

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    use clap::Parser;

    /// Print a development JWT signed with the app's `jwt_secret`.
    #[derive(Parser)]
    #[command(name = "dev-token", version)]
    struct Args {
        /// The app's `jwt_secret` variable.
        #[arg(long, env = "SPIN_VARIABLE_JWT_SECRET", hide_env_values = true)]
        secret: String,
        /// The token's subject (user id).
        #[arg(long, default_value = "dev-admin")]
        sub: String,
        /// A role to hold (repeatable).
        #[arg(long = "role", default_values = ["admin"])]
        roles: Vec<String>,
        /// How long the token is valid, in hours.
        #[arg(long, default_value_t = 12)]
        hours: i64,
    }

    let args = Args::parse();
    let roles: Vec<&str> = args.roles.iter().map(String::as_str).collect();
    let now = chrono::Utc::now().timestamp();
    match demo::token::dev_token(&args.secret, &args.sub, &roles, args.hours * 3600, now) {
        Ok(token) => {
            println!("{token}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("dev-token: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}
