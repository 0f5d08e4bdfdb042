"""Documents generated per second, and PDF conversions per second, against baselines measured in the same run.

    .venv/bin/python bench/forms.py [--documents 300] [--rounds 5] [--pdfs 20]

Generation: ``occ_core.forms.rendering.render_odt`` on a realistic template (the default «comunicazione ai
creditori»: letterhead, conditional paragraphs for each procedure, a table with one row per creditor) with
the sample dossier's context grown to 50 creditors, against secretary's plain ``Renderer().render`` on the
same template and data (secretary 0.2.19 as installed: it reads and prepares the XML and compiles it again
for every document; it prints nothing for an unknown name and leaves the loop's marker rows in the table as
empty rows). Rounds alternate between the two; the median round counts.

PDF: N generated documents converted by ``occ_core.office.convert`` (one LibreOffice start for the batch,
with its own profile in a temporary folder) against calling ``soffice --headless --convert-to pdf`` directly,
once per document and once for the whole batch (the user's default profile, warmed up first)."""
from __future__ import annotations

import argparse
import io
import shutil
import statistics
import subprocess
import tempfile
import time
import zipfile
from decimal import Decimal
from pathlib import Path

from occ_core import office
from occ_core.forms import library
from occ_core.forms.context import creditor_data, sample_context, sample_parts
from occ_core.forms import rendering
from occ_core.forms.rendering import render_odt
from occ_core.forms.secretary_compat import secretary
from occ_core.dossiers.models import Creditor

CREDITORS = 50


def context_with_creditors(count: int) -> dict:
    context = sample_context()
    kinds = sample_parts().dossier.creditors
    creditors = []
    for index in range(count):
        model = kinds[index % len(kinds)]
        creditors.append(creditor_data(Creditor(kind=model.kind, name=f"{model.name} – posizione {index + 1}",
                                                pec=model.pec, amount_claimed=Decimal(1000 + 137 * index),
                                                rank=model.rank)))
    context["creditori"] = creditors
    return context


def timed(function, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        function()
    return count / (time.perf_counter() - started)


def secretary_plain(template: bytes, context: dict) -> bytes:
    return secretary.Renderer().render(io.BytesIO(template), **context)


def soffice_direct(soffice: str, paths: list[Path], outdir: Path) -> None:
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(outdir), *map(str, paths)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def bench_generation(options, template: bytes, context: dict) -> None:
    ours, plain = render_odt(template, context), secretary_plain(template, context)
    for name in ("posizione 1<", "posizione 50<"):
        if name not in _content(ours):
            raise SystemExit(f"render_odt left out {name}")
        if name not in _content(plain):
            raise SystemExit(f"secretary left out {name}")
    def cold():
        rendering._compiled.cache_clear()
        render_odt(template, context)

    mine, uncached, theirs = [], [], []
    for _ in range(options.rounds):
        mine.append(timed(lambda: render_odt(template, context), options.documents))
        uncached.append(timed(cold, options.documents))
        theirs.append(timed(lambda: secretary_plain(template, context), options.documents))
    generated, first, baseline = statistics.median(mine), statistics.median(uncached), statistics.median(theirs)
    print(f"Generation: {options.documents} documents of {len(template):,} bytes with {CREDITORS} creditors, "
          f"{options.rounds} alternating rounds (median round)")
    print(f"{'':44}{'per second':>12}{'ms each':>10}")
    print(f"{'render_odt (strict, sandboxed, cached)':44}{generated:>12,.1f}{1000 / generated:>10.2f}")
    print(f"{'render_odt, template read again every time':44}{first:>12,.1f}{1000 / first:>10.2f}")
    print(f"{'secretary Renderer().render (baseline)':44}{baseline:>12,.1f}{1000 / baseline:>10.2f}")
    print(f"ratio render_odt / secretary: {generated / baseline:.1f}x (uncached: {first / baseline:.1f}x)")


def _content(document: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(document)) as archive:
        return archive.read("content.xml").decode("utf-8")


def bench_pdf(options, template: bytes, context: dict) -> None:
    soffice = shutil.which("soffice")
    if soffice is None or options.pdfs < 1:
        print("PDF: skipped (no documents asked for, or LibreOffice is not installed here)")
        return
    documents = [render_odt(template, {**context, "oggi": f"{day:02d}/12/2026"})
                 for day in range(1, options.pdfs + 1)]
    settings = {office.SOFFICE_SETTING: soffice}
    with tempfile.TemporaryDirectory(prefix="bench-forms-") as folder:
        folder = Path(folder)
        paths = []
        for index, document in enumerate(documents):
            path = folder / f"documento-{index:03d}.odt"
            path.write_bytes(document)
            paths.append(path)
        soffice_direct(soffice, paths[:1], folder / "warm-up")
        started = time.perf_counter()
        pdfs = office.convert(settings, [(document, ".odt") for document in documents])
        batch_ours = time.perf_counter() - started
        assert all(pdf.startswith(b"%PDF-") for pdf in pdfs)
        started = time.perf_counter()
        soffice_direct(soffice, paths, folder / "batch")
        batch_direct = time.perf_counter() - started
        started = time.perf_counter()
        for path in paths:
            soffice_direct(soffice, [path], folder / "each")
        each_direct = time.perf_counter() - started
        assert len(list((folder / "each").glob("*.pdf"))) == len(paths) == len(list((folder / "batch").glob("*.pdf")))
    count = len(documents)
    print(f"\nPDF: {count} documents of the same template")
    print(f"{'':52}{'seconds':>9}{'PDF/s':>8}")
    for label, seconds in (("occ_core.office.convert (one run, own profile)", batch_ours),
                           ("soffice directly, once for the batch", batch_direct),
                           ("soffice directly, once per document", each_direct)):
        print(f"{label:52}{seconds:>9.2f}{count / seconds:>8.2f}")
    print(f"ratio office.convert / soffice per document: {each_direct / batch_ours:.1f}x; "
          f"office.convert / soffice batch: {batch_direct / batch_ours:.2f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pdfs", type=int, default=20)
    options = parser.parse_args()
    template = library.default("comunicazione_creditori").content
    context = context_with_creditors(CREDITORS)
    bench_generation(options, template, context)
    bench_pdf(options, template, context)


if __name__ == "__main__":
    main()
