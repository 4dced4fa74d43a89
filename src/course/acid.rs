//! Lab 5's scenario: ACID, every letter shown failing and holding, on tables of our own.
//!
//! [`setup`] (re)creates the database `acid` on the lab's MariaDB — the one `.env` names, beside lab 1's
//! `rentio` — with a small shop and bank of our own:
//!
//! | table | rows | its rules |
//! |---|---|---|
//! | `account` | alice 100, bob 50 | `CHECK (balance >= 0)` |
//! | `customer` | 2 customers | |
//! | `product` | 3 products, the last one with a single copy | `CHECK (stock >= 0)` |
//! | `purchase` | none | foreign keys to `customer` and `product` |
//! | `ledger` | none | (the durability demo writes here) |
//!
//! [`crash`] kills that MariaDB with SIGKILL and starts it again (see
//! [`Stack::crash_mariadb`](crate::local::Stack::crash_mariadb)); [`reset`] removes everything the lab made,
//! including its DynamoDB table [`DYNAMO_TABLE`].

use crate::config::EnvFile;
use crate::error::{Error, ErrorKind, Result};
use crate::local::{Crash, Stack};
use crate::sql::Db;

pub use sourcelab_notebook::acid::{DATABASE, DYNAMO_PREFIX, DYNAMO_TABLE};

/// The lab's tables, dropped children first and created parents first.
const SCHEMA: &str = "
SET SESSION lock_wait_timeout = 10;
DROP TABLE IF EXISTS purchase, ledger, account, product, customer;
CREATE TABLE account (
  id INT PRIMARY KEY,
  owner VARCHAR(40) NOT NULL UNIQUE,
  balance INT NOT NULL,
  CONSTRAINT balance_not_negative CHECK (balance >= 0)
) ENGINE = InnoDB;
CREATE TABLE customer (
  id INT PRIMARY KEY,
  name VARCHAR(60) NOT NULL
) ENGINE = InnoDB;
CREATE TABLE product (
  id INT PRIMARY KEY,
  title VARCHAR(80) NOT NULL,
  stock INT NOT NULL,
  CONSTRAINT stock_not_negative CHECK (stock >= 0)
) ENGINE = InnoDB;
CREATE TABLE purchase (
  id INT AUTO_INCREMENT PRIMARY KEY,
  customer_id INT NOT NULL,
  product_id INT NOT NULL,
  quantity INT NOT NULL,
  CONSTRAINT purchase_customer FOREIGN KEY (customer_id) REFERENCES customer (id),
  CONSTRAINT purchase_product FOREIGN KEY (product_id) REFERENCES product (id)
) ENGINE = InnoDB;
CREATE TABLE ledger (
  id INT AUTO_INCREMENT PRIMARY KEY,
  note VARCHAR(100) NOT NULL
) ENGINE = InnoDB;
INSERT INTO account VALUES (1, 'alice', 100), (2, 'bob', 50);
INSERT INTO customer VALUES (1, 'Wanda Okafor'), (2, 'Tomas Lindqvist');
INSERT INTO product VALUES (1, 'Harbour Lights (DVD)', 5), (2, 'Desert Relay (Blu-ray)', 10),
  (3, 'Signed director''s cut', 1);
";

/// The lab database on the MariaDB the env file names (the `DB*` keys), created when missing.
pub fn connect(env: &EnvFile) -> Result<Db> {
    let mut cfg = env.mysql()?;
    let lab1 = Db::connect(&cfg)?;
    lab1.execute(&format!("CREATE DATABASE IF NOT EXISTS `{DATABASE}` CHARACTER SET utf8mb4"))?;
    cfg.database = DATABASE.into();
    Db::connect(&cfg)
}

/// Puts the lab's tables back at their start (see the module docs) and returns the lab database.
pub fn setup(env: &EnvFile) -> Result<Db> {
    let db = connect(env)?;
    db.execute(SCHEMA)?;
    Ok(db)
}

/// The accounts and the products back at their start (the other tables emptied), between two experiments.
pub fn restock(db: &Db) -> Result<()> {
    check_lab_db(db)?;
    db.execute(SCHEMA).map(drop)
}

fn check_lab_db(db: &Db) -> Result<()> {
    if db.config().database != DATABASE {
        return Err(Error::new(
            ErrorKind::Input,
            "reset lab 5's tables",
            format!("this connection is to the database `{}`, not `{DATABASE}`", db.config().database),
        )
        .hint("use the connection acid::setup(&env) returned"));
    }
    Ok(())
}

/// Crashes the lab's MariaDB for real and restarts it: see [`Stack::crash_mariadb`]. `db` must be the local
/// stack's own MariaDB — a server sourcelab did not start is never touched.
pub fn crash(db: &Db) -> Result<Crash> {
    let stack = Stack::new();
    let ours = stack.local_env()?.mysql()?;
    let cfg = db.config();
    if (cfg.host.as_str(), cfg.port) != (ours.host.as_str(), ours.port) {
        return Err(Error::new(
            ErrorKind::Setup,
            "crash the lab's MariaDB",
            format!("{} is not the MariaDB of the local stack ({})", cfg.endpoint(), ours.endpoint()),
        )
        .hint("the durability demo only crashes the private MariaDB `sourcelab up` started"));
    }
    stack.crash_mariadb()
}

/// Removes what lab 5 made: the `acid` database and the DynamoDB tables starting with [`DYNAMO_PREFIX`].
/// Returns what it removed.
pub fn reset(env: &EnvFile) -> Result<Vec<String>> {
    let mut removed = Vec::new();
    let db = Db::connect(&env.mysql()?)?;
    let exists =
        db.query(&format!("SELECT schema_name FROM information_schema.schemata WHERE schema_name = '{DATABASE}'"))?;
    if exists.height() > 0 {
        db.execute(&format!("DROP DATABASE `{DATABASE}`"))?;
        removed.push(format!("MariaDB database {DATABASE}"));
    }
    removed.extend(crate::course::account::cleanup(env, 5)?);
    Ok(removed)
}
