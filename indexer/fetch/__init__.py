"""Fetching records from their publishers into a corpus folder, each with a manifest row.

- `client.py`: the polite, safe HTTP client (one request at a time, robots.txt, retries,
  size and content-type checks, only the site given).
- `moderngov.py`: the ModernGov committee web service (`mgWebService.asmx`).
- `page.py`: the document links of a publication page.
- `names.py`: corpus file names from body, date and kind, never escaping the folder.
- `state.py`: what was fetched before (address, validators, content hash).
- `save.py`: downloads the wanted documents into the corpus and writes their rows.
"""
