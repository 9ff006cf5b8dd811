//! Reading xlsx, xls and csv rosters into a sheet of raw cells under a detected header.
