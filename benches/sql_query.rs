//! One timed `Db::query` for the SQL → DataFrame benchmark (benches/sql_to_frame.sh runs it side by side with
//! ConnectorX and pandas). Prints `rows seconds`. Usage: `sql_query <env file> <sql>`.

use std::time::Instant;

use sourcelab::config::EnvFile;
use sourcelab::sql::Db;

fn main() -> sourcelab::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(env), Some(sql)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: sql_query <env file> <sql>");
        std::process::exit(2);
    };
    let db = Db::connect_mysql(&EnvFile::load(env)?)?;
    let start = Instant::now();
    let df = db.query(sql)?;
    println!("{} {:.3}", df.height(), start.elapsed().as_secs_f64());
    Ok(())
}
