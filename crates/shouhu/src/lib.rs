//! 守护 Shouhu, the binary's library half: the command line, the demo county, the local
//! operator's commands, the background jobs and the benchmarks, kept here so integration tests can start exactly what
//! `shouhu` starts.

pub mod bench;
pub mod bench_roster;
pub mod calendar_cli;
pub mod cli;
pub mod demo;
pub mod jobs;
pub mod operator;
pub mod roster;
pub mod roster_io;
