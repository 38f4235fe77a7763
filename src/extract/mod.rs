//! Extraction: page HTML in, [`Article`](crate::model::Article) out.
pub mod generic;
pub mod html2md;
