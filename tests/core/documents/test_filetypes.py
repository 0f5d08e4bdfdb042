"""The type of an upload is told from its content: names and browsers' content types do not count."""
import base64

import pytest
from hypothesis import given, settings, strategies as st

from occ_core.documents import filetypes, samples
from occ_core.errors import UserError
from occ_core.testing.shared_data import SHARED_DATA

ACCEPTED = [
    (samples.pdf(), "application/pdf"),
    (samples.p7m(), "application/pkcs7-mime"),
    (samples.p7m(b"x" * 70000), "application/pkcs7-mime"),  # long-form DER length
    (base64.encodebytes(samples.p7m()), "application/pkcs7-mime"),  # base64 as some signing tools save it
    (b"-----BEGIN PKCS7-----\n" + base64.encodebytes(samples.p7m()) + b"-----END PKCS7-----\n",
     "application/pkcs7-mime"),
    (samples.png(), "image/png"),
    (samples.jpeg(), "image/jpeg"),
    (samples.tiff(), "image/tiff"),
    (b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
    (samples.odt(), "application/vnd.oasis.opendocument.text"),
    (samples.docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (samples.fattura_xml(), "application/xml"),
    (b"\xef\xbb\xbf<?xml version='1.0'?><a/>", "application/xml"),
    (samples.csv_text(), "text/csv"),
    ("\ufeffa,b\n1,2\n".encode(), "text/csv"),
    (samples.plain_text(), "text/plain"),
    (samples.eml(), "message/rfc822"),
]


@pytest.mark.parametrize(("content", "media_type"), ACCEPTED)
def test_accepted_types_are_recognised(content, media_type):
    assert filetypes.identify(content).media_type == media_type


@pytest.mark.parametrize("name", ["java-pec-parser__accettazione.eml", "go-pec__email_2.eml"])
def test_real_pec_messages_are_emails(name):
    assert filetypes.identify((SHARED_DATA / "pec" / name).read_bytes()).media_type == "message/rfc822"


def test_the_fatturapa_schema_is_xml():
    schema = SHARED_DATA / "fatturapa" / "Schema_del_file_xml_FatturaPA_v1.2.2.xsd"
    assert filetypes.identify(schema.read_bytes()) is filetypes.XML


REFUSED = {
    "program": (samples.executable(), "non è ammesso"),
    "web page": (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "HTML"),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "HTML"),
    "plain zip": (samples.zip_archive([("notes.txt", b"x")]), "non è ammesso"),
    "broken zip": (b"PK\x03\x04" + b"\x00" * 40, "non è ammesso"),
    "zip with unknown mimetype": (samples.zip_archive([("mimetype", b"application/x-evil")]), "non è ammesso"),
    "binary": (bytes(range(256)) * 4, "non è ammesso"),
    "text with NUL": (b"testo\x00testo", "non è ammesso"),
    "Windows-1252 text": ("Società;Importo\nCaffè;1,00\n".encode("cp1252"), "UTF-8"),
    "DER that is not signed data": (bytes.fromhex("3082000406020101"), "non è ammesso"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_other_content_is_refused_with_a_reason(case):
    content, reason = REFUSED[case]
    with pytest.raises(UserError) as refused:
        filetypes.identify(content)
    assert reason in refused.value.message
    assert refused.value.field == "file"


def test_an_empty_file_is_refused():
    with pytest.raises(UserError, match="vuoto"):
        filetypes.identify(b"")


def test_an_email_with_html_further_on_is_still_an_email():
    message = samples.eml() + b"<html><body>ciao</body></html>\r\n"
    assert filetypes.identify(message) is filetypes.EML


def test_a_text_with_colons_is_not_taken_for_an_email():
    assert filetypes.identify("Nota: da verificare\nEsito: positivo\n\nFine.\n".encode()) is filetypes.TEXT


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_any_content_is_either_recognised_or_refused_in_italian(content):
    try:
        found = filetypes.identify(content)
    except UserError as error:
        assert error.message
    else:
        assert found.media_type in filetypes.BY_MEDIA_TYPE


@pytest.mark.parametrize(("filename", "file_type", "expected"), [
    ("lettera.exe", filetypes.PDF, "lettera.pdf"),
    ("contratto.pdf.p7m", filetypes.P7M, "contratto.pdf.p7m"),
    ("FOTO.JPEG", filetypes.JPEG, "FOTO.JPEG"),
    ("senza estensione", filetypes.PNG, "senza estensione.png"),
    ("elenco.txt", filetypes.CSV, "elenco.txt"),
])
def test_downloads_get_an_extension_that_fits_the_content(filename, file_type, expected):
    assert filetypes.download_name(filename, file_type) == expected
