//! Parsing raw roster rows into child files, with a problem report per cell.
