//! The course itself, as opposed to the helpers a user copies: each lab's data, scenario and exercise checks.
//!
//! | module | what it holds |
//! |---|---|
//! | [`rentio`] | lab 1's database: the 15-table schema and a seeded generator with the official row counts |
//! | [`sakila`] | a loader for the official Sakila dump, for the course's exact outputs |
//! | [`ratings`] | lab 3's generated files: the ratings CSV, a JSON record, two versions of an image |
//! | [`lab4`] | lab 4's scenario: the EC2 network, the RDS instance, the data bucket and their faults |
//! | [`acid`] | lab 5's shop and bank tables, and the real crash of the lab's MariaDB |
//! | [`lab6`] | lab 6's data bucket on the IAM lab's moto, and the names of what it makes |
//! | [`lab8`] | lab 8's web shop (real HTTP, with access, app and security logs), its traffic, failed logins |
//! | [`lab7`] | lab 7's click events (our producer), payments, and the names of its queues and stream |
//! | [`check`] | the exercise checks the notebooks call |
//! | [`exercises`] | the learner copies, made from the solution notebooks |
//! | [`script`] | a notebook as a script against the library: every code cell in order |
//! | [`account`] | what the labs made in an AWS account, its price by the hour and the month, and removing it |
//! | [`reset`] | `sourcelab reset [LAB|all]`: a lab and the labs after it back at their start, the stack running |
//! | [`grade`] | `sourcelab grade`: learners' notebooks run headless, every exercise passed, failed, not attempted or errored |

pub mod account;
pub mod acid;
pub mod check;
pub mod exercises;
pub mod grade;
pub mod lab4;
pub mod lab6;
pub mod lab7;
pub mod lab8;
pub mod ratings;
pub mod rentio;
pub mod reset;
pub mod sakila;
pub mod script;
