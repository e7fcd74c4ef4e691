"""python manage.py convert_framework --from ft PATH --out DIR [--slug PREFIX]"""

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from imports import frameworks_ft

CONVERTERS = {"ft": frameworks_ft.convert_ft_file}


class Command(BaseCommand):
    help = (
        "Convert another company's published career framework into framework files (schema 2) "
        "that load_framework reads. --from ft: a Financial Times engineering-progression job-family "
        "file (e.g. engineering.yml); it gives one track for the individual-contributor path with the "
        "whole ladder and, where the file splits into a people-manager path, a second track that forks "
        "from the first. Writes <slug>.yaml files into DIR (created if missing, files of the same "
        "name replaced) and touches no database. See grades/frameworks/README.md."
    )
    # A file-to-file conversion: it needs neither the database nor the checks that read it.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("path", metavar="PATH", help="the source file, e.g. engineering.yml")
        parser.add_argument(
            "--from", dest="source_format", required=True, choices=sorted(CONVERTERS),
            help="the source's format: ft (Financial Times engineering-progression job family)",
        )
        parser.add_argument("--out", metavar="DIR", required=True, help="the folder the YAML files are written to")
        parser.add_argument(
            "--slug", metavar="PREFIX",
            help="slug of the main track (the people-manager track gets -pm after it, the categories "
            "<slug>-<theme>); default ft-<job family name>, e.g. ft-engineering",
        )

    def handle(self, *args, path, source_format, out, slug=None, **options):
        try:
            tracks = CONVERTERS[source_format](path, prefix=slug)
        except frameworks_ft.FtFormatError as exc:
            raise CommandError(str(exc)) from exc

        folder = Path(out)
        if folder.exists() and not folder.is_dir():
            raise CommandError(f"{folder}: exists and is not a folder; give --out a folder to write the files to.")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"{folder}: cannot create the folder ({exc.strerror}).") from exc
        # Every file is rendered before the first is written, and each is replaced in one
        # rename, so a failure never leaves half a file behind.
        rendered = [(folder / track.filename, track.to_yaml()) for track in tracks]
        for target, text in rendered:
            if target.is_dir():
                raise CommandError(f"{target}: is a folder; remove it or choose another --out.")
        for target, text in rendered:
            _write_replacing(target, text)

        if options["verbosity"] >= 1:
            for (target, _text), track in zip(rendered, tracks, strict=True):
                fork = track.document["track"].get("fork_of")
                branch = f", forks from {fork} at {track.document['track']['fork_at']}" if fork else ""
                self.stdout.write(
                    f"Wrote {target}: track {track.slug}, {len(track.levels)} level(s) "
                    f"({', '.join(track.levels)}), {track.requirement_count} requirement(s){branch}."
                )
            if len(rendered) > 1:
                order = ", then ".join(f"manage.py load_framework {target}" for target, _text in rendered)
                self.stdout.write(f"Load them in this order (a fork after its parent): {order}")


def _write_replacing(target: Path, text: str) -> None:
    """Write `text` to `target` as UTF-8 through a temporary file in the same folder."""
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
                stream.write(text)
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise CommandError(f"{target}: cannot be written ({exc.strerror}).") from exc
