//! Documents Shouhu prints or reads: for now the contact cards (联系卡) as PDF.
//!
//! The crate takes plain data, not domain types, so it builds apart from the rest.

mod card_layout;
mod card_table;
mod contact_card;
mod return_notice;
mod text;

pub use contact_card::{CardPerson, CardSheet, ContactCard, contact_cards_pdf};
pub use return_notice::{ReturnNotice, return_notice_pdf};

/// Why a document could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    /// Nothing was asked for; an empty sheet would only waste paper.
    #[error("no contact cards to print")]
    NoCards,
    /// An embedded font failed to parse, which means a broken build.
    #[error("the embedded font {0} could not be read")]
    Font(&'static str),
    /// The PDF writer refused the document.
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}
