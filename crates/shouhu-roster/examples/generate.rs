//! A synthetic roster from the command line, until `shouhu roster generate` is wired:
//!
//! `cargo run --release -p shouhu-roster --example generate -- --children 1000 --seed 7
//!  --bad-share 0.05 --form xueji --encoding gbk --out roster.csv`
//!
//! Prints each bad row as `row<TAB>kind<TAB>column[<TAB>duplicate of]`.

use std::path::PathBuf;

use shouhu_roster::generate::generate;
use shouhu_roster::{Encoding, Form, GenSpec};

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let mut spec = GenSpec::new(100, 1);
    let mut form = Form::Mca;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--children" => spec.children = value.parse()?,
            "--seed" => spec.seed = value.parse()?,
            "--bad-share" => spec.bad_share = value.parse()?,
            "--form" => form = Form::parse(&value).ok_or("--form is mca or xueji")?,
            "--encoding" => {
                spec.encoding = Encoding::parse(&value).ok_or("--encoding is utf8 or gbk")?
            }
            "--out" => out = Some(PathBuf::from(value)),
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    let out = out.ok_or("--out FILE.xlsx|FILE.csv is required")?;
    let bad = generate(&spec, form, &out)?;
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
        spec.children,
        bad.len(),
        out.display()
    );
    Ok(())
}
