//! CRLF line ends read as LF. The csv crate numbers lines after a CRLF one short, and Excel saves
//! CSV with CRLF; with plain LF its line numbers are the sheet rows people see.

use std::io::{self, Read};

/// Drops every CR that comes right before an LF; any other CR passes through.
#[derive(Debug)]
pub struct LfOnly<R> {
    inner: R,
    /// Converted bytes not yet handed out, from `pos` on.
    out: Vec<u8>,
    pos: usize,
    /// A CR held until the next byte shows whether an LF follows it.
    held_cr: bool,
    done: bool,
}

impl<R: Read> LfOnly<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            out: Vec::new(),
            pos: 0,
            held_cr: false,
            done: false,
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        let mut raw = [0u8; 8192];
        let n = self.inner.read(&mut raw)?;
        self.out.clear();
        self.pos = 0;
        if n == 0 {
            self.done = true;
            if std::mem::take(&mut self.held_cr) {
                self.out.push(b'\r');
            }
            return Ok(());
        }
        for &b in &raw[..n] {
            if std::mem::take(&mut self.held_cr) && b != b'\n' {
                self.out.push(b'\r');
            }
            if b == b'\r' {
                self.held_cr = true;
            } else {
                self.out.push(b);
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for LfOnly<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.out.len() {
            if self.done {
                return Ok(0);
            }
            self.refill()?;
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(input: &[u8], chunk: usize) -> Vec<u8> {
        struct Chunks<'a>(&'a [u8], usize);
        impl Read for Chunks<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut out = Vec::new();
        LfOnly::new(Chunks(input, chunk))
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn crlf_becomes_lf_whatever_the_chunks() {
        for chunk in [1, 2, 3, 64] {
            assert_eq!(
                through(b"a,b\r\nc\r\n\r\nd\re\r", chunk),
                b"a,b\nc\n\nd\re\r"
            );
        }
    }
}
