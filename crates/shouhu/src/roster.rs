//! `shouhu roster …`: roster (花名册) sheets made without a database — for now the seeded
//! generator that tests and benchmarks import.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use shouhu_roster::generate::generate;
use shouhu_roster::{Encoding, Form, GenSpec};

#[derive(Subcommand)]
pub enum RosterCommand {
    /// Write a synthetic roster (.xlsx or .csv by the file name), with a share of bad rows of
    /// known kinds; prints each bad row as `row<TAB>kind<TAB>column[<TAB>duplicate of]`.
    Generate(GenerateArgs),
}

#[derive(Args)]
pub struct GenerateArgs {
    /// How many data rows.
    #[arg(long)]
    children: usize,
    /// The same seed writes the same sheet.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Share of rows made bad on purpose, 0 to 1.
    #[arg(long, default_value_t = 0.0)]
    bad_share: f64,
    /// `mca` (民政 花名册) or `xueji` (学籍-style, coded values).
    #[arg(long, default_value = "mca")]
    form: String,
    /// For CSV: `utf8` (with BOM) or `gbk`.
    #[arg(long, default_value = "utf8")]
    encoding: String,
    #[arg(long)]
    out: PathBuf,
}

pub fn run(command: RosterCommand) -> anyhow::Result<()> {
    let RosterCommand::Generate(args) = command;
    if !(0.0..=1.0).contains(&args.bad_share) {
        anyhow::bail!("--bad-share must lie between 0 and 1");
    }
    let form = Form::parse(&args.form).ok_or_else(|| anyhow::anyhow!("--form is mca or xueji"))?;
    let encoding = Encoding::parse(&args.encoding)
        .ok_or_else(|| anyhow::anyhow!("--encoding is utf8 or gbk"))?;
    let mut spec = GenSpec::new(args.children, args.seed);
    spec.bad_share = args.bad_share;
    spec.encoding = encoding;
    let bad = generate(&spec, form, &args.out)?;
    for b in &bad {
        let duplicate = b.duplicate_of.map_or(String::new(), |r| format!("\t{r}"));
        println!(
            "{}\t{}\t{}{duplicate}",
            b.sheet_row,
            b.kind.code(),
            b.column.header()
        );
    }
    eprintln!(
        "{} rows, {} bad, written to {}",
        args.children,
        bad.len(),
        args.out.display()
    );
    Ok(())
}
