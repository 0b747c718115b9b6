"""Test certificate authorities shaped like BSrE's: a root, an issuing CA, personal certificates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

_VALIDITY = timedelta(days=365)


@dataclass(frozen=True)
class Identity:
    """A certificate and its private key, both also written as PEM files."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey
    cert_path: Path
    key_path: Path


@dataclass
class CertificateAuthority:
    """A self-signed root and an issuing CA below it that issues signer certificates."""

    directory: Path
    root: Identity
    issuing: Identity
    _issued: int = field(default=0)

    @property
    def root_pem_path(self) -> Path:
        """The PEM of the root: what a relying party trusts."""
        return self.root.cert_path

    def issue_signer(self, common_name: str, nik: str) -> Identity:
        """A personal signing certificate for `common_name`, issued by the issuing CA."""
        self._issued += 1
        key = _new_key()
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Personal"),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, nik),
            ]
        )
        certificate = (
            _builder(subject, self.issuing.certificate.subject, key)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,  # nonRepudiation, which pyHanko asks of signers
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.issuing.key.public_key()),
                critical=False,
            )
            .sign(self.issuing.key, hashes.SHA256())
        )
        return _write(self.directory, f"signer-{self._issued}", certificate, key)


def make_ca(directory: Path, name: str) -> CertificateAuthority:
    """A root "<name> Root CA" and an issuing "<name> Issuing CA", written under `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    root_key = _new_key()
    root_name = _ca_name(f"{name} Root CA")
    root_cert = (
        _builder(root_name, root_name, root_key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    root = _write(directory, "root", root_cert, root_key)
    issuing_key = _new_key()
    issuing_cert = (
        _builder(_ca_name(f"{name} Issuing CA"), root_name, issuing_key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_ca_key_usage(), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    issuing = _write(directory, "issuing", issuing_cert, issuing_key)
    return CertificateAuthority(directory=directory, root=root, issuing=issuing)


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _ca_name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Komitmen Test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ca_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )


def _builder(
    subject: x509.Name, issuer: x509.Name, key: rsa.RSAPrivateKey
) -> x509.CertificateBuilder:
    # Back-dated a little so that clock skew between steps never makes a certificate too new.
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def _write(
    directory: Path, stem: str, certificate: x509.Certificate, key: rsa.RSAPrivateKey
) -> Identity:
    cert_path = directory / f"{stem}.pem"
    key_path = directory / f"{stem}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Identity(certificate=certificate, key=key, cert_path=cert_path, key_path=key_path)
