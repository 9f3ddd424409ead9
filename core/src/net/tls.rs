//! TLS 1.3 for the QUIC transport, authenticated with RFC 7250 raw public keys.
//!
//! This module owns everything between an Ed25519 device key and a ready-to-use
//! `quinn::ServerConfig` / `quinn::ClientConfig`: the SubjectPublicKeyInfo
//! encoding of device keys, the rustls signing key built from the device seed,
//! the custom certificate verifiers (both sides must present a raw Ed25519 key;
//! the client may pin the server's key), the ALPN value, the QUIC transport
//! parameters (keep-alive, idle timeout, streams, windows, no datagrams), and reading the authenticated peer
//! device id back out of an established connection.
//!
//! TLS only proves that the peer holds the private key for the device id it
//! presents. Whether that device is *allowed* to talk to us is decided above
//! this layer.
//!
//! Session resumption and 0-RTT are disabled so every connection performs a full
//! handshake and re-proves possession of the device key.

use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::pkcs8::{EncodePrivateKey, KeypairBytes};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{
    CertificateDer, PrivatePkcs8KeyDer, ServerName, SubjectPublicKeyInfoDer, UnixTime,
};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::sign::CertifiedKey;
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, Error as RustlsError,
    PeerIncompatible, SignatureScheme,
};

/// ALPN protocol identifier for the Clearchat sync protocol.
pub const ALPN: &[u8] = b"clearchat/1";

/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the key follows.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// How often an idle connection sends a keep-alive.
const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(10);
/// How long a connection may stay silent before it is closed (milliseconds).
const MAX_IDLE_TIMEOUT_MS: u32 = 30_000;

/// Errors building TLS configurations. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The device key could not be encoded or loaded as a TLS signing key.
    #[error("device key could not be loaded as a TLS signing key")]
    SigningKey,
    /// rustls rejected the configuration.
    #[error("TLS configuration error: {0}")]
    Config(#[from] RustlsError),
    /// The crypto provider lacks the cipher suite QUIC needs for Initial packets.
    #[error("QUIC TLS configuration error: {0}")]
    Quic(#[from] quinn::crypto::rustls::NoInitialCipherSuite),
}

/// Ed25519 SubjectPublicKeyInfo DER for a 32-byte public key (fixed 12-byte prefix 302a300506032b6570032100 + key).
pub fn spki_der(public: &[u8; 32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ED25519_SPKI_PREFIX.len() + public.len());
    out.extend_from_slice(&ED25519_SPKI_PREFIX);
    out.extend_from_slice(public);
    out
}

/// Inverse of [`spki_der`]: `Some(key)` if `der` is exactly an Ed25519 SPKI.
pub fn device_id_from_spki(der: &[u8]) -> Option<[u8; 32]> {
    let key = der.strip_prefix(&ED25519_SPKI_PREFIX[..])?;
    key.try_into().ok()
}

/// Server config: presents our key, REQUIRES a client raw public key (mutual
/// auth) but accepts any valid Ed25519 client key (authorization happens later
/// above TLS). TLS 1.3 only, ALPN set.
pub fn server_config(key: &ed25519_dalek::SigningKey) -> Result<quinn::ServerConfig, TlsError> {
    server_config_with(certified_key(key)?)
}

/// Client config: presents our key; if `expect` is `Some(id)` the server's key
/// must equal it (else the handshake fails); if `None` any valid Ed25519 server
/// key is accepted (used when dialing an address learned from a LAN beacon; the
/// caller checks identity afterwards with [`peer_device_id`]).
pub fn client_config(
    key: &ed25519_dalek::SigningKey,
    expect: Option<[u8; 32]>,
) -> Result<quinn::ClientConfig, TlsError> {
    client_config_with(certified_key(key)?, expect)
}

/// How long a punching dial first assumes a round trip takes (quinn's default is 333 ms): a dropped
/// Initial is sent again after about 300 ms, 0.9 s and 2.1 s instead of 1 s, 3 s and 7 s.
const PUNCH_INITIAL_RTT: std::time::Duration = std::time::Duration::from_millis(100);

/// [`client_config`] for a dial that punches a hole (`net::birthday`): retransmits sooner.
pub fn punch_client_config(
    key: &ed25519_dalek::SigningKey,
    expect: [u8; 32],
) -> Result<quinn::ClientConfig, TlsError> {
    let mut config = client_config_with(certified_key(key)?, Some(expect))?;
    let mut transport = transport(true);
    transport.initial_rtt(PUNCH_INITIAL_RTT);
    config.transport_config(Arc::new(transport));
    Ok(config)
}

/// The authenticated peer device id of an established connection.
///
/// With raw public keys, quinn's `peer_identity()` is a `Vec<CertificateDer>`
/// holding exactly one entry: the peer's SPKI.
pub fn peer_device_id(conn: &quinn::Connection) -> Option<[u8; 32]> {
    let identity = conn.peer_identity()?;
    let certs = identity.downcast::<Vec<CertificateDer<'static>>>().ok()?;
    match certs.as_slice() {
        [spki] => device_id_from_spki(spki.as_ref()),
        _ => None,
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Bytes of one stream (and so of the connection: it has one) the peer may send ahead of what we read:
/// two sync batches.
const RECEIVE_WINDOW: u32 = 2 << 20;
/// Bytes we buffer for sending ahead of the peer's acknowledgements.
const SEND_WINDOW: u64 = 4 << 20;

/// The transport parameters: what the protocol uses and nothing more. The dialer opens one
/// bidirectional stream and the acceptor none, so the acceptor allows one and the dialer zero; no
/// unidirectional streams, no datagrams; receive windows of two batches, not quinn's unlimited
/// connection window.
///
/// Only the dialer sends keep-alives: its pings keep both ends' idle timers and any NAT binding fresh,
/// so a second ping stream from the acceptor would only double the wake-ups of an idle connection.
fn transport_config(dialer: bool) -> Arc<quinn::TransportConfig> {
    Arc::new(transport(dialer))
}

fn transport(dialer: bool) -> quinn::TransportConfig {
    let mut transport = quinn::TransportConfig::default();
    transport.keep_alive_interval(dialer.then_some(KEEP_ALIVE_INTERVAL));
    transport.max_idle_timeout(Some(quinn::VarInt::from_u32(MAX_IDLE_TIMEOUT_MS).into()));
    transport.max_concurrent_bidi_streams(quinn::VarInt::from_u32(if dialer { 0 } else { 1 }));
    transport.max_concurrent_uni_streams(quinn::VarInt::from_u32(0));
    transport.stream_receive_window(quinn::VarInt::from_u32(RECEIVE_WINDOW));
    transport.receive_window(quinn::VarInt::from_u32(RECEIVE_WINDOW));
    transport.send_window(SEND_WINDOW);
    transport.datagram_receive_buffer_size(None);
    transport.datagram_send_buffer_size(0);
    transport
}

/// Our device key as a rustls `CertifiedKey` whose "certificate" is the raw SPKI.
fn certified_key(key: &ed25519_dalek::SigningKey) -> Result<Arc<CertifiedKey>, TlsError> {
    // PKCS#8 v1 (no embedded public key); the document zeroizes itself on drop.
    let keypair = KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    };
    let pkcs8 = keypair.to_pkcs8_der().map_err(|_| TlsError::SigningKey)?;
    let der = PrivatePkcs8KeyDer::from(pkcs8.as_bytes());
    let signer =
        rustls::crypto::ring::sign::any_eddsa_type(&der).map_err(|_| TlsError::SigningKey)?;
    let spki = spki_der(&key.verifying_key().to_bytes());
    Ok(Arc::new(CertifiedKey::new(
        vec![CertificateDer::from(spki)],
        signer,
    )))
}

fn server_config_with(certified: Arc<CertifiedKey>) -> Result<quinn::ServerConfig, TlsError> {
    let provider = provider();
    let verifier = Arc::new(RpkClientVerifier {
        algorithms: provider.signature_verification_algorithms,
    });
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(Arc::new(
            rustls::server::AlwaysResolvesServerRawPublicKeys::new(certified),
        ));
    tls.alpn_protocols = vec![ALPN.to_vec()];
    tls.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    tls.send_tls13_tickets = 0;
    tls.max_early_data_size = 0;

    let quic = quinn::crypto::rustls::QuicServerConfig::try_from(tls)?;
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(quic));
    config.transport_config(transport_config(false));
    Ok(config)
}

fn client_config_with(
    certified: Arc<CertifiedKey>,
    expect: Option<[u8; 32]>,
) -> Result<quinn::ClientConfig, TlsError> {
    let provider = provider();
    let verifier = Arc::new(RpkServerVerifier {
        expect,
        algorithms: provider.signature_verification_algorithms,
    });
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_client_cert_resolver(Arc::new(
            rustls::client::AlwaysResolvesClientRawPublicKeys::new(certified),
        ));
    tls.alpn_protocols = vec![ALPN.to_vec()];
    tls.resumption = rustls::client::Resumption::disabled();
    tls.enable_early_data = false;

    let quic = quinn::crypto::rustls::QuicClientConfig::try_from(tls)?;
    let mut config = quinn::ClientConfig::new(Arc::new(quic));
    config.transport_config(transport_config(true));
    Ok(config)
}

/// Checks that a presented end entity is a raw Ed25519 key on the curve, with
/// no further chain. Returns the device id.
fn check_end_entity(
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
) -> Result<[u8; 32], RustlsError> {
    if !intermediates.is_empty() {
        return Err(RustlsError::InvalidCertificate(
            CertificateError::BadEncoding,
        ));
    }
    let id = device_id_from_spki(end_entity.as_ref()).ok_or(RustlsError::InvalidCertificate(
        CertificateError::BadEncoding,
    ))?;
    check_peer_key(&id)
}

/// A peer's raw public key: a valid Ed25519 point, not of small order.
pub fn check_peer_key(id: &[u8; 32]) -> Result<[u8; 32], RustlsError> {
    match crate::space::strong_key(&crate::ids::DeviceId(*id)) {
        true => Ok(*id),
        false => Err(RustlsError::InvalidCertificate(
            CertificateError::BadEncoding,
        )),
    }
}

/// Verifies a TLS 1.3 handshake signature made by a raw Ed25519 key.
fn verify_tls13(
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
    algorithms: &WebPkiSupportedAlgorithms,
) -> Result<HandshakeSignatureValid, RustlsError> {
    if dss.scheme != SignatureScheme::ED25519 || device_id_from_spki(cert.as_ref()).is_none() {
        return Err(PeerIncompatible::NoSignatureSchemesInCommon.into());
    }
    let spki = SubjectPublicKeyInfoDer::from(cert.as_ref());
    rustls::crypto::verify_tls13_signature_with_raw_key(message, &spki, dss, algorithms)
}

/// Client side: verifies the server's raw public key, optionally pinned.
#[derive(Debug)]
struct RpkServerVerifier {
    expect: Option<[u8; 32]>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for RpkServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, RustlsError> {
        let id = check_end_entity(end_entity, intermediates)?;
        match self.expect {
            Some(expected) if expected != id => Err(RustlsError::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            )),
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, RustlsError> {
        Err(PeerIncompatible::Tls13RequiredForQuic.into())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, RustlsError> {
        verify_tls13(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }

    fn requires_raw_public_keys(&self) -> bool {
        true
    }
}

/// Server side: requires the client's raw public key and accepts any valid
/// Ed25519 key (authorization happens above TLS).
#[derive(Debug)]
struct RpkClientVerifier {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for RpkClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, RustlsError> {
        check_end_entity(end_entity, intermediates)?;
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, RustlsError> {
        Err(PeerIncompatible::Tls13RequiredForQuic.into())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, RustlsError> {
        verify_tls13(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![SignatureScheme::ED25519]
    }

    fn requires_raw_public_keys(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;
    use std::net::SocketAddr;

    const TIMEOUT: Duration = Duration::from_secs(10);

    fn key() -> SigningKey {
        SigningKey::generate(&mut rand::rngs::OsRng)
    }

    fn server(config: quinn::ServerConfig) -> (quinn::Endpoint, SocketAddr) {
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let endpoint = quinn::Endpoint::server(config, addr).unwrap();
        let local = endpoint.local_addr().unwrap();
        (endpoint, local)
    }

    async fn connect(
        config: quinn::ClientConfig,
        addr: SocketAddr,
    ) -> Result<quinn::Connection, quinn::ConnectionError> {
        let mut endpoint = quinn::Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
        endpoint.set_default_client_config(config);
        let connecting = endpoint.connect(addr, "clearchat").unwrap();
        tokio::time::timeout(TIMEOUT, connecting)
            .await
            .expect("client handshake timed out")
    }

    /// Accepts one incoming connection and drives its handshake to completion.
    fn accept_one(
        endpoint: &quinn::Endpoint,
    ) -> tokio::task::JoinHandle<Result<quinn::Connection, quinn::ConnectionError>> {
        let endpoint = endpoint.clone();
        tokio::spawn(async move {
            let incoming = endpoint.accept().await.expect("endpoint closed");
            incoming.await
        })
    }

    #[test]
    fn spki_roundtrip() {
        let public = key().verifying_key().to_bytes();
        let der = spki_der(&public);
        assert_eq!(der.len(), 44);
        assert_eq!(
            &der[..12],
            &[0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]
        );
        assert_eq!(device_id_from_spki(&der), Some(public));
        assert_eq!(device_id_from_spki(&der[..43]), None);
        let mut long = der.clone();
        long.push(0);
        assert_eq!(device_id_from_spki(&long), None);
        let mut wrong_oid = der.clone();
        wrong_oid[8] = 0x71; // Ed448
        assert_eq!(device_id_from_spki(&wrong_oid), None);
        assert_eq!(device_id_from_spki(&[]), None);
    }

    #[tokio::test]
    async fn unpinned_client_accepts_any_server_key() {
        let server_key = key();
        let client_key = key();
        let server_id = server_key.verifying_key().to_bytes();
        let client_id = client_key.verifying_key().to_bytes();

        let (endpoint, addr) = server(server_config(&server_key).unwrap());
        let accepted = accept_one(&endpoint);
        let client_conn = connect(client_config(&client_key, None).unwrap(), addr)
            .await
            .expect("handshake should succeed");
        let server_conn = tokio::time::timeout(TIMEOUT, accepted)
            .await
            .unwrap()
            .unwrap()
            .expect("server handshake should succeed");
        assert_eq!(peer_device_id(&client_conn), Some(server_id));
        assert_eq!(peer_device_id(&server_conn), Some(client_id));
        client_conn.close(0u32.into(), b"done");
        endpoint.close(0u32.into(), b"done");
    }

    #[tokio::test]
    async fn mutual_handshake_identity_and_keying_material() {
        let server_key = key();
        let client_key = key();
        let server_id = server_key.verifying_key().to_bytes();
        let client_id = client_key.verifying_key().to_bytes();

        let (endpoint, addr) = server(server_config(&server_key).unwrap());
        let accepted = accept_one(&endpoint);
        let client_conn = connect(client_config(&client_key, Some(server_id)).unwrap(), addr)
            .await
            .expect("handshake should succeed");
        let server_conn = tokio::time::timeout(TIMEOUT, accepted)
            .await
            .unwrap()
            .unwrap()
            .expect("server handshake should succeed");

        assert_eq!(peer_device_id(&client_conn), Some(server_id));
        assert_eq!(peer_device_id(&server_conn), Some(client_id));
        assert_eq!(
            client_conn.handshake_data().and_then(|d| d
                .downcast::<quinn::crypto::rustls::HandshakeData>()
                .ok()
                .and_then(|d| d.protocol)),
            Some(ALPN.to_vec())
        );

        let mut client_ekm = [0u8; 32];
        let mut server_ekm = [0u8; 32];
        client_conn
            .export_keying_material(&mut client_ekm, b"clearchat test", b"")
            .unwrap();
        server_conn
            .export_keying_material(&mut server_ekm, b"clearchat test", b"")
            .unwrap();
        assert_eq!(client_ekm, server_ekm);
        assert_ne!(client_ekm, [0u8; 32]);

        // The connection actually carries data.
        let (mut send, _recv) = client_conn.open_bi().await.unwrap();
        send.write_all(b"hello").await.unwrap();
        send.finish().unwrap();
        let (_s, mut recv) = server_conn.accept_bi().await.unwrap();
        assert_eq!(recv.read_to_end(64).await.unwrap(), b"hello");

        client_conn.close(0u32.into(), b"done");
        endpoint.close(0u32.into(), b"done");
    }

    #[tokio::test]
    async fn client_pinning_other_id_fails() {
        let server_key = key();
        let client_key = key();
        let other_id = key().verifying_key().to_bytes();

        let (endpoint, addr) = server(server_config(&server_key).unwrap());
        let accepted = accept_one(&endpoint);
        let result = connect(client_config(&client_key, Some(other_id)).unwrap(), addr).await;
        assert!(result.is_err(), "pinned handshake must fail");
        let server_side = tokio::time::timeout(TIMEOUT, accepted)
            .await
            .unwrap()
            .unwrap();
        assert!(server_side.is_err());
        endpoint.close(0u32.into(), b"done");
    }

    #[tokio::test]
    async fn server_presenting_wrong_key_fails() {
        let expected_key = key();
        let impostor_key = key();
        let client_key = key();
        let expected_id = expected_key.verifying_key().to_bytes();

        // The impostor presents its own key.
        let (endpoint, addr) = server(server_config(&impostor_key).unwrap());
        let accepted = accept_one(&endpoint);
        let result = connect(client_config(&client_key, Some(expected_id)).unwrap(), addr).await;
        assert!(result.is_err(), "wrong server key must fail");
        let _ = tokio::time::timeout(TIMEOUT, accepted).await;
        endpoint.close(0u32.into(), b"done");

        // The impostor claims the expected key but can only sign with its own.
        let forged = CertifiedKey::new(
            vec![CertificateDer::from(spki_der(&expected_id))],
            certified_key(&impostor_key).unwrap().key.clone(),
        );
        let (endpoint, addr) = server(server_config_with(Arc::new(forged)).unwrap());
        for expect in [Some(expected_id), None] {
            let accepted = accept_one(&endpoint);
            let result = connect(client_config(&client_key, expect).unwrap(), addr).await;
            assert!(result.is_err(), "forged server signature must fail");
            let _ = tokio::time::timeout(TIMEOUT, accepted).await;
        }
        endpoint.close(0u32.into(), b"done");
    }

    #[tokio::test]
    async fn client_with_forged_key_is_rejected() {
        let server_key = key();
        let victim_id = key().verifying_key().to_bytes();
        let attacker = key();
        let forged = CertifiedKey::new(
            vec![CertificateDer::from(spki_der(&victim_id))],
            certified_key(&attacker).unwrap().key.clone(),
        );

        let (endpoint, addr) = server(server_config(&server_key).unwrap());
        let accepted = accept_one(&endpoint);
        let client = client_config_with(Arc::new(forged), None).unwrap();
        // The client may consider its side done before the server checks
        // the client's signature; the server must reject either way.
        let _ = connect(client, addr).await;
        let server_side = tokio::time::timeout(TIMEOUT, accepted)
            .await
            .unwrap()
            .unwrap();
        assert!(server_side.is_err(), "forged client signature must fail");
        endpoint.close(0u32.into(), b"done");
    }
}
