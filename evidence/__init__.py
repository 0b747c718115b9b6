"""Evidence (bukti dukung): the files and photos officers attach to a quarterly report.

Pure file handling and blob storage, below both `services/` and `activities/`:

    inspect.py   what a file is, judged by its content alone (never its name or the
                 browser's header), and why it is refused: empty, too large, an
                 executable, a polyglot, a decompression or zip bomb, damaged, or not
                 one of the five kinds taken (JPEG, PNG, PDF, DOCX, XLSX); the photo's
                 EXIF time and place; the file name as kept
    imaging.py   a photo's thumbnail and phone copy: turned upright, every piece of
                 metadata (GPS, camera serials) dropped, re-encoded as JPEG
    store.py     blobs kept by their SHA-256, in a folder or in the `stored_file` table

Nothing here reads settings or knows about commitments: the services choose the limits,
word the refusals in the reader's language (`refusal_code`) and record who handed in what.
"""
