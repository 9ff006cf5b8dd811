//! 守护 Shouhu, the binary's library half: the command line, the demo county and the local
//! operator's commands, kept here so integration tests can start exactly what `shouhu` starts.

pub mod cli;
pub mod demo;
pub mod operator;
