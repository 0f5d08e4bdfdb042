"""The Ministry's monitoring as a printable document: an ODT rendered from the feature's own template (kept
as its XML parts beside this module, so that a change shows in a diff) and, through LibreOffice, a PDF."""
from __future__ import annotations

import io
import zipfile
from functools import lru_cache
from pathlib import Path

from occ_core.clock import today
from occ_core.statistics.ministry import Report

ODT_MEDIA_TYPE = "application/vnd.oasis.opendocument.text"
TEMPLATE_DIR = Path(__file__).parent / "templates" / "ministry_odt"
PARTS = ("content.xml", "styles.xml", "meta.xml", "META-INF/manifest.xml")
NOTES = (
    "Istanze gestite: quelle presentate nell'anno e quelle presentate negli anni precedenti che al 1° gennaio "
    "non erano ancora assegnate né archiviate.",
    "Assegnata: l'istanza per cui è stato nominato il gestore (primo passaggio allo stato «Gestore nominato» o a "
    "uno stato successivo). Le date sono quelle dello storico degli stati: la data dell'atto quando indicata, "
    "altrimenti il giorno della registrazione.",
    "Motivo dell'archiviazione: il registro non ha un campo apposito; il motivo è letto dal testo scritto "
    "all'archiviazione (parole come «rinuncia», «ritiro», «inammissibile», «documentazione») e, quando il "
    "testo non lo indica, è desunto dalla fase: durante l'istruttoria della segreteria si considera inammissibilità, "
    "dopo l'emissione del preventivo rinuncia del debitore.",
    "Depositi ed esiti: atti del tribunale con data nell'anno, per tutte le pratiche dell'Organismo. Per "
    "tribunale: il tribunale indicato nella pratica.",
    "Archiviate dopo l'assegnazione: pratiche che l'Organismo ha archiviato, con data nell'anno, dopo la nomina "
    "del gestore; non sono atti del tribunale e non rientrano tra gli esiti.",
)


@lru_cache(maxsize=1)
def template() -> bytes:
    """The ODT template, packed as an ODT must be: the uncompressed mimetype first."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), (TEMPLATE_DIR / "mimetype").read_bytes(),
                         compress_type=zipfile.ZIP_STORED)
        for part in PARTS:
            archive.writestr(part, (TEMPLATE_DIR / part).read_bytes(), compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def postal_address(tenant) -> str:
    place = " ".join(part for part in (tenant.postal_code, tenant.city,
                                       f"({tenant.province})" if tenant.province else "") if part)
    return ", ".join(part for part in (tenant.address, place) if part)


def context(tenant, report: Report) -> dict:
    contacts = " · ".join(part for part in (f"C.F. {tenant.codice_fiscale}" if tenant.codice_fiscale else "",
                                            f"PEC {tenant.pec}" if tenant.pec else "", tenant.email) if part)
    sections = report.sections()
    return {
        "ordine": {"nome": tenant.name, "occ": tenant.display_name, "indirizzo": postal_address(tenant),
                   "recapiti": contacts},
        "anno": str(report.year),
        "oggi": today().strftime("%d/%m/%Y"),
        "riepilogo": [{"voce": item, "numero": number(count), "quota": report.percent(count)}
                      for item, count in sections[0][1]],
        "sezioni": [{"titolo": title, "voci": [{"voce": item, "numero": number(count)} for item, count in items]}
                    for title, items in sections[1:]],
        "note": list(NOTES),
    }


def odt(tenant, report: Report) -> bytes:
    from occ_core.forms.rendering import render_odt

    return render_odt(template(), context(tenant, report))


def pdf(settings, tenant, report: Report) -> bytes:
    """The report as PDF; ``OfficeUnavailable`` (a ``UserError`` with what to do) without LibreOffice."""
    from occ_core.office import convert

    return convert(settings, [(odt(tenant, report), ".odt")], to="pdf")[0]
