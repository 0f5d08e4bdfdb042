"""Converting documents with LibreOffice headless: ODT, flat ODT, HTML or DOCX to PDF (or to ODT).

A batch of files goes through ONE start of LibreOffice: starting it costs seconds, converting a short
letter a fraction of one. LibreOffice runs with a user profile of its own in a temporary folder, so that
conversions running at the same time (two workers, a test suite) do not clash over one profile, and in a
process group of its own, so that a conversion past its time limit is stopped whole (``soffice`` starts
``soffice.bin`` beneath it). Only names made here ever reach the command line or the filesystem, and
LibreOffice gets an environment of its own (the program's search path, the temporary folder as home, UTF-8),
not the platform's, which holds the database's address and the secrets.

The program is the setting ``protocol.soffice`` (the daily protocol register was its first user): a name
found on the PATH or a path; empty means "never convert" (the test suite, hosts without LibreOffice)."""
from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from occ_core.errors import UserError

log = logging.getLogger(__name__)

SOFFICE_SETTING = "protocol.soffice"
# The start, then each file: a long daily register gives its own limit (``timeout``).
START_SECONDS, SECONDS_PER_FILE = 60, 10
SUFFIX = re.compile(r"\.[a-z0-9]{1,5}")
TARGET = re.compile(r"[a-z0-9]{1,5}")


class OfficeUnavailable(UserError):
    """LibreOffice is not installed (or not configured) where the platform runs."""

    def __init__(self):
        super().__init__("La conversione non è disponibile: LibreOffice non è installato su questo server. "
                         "Scarichi il documento in formato ODT e lo converta con LibreOffice o Word, oppure "
                         "chieda all'amministratore della piattaforma di installare LibreOffice.")


class ConversionFailed(UserError):
    """LibreOffice did not produce the result (not started, failed, or stopped at its time limit). The user
    reads what to do; ``detail`` (LibreOffice's own output, the temporary paths) goes to the log."""

    def __init__(self, detail: str):
        super().__init__("LibreOffice non è riuscito a convertire il documento. Verifichi che il documento si apra "
                         "correttamente con LibreOffice o Word e riprovi; se il problema continua, lo segnali "
                         "all'amministratore della piattaforma.")
        self.detail = detail


def soffice_of(settings) -> str | None:
    """The LibreOffice program to convert with, if it is installed (``protocol.soffice``, empty: never)."""
    name = (settings.get(SOFFICE_SETTING) or "").strip()
    return shutil.which(name) if name else None


def _failed(detail: str) -> ConversionFailed:
    log.warning("LibreOffice conversion failed: %s", detail)
    return ConversionFailed(detail)


def _environment(folder: Path) -> dict[str, str]:
    """What LibreOffice runs with: nothing of the platform's environment but the search path."""
    return {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(folder), "TMPDIR": str(folder),
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}


def _stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def run(soffice: str, files: list[tuple[bytes, str]], to: str = "pdf",
        timeout: float | None = None) -> list[bytes]:
    """Each of ``files`` ([(content, suffix such as ".odt")]) converted by ``soffice`` in one start.

    ``to`` is LibreOffice's ``--convert-to`` argument: a format ("pdf", "odt"), optionally with its filter
    and options ("pdf:writer_pdf_Export:{...}"). ``ConversionFailed`` unless every file was converted."""
    if not files:
        return []
    target_format = to.split(":", 1)[0]
    if not TARGET.fullmatch(target_format) or not all(SUFFIX.fullmatch(suffix) for _c, suffix in files):
        raise ValueError("unexpected format or suffix")
    timeout = timeout if timeout is not None else START_SECONDS + SECONDS_PER_FILE * len(files)
    with tempfile.TemporaryDirectory(prefix="occ-office-") as folder:
        folder = Path(folder)
        sources = []
        for index, (content, suffix) in enumerate(files):
            source = folder / "in" / f"documento-{index:05d}{suffix}"
            source.parent.mkdir(exist_ok=True)
            source.write_bytes(content)
            sources.append(source)
        target = folder / "out"
        command = [soffice, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless", "--norestore",
                   "--nolockcheck", "--convert-to", to, "--outdir", str(target), *map(str, sources)]
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, start_new_session=True,
                                       env=_environment(folder))
        except OSError as error:
            raise _failed(f"avvio di {soffice} non riuscito: {error}") from error
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            raise _failed(f"ancora in corso dopo {timeout:.0f} secondi") from None
        results = []
        for source in sources:
            converted = target / f"{source.stem}.{target_format}"
            if not converted.is_file():
                raise _failed(f"codice di uscita {process.returncode}, {source.name} non convertito: "
                                       f"{output.decode(errors='replace')[-300:].strip()}")
            results.append(converted.read_bytes())
        return results


def convert(settings, files: list[tuple[bytes, str]], to: str = "pdf", *,
            timeout: float | None = None) -> list[bytes]:
    """``files`` converted in one LibreOffice start, with the program the settings name;
    ``OfficeUnavailable`` when there is none, ``ConversionFailed`` when it fails."""
    soffice = soffice_of(settings)
    if soffice is None:
        raise OfficeUnavailable()
    return run(soffice, files, to, timeout)
