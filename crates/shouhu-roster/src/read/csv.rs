//! CSV rosters, streamed: UTF-8 (with or without BOM) or GBK/GB18030, as Excel and the 学籍
//! system save them. Fields are split on bytes and decoded one by one, which is safe for
//! GB18030 because none of its trail bytes is a comma, a quote or a line break.

use std::collections::VecDeque;
use std::io::{Chain, Cursor, Read};

use csv::ByteRecord;
use encoding_rs::{Encoding, GB18030, UTF_8};

use super::line_ends::LfOnly;
use super::{Cell, HeaderCell, RawRow, ReadError, header};

/// Bytes looked at to tell the encoding and the delimiter.
const SNIFF_BYTES: usize = 64 * 1024;

type Source<R> = LfOnly<Chain<Cursor<Vec<u8>>, R>>;

/// The rows of a CSV roster under its detected header, read as they are asked for.
pub struct CsvRows<R: Read> {
    reader: csv::Reader<Source<R>>,
    record: ByteRecord,
    encoding: &'static Encoding,
    /// Rows read while looking for the header, not yet handed out.
    pending: VecDeque<RawRow>,
    /// Records read so far.
    read: u32,
    header_row: u32,
    columns: Vec<HeaderCell>,
}

impl<R: Read> std::fmt::Debug for CsvRows<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvRows")
            .field("encoding", &self.encoding.name())
            .field("header_row", &self.header_row)
            .field("read", &self.read)
            .finish_non_exhaustive()
    }
}

impl<R: Read> CsvRows<R> {
    /// 1-based line of the header (of its last row, when it spans two).
    pub fn header_row(&self) -> u32 {
        self.header_row
    }

    pub fn columns(&self) -> &[HeaderCell] {
        &self.columns
    }

    /// The encoding the file was read in ("UTF-8" or "gb18030").
    pub fn encoding(&self) -> &'static str {
        self.encoding.name()
    }

    fn next_record(&mut self) -> Result<Option<RawRow>, ReadError> {
        let more = self
            .reader
            .read_byte_record(&mut self.record)
            .map_err(csv_error)?;
        if !more {
            return Ok(None);
        }
        self.read += 1;
        // The line, not the record count: the csv reader skips blank lines, and a spreadsheet
        // program shows the line as the row number.
        let line = self
            .record
            .position()
            .map_or(u64::from(self.read), csv::Position::line);
        let cells = self
            .record
            .iter()
            .map(|field| decode(self.encoding, field))
            .collect();
        Ok(Some(RawRow {
            sheet_row: u32::try_from(line).unwrap_or(u32::MAX),
            cells,
        }))
    }
}

impl<R: Read> Iterator for CsvRows<R> {
    type Item = Result<RawRow, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(row) = self.pending.pop_front() {
            return Some(Ok(row));
        }
        loop {
            match self.next_record() {
                Ok(Some(row)) if row.is_blank() => continue,
                other => return other.transpose(),
            }
        }
    }
}

/// Opens a CSV roster: tells its encoding and delimiter, then finds the header.
pub fn csv_rows<R: Read>(mut reader: R) -> Result<CsvRows<R>, ReadError> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut reader)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| ReadError::Csv {
            line: 0,
            message: e.to_string(),
        })?;
    let (encoding, bom) = sniff_encoding(&head, head.len() < SNIFF_BYTES);
    let delimiter = sniff_delimiter(&head[bom..]);
    head.drain(..bom);
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(LfOnly::new(Cursor::new(head).chain(reader)));
    let mut rows = CsvRows {
        reader,
        record: ByteRecord::new(),
        encoding,
        pending: VecDeque::new(),
        read: 0,
        header_row: 0,
        columns: Vec::new(),
    };
    let mut top = Vec::new();
    while top.len() <= header::HEADER_SEARCH_ROWS {
        match rows.next_record()? {
            Some(row) => top.push(row),
            None => break,
        }
    }
    let cells: Vec<Vec<Cell>> = top.iter().map(|r| r.cells.clone()).collect();
    let found = header::detect(&cells).ok_or(ReadError::NoHeader)?;
    rows.header_row = top[found.last_row].sheet_row;
    rows.columns = found.columns;
    rows.pending = top
        .into_iter()
        .skip(found.last_row + 1)
        .filter(|r| !r.is_blank())
        .collect();
    Ok(rows)
}

/// Every non-blank row of a small CSV with no header sought (sheets that are not rosters find
/// their own), read with the same encoding and delimiter sniffing as rosters.
pub(crate) fn table(bytes: &[u8]) -> Result<Vec<RawRow>, ReadError> {
    let (encoding, bom) = sniff_encoding(bytes, true);
    let body = &bytes[bom..];
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(body))
        .from_reader(LfOnly::new(body));
    let mut rows = Vec::new();
    let mut record = ByteRecord::new();
    while reader.read_byte_record(&mut record).map_err(csv_error)? {
        let line = record.position().map_or(0, csv::Position::line);
        let row = RawRow {
            sheet_row: u32::try_from(line).unwrap_or(u32::MAX),
            cells: record.iter().map(|f| decode(encoding, f)).collect(),
        };
        if !row.is_blank() {
            rows.push(row);
        }
    }
    Ok(rows)
}

/// BOM → UTF-8; valid UTF-8 → UTF-8; anything else → GB18030, the superset of GBK that Excel
/// on Chinese Windows writes. Returns the encoding and the length of the BOM to skip.
fn sniff_encoding(head: &[u8], complete: bool) -> (&'static Encoding, usize) {
    if head.starts_with(b"\xEF\xBB\xBF") {
        return (UTF_8, 3);
    }
    match std::str::from_utf8(head) {
        Ok(_) => (UTF_8, 0),
        // Cut off in the middle of a character at the end of the sample: still UTF-8.
        Err(e) if !complete && e.error_len().is_none() => (UTF_8, 0),
        Err(_) => (GB18030, 0),
    }
}

/// Comma unless the sample has more tabs or semicolons (Excel's 文本文件 and some locales).
/// The whole sample, not the first line, since that is often a title with neither.
fn sniff_delimiter(head: &[u8]) -> u8 {
    let count = |d: u8| head.iter().filter(|&&b| b == d).count();
    [b'\t', b';']
        .into_iter()
        .find(|&d| count(d) > count(b','))
        .unwrap_or(b',')
}

fn decode(encoding: &'static Encoding, field: &[u8]) -> Cell {
    if encoding == UTF_8
        && let Ok(s) = std::str::from_utf8(field)
    {
        return Cell::text(s);
    }
    Cell::text(&encoding.decode_without_bom_handling(field).0)
}

fn csv_error(e: csv::Error) -> ReadError {
    ReadError::Csv {
        line: e.position().map_or(0, csv::Position::line),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(bytes: &[u8]) -> Vec<(u32, String)> {
        let rows = csv_rows(bytes).unwrap();
        let name = rows
            .columns()
            .iter()
            .position(|h| h.text == "姓名")
            .unwrap();
        rows.map(|r| r.unwrap())
            .map(|r| (r.sheet_row, r.cell(name).display()))
            .collect()
    }

    #[test]
    fn reads_utf8_with_and_without_bom_and_gbk() {
        let text = "学生名单\n\n姓名,性别,出生日期,民族\n张𠮷,男,2015-03-01,汉族\n,,,\n李四,女,2015-03-02,苗族\n";
        let expected = vec![(4, "张𠮷".to_owned()), (6, "李四".to_owned())];
        assert_eq!(names(text.as_bytes()), expected);
        let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        assert_eq!(names(&bom), expected);
        let (gbk, _, _) = GB18030.encode(text);
        assert_eq!(names(&gbk), expected);
        let tabs = text.replace(',', "\t");
        assert_eq!(names(tabs.as_bytes()), expected);
    }

    #[test]
    fn a_sample_cut_inside_a_character_is_still_utf8() {
        let s = "姓名".as_bytes();
        assert_eq!(sniff_encoding(&s[..4], false).0, UTF_8);
        assert_eq!(sniff_encoding(&s[..4], true).0, GB18030);
    }

    #[test]
    fn no_header_is_an_error() {
        let err = csv_rows("a,b\n1,2\n".as_bytes()).unwrap_err();
        assert_eq!(err, ReadError::NoHeader);
    }
}
