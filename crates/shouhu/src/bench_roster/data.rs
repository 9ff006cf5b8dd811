//! The benchmark's sheets and databases.

use std::collections::HashSet;
use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, bail};
use shouhu_roster::export::Cell;
use shouhu_roster::generate::{GenSpec, Rows, bijie_villages, schools_of};
use shouhu_roster::{Column, CsvExport, Encoding, Form, WriteError, XlsxExport};
use shouhu_store::crypto::DeploymentKey;
use shouhu_store::schools::{self, SchoolInput};
use shouhu_store::{DatabaseUrl, Scope, Store};

use crate::operator;

/// Hashes of the ID numbers written so far, so that no child is in two sheets.
pub(super) type Taken = HashSet<u64>;

/// Writes `rows` children drawn with `seed` to `path` (.csv, UTF-8 with BOM, or .xlsx with the
/// 花名册's title row, as `roster generate` writes them), skipping any child whose ID number an
/// earlier sheet holds; returns how many were skipped.
pub(super) fn write_sheet(
    path: &Path,
    rows: usize,
    seed: u64,
    taken: &mut Taken,
) -> anyhow::Result<usize> {
    let form = Form::Mca;
    let xlsx = path.extension().is_some_and(|e| e == "xlsx");
    let (written, skipped) = if xlsx {
        let mut sheet = XlsxExport::new(form, Some(form.default_title()), true)?;
        let counts = fill(rows, seed, taken, |cells| sheet.push_cells(cells))?;
        sheet.finish(path)?;
        counts
    } else {
        let file =
            File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
        let mut sheet = CsvExport::new(file, form, true, Encoding::Utf8Bom)?;
        let counts = fill(rows, seed, taken, |cells| sheet.push_cells(cells))?;
        sheet.finish()?.sync_all()?;
        counts
    };
    if written != rows {
        bail!(
            "the generator gave {written} new children for {}, not {rows}",
            path.display()
        );
    }
    Ok(skipped)
}

fn fill(
    rows: usize,
    seed: u64,
    taken: &mut Taken,
    mut push: impl FnMut(&[Cell<'_>]) -> Result<u32, WriteError>,
) -> anyhow::Result<(usize, usize)> {
    let form = Form::Mca;
    let id_at = form
        .position(Column::IdNumber)
        .context("the 花名册 has an ID number column")?;
    // Room for the children skipped; one seed draws the same lines whatever the size.
    let spec = GenSpec::new(rows + rows / 4 + 100, seed);
    let (mut written, mut skipped) = (0, 0);
    for line in Rows::new(&spec, form) {
        if written == rows {
            break;
        }
        if line.bad.is_some() {
            bail!("the generator planted a bad row though asked for none");
        }
        let serial = u32::try_from(written + 1).context("row count")?;
        let cells = line.cells(form, serial);
        let id = cells.get(id_at).map(Cell::to_text).unwrap_or_default();
        if id.is_empty() {
            bail!("a generated child has no ID number");
        }
        let mut h = DefaultHasher::new();
        id.hash(&mut h);
        if !taken.insert(h.finish()) {
            skipped += 1;
            continue;
        }
        push(&cells)?;
        written += 1;
    }
    Ok((written, skipped))
}

/// A fresh data directory: the deployment key, the national region table and the schools the
/// generated sheets name.
pub(super) fn new_database(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let key = DeploymentKey::load_or_create(&dir.join("shouhu.key")).context("deployment key")?;
    let url = DatabaseUrl::Sqlite(dir.join("shouhu.sqlite3").display().to_string());
    let store = Store::open(&url, 2, key).context("cannot open the benchmark database")?;
    operator::ensure_regions(&store)?;
    let op = Scope::local_operator();
    store
        .with_conn(|conn| {
            shouhu_store::transaction(conn, |conn| {
                for (i, s) in schools_of(&bijie_villages()).into_iter().enumerate() {
                    let input = SchoolInput {
                        code: format!("59{i:08}"),
                        name: s.name,
                        region: s.region,
                        kind: s.kind,
                        boarding: false,
                        hotline: None,
                        address: None,
                    };
                    schools::create(conn, &op, &input)?;
                }
                Ok(())
            })
        })
        .context("creating the sheets' schools")?;
    Ok(())
}

/// The CSV's header columns, byte-order mark left out.
pub(super) fn csv_header(path: &Path) -> anyhow::Result<Vec<String>> {
    let mut line = String::new();
    BufReader::new(File::open(path)?).read_line(&mut line)?;
    let line = line.trim_start_matches('\u{feff}').trim_end();
    if line.contains('"') {
        bail!("a quoted header in {}", path.display());
    }
    Ok(line.split(',').map(str::to_owned).collect())
}
