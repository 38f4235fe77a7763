//! The store on PostgreSQL, shared by several workers (`store.url: postgres://...`).
//!
//! The tables are those of the SQLite store (same queries, see `db`), created by its own
//! numbered [`migrations`]. What only workers sharing a store need is the separate
//! [`Coordination`] object this backend alone offers: leases on sources, host slots and
//! advisory locks.

use tokio_postgres_rustls::MakeRustlsConnect;

use super::StoreError;
use super::db::{Db, off_runtime};

mod coordination;
mod migrations;

pub use coordination::{Coordination, LOCK_WAIT, Lease, Lock, LockGuard};

/// Advisory lock key of schema migration (arbitrary, fixed; see [`Lock`] for the others).
const LOCK_MIGRATE: i64 = 0x6167_6701;

/// Extra CA certificates (PEM) to trust for the database's TLS certificate, and where they
/// came from (for messages: `store.ca_file PATH`).
#[derive(Debug, Clone)]
pub struct CaCerts {
    pub origin: String,
    pub pem: Vec<u8>,
}

/// The URL with its password replaced, for messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// The TLS connector: the system's root certificates plus `ca`. With `sslmode=prefer` (the
/// default) TLS is used when the server offers it; `sslmode=require` in the URL insists on it,
/// `sslmode=disable` turns it off.
fn tls(ca: Option<&CaCerts>) -> Result<MakeRustlsConnect, StoreError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        // A broken system certificate is not ours to refuse: skip it.
        let _ = roots.add(cert);
    }
    if let Some(ca) = ca {
        let err = |e: &dyn std::fmt::Display| StoreError::Tls(format!("{}: {e}", ca.origin));
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(&ca.pem) {
            roots.add(cert.map_err(|e| err(&e))?).map_err(|e| err(&e))?;
            added += 1;
        }
        if added == 0 {
            return Err(err(&"no certificate in the file"));
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// Connects to the database at `url` and migrates it.
pub(super) fn open(url: &str, ca: Option<&CaCerts>) -> Result<Db, StoreError> {
    let connect_err = |e: postgres::Error| StoreError::Connect {
        url: redact(url),
        cause: e.to_string(),
    };
    let tls = tls(ca)?;
    let client = off_runtime(|| -> Result<postgres::Client, StoreError> {
        let mut client = postgres::Client::connect(url, tls.clone()).map_err(connect_err)?;
        migrations::migrate(&mut client).map_err(connect_err)?;
        Ok(client)
    })?;
    Ok(Db::postgres(client, url, tls))
}
