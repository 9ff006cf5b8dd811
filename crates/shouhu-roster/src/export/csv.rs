//! The CSV writer: header first, one record per child, UTF-8 with a BOM (so Excel on Windows
//! opens Chinese text correctly) or GBK (for older systems that take nothing else).

use std::borrow::Cow;
use std::io::{BufWriter, Write};

use super::{Cell, ExportRow, Form, WriteError};

/// How a CSV file's text is encoded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// UTF-8 starting with a byte-order mark, which is what tells Excel it is UTF-8.
    #[default]
    Utf8Bom,
    /// GBK, as many county and 学籍 tools still write; rare characters (𠮷) cannot be written.
    Gbk,
}

impl Encoding {
    /// `utf8` or `gbk`, as the command line names them.
    pub fn parse(s: &str) -> Option<Encoding> {
        match s.trim().to_ascii_lowercase().as_str() {
            "utf8" | "utf-8" => Some(Encoding::Utf8Bom),
            "gbk" | "gb18030" | "gb2312" => Some(Encoding::Gbk),
            _ => None,
        }
    }

    /// Whether every character of `text` can be written.
    pub fn can_encode(self, text: &str) -> bool {
        match self {
            Encoding::Utf8Bom => true,
            Encoding::Gbk => !encoding_rs::GBK.encode(text).2,
        }
    }
}

/// A CSV roster being written to `W`.
pub struct CsvExport<W: Write> {
    out: BufWriter<W>,
    /// Each record is formatted here first, then encoded into `out`.
    record: String,
    form: Form,
    with_sensitive: bool,
    encoding: Encoding,
    rows: u32,
}

impl<W: Write> std::fmt::Debug for CsvExport<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvExport")
            .field("form", &self.form)
            .field("encoding", &self.encoding)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl<W: Write> CsvExport<W> {
    /// Writes the BOM (for UTF-8) and the header.
    pub fn new(
        out: W,
        form: Form,
        with_sensitive: bool,
        encoding: Encoding,
    ) -> Result<CsvExport<W>, WriteError> {
        let mut out = BufWriter::with_capacity(64 * 1024, out);
        if encoding == Encoding::Utf8Bom {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        let record = String::with_capacity(1024);
        let mut export = CsvExport {
            out,
            record,
            form,
            with_sensitive,
            encoding,
            rows: 0,
        };
        export.write_record(1, form.headers().map(Cow::Borrowed))?;
        Ok(export)
    }

    /// The file's line of the first record pushed (the header is line 1).
    pub fn first_data_row(&self) -> u32 {
        2
    }

    /// Records written so far, not counting the header.
    pub fn len(&self) -> u32 {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Writes one child; returns its line number (from 1, the header being line 1).
    pub fn push(&mut self, row: &ExportRow) -> Result<u32, WriteError> {
        let cells = self.form.cells(row, self.rows + 1, self.with_sensitive);
        self.push_cells(&cells)
    }

    /// Writes one record of ready cells.
    pub fn push_cells(&mut self, cells: &[Cell<'_>]) -> Result<u32, WriteError> {
        let line = self.rows + 2;
        self.write_record(line, cells.iter().map(|c| defuse(c.to_text())))?;
        self.rows += 1;
        Ok(line)
    }

    /// Flushes and hands back the writer.
    pub fn finish(self) -> Result<W, WriteError> {
        self.out
            .into_inner()
            .map_err(|e| WriteError::Io(e.into_error()))
    }

    fn write_record<'a>(
        &mut self,
        line: u32,
        fields: impl Iterator<Item = Cow<'a, str>>,
    ) -> Result<(), WriteError> {
        for (i, field) in fields.enumerate() {
            if i > 0 {
                self.record.push(',');
            }
            quote_into(&mut self.record, &field);
        }
        self.record.push_str("\r\n");
        let written = match self.encoding {
            Encoding::Utf8Bom => self
                .out
                .write_all(self.record.as_bytes())
                .map_err(Into::into),
            Encoding::Gbk => match encoding_rs::GBK.encode(&self.record) {
                (_, _, true) => Err(not_gbk(line, &self.record)),
                (encoded, _, false) => self.out.write_all(&encoded).map_err(Into::into),
            },
        };
        // A refused record leaves nothing behind, so the caller may skip it and go on.
        self.record.clear();
        written
    }
}

/// RFC 4180: a field with a comma, quote or line break goes in quotes, its quotes doubled.
fn quote_into(record: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        record.push('"');
        record.push_str(&field.replace('"', "\"\""));
        record.push('"');
    } else {
        record.push_str(field);
    }
}

/// Free text that starts like a formula would run as one when the CSV is opened in a
/// spreadsheet; a leading apostrophe keeps it text. IDs, phones and dates never start so.
fn defuse(text: Cow<'_, str>) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        text
    }
}

fn not_gbk(line: u32, text: &str) -> WriteError {
    let bad: String = text
        .chars()
        .filter(|c| !Encoding::Gbk.can_encode(c.encode_utf8(&mut [0; 4])))
        .collect();
    WriteError::NotGbk {
        row: line,
        text: bad,
    }
}
