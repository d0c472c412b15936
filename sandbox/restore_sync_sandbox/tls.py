"""A certificate authority of the sandbox's own, for the endpoints AWS serves over https only.

AWS hands out https URLs where code must not fall back to http (a custom resource's ResponseURL, a pre-signed S3
URL). The sandbox serves those on 127.0.0.1 with a certificate from a certificate authority made for the run; code
trusts it the standard way, through the `SSL_CERT_FILE` bundle (OpenSSL's variable, which Python's `ssl`, urllib
and urllib3 read), which the Sandbox points at `LocalAuthority.bundle` while it runs. Nothing is special-cased in
the code that connects: it verifies the certificate and the host name as it does against AWS.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import ssl
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# The certificates outlive any sandbox run; the authority is made anew for each.
VALIDITY = datetime.timedelta(days=2)


class LocalAuthority:
    """A certificate authority and one server certificate it signed for `host` (and localhost), as files in a
    temporary folder: `bundle` (this authority, then the CA certificates trusted before), `certificate` and `key`."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="restore-sync-sandbox-tls-"))
        now = datetime.datetime.now(datetime.UTC)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "restore-sync sandbox local authority")])
        ca = (
            _builder(ca_name, ca_name, ca_key.public_key(), now)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(key_cert_sign=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        key = ec.generate_private_key(ec.SECP256R1())
        names: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        if host not in ("localhost", "127.0.0.1"):
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        server = (
            _builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]), ca_name, key.public_key(), now)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(digital_signature=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        self.authority = self.folder / "authority.pem"
        self.authority.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        self.certificate = self.folder / "server.pem"
        self.certificate.write_bytes(server.public_bytes(serialization.Encoding.PEM))
        self.key = self.folder / "server-key.pem"
        self.key.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        self.key.chmod(0o600)
        # Trusting this authority must not stop anything else from being trusted.
        self.bundle = self.folder / "bundle.pem"
        self.bundle.write_bytes(self.authority.read_bytes() + _trusted_before())

    def server_context(self) -> ssl.SSLContext:
        """A server-side TLS context with the server certificate."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.certificate, self.key)
        return context

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey, now: datetime.datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
    )


def _usage(digital_signature: bool = False, key_cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=key_cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _trusted_before() -> bytes:
    """The CA file this process trusted: the one SSL_CERT_FILE named, else OpenSSL's default."""
    paths = ssl.get_default_verify_paths()
    for candidate in (os.environ.get(paths.openssl_cafile_env), paths.openssl_cafile):
        if candidate and Path(candidate).is_file():
            return b"\n" + Path(candidate).read_bytes()
    return b""
